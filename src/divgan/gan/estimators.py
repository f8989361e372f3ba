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
  The bound is tight for a shift (f* linear: 0.9998-1.0000 of W1) but loose where the optimal
  critic bends: for N(0, 1) vs N(0, 0.5^2) f* is V-shaped, the product of layer norms over-counts
  the slope (``abs(x) = relu(x) + relu(-x)`` has norm product 2) and the value was 0.55 of W1.
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
from dataclasses import dataclass, field, fields
from types import MappingProxyType

import numpy as np
from torch import nn

from divgan._validation import as_points, check_fraction, check_positive_int, check_real
from divgan.gan._fitting import (
    _CAVEATS,
    _KINDS,
    _bootstrap,
    _check_method,
    _cpu64,
    _critic_parts,
    _exact_w1,
    _fit,
    _lipschitz,
    _points_pair,
    _scores,
    _settings,
    _split,
    _Threads,
    _without_parametrizations,
)

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

    Notes
    -----
    ``diagnostics`` is a read-only view of the estimate's own copy. An ``Estimate`` pickles
    (``diagnostics`` travels as a plain dict). A spectrally normalised critic's layers are
    pickled as the fixed weights they evaluate to: the loaded network gives the same scores,
    but is no longer re-normalised if trained further (``copy.deepcopy`` keeps them as they are).
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

    def __post_init__(self):
        object.__setattr__(self, "diagnostics", MappingProxyType(dict(self.diagnostics)))

    def __reduce__(self):  # neither a mappingproxy nor a parametrised layer pickles (Notes)
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(diagnostics=dict(self.diagnostics),
                      network=_without_parametrizations(self.network))
        return (type(self), tuple(values.values()))

    def __copy__(self):
        return type(self)(**{f.name: getattr(self, f.name) for f in fields(self)})

    def __deepcopy__(self, memo):
        values = {f.name: copy.deepcopy(getattr(self, f.name), memo) for f in fields(self)
                  if f.name != "diagnostics"}
        return type(self)(diagnostics=dict(self.diagnostics), **values)

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
    confidence = check_fraction(confidence, "confidence")
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
        diagnostics=diag, steps=steps, seed=seed, device=str(model.shift.device),
        n_train=len(r_tr) + len(g_tr), n_test=len(r_te) + len(g_te), confidence=confidence,
        network=model, held_out=(r_idx, g_idx))


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
    confidence = check_fraction(confidence, "confidence")
    n_resamples = check_positive_int(n_resamples, "n_resamples", minimum=10)
    (r_tr, r_te, r_idx), (g_tr, g_te, g_idx) = _split(xr, xg, test_fraction, seed)
    with _Threads(num_threads):
        model = _fit(r_tr, g_tr, kind=method, steps=steps, lr=lr, batch_size=batch_size,
                     hidden=hidden, gp_weight=gp_weight, one_sided=bool(one_sided),
                     clip_value=clip_value, device=device, seed=seed)
        parts, coefs, diag = _critic_parts(_cpu64(model), method, r_te, g_te, seed=seed,
                                           gp_weight=gp_weight, one_sided=bool(one_sided))
    value = float(sum(c * p.mean() for p, c in zip(parts, coefs)))
    lo, hi = _bootstrap(parts, coefs, 0.0, confidence=confidence, n_resamples=n_resamples,
                        seed=seed)
    kind, is_lb = _KINDS[method]
    return Estimate(
        value=value, ci_low=lo, ci_high=hi, quantity="wasserstein", method=method, kind=kind,
        is_lower_bound=is_lb, caveat=_CAVEATS[method], diagnostics=diag,
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
    check_positive_int(seed, "seed", minimum=0)
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
