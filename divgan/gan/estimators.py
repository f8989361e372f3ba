r"""Trained-network estimators of JS and W1, checked against the exact values.

A fresh discriminator (for JS, L7) or critic (for W1, L15-L17) is trained on one half of the
samples and read on the other half; the confidence interval is a percentile bootstrap over the
held-out half. What each number really is (measured, see ``/work/shared/ESTIMATORS.md``):

* ``estimate_js``: :math:`\tfrac12(\mathbb{E}\log D(x_r) + \mathbb{E}\log(1 - D(x_g)) + \log 4)`,
  a lower bound on JS for *any* fixed D, tight at :math:`D^*`. No clamping, no label smoothing.
* ``estimate_wasserstein(method="gp")``: a penalised critic overestimates W1 even at its optimum
  (1.05·W1 at N(0,1) vs N(1,1), λ = 10); the default value is the first-order de-biased
  :math:`V - 2\lambda P` (dual value minus twice the weighted held-out penalty), exact in 1-D.
* ``method="sn"``: spectral normalisation; the held-out dual value is divided by the product of the
  layers' *exact* spectral norms, so the critic read is 1-Lipschitz and the value a lower bound.
* ``method="clip"``: the lecture's weight clipping (c = 0.01) gives :math:`K\cdot W_1` for an
  unknown K; the value is the dual value divided by the critic's largest measured slope, a
  valid but loose lower bound on the held-out samples' exact W1 (the raw value is kept).

Measured here (N(0,1) vs N(mu,1), 20 000 points per side, default settings, ratio to the exact
W1 of the held-out samples): gp 1.0025 (mu = 1) and 0.99998 (mu = 4), raw dual values 1.050 and
1.201; sn 1.0000 and 1.0000; clip 0.85 and 0.93 (raw K*W1 with K ~ 2e-3). Parallel lines
(4000 points): gp 0.4999, 0.2499, 0.0996 at theta = 0.5, 0.25, 0.1 while JS stays ~0.6928.

Scaling: inputs are centred and divided by one scalar ``s`` inside the network, and a critic's
output is multiplied back by ``s`` (:math:`f(x) = s\,g((x - m)/s)`), so slopes, penalties and
values are all in the units of the data.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import torch
from torch import nn

from divgan._validation import as_points, check_positive_int, check_real
from divgan.gan._runtime import configure_threads, resolve_device
from divgan.gan.losses import clip_weights_, critic_loss, discriminator_loss, gradient_penalty
from divgan.gan.models import Critic, Discriminator

__all__ = [
    "CriticCheck",
    "Estimate",
    "PotentialComparison",
    "check_critic",
    "compare_with_kantorovich_potential",
    "estimate_js",
    "estimate_wasserstein",
    "fit_critic",
    "fit_discriminator",
]

_METHODS = ("gp", "clip", "sn")
_DEFAULT_STEPS = {"js": 1000, "gp": 2000, "sn": 2000, "clip": 1500}
_DEFAULT_LR = {"js": 1e-3, "gp": 1e-3, "sn": 1e-3, "clip": 5e-5}
_MAX_PAIR_POINTS = 2000  # N-D pairwise slopes: at most this many pooled points (4e6 pairs)


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Estimate:
    """A trained-network estimate of JS or W1 on held-out samples.

    Attributes
    ----------
    value, ci_low, ci_high : float
        The estimate and its percentile-bootstrap interval, in the quantity's units (nats for
        JS, data units for W1).
    quantity : {"js", "wasserstein"}
    method : {"discriminator", "gp", "sn", "clip"}
    kind : {"lower_bound", "debiased", "rescaled_lower_bound"}
        What ``value`` is; ``is_lower_bound`` and ``caveat`` say it again, plainly.
    diagnostics : Mapping[str, float]
        Raw dual value, penalty, measured Lipschitz constants, BCEs and the like.
    steps, seed, device, n_train, n_test, confidence
        How it was obtained.
    network : torch.nn.Module
        The trained discriminator (logits) or critic, on raw inputs.
    held_out : (numpy.ndarray, numpy.ndarray)
        Indices of the held-out real and fake samples, to compare with the exact value on
        the very samples the estimate was read on.
    """

    value: float
    ci_low: float
    ci_high: float
    quantity: str
    method: str
    kind: str
    is_lower_bound: bool
    caveat: str
    diagnostics: Mapping[str, float]
    steps: int
    seed: int
    device: str
    n_train: int
    n_test: int
    confidence: float
    network: nn.Module | None = field(default=None, repr=False, compare=False)
    held_out: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False,
                                                           compare=False)

    def summary(self) -> str:
        """One line: value, CI, method and kind."""
        name = "JS" if self.quantity == "js" else "W1"
        pct = round(100 * self.confidence)
        return (f"{name} ~ {self.value:.6g}  ({pct}% CI [{self.ci_low:.6g}, {self.ci_high:.6g}]; "
                f"{self.method}, {self.kind})")


@dataclass(frozen=True)
class CriticCheck:
    """A critic's dual value on two samples against the exact W1 of the same samples."""

    dual_value: float
    exact: float
    gap: float
    ratio: float
    lipschitz_gradient: float
    lipschitz_pairs: float
    rescaled_value: float


