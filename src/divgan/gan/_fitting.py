r"""Private fitting core of :mod:`divgan.gan.estimators`: settings, the held-out split, the
training loop (one for the discriminator and every registered critic method), float64
scoring, Lipschitz measurements, the bootstrap, and the pickling form of a trained network.

Nothing here is public API; :mod:`divgan.gan.estimators` wraps it. What differs between critic
methods lives in :mod:`divgan.gan.critics`.

The networks train in float32 on standardised data :math:`z = (x - m)/s` (computed in float64,
so any finite data fit): a critic minimises :math:`-(\overline{g(z_r)} - \overline{g(z_g)}) +
\lambda P` and is read as :math:`f(x) = s\,g((x - m)/s)`, which has the same gradient norms as
:math:`g`. In the data's units that is the penalised objective with weight :math:`s\lambda`, so
the penalty's strength relative to the dual value, and with it the bias of the raw value and
the accuracy of the de-biasing, do not depend on the data's units.
"""
from __future__ import annotations

import copy
import functools
import math
from collections.abc import Sequence

import numpy as np
import scipy.stats
import torch
import torch.nn.functional as F
from torch import nn

from divgan._validation import (
    as_points,
    check_fraction,
    check_positive_int,
    check_real,
    seed_to_int,
)
from divgan.gan._runtime import configure_threads, resolve_device
from divgan.gan.checkpoint import TrainingDivergedError
from divgan.gan.critics import (
    _CDIST_BYTES,
    CRITIC_METHODS,
    CriticSettings,
    HeldOut,
    get_critic_method,
)
from divgan.gan.losses import discriminator_loss
from divgan.gan.models import ACTIVATIONS, Discriminator, check_hidden

_JS_STEPS, _JS_LR = 1000, 1e-3  # the discriminator's defaults (the critics' are registered)
_JS_ACTIVATION = "elu"  # smooth: a layer of it holds quadratic log-ratios (docs/critics_in_d.md)
_MAX_PAIR_POINTS = 2000  # N-D pairwise slopes: at most this many pooled points (4e6 pairs)
_EVALS = 20  # early stopping: validation measurements per fit
_MAX_VALIDATION = 4096  # early stopping: at most this many validation points per side
_PATIENCE = 5  # early stopping: give up after this many measurements without a better score
CI_METHODS = ("percentile", "bca")


class _Affine(nn.Module):
    """``net((x - shift) / scale)``, times ``scale`` for a critic (keeps W1's units exact);
    ``shift`` is kept in float64."""

    def __init__(self, net: nn.Module, shift: torch.Tensor, scale: float, multiply: bool):
        super().__init__()
        self.net = net
        self.register_buffer("shift", shift)
        self.scale, self.multiply = float(scale), bool(multiply)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net((x - self.shift.to(x.dtype)) / self.scale)
        return out * self.scale if self.multiply else out


def _points_pair(x_real, x_fake) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(x_real, torch.Tensor):
        x_real = x_real.detach().cpu().numpy()
    if isinstance(x_fake, torch.Tensor):
        x_fake = x_fake.detach().cpu().numpy()
    xr = as_points(x_real, "x_real")
    return xr, as_points(x_fake, "x_fake", dim=xr.shape[1])


def _settings(method, steps, seed, batch_size, hidden, num_threads, lr_d, *, auto=False):
    """Checked ``(steps, seed as int, hidden, lr_d)``; ``method`` is "js" or a critic name;
    ``auto``: ``hidden`` may be ``"auto"`` (the estimators' choice on a validation split)."""
    default_steps, default_lr = ((_JS_STEPS, _JS_LR) if method == "js" else
                                 (CRITIC_METHODS[method].default_steps,
                                  CRITIC_METHODS[method].default_lr))
    steps = default_steps if steps is None else check_positive_int(steps, "steps")
    lr_d = default_lr if lr_d is None else check_real(lr_d, "lr_d", positive=True)
    check_positive_int(batch_size, "batch_size")
    if num_threads is not None:
        check_positive_int(num_threads, "num_threads")
    return steps, seed_to_int(seed), _check_hidden_arg(hidden, auto), lr_d


