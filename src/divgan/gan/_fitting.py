r"""Private fitting core of :mod:`divgan.gan.estimators`: input checks, the held-out split,
the training loop, float64 scoring, Lipschitz measurements, the held-out terms of a critic's
W1 estimate, the percentile bootstrap, and the pickling form of a trained network.

Nothing here is public API; :mod:`divgan.gan.estimators` wraps it.
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from divgan._validation import as_points, check_fraction, check_positive_int, check_real
from divgan.gan._runtime import configure_threads, resolve_device
from divgan.gan.losses import clip_weights_, critic_loss, discriminator_loss, gradient_penalty
from divgan.gan.models import Critic, Discriminator

_METHODS = ("gp", "clip", "sn")
_DEFAULT_STEPS = {"js": 1000, "gp": 2000, "sn": 2000, "clip": 1500}
_DEFAULT_LR = {"js": 1e-3, "gp": 1e-3, "sn": 1e-3, "clip": 5e-5}
_MAX_PAIR_POINTS = 2000  # N-D pairwise slopes: at most this many pooled points (4e6 pairs)

class _Affine(nn.Module):
    """``net((x - shift) / scale)``, times ``scale`` for a critic (keeps W1's units exact)."""

    def __init__(self, net: nn.Module, shift: torch.Tensor, scale: float, multiply: bool):
        super().__init__()
        self.net = net
        self.register_buffer("shift", shift)
        self.scale, self.multiply = float(scale), bool(multiply)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net((x - self.shift) / self.scale)
        return out * self.scale if self.multiply else out


def _points_pair(x_real, x_fake) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(x_real, torch.Tensor):
        x_real = x_real.detach().cpu().numpy()
    if isinstance(x_fake, torch.Tensor):
        x_fake = x_fake.detach().cpu().numpy()
    xr = as_points(x_real, "x_real")
    return xr, as_points(x_fake, "x_fake", dim=xr.shape[1])




def _split(xr, xg, test_fraction, seed):
    f = check_fraction(test_fraction, "test_fraction")
    rng = np.random.default_rng([seed, 7])
    out = []
    for x, name in ((xr, "x_real"), (xg, "x_fake")):
        n_test = round(f * len(x))
        if n_test < 2 or len(x) - n_test < 2:
            raise ValueError(f"{name} has {len(x)} samples: too few to split into training and "
                             f"held-out parts of at least 2 each (test_fraction={f})")
        perm = rng.permutation(len(x))
        test = np.sort(perm[:n_test])
        out.append((x[perm[n_test:]], x[test], test))
    return out[0], out[1]


def _fit(xr, xg, *, kind, steps, lr, batch_size, hidden, gp_weight, one_sided, clip_value,
         device, seed) -> nn.Module:
    """Train a discriminator (``kind="js"``) or a critic on all of ``xr``, ``xg`` (numpy)."""
    dev = resolve_device(device)
    pooled = np.concatenate([xr, xg])
    shift = pooled.mean(axis=0)
    scale = float(np.sqrt(pooled.var(axis=0).mean()))
    scale = scale if scale > 0 else 1.0
    d = xr.shape[1]
    cuda_ids = [torch.cuda.current_device() if dev.index is None else dev.index] \
        if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda_ids):  # seeded init, caller's RNG state untouched
        torch.manual_seed(seed)
        if kind == "js":
            net = Discriminator(d, hidden)
        else:
            net = Critic(d, hidden, spectral_norm=(kind == "sn"))
    model = _Affine(net, torch.as_tensor(shift, dtype=torch.float32), scale,
                    multiply=(kind != "js")).to(dev)
    gen = torch.Generator(device=dev)
    gen.manual_seed(seed)
    tr = torch.as_tensor(xr, dtype=torch.float32, device=dev)
    tg = torch.as_tensor(xg, dtype=torch.float32, device=dev)
    lr = _DEFAULT_LR[kind] if lr is None else check_real(lr, "lr", positive=True)
    if kind == "clip":  # WGAN's Algorithm 1: RMSProp, lr 5e-5, clip after each step
        opt = torch.optim.RMSprop(model.parameters(), lr=lr)
    elif kind == "js":
        opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.5, 0.999))
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.5, 0.9))
    # cosine decay of the learning rate to 1% (not for clip: the lecture's fixed RMSProp step):
    # a critic still jittering at the end has a noisy slope, which inflates the held-out penalty
    decay = None if kind == "clip" else torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=steps, eta_min=0.01 * lr)
    model.train()
    for _ in range(steps):
        r = tr[torch.randint(len(tr), (batch_size,), generator=gen, device=dev)]
        g = tg[torch.randint(len(tg), (batch_size,), generator=gen, device=dev)]
        if kind == "js":
            # maximise E log D(x_r) + E log(1 - D(x_g)), i.e. minimise the two BCEs (L4)
            loss = discriminator_loss(model(r), model(g))
        else:
            # maximise E f(x_r) - E f(x_g) (L16), minus lambda * penalty for "gp"
            loss = critic_loss(model(r), model(g))
            if kind == "gp":
                loss = loss + gp_weight * gradient_penalty(model, r, g, one_sided=one_sided,
                                                           generator=gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if kind == "clip":
            clip_weights_(net, clip_value)
        else:
            decay.step()
    return model.eval()


def _cpu64(module: nn.Module) -> nn.Module:
    return copy.deepcopy(module).to("cpu", torch.float64).eval()


def _scores(net: nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        out = net(torch.as_tensor(x, dtype=torch.float64))
    out = out.reshape(len(x), -1)
    if out.shape[1] != 1:
        raise ValueError(f"the network must return one score per sample, got shape "
                         f"{tuple(out.shape)}")
    return out[:, 0].numpy()


def _lipschitz(net, xr, xg, rng, *, repeats=4):
    """Gradient norms on interpolates of random (real, fake) pairs; the largest pairwise slope."""
    m = min(len(xr), len(xg))
    ir = np.tile(rng.permutation(len(xr))[:m], repeats)
    ig = np.tile(rng.permutation(len(xg))[:m], repeats)
    eps = rng.uniform(size=(repeats * m, 1))
    x_hat = torch.as_tensor(eps * xr[ir] + (1 - eps) * xg[ig]).requires_grad_(True)
    (grad,) = torch.autograd.grad(net(x_hat).sum(), x_hat)
    norms = grad.reshape(len(x_hat), -1).norm(dim=1).detach().numpy().reshape(repeats, m)
    pooled = np.concatenate([xr, xg])
    subsampled = False
    if pooled.shape[1] == 1:  # on a line the largest slope is between neighbours in sorted order
        x = np.sort(pooled[:, 0])
        keep = np.concatenate([[True], np.diff(x) > 0])
        x = x[keep]
        f = _scores(net, x[:, None])
        slope = float(np.max(np.abs(np.diff(f)) / np.diff(x))) if len(x) > 1 else 0.0
    else:
        if len(pooled) > _MAX_PAIR_POINTS:
            pooled = pooled[rng.choice(len(pooled), _MAX_PAIR_POINTS, replace=False)]
            subsampled = True
        f = _scores(net, pooled)
        slope = 0.0
        for i in range(0, len(pooled), 256):
            dist = np.linalg.norm(pooled[i:i + 256, None, :] - pooled[None, :, :], axis=-1)
            df = np.abs(f[i:i + 256, None] - f[None, :])
            ok = dist > 0
            if ok.any():
                slope = max(slope, float(np.max(df[ok] / dist[ok])))
    return norms, slope, subsampled


def _bootstrap(parts, coefs, const, *, confidence, n_resamples, seed):
    """Percentile CI of ``const + sum_k coef_k * mean(part_k)``, each part resampled on its own."""
    rng = np.random.default_rng([seed, 11])
    stats = np.full(n_resamples, float(const))
    for part, c in zip(parts, coefs):
        chunk = max(1, 2_000_000 // len(part))  # bounded memory: at most ~16 MB of indices
        for i in range(0, n_resamples, chunk):
            idx = rng.integers(0, len(part), size=(min(chunk, n_resamples - i), len(part)))
            stats[i:i + len(idx)] += c * part[idx].mean(axis=1)
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(stats, [alpha, 1 - alpha])
    return float(lo), float(hi)


class _Threads:
    """Set torch's thread count for the duration of a fit and put the caller's back."""

    def __init__(self, n):
        self.n = n

    def __enter__(self):
        self.saved = torch.get_num_threads()
        configure_threads(self.n)

    def __exit__(self, *exc):
        if self.n is not None and torch.get_num_threads() != self.saved:
            torch.set_num_threads(self.saved)


def _exact_w1(xr: np.ndarray, xg: np.ndarray) -> float:
    from divgan.wasserstein import wasserstein_1d, wasserstein_distance

    if xr.shape[1] == 1:
        return float(wasserstein_1d(xr[:, 0], xg[:, 0]))
    return float(wasserstein_distance(xr, xg))


def _sigma_product(net: nn.Module) -> float:
    """Product of the exact spectral norms of the (effective) weights of every Linear layer."""
    prod = 1.0
    with torch.no_grad():
        for mod in net.modules():
            if isinstance(mod, nn.Linear):
                prod *= float(torch.linalg.matrix_norm(mod.weight, ord=2))
    return prod


def _settings(kind, steps, seed, batch_size, hidden, num_threads):
    steps = _DEFAULT_STEPS[kind] if steps is None else check_positive_int(steps, "steps")
    check_positive_int(batch_size, "batch_size")
    check_positive_int(seed, "seed", minimum=0)
    hidden = tuple(hidden)
    for h in hidden:
        check_positive_int(h, "hidden width")
    if num_threads is not None:
        check_positive_int(num_threads, "num_threads")
    return steps, int(seed), hidden


def _check_method(method) -> str:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    return method


_CAVEATS = {
    "gp": ("de-biased: the penalised critic's dual value overestimates W1 (about 1.05x at "
           "N(0,1) vs N(1,1), lambda = 10); value = dual - 2*lambda*penalty (both held out), "
           "exact at the penalised optimum in 1-D, first order in 1/lambda in general; raw dual "
           "value in diagnostics['raw_value']"),
    "sn": ("dual value of a spectrally normalised critic divided by the product of its layers' "
           "exact spectral norms: a 1-Lipschitz critic, so a lower bound on W1 in expectation"),
    "clip": ("weight clipping gives K*W1 for an unknown K (diagnostics['raw_value']); value = raw "
             "/ the critic's largest measured slope: a valid but loose lower bound on the "
             "held-out samples' exact W1"),
}
_KINDS = {"gp": ("debiased", False), "sn": ("lower_bound", True),
          "clip": ("rescaled_lower_bound", True)}


def _without_parametrizations(net):
    """``net`` itself, or a copy with every parametrisation replaced by the weight it gives.

    (Not ``parametrize.remove_parametrizations`` on a deep copy: the copy shares its injected
    class with the original, and removing the last parametrisation deletes the class's
    property, breaking the original.)"""
    from torch.nn.utils import parametrize

    if net is None or not any(parametrize.is_parametrized(m) for m in net.modules()):
        return net
    net = copy.deepcopy(net)
    for mod in [m for m in net.modules() if parametrize.is_parametrized(m)]:
        with torch.no_grad():
            fixed = {name: getattr(mod, name).detach().clone() for name in mod.parametrizations}
        del mod._modules["parametrizations"]
        mod.__class__ = type(mod).__bases__[0]  # the class before parametrisation
        for name, value in fixed.items():
            mod.register_parameter(name, nn.Parameter(value))
    return net


def _critic_parts(net, method, r_te, g_te, *, seed, gp_weight, one_sided):
    """Held-out terms of a critic's W1 estimate: ``value = sum_k coef_k * mean(part_k)``, and the
    diagnostics. gp: dual value minus 2 lambda times the penalty; sn, clip: the dual value divided
    by the product of spectral norms, resp. the largest measured slope."""
    fr, fg = _scores(net, r_te), _scores(net, g_te)
    norms, slope, subsampled = _lipschitz(net, r_te, g_te, np.random.default_rng([seed, 13]))
    sigma = _sigma_product(net) if method == "sn" else None
    raw = float(fr.mean() - fg.mean())
    lip = max(float(norms.max()), slope)
    diag = {"raw_value": raw, "lipschitz_gradient": float(norms.max()), "lipschitz_pairs": slope,
            "mean_gradient_norm": float(norms.mean()), "pairs_subsampled": float(subsampled)}
    if method == "gp":
        gap = norms - 1.0
        pen = (np.maximum(gap, 0.0) if one_sided else gap) ** 2
        pen_terms = pen.mean(axis=0)  # one term per held-out (real, fake) pair
        diag.update(penalty=float(pen_terms.mean()), gp_weight=gp_weight)
        parts, coefs = [fr, fg, pen_terms], [1.0, -1.0, -2.0 * gp_weight]
    else:
        if method == "sn":
            denom = sigma
            diag["sigma_product"] = sigma
        else:
            denom = lip
            diag["lipschitz"] = lip
        if not denom > 0:
            raise RuntimeError(f"the trained {method} critic is constant on the held-out samples "
                               f"(largest slope {denom}); no W1 estimate can be read from it")
        parts, coefs = [fr, fg], [1.0 / denom, -1.0 / denom]
    return parts, coefs, diag