@dataclass(frozen=True)
class PotentialComparison:
    """A 1-D critic and the exact Kantorovich potential on a grid, both centred (mean zero)."""

    x: np.ndarray
    critic: np.ndarray
    potential: np.ndarray
    max_abs_error: float
    rms_error: float


# --------------------------------------------------------------------------- private core
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


def _check_common(steps, seed, batch_size) -> None:
    check_positive_int(steps, "steps")
    check_positive_int(batch_size, "batch_size")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be a non-negative int, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")


def _split(xr, xg, test_fraction, seed):
    f = check_real(test_fraction, "test_fraction", positive=True)
    if not f < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
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
    _check_common(steps, seed, batch_size)
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


# --------------------------------------------------------------------------- public API
def fit_discriminator(x_real, x_fake, *, steps=None, device="auto", seed=0, lr=None,
                      batch_size=256, hidden=(64, 64), num_threads=1) -> nn.Module:
    r"""Train a fresh GAN discriminator on all of ``x_real`` (label 1) and ``x_fake`` (label 0).

    .. math::

        \max_D\ \mathbb{E}_{x\sim p_r}\log D(x) + \mathbb{E}_{x\sim p_g}\log(1 - D(x)),
        \qquad D^* = \frac{p_r}{p_r + p_g}

    Serves L4-L5 (the trained D approaches :math:`D^*`). Adam (lr 1e-3, betas (0.5, 0.999)),
    batches of ``batch_size`` drawn with replacement, no clamping, no label smoothing.

    Returns
    -------
    torch.nn.Module
        Logits, shape ``(n,)``, on the raw inputs (:math:`D = \sigma(\text{logit})`), in eval
        mode on the training device.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from divgan.gan.estimators import fit_discriminator
    >>> rng = np.random.default_rng(0)
    >>> d = fit_discriminator(rng.normal(0, 1, 400), rng.normal(3, 1, 400), steps=200, device="cpu")
    >>> bool(torch.sigmoid(d(torch.tensor([[-2.0]]))) > 0.9)
    True
    """
    xr, xg = _points_pair(x_real, x_fake)
    steps, seed, hidden = _settings("js", steps, seed, batch_size, hidden, num_threads)
    with _Threads(num_threads):
        return _fit(xr, xg, kind="js", steps=steps, lr=lr, batch_size=batch_size, hidden=hidden,
                    gp_weight=0.0, one_sided=True, clip_value=0.0, device=device, seed=seed)