def _activation(method, activation) -> str:
    """The checked activation of the networks fitted for ``method`` ("js" or a critic name):
    ``None`` is the method's default (:attr:`CriticMethod.activation`, ``"elu"`` for js)."""
    if activation is None:
        return _JS_ACTIVATION if method == "js" else CRITIC_METHODS[method].activation
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"activation must be None (the method's default) or one of "
                         f"{sorted(ACTIVATIONS)}, got {activation!r}")
    return activation


def _check_hidden_arg(hidden, auto: bool):
    if auto and isinstance(hidden, str) and hidden == "auto":
        return hidden
    if auto and (isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence)):
        raise TypeError(f"hidden must be 'auto' or a sequence of layer widths (ints >= 1; () for "
                        f"a linear network), e.g. (64, 64); got {hidden!r}")
    return check_hidden(hidden, allow_empty=True)


def _check_ci(confidence, n_resamples, ci_method):
    if ci_method not in CI_METHODS:
        raise ValueError(f"ci_method must be one of {CI_METHODS}, got {ci_method!r}")
    return (check_fraction(confidence, "confidence"),
            check_positive_int(n_resamples, "n_resamples", minimum=10))


def _split(xr, xg, test_fraction, seed, *, stream=7):
    """``((r_train, r_test, r_test_index), (g_train, g_test, g_test_index))``; ``stream`` 29
    is the validation split of a training part (``hidden="auto"``, only with >= 10 points a
    side, so that split always succeeds)."""
    f = check_fraction(test_fraction, "test_fraction")
    rng = np.random.default_rng([seed, stream])
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


def _standardise(pooled: np.ndarray) -> tuple[np.ndarray, float]:
    """Shift ``m`` (per coordinate) and one scale ``s`` (root mean variance) of the pooled
    points, computed without overflow for any finite data (in units of the largest entry)."""
    a = float(np.abs(pooled).max())
    if a == 0:
        return np.zeros(pooled.shape[1]), 1.0
    u = pooled / a
    mu = u.mean(axis=0)
    s = float(np.sqrt(((u - mu) ** 2).mean(axis=0).mean()))
    return mu * a, (s * a if s > 0 else a)