def fit_critic(x_real, x_fake, *, method="gp", steps=None, device="auto", seed=0, lr=None,
               batch_size=256, hidden=(64, 64), gp_weight=10.0, one_sided=True,
               clip_value=0.01, num_threads=1) -> nn.Module:
    r"""Train a fresh WGAN critic on all of ``x_real`` and ``x_fake``.

    .. math::

        \max_f\ \mathbb{E}_{p_r} f - \mathbb{E}_{p_g} f
        \;\big[-\ \lambda\,\mathbb{E}_{\hat x}\max(0, \|\nabla f(\hat x)\| - 1)^2
        \text{ for "gp"}\big]

    Serves L15-L17. ``"gp"``: Adam (lr 1e-3, betas (0.5, 0.9)), λ = ``gp_weight``, the
    one-sided penalty by default (the two-sided one trapped 2 of 6 1-D critics at slope -1,
    value -W1; ``one_sided=False`` restores it; retrying other seeds is the other remedy).
    ``"sn"``: spectrally normalised layers, same optimiser. ``"clip"``: the lecture's
    clipping to :math:`[-c, c]` after every RMSProp step (lr 5e-5), which is K-Lipschitz for an
    unknown K. The returned critic maps raw inputs ``(n, d)`` to scores ``(n,)``.

    Examples
    --------
    >>> import numpy as np
    >>> from divgan.gan.estimators import fit_critic, check_critic
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0, 1, 500), rng.normal(2, 1, 500)
    >>> f = fit_critic(x, y, steps=300, device="cpu")
    >>> round(check_critic(f, x, y).ratio, 1)
    1.1
    """
    xr, xg = _points_pair(x_real, x_fake)
    method = _check_method(method)
    steps, seed, hidden = _settings(method, steps, seed, batch_size, hidden, num_threads)
    gp_weight = check_real(gp_weight, "gp_weight", positive=True)
    clip_value = check_real(clip_value, "clip_value", positive=True)
    with _Threads(num_threads):
        return _fit(xr, xg, kind=method, steps=steps, lr=lr, batch_size=batch_size,
                    hidden=hidden, gp_weight=gp_weight, one_sided=bool(one_sided),
                    clip_value=clip_value, device=device, seed=seed)