def _fit(xr, xg, *, method, steps, lr_d, batch_size, hidden, settings, device, seed,
         activation=None, validation=None) -> tuple[nn.Module, float | None, int]:
    """Train a discriminator (``method="js"``) or a critic on all of ``xr``, ``xg`` (numpy).

    Returns ``(model, score, step)``. With ``validation=(vr, vg)`` (numpy), the training
    objective on those points (:func:`_validation_score`) is measured ``_EVALS`` times during
    the fit and the network is returned as it was at its best measurement (early stopping;
    the fit ends after ``_PATIENCE`` measurements without a better one);
    without, the network after the last step, ``score=None``."""
    dev = resolve_device(device)
    shift, scale = _standardise(np.concatenate([xr, xg]))
    critic = None if method == "js" else get_critic_method(method)
    activation = _activation(method, activation)
    d = xr.shape[1]
    cuda_ids = [torch.cuda.current_device() if dev.index is None else dev.index] \
        if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda_ids):  # seeded init, caller's RNG state untouched
        torch.manual_seed(seed)
        net = (Discriminator(d, hidden, activation=activation) if critic is None
               else critic.build(d, hidden, activation))
    net = net.to(dev)
    gen = torch.Generator(device=dev)
    gen.manual_seed(seed)
    zr = torch.as_tensor((xr - shift) / scale, dtype=torch.float32, device=dev)
    zg = torch.as_tensor((xg - shift) / scale, dtype=torch.float32, device=dev)
    if critic is None:
        opt = torch.optim.Adam(net.parameters(), lr=lr_d, betas=(0.5, 0.999))
    else:
        opt = critic.make_optimizer(net.parameters(), lr=lr_d, betas=(0.5, 0.9))
    # cosine decay of the learning rate to 1% (not for clip: the lecture's fixed RMSProp step):
    # a critic still jittering at the end has a noisy slope, which inflates the held-out penalty
    decay = None if critic is not None and not critic.lr_decay else \
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=0.01 * lr_d)
    name = "discriminator loss" if critic is None else "critic loss"
    if validation is not None:
        val = _Validation(validation, shift, scale, dev)
        every, best = max(1, steps // _EVALS), (-math.inf, 0, None)
    net.train()
    for step in range(1, steps + 1):
        r = zr[torch.randint(len(zr), (batch_size,), generator=gen, device=dev)]
        g = zg[torch.randint(len(zg), (batch_size,), generator=gen, device=dev)]
        if critic is None:
            # maximise E log D(x_r) + E log(1 - D(x_g)), i.e. minimise the two BCEs (L4)
            loss = discriminator_loss(net(r), net(g))
        else:
            # maximise E f(x_r) - E f(x_g) (L16), minus the method's penalty (see critics.py)
            loss, _, _ = critic.loss(net, r, g, settings, seed=gen)
        value = float(loss.detach())
        if not math.isfinite(value):
            raise TrainingDivergedError(step, name, value, None, checkpoints=False,
                                        hint="a smaller lr_d")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if critic is not None and critic.after_step is not None:
            critic.after_step(net, settings)
        if decay is not None:
            decay.step()
        if validation is not None and (step % every == 0 or step == steps):
            score = _validation_score(net, critic, val, settings, seed)
            if score > best[0]:
                best = (score, step, copy.deepcopy(net.state_dict()))
            elif step - best[1] >= _PATIENCE * every:  # no gain in a quarter of the fit
                break
    if validation is not None:
        if best[2] is None:
            raise TrainingDivergedError(steps, f"the {name} on the validation points", math.nan,
                                        None, checkpoints=False, hint="a smaller lr_d")
        net.load_state_dict(best[2])
    bad = [n for n, p in net.named_parameters() if not torch.isfinite(p).all()]
    if bad:
        raise TrainingDivergedError(steps, f"the network's weights ({bad[0]})", math.nan, None,
                                    checkpoints=False, hint="a smaller lr_d")
    model = _Affine(net, torch.as_tensor(shift, dtype=torch.float64, device=dev), scale,
                    multiply=critic is not None)
    if validation is None:
        return model.eval(), None, steps
    return model.eval(), float(best[0]), int(best[1])


def _fit_linear(xr, xg, *, method, settings, device, seed, validation) -> tuple[nn.Module,
                                                                              float, int]:
    r"""The exact maximiser over linear critics of the ``gp`` or ``sn`` training objective on
    ``xr``, ``xg`` (numpy), in place of a fit; returns ``(model, score, 0)`` like :func:`_fit`.

    For :math:`g(z) = w^\top z + b` on the standardised points the dual value is
    :math:`w^\top\Delta`, :math:`\Delta = \bar z_r - \bar z_g`, and the gradient is
    :math:`w` everywhere, so ``sn`` (whose layer is :math:`w/\|w\|`) is maximised by
    :math:`w = \Delta/\|\Delta\|` and ``gp`` (:math:`t\|\Delta\| - \lambda(t - 1)^2`
    with :math:`t = \|w\| \ge 1`, one- or two-sided) by
    :math:`t = 1 + \|\Delta\|/(2\lambda)` in the same direction. Gradient steps only
    approach this point, with Adam's noise in every coordinate; in high dimension that noise
    costs several percent of the held-out value."""
    dev = resolve_device(device)
    shift, scale = _standardise(np.concatenate([xr, xg]))
    critic = get_critic_method(method)
    delta = ((xr - shift) / scale).mean(axis=0) - ((xg - shift) / scale).mean(axis=0)
    norm = float(np.linalg.norm(delta))
    if not norm > 0:  # equal means: no direction to choose; the score says this candidate loses
        direction, norm = np.eye(len(delta))[0], 0.0
    else:
        direction = delta / norm
    t = 1.0 + norm / (2.0 * settings.gp_weight) if method == "gp" else 1.0
    with torch.random.fork_rng(devices=[]):  # the weights are set below: no draw may leak
        net = critic.build(len(delta), ()).to(dev)
    layer = net.net.net[0]
    target = layer.parametrizations.weight.original if critic.spectral_norm else layer.weight
    with torch.no_grad():
        target.copy_(torch.as_tensor(t * direction[None, :], dtype=target.dtype))
        layer.bias.zero_()
        if critic.spectral_norm:  # one power iteration is exact for a single row
            net.train()
            net(torch.zeros(1, len(delta), device=dev))
    score = math.nan
    if validation is not None:
        score = _validation_score(net, critic, _Validation(validation, shift, scale, dev),
                                  settings, seed)
    model = _Affine(net, torch.as_tensor(shift, dtype=torch.float64, device=dev), scale,
                    multiply=True)
    return model.eval(), score, 0


class _Validation:
    """Standardised validation points, the first ``min(n_r, n_g, _MAX_VALIDATION)`` a side
    (``real``, ``fake``: pairs by position), and for each point the index of its nearest
    neighbour on the other side (``near_fake``, ``near_real``; found on first use: only a
    penalised critic's score needs them)."""

    def __init__(self, validation, shift, scale, dev):
        m = min(len(validation[0]), len(validation[1]), _MAX_VALIDATION)
        self.real, self.fake = [torch.as_tensor((v[:m] - shift) / scale, dtype=torch.float32,
                                                device=dev) for v in validation]

    @functools.cached_property
    def near_fake(self) -> torch.Tensor:
        return _nearest(self.real, self.fake)

    @functools.cached_property
    def near_real(self) -> torch.Tensor:
        return _nearest(self.fake, self.real)


def _nearest(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """For each row of ``a`` the index of its nearest row of ``b`` (Euclidean), in chunks of
    ``_CDIST_BYTES``."""
    rows = max(1, _CDIST_BYTES // (a.element_size() * max(1, len(b))))
    with torch.no_grad():
        return torch.cat([torch.cdist(a[i:i + rows], b).argmin(dim=1)
                          for i in range(0, len(a), rows)])


def _validation_score(net, critic, val: _Validation, settings, seed) -> float:
    """The mean of :func:`_validation_terms`: the score by which early stopping and model
    selection compare networks."""
    return float(_validation_terms(net, critic, val, settings, seed).mean())


def _validation_terms(net, critic, val: _Validation, settings, seed) -> np.ndarray:
    r"""The training objective (to maximise) on the validation points, standardised units, one
    float64 term per pair: :math:`\log D(x_i) + \log(1 - D(y_i))` for the discriminator;
    :math:`f(x_i) - \text{score}(y_i) - w P_i` for a critic, with the penalty ``P_i`` (gp) half
    on the interpolate of the pair ``(x_i, y_i)`` and half on interpolates between each point
    and its nearest neighbour on the other side (interpolation weights fixed by ``seed``, so
    scores compare).

    Why the neighbours: in high dimension random pairs are far apart and their interpolates
    never visit the region between nearby real and fake points, where an optimal transport
    moves mass. A network can be steep there unpenalised and read far above W1: on
    ``theory.hyperplanes(32, 0.5)`` at n = 16000 the (64, 64) network had mean slope 1.57
    between the planes at the data's other coordinates and read 0.59 for W1 = 0.5, with a
    random-pair penalty of 0.028 but one of 0.14 between neighbours (``docs/critics_in_d.md``).
    """
    was_training = net.training
    net.eval()  # no power-iteration update of spectrally normalised layers
    try:
        if critic is None:
            with torch.no_grad():
                terms = -F.softplus(-net(val.real)) - F.softplus(net(val.fake))
        else:
            with torch.no_grad():
                terms = net(val.real) - critic.fake_scores(net, val.fake, val.real)
            if critic.penalty is not None:
                gen = torch.Generator(device=val.real.device)
                gen.manual_seed(seed)
                pen = [critic.penalty(net, r, g, settings, gen, reduction="none").detach()
                       for r, g in ((val.real, val.fake), (val.real, val.fake[val.near_fake]),
                                    (val.real[val.near_real], val.fake))]
                terms = terms - critic.penalty_weight(settings) * (
                    0.5 * pen[0] + 0.25 * (pen[1] + pen[2]))
        return terms.reshape(len(val.real)).double().cpu().numpy()
    finally:
        net.train(was_training)


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
        unit = float(np.abs(pooled).max()) or 1.0  # distances in these units cannot overflow
        u, fu = pooled / unit, f / unit
        slope = 0.0
        for i in range(0, len(u), 256):
            dist = np.linalg.norm(u[i:i + 256, None, :] - u[None, :, :], axis=-1)
            df = np.abs(fu[i:i + 256, None] - fu[None, :])
            ok = dist > 0
            if ok.any():
                slope = max(slope, float(np.max(df[ok] / dist[ok])))
    return norms, slope, subsampled


def _bootstrap(parts, coefs, const, *, confidence, n_resamples, ci_method, seed):
    """CI of ``const + sum_k coef_k * mean(part_k)`` by :func:`scipy.stats.bootstrap`, each part
    resampled on its own (a k-sample statistic, ``paired=False``)."""
    def statistic(*samples, axis=-1):
        return const + sum(c * s.mean(axis=axis) for s, c in zip(samples, coefs))

    with np.errstate(over="ignore"):  # its standard error squares values near 1e300
        res = scipy.stats.bootstrap(
            tuple(parts), statistic, n_resamples=n_resamples, confidence_level=confidence,
            method="BCa" if ci_method == "bca" else "percentile", paired=False,
            vectorized=True, batch=max(1, 2_000_000 // max(len(p) for p in parts)),
            rng=np.random.default_rng([seed, 11]))  # batch: ~16 MB of indices at a time
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _finite_estimate(value: float, lo: float, hi: float, what: str) -> None:
    """A returned estimate is finite, or this says why not."""
    if not all(math.isfinite(v) for v in (value, lo, hi)):
        raise ValueError(f"the {what} read from the trained network is not finite (value "
                         f"{value!r}, interval [{lo!r}, {hi!r}]): the fit overflowed; try a "
                         f"smaller lr_d or rescale the data")


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


def _sigma_product(net: nn.Module) -> float:
    """Product of the exact spectral norms of the (effective) weights of every Linear layer."""
    prod = 1.0
    with torch.no_grad():
        for mod in net.modules():
            if isinstance(mod, nn.Linear):
                prod *= float(torch.linalg.matrix_norm(mod.weight, ord=2))
    return prod


def _read_critic(net, method: str, r_te, g_te, *, seed, settings: CriticSettings):
    """Held-out terms of a critic's W1 value (``value = sum_k coef_k * mean(part_k)``) and the
    diagnostics, by the registered method's ``read``."""
    norms, slope, subsampled = _lipschitz(net, r_te, g_te, np.random.default_rng([seed, 13]))
    critic = CRITIC_METHODS[method]
    with torch.no_grad():
        fake = critic.fake_scores(net, torch.as_tensor(g_te), torch.as_tensor(r_te)).numpy()
    held = HeldOut(scores_real=_scores(net, r_te), scores_fake=fake,
                   grad_norms=norms, slope=slope,
                   sigma_product=_sigma_product(net),
                   scale=net.scale if isinstance(net, _Affine) else 1.0)
    parts, coefs, diag = critic.read(held, settings)
    diag["pairs_subsampled"] = float(subsampled)
    return parts, coefs, diag


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