def estimate_js(x_real, x_fake, *, steps=None, device="auto", seed=0, test_fraction=0.5,
                confidence=0.95, n_resamples=1000, lr=None, batch_size=256, hidden=(64, 64),
                num_threads=1) -> Estimate:
    r"""Jensen-Shannon divergence (nats) from a discriminator trained on half the samples.

    .. math::

        \widehat{\mathrm{JS}} = \tfrac12\Big(\overline{\log D(x_r)} + \overline{\log(1 - D(x_g))}
        + \log 4\Big) = \log 2 - \tfrac12(\mathrm{BCE}_r + \mathrm{BCE}_g)

    on the held-out half (L7: :math:`L(G, D^*) = 2\,\mathrm{JS} - 2\log 2`). For any fixed D
    this is at most JS in expectation, with equality at :math:`D^*`: a lower bound. On disjoint
    supports (the parallel lines, L13) it goes to :math:`\log 2` however close they are.

    Parameters
    ----------
    x_real, x_fake : array_like or torch.Tensor
        Samples, shape ``(n,)`` or ``(n, d)`` (same ``d``); at least 4 each.
    steps : int, optional
        Adam steps (default 1000: within 1% on equal-variance Gaussians).
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` uses CUDA when present.
    seed : int
        Seeds the split, the initialisation, the batches and the bootstrap.
    test_fraction : float
        Share of each sample held out for the estimate.
    confidence, n_resamples : float, int
        Percentile bootstrap over the held-out samples (real and fake resampled separately).
    num_threads : int or None
        torch threads during the fit (restored afterwards); ``None`` leaves them alone.

    Returns
    -------
    Estimate
        ``kind="lower_bound"``; diagnostics ``bce_real``, ``bce_fake``, ``accuracy``;
        ``network`` is the trained discriminator (logits).

    References
    ----------
    Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, Theorem 1.

    Examples
    --------
    >>> import numpy as np
    >>> from divgan.gan.estimators import estimate_js
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0, 1, 400), rng.normal(50, 1, 400)
    >>> est = estimate_js(x, y, steps=200, device="cpu")
    >>> round(est.value, 2), est.kind
    (0.69, 'lower_bound')
    """
    xr, xg = _points_pair(x_real, x_fake)
    steps, seed, hidden = _settings("js", steps, seed, batch_size, hidden, num_threads)
    confidence = _check_confidence(confidence)
    n_resamples = check_positive_int(n_resamples, "n_resamples", minimum=10)
    (r_tr, r_te, r_idx), (g_tr, g_te, g_idx) = _split(xr, xg, test_fraction, seed)
    with _Threads(num_threads):
        model = _fit(r_tr, g_tr, kind="js", steps=steps, lr=lr, batch_size=batch_size,
                     hidden=hidden, gp_weight=0.0, one_sided=True, clip_value=0.0,
                     device=device, seed=seed)
        net = _cpu64(model)
        lr_, lg = _scores(net, r_te), _scores(net, g_te)
    log_d_real = -np.logaddexp(0.0, -lr_)  # log sigma(l), stable
    log_1m_d_fake = -np.logaddexp(0.0, lg)  # log(1 - sigma(l)), stable
    value = 0.5 * (log_d_real.mean() + log_1m_d_fake.mean()) + math.log(2)
    lo, hi = _bootstrap([log_d_real, log_1m_d_fake], [0.5, 0.5], math.log(2),
                        confidence=confidence, n_resamples=n_resamples, seed=seed)
    diag = {"bce_real": float(-log_d_real.mean()), "bce_fake": float(-log_1m_d_fake.mean()),
            "accuracy": float(0.5 * ((lr_ > 0).mean() + (lg < 0).mean()))}
    return Estimate(
        value=float(value), ci_low=lo, ci_high=hi, quantity="js", method="discriminator",
        kind="lower_bound", is_lower_bound=True,
        caveat="held-out GAN value (L7): at most JS in expectation for any D, equal at D*",
        diagnostics=MappingProxyType(diag), steps=steps, seed=seed, device=str(model.shift.device),
        n_train=len(r_tr) + len(g_tr), n_test=len(r_te) + len(g_te), confidence=confidence,
        network=model, held_out=(r_idx, g_idx))


def _check_confidence(confidence) -> float:
    c = check_real(confidence, "confidence", positive=True)
    if not c < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return c


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


def estimate_wasserstein(x_real, x_fake, *, method="gp", steps=None, device="auto", seed=0,
                         test_fraction=0.5, confidence=0.95, n_resamples=1000, lr=None,
                         batch_size=256, hidden=(64, 64), gp_weight=10.0, one_sided=True,
                         clip_value=0.01, num_threads=1) -> Estimate:
    r"""W1 (Euclidean ground metric, data units) from a critic trained on half the samples.

    .. math::

        W_1(p_r, p_g) = \sup_{\|f\|_L \le 1} \mathbb{E}_{p_r} f - \mathbb{E}_{p_g} f

    (Kantorovich-Rubinstein, L15-L16), read on the held-out half. With a gradient penalty the
    optimal critic is steeper than 1 where the interpolates are sparse: in 1-D
    :math:`f' = 1 + (F_g - F_r)/(2\lambda\rho)`, so the dual value is
    :math:`V = W_1 + 2\lambda P` with :math:`P` the penalty, and the default value is
    :math:`V - 2\lambda P`. See :func:`fit_critic` for the three methods and
    ``Estimate.caveat`` for what each value is.

    Parameters
    ----------
    x_real, x_fake : array_like or torch.Tensor
        Samples, shape ``(n,)`` or ``(n, d)`` (same ``d``); at least 4 each.
    method : {"gp", "clip", "sn"}
        Gradient penalty (de-biased, default), weight clipping (L17), spectral normalisation.
    steps : int, optional
        Optimiser steps (default 2000 for gp and sn, 1500 for clip, which saturates by ~1000).
    device, seed, test_fraction, confidence, n_resamples, num_threads
        As in :func:`estimate_js`.
    gp_weight, one_sided, clip_value
        λ, the one-sided penalty, and the clipping bound c.

    Returns
    -------
    Estimate
        Diagnostics: ``raw_value`` (held-out dual value), ``lipschitz_gradient`` (largest
        gradient norm on interpolates), ``lipschitz_pairs`` (largest slope
        :math:`|f(a) - f(b)|/\|a - b\|` over the pooled held-out points; exact in 1-D, over at
        most 2000 points in N-D), ``mean_gradient_norm``, and ``penalty`` (gp),
        ``sigma_product`` (sn), ``lipschitz`` (the larger of the two, clip).

    References
    ----------
    Arjovsky, Chintala, Bottou, "Wasserstein GAN", ICML 2017;
    Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017;
    Miyato et al., "Spectral Normalization for GANs", ICLR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from divgan.gan.estimators import estimate_wasserstein
    >>> rng = np.random.default_rng(0)
    >>> est = estimate_wasserstein(rng.normal(0, 1, 1000), rng.normal(2, 1, 1000), steps=500,
    ...                            device="cpu")
    >>> round(est.value, 1), est.kind
    (2.0, 'debiased')
    """
    xr, xg = _points_pair(x_real, x_fake)
    method = _check_method(method)
    steps, seed, hidden = _settings(method, steps, seed, batch_size, hidden, num_threads)
    gp_weight = check_real(gp_weight, "gp_weight", positive=True)
    clip_value = check_real(clip_value, "clip_value", positive=True)
    confidence = _check_confidence(confidence)
    n_resamples = check_positive_int(n_resamples, "n_resamples", minimum=10)
    (r_tr, r_te, r_idx), (g_tr, g_te, g_idx) = _split(xr, xg, test_fraction, seed)
    with _Threads(num_threads):
        model = _fit(r_tr, g_tr, kind=method, steps=steps, lr=lr, batch_size=batch_size,
                     hidden=hidden, gp_weight=gp_weight, one_sided=bool(one_sided),
                     clip_value=clip_value, device=device, seed=seed)
        net = _cpu64(model)
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
    value = float(sum(c * p.mean() for p, c in zip(parts, coefs)))
    lo, hi = _bootstrap(parts, coefs, 0.0, confidence=confidence, n_resamples=n_resamples,
                        seed=seed)
    kind, is_lb = _KINDS[method]
    return Estimate(
        value=value, ci_low=lo, ci_high=hi, quantity="wasserstein", method=method, kind=kind,
        is_lower_bound=is_lb, caveat=_CAVEATS[method], diagnostics=MappingProxyType(diag),
        steps=steps, seed=seed, device=str(model.shift.device), n_train=len(r_tr) + len(g_tr),
        n_test=len(r_te) + len(g_te), confidence=confidence, network=model,
        held_out=(r_idx, g_idx))


def check_critic(critic, x_real, x_fake, *, seed=0) -> CriticCheck:
    r"""Compare a trained critic's dual value with the exact W1 of the same samples.

    .. math::

        V = \overline{f(x_r)} - \overline{f(x_g)} \quad\text{vs}\quad W_1(\hat p_r, \hat p_g),
        \qquad V / L \le W_1(\hat p_r, \hat p_g)

    where :math:`L` is the critic's largest slope between pooled sample points (a function
    L-Lipschitz on the points extends to an L-Lipschitz function everywhere, so
    ``rescaled_value`` is a guaranteed lower bound when the slope is exact: 1-D, or N-D with
    at most 2000 pooled points). The exact value comes from ``divgan.wasserstein``
    (sorted formula in 1-D, network simplex in N-D). Serves L15-L17.

    Parameters
    ----------
    critic : torch.nn.Module
        Maps ``(n, d)`` to ``(n,)`` or ``(n, 1)`` scores (any device; evaluated in float64 on
        a CPU copy).
    x_real, x_fake : array_like
        Samples, ``(n,)`` or ``(n, d)``; use samples the critic was not trained on.
    seed : int
        Interpolation weights for the gradient norms.

    Returns
    -------
    CriticCheck
        ``gap = dual_value - exact``, ``ratio = dual_value / exact`` (``nan`` only when the exact
        W1 is 0, i.e. identical samples).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from divgan.gan.estimators import check_critic
    >>> critic = torch.nn.Linear(1, 1, bias=False)
    >>> _ = critic.weight.data.fill_(-1.0)          # f(x) = -x, the optimal critic for a shift
    >>> c = check_critic(critic, np.array([0.0, 1.0]), np.array([2.0, 3.0]))
    >>> c.dual_value, c.exact, c.gap, c.lipschitz_pairs
    (2.0, 2.0, 0.0, 1.0)
    """
    if not isinstance(critic, nn.Module):
        raise TypeError(f"critic must be a torch.nn.Module, got {type(critic).__name__}")
    xr, xg = _points_pair(x_real, x_fake)
    _check_common(1, seed, 1)
    net = _cpu64(critic)
    dual = float(_scores(net, xr).mean() - _scores(net, xg).mean())
    norms, slope, _ = _lipschitz(net, xr, xg, np.random.default_rng([seed, 17]))
    exact = _exact_w1(xr, xg)
    lip = max(float(norms.max()), slope)
    return CriticCheck(
        dual_value=dual, exact=exact, gap=dual - exact,
        ratio=dual / exact if exact > 0 else float("nan"),
        lipschitz_gradient=float(norms.max()), lipschitz_pairs=slope,
        rescaled_value=dual / lip if lip > 0 else 0.0)


def compare_with_kantorovich_potential(critic, x_real, x_fake, x=None) -> PotentialComparison:
    r"""A trained 1-D critic beside the exact Kantorovich potential, both centred on the grid.

    .. math::

        f^*(x) = \int^x \operatorname{sign}(F_g(t) - F_r(t))\,dt, \qquad
        \overline{f^*(x_r)} - \overline{f^*(x_g)} = W_1

    (``divgan.wasserstein.kantorovich_potential_1d``; L15). Both are defined up to a constant,
    so each is shifted to mean zero over the grid ``x`` (default: 201 points between the 2% and
    98% quantiles of the pooled samples, where the data lie).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from divgan.gan.estimators import compare_with_kantorovich_potential
    >>> critic = torch.nn.Linear(1, 1, bias=True)
    >>> _ = critic.weight.data.fill_(-1.0)
    >>> cmp = compare_with_kantorovich_potential(critic, np.array([0.0, 1.0]), np.array([2.0, 3.0]))
    >>> round(cmp.max_abs_error, 12)
    0.0
    """
    from divgan.wasserstein import kantorovich_potential_1d

    if not isinstance(critic, nn.Module):
        raise TypeError(f"critic must be a torch.nn.Module, got {type(critic).__name__}")
    xr, xg = _points_pair(x_real, x_fake)
    if xr.shape[1] != 1:
        raise ValueError(f"the Kantorovich potential comparison is 1-D only; got d = {xr.shape[1]}")
    if x is None:
        lo, hi = np.quantile(np.concatenate([xr[:, 0], xg[:, 0]]), [0.02, 0.98])
        grid = np.linspace(lo, hi, 201)
    else:
        grid = as_points(x, "x", dim=1)[:, 0]
    f = _scores(_cpu64(critic), grid[:, None])
    pot = np.asarray(kantorovich_potential_1d(xr[:, 0], xg[:, 0], grid), dtype=float)
    f, pot = f - f.mean(), pot - pot.mean()
    err = f - pot
    return PotentialComparison(x=grid, critic=f, potential=pot,
                               max_abs_error=float(np.abs(err).max()),
                               rms_error=float(np.sqrt(np.mean(err ** 2))))
