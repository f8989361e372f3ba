r"""Trained-network estimators of JS and W1, checked against the exact values.

A fresh discriminator (for JS, L7) or critic (for W1, L15-L17) is trained on one part of the
samples and read on the held-out part; the confidence interval is a bootstrap
(:func:`scipy.stats.bootstrap`, real and fake resampled separately) over the held-out part with
the network fixed, or with ``folds=K`` Student's t over K cross-fitted folds (training variation
included). By default (``hidden="auto"``) the network is chosen among a linear, a (64, 64) and a
wide one-layer network by its training objective on a validation split, each stopped early,
the linear one kept unless a network beats it by more than one paired standard error.
What each number is (the measured accuracy is in the documentation):

* ``estimate_js``: :math:`\tfrac12(\mathbb{E}\log D(x_r) + \mathbb{E}\log(1 - D(x_g)) + \log 4)`,
  a lower bound on JS for *any* fixed D, tight at :math:`D^*`. No clamping, no label smoothing.
* ``estimate_wasserstein``: a critic method of the registry :mod:`divgan.gan.critics`:
  ``"gp"`` (a penalised critic overestimates W1 even at its optimum; the value is the
  first-order de-biased :math:`V - 2\lambda P`, exact in 1-D), ``"sn"`` (dual value divided by
  the product of the layers' exact spectral norms: a lower bound, tight where the optimal
  critic is linear, loose where it bends) and ``"clip"`` (the lecture's weight clipping, L17,
  which gives :math:`K\cdot W_1` for an unknown K; the value is divided by the critic's largest
  measured slope: a valid but loose lower bound) and ``"ctransform"`` (fakes scored by the
  c-transform over the real points; the held-out value is a feasible dual of the held-out
  samples' optimal transport, so a certified lower bound of their exact W1).

Scaling: the networks see centred data divided by one scalar ``s``, and a critic's output is
multiplied back by ``s`` (:math:`f(x) = s\,g((x - m)/s)`), so slopes, penalties and values are
all in the units of the data. A fit whose loss or weights stop being finite raises
:class:`~divgan.gan.checkpoint.TrainingDivergedError`; a returned estimate is always finite.
"""
from __future__ import annotations

import math

import numpy as np
from torch import nn

from divgan._validation import as_points, seed_to_int
from divgan.gan._fitting import (
    _activation,
    _check_ci,
    _cpu64,
    _finite_estimate,
    _fit,
    _lipschitz,
    _points_pair,
    _read_critic,
    _scores,
    _settings,
    _Threads,
)
from divgan.gan._results import CriticCheck, Estimate, PotentialComparison
from divgan.gan._select import check_folds, run
from divgan.gan._runtime import exact_w1
from divgan.gan.critics import CriticSettings, get_critic_method

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


# --------------------------------------------------------------------------- public API
def fit_discriminator(x_real, x_fake, *, steps=None, device="auto", seed=0, lr_d=None,
                      batch_size=256, hidden=(64, 64), activation=None,
                      num_threads=1) -> nn.Module:
    r"""Train a fresh GAN discriminator on all of ``x_real`` (label 1) and ``x_fake`` (label 0).

    .. math::

        \max_D\ \mathbb{E}_{x\sim p_r}\log D(x) + \mathbb{E}_{x\sim p_g}\log(1 - D(x)),
        \qquad D^* = \frac{p_r}{p_r + p_g}

    Serves L4-L5 (the trained D approaches :math:`D^*`). Adam (``lr_d`` default 1e-3, betas
    (0.5, 0.999)), batches of ``batch_size`` drawn with replacement, no clamping, no label
    smoothing. ``seed``: None, an int >= 0, a numpy SeedSequence or Generator. ``activation``:
    as in :func:`estimate_js` (default ELU).

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
    steps, seed, hidden, lr_d = _settings("js", steps, seed, batch_size, hidden, num_threads,
                                          lr_d)
    activation = _activation("js", activation)
    with _Threads(num_threads):
        return _fit(xr, xg, method="js", steps=steps, lr_d=lr_d, batch_size=batch_size,
                    hidden=hidden, settings=None, device=device, seed=seed,
                    activation=activation)[0]


def fit_critic(x_real, x_fake, *, method="gp", steps=None, device="auto", seed=0, lr_d=None,
               batch_size=256, hidden=(64, 64), activation=None, gp_weight=10.0,
               gp_one_sided=True, clip_value=0.01, num_threads=1) -> nn.Module:
    r"""Train a fresh WGAN critic on all of ``x_real`` and ``x_fake``.

    .. math::

        \max_f\ \mathbb{E}_{p_r} f - \mathbb{E}_{p_g} f
        \;\big[-\ \lambda\,\mathbb{E}_{\hat x}\max(0, \|\nabla f(\hat x)\| - 1)^2
        \text{ for "gp"}\big]

    Serves L15-L17. The methods are those of :data:`divgan.gan.critics.CRITIC_METHODS`:
    ``"gp"``: Adam (``lr_d`` default 1e-3, betas (0.5, 0.9)), λ = ``gp_weight``, the one-sided
    penalty by default (the two-sided one can trap a 1-D critic at slope -1, value -W1;
    ``gp_one_sided=False`` restores it). ``"sn"``: spectrally normalised layers, same optimiser.
    ``"clip"``: the lecture's clipping to :math:`[-c, c]` (``clip_value``) after every RMSProp
    step (default lr 5e-5), which is K-Lipschitz for an unknown K. ``"ctransform"``: no
    constraint; fakes are scored by :math:`\max_i f(x_i) - \|x_i - y\|` over the real batch
    (the c-transform, Mallasto et al.), Adam as for gp. ``activation``: as in
    :func:`estimate_wasserstein` (``None``: ELU for gp and ctransform, ReLU for sn and clip;
    :func:`~divgan.gan.training.train_wgan` keeps the lecture's ReLU). The returned critic
    maps raw inputs ``(n, d)`` to scores ``(n,)`` (for ctransform, its scores of real points).

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
    get_critic_method(method)
    steps, seed, hidden, lr_d = _settings(method, steps, seed, batch_size, hidden, num_threads,
                                          lr_d)
    activation = _activation(method, activation)
    settings = CriticSettings(gp_weight=gp_weight, gp_one_sided=gp_one_sided,
                              clip_value=clip_value)
    with _Threads(num_threads):
        return _fit(xr, xg, method=method, steps=steps, lr_d=lr_d, batch_size=batch_size,
                    hidden=hidden, settings=settings, device=device, seed=seed,
                    activation=activation)[0]


def estimate_js(x_real, x_fake, *, steps=None, device="auto", seed=0, test_fraction=0.5,
                folds=None, confidence=0.95, n_resamples=1000, ci_method="percentile",
                lr_d=None, batch_size=256, hidden="auto", activation=None,
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
        Adam steps (default 1000).
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` uses CUDA when present.
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator
        Seeds the split, the initialisation, the batches and the bootstrap.
    test_fraction : float
        Share of each sample held out for the estimate (without ``folds``).
    folds : int, optional
        Cross-fitting: each sample is cut into ``folds`` parts, each part is read by a network
        trained (and chosen) on the others, the value is the mean of the fold values and the
        interval Student's t over their spread, so it includes the variation between
        trainings (``folds`` fits instead of one). Default ``None``: one held-out part and a
        bootstrap of it with the trained network fixed (``Estimate.interval`` says which).
    confidence, n_resamples : float, int
        Bootstrap over the held-out samples (real and fake resampled separately).
    ci_method : {"percentile", "bca"}
        The bootstrap interval of :func:`scipy.stats.bootstrap` (``"bca"``: bias-corrected and
        accelerated).
    lr_d : float, optional
        Adam's learning rate (default 1e-3; ten times that for a linear network).
    hidden : "auto" or sequence of int
        ``"auto"`` (default): a linear network, the (64, 64) one and, from d = 16 on, one layer
        of ``min(1024, 8 d)`` units are each trained on 80% of the training part, stopped
        early at their best training objective on the other 20% (measured 20 times a fit),
        and the best is read on the held-out part, which neither fitting nor choosing has
        seen (in high dimension two-layer networks over-fit; see ``docs/critics_in_d.md``);
        a network is chosen over the linear one only when its score is more than one paired
        standard error ahead (``diagnostics["network_margin_se"]``, that many).
        Chosen network and step: ``diagnostics["selected_depth"]``, ``["selected_width"]``,
        ``["stopped_step"]`` (cross-fitted: means over the folds, and ``["linear_folds"]``,
        how many folds chose the linear network). A chosen discriminator whose logits
        separate the validation points is sharpened on them (logit ``a z + b``, ``a >= 1``,
        Platt's targets; ``["logit_scale"]``, ``["logit_shift"]``, ``["logit_separated"]``):
        an early-stopped one is timid where the samples barely overlap (on
        ``theory.scaled(128, 0.5)`` 0.005 below JS as trained, 0.001 sharpened). Widths such
        as ``(64, 64)`` (or ``()``, linear) fit that network alone on the whole training part,
        for all the steps, and are read as trained.
    activation : str, optional
        The networks' activation, a name in :data:`divgan.gan.models.ACTIVATIONS`. ``None``
        (default): the method's own, ``"elu"`` for the discriminator, gp and ctransform and
        ``"relu"`` for sn and clip (:attr:`~divgan.gan.critics.CriticMethod.activation`).
        ELU is smooth, so a layer of it forms quadratic features and with them norms, cones
        and Gaussian log-ratios, which ReLU units approximate only with a noisy gradient: on
        ``theory.scaled(128, 0.5)`` gp read 0.97-1.01 of W1 with ELU and 0.85-0.89 with ReLU,
        the discriminator JS 0.0005 below the exact value against 0.002 with the leaky ReLU it
        used before (``docs/critics_in_d.md``); under spectral normalisation ELU lost (sn 0.17
        against 0.36).
    num_threads : int or None
        torch threads during the fit (restored afterwards); ``None`` leaves them alone.

    Returns
    -------
    Estimate
        ``kind="lower_bound"``; diagnostics ``bce_real``, ``bce_fake``, ``accuracy``;
        ``network`` is the trained discriminator (logits).

    Raises
    ------
    TrainingDivergedError
        The fit's loss or weights stopped being finite (e.g. far too large ``lr_d``).

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
    steps, seed, hidden, lr_d = _settings("js", steps, seed, batch_size, hidden, num_threads,
                                          lr_d, auto=True)
    activation = _activation("js", activation)
    confidence, n_resamples = _check_ci(confidence, n_resamples, ci_method)

    def read(model, r_te, g_te):
        net = _cpu64(model)
        lr_, lg = _scores(net, r_te), _scores(net, g_te)
        log_d_real = -np.logaddexp(0.0, -lr_)  # log sigma(l), stable
        log_1m_d_fake = -np.logaddexp(0.0, lg)  # log(1 - sigma(l)), stable
        diag = {"bce_real": float(-log_d_real.mean()), "bce_fake": float(-log_1m_d_fake.mean()),
                "accuracy": float(0.5 * ((lr_ > 0).mean() + (lg < 0).mean()))}
        return [log_d_real, log_1m_d_fake], [0.5, 0.5], math.log(2), diag

    with _Threads(num_threads):
        out = run(xr, xg, read=read, method="js", hidden=hidden, lr_d=lr_d,
                  test_fraction=test_fraction, folds=check_folds(folds), confidence=confidence,
                  n_resamples=n_resamples, ci_method=ci_method, seed=seed, steps=steps,
                  batch_size=batch_size, settings=None, device=device,
                  activation=activation)
    _finite_estimate(out.value, out.ci_low, out.ci_high, "JS value")
    if out.value < -math.log(2):  # JS is in [0, log 2] and a constant D = 1/2 scores 0
        raise ValueError(f"the trained discriminator scores {out.value:.4g} on the held-out "
                         f"samples, worse than a constant one (0) by more than log 2, the whole "
                         f"range of JS: the fit failed; try a smaller lr_d or fewer steps")
    return _estimate(out, quantity="js", method="discriminator", kind="lower_bound",
                     is_lower_bound=True, caveat="held-out GAN value (L7): at most JS in "
                     "expectation for any D, equal at D*", steps=steps, seed=seed,
                     confidence=confidence)


def estimate_wasserstein(x_real, x_fake, *, method="gp", steps=None, device="auto", seed=0,
                         test_fraction=0.5, folds=None, confidence=0.95, n_resamples=1000,
                         ci_method="percentile", lr_d=None, batch_size=256, hidden="auto",
                         activation=None, gp_weight=10.0, gp_one_sided=True, clip_value=0.01,
                         num_threads=1) -> Estimate:
    r"""W1 (Euclidean ground metric, data units) from a critic trained on half the samples.

    .. math::

        W_1(p_r, p_g) = \sup_{\|f\|_L \le 1} \mathbb{E}_{p_r} f - \mathbb{E}_{p_g} f

    (Kantorovich-Rubinstein, L15-L16), read on the held-out half. With a gradient penalty the
    optimal critic is steeper than 1 where the interpolates are sparse: in 1-D
    :math:`f' = 1 + (F_g - F_r)/(2\lambda\rho)`, so the dual value is
    :math:`V = W_1 + 2\lambda P` with :math:`P` the penalty, and the default value is
    :math:`V - 2\lambda P`. See :func:`fit_critic` for the methods and ``Estimate.caveat`` for
    what each value is.

    Parameters
    ----------
    x_real, x_fake : array_like or torch.Tensor
        Samples, shape ``(n,)`` or ``(n, d)`` (same ``d``); at least 4 each.
    method : {"gp", "sn", "clip", "ctransform"}
        A registered critic method (:data:`divgan.gan.critics.CRITIC_METHODS`): gradient
        penalty (de-biased, default), spectral normalisation, weight clipping (L17), c-transform.
    steps, lr_d : int, float, optional
        Optimiser steps and learning rate (defaults: 2000 and 1e-3 for gp, sn and ctransform,
        1500 and 5e-5 for clip).
    device, seed, test_fraction, folds, confidence, n_resamples, ci_method, hidden, activation,
    num_threads
        As in :func:`estimate_js` (``activation=None``: ``"elu"`` for gp and ctransform,
        ``"relu"`` for sn and clip). Under ``hidden="auto"`` the linear gp and sn critics are
        solved, not trained: the maximiser of their objective over linear critics is the
        direction of the training mean difference (``diagnostics["stopped_step"]`` 0 when
        one is chosen); from d = 16 on gp fits no (64, 64) network (it was steep where the
        penalty's points never fall and read up to 17% above W1), and its validation penalty
        is half between nearest neighbours; ``method="clip"`` keeps its (64, 64) network (its
        raw value is K W1 for an unknown K, so networks do not compare).
    gp_weight, gp_one_sided, clip_value
        λ (applied to the standardised data, so the same for data in any units; the
        weight in the data's units, spread × λ, is ``diagnostics['penalty_weight']``), the
        one-sided penalty, and the clipping bound c.

    Returns
    -------
    Estimate
        Diagnostics: ``raw_value`` (held-out dual value), ``lipschitz_gradient`` (largest
        gradient norm on interpolates), ``lipschitz_pairs`` (largest slope
        :math:`|f(a) - f(b)|/\|a - b\|` over the pooled held-out points; exact in 1-D, over at
        most 2000 points in N-D), ``mean_gradient_norm``, and ``penalty`` (gp),
        ``sigma_product`` (sn), ``lipschitz`` (the larger of the two, clip).

    Raises
    ------
    TrainingDivergedError
        The fit's loss or weights stopped being finite (e.g. far too large ``lr_d``).
    ValueError
        Bad input, or no finite value can be read from the trained critic.

    References
    ----------
    Arjovsky, Chintala, Bottou, "Wasserstein GAN", ICML 2017;
    Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017;
    Miyato et al., "Spectral Normalization for GANs", ICLR 2018;
    Mallasto, Montúfar, Gerolin, "How well do WGANs estimate the Wasserstein metric?", 2019
    (the c-transform critic).

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
    critic = get_critic_method(method)
    steps, seed, hidden, lr_d = _settings(method, steps, seed, batch_size, hidden, num_threads,
                                          lr_d, auto=True)
    activation = _activation(method, activation)
    settings = CriticSettings(gp_weight=gp_weight, gp_one_sided=gp_one_sided,
                              clip_value=clip_value)
    confidence, n_resamples = _check_ci(confidence, n_resamples, ci_method)

    def read(model, r_te, g_te):
        parts, coefs, diag = _read_critic(_cpu64(model), method, r_te, g_te, seed=seed,
                                          settings=settings)
        return parts, coefs, 0.0, diag

    with _Threads(num_threads):
        out = run(xr, xg, read=read, method=method, hidden=hidden, lr_d=lr_d,
                  test_fraction=test_fraction, folds=check_folds(folds), confidence=confidence,
                  n_resamples=n_resamples, ci_method=ci_method, seed=seed, steps=steps,
                  batch_size=batch_size, settings=settings, device=device,
                  activation=activation)
    _finite_estimate(out.value, out.ci_low, out.ci_high, "W1 value")
    return _estimate(out, quantity="wasserstein", method=method, kind=critic.kind,
                     is_lower_bound=critic.is_lower_bound, caveat=critic.caveat, steps=steps,
                     seed=seed, confidence=confidence)


def _estimate(out, *, quantity, method, kind, is_lower_bound, caveat, steps, seed,
              confidence) -> Estimate:
    return Estimate(
        value=out.value, ci_low=out.ci_low, ci_high=out.ci_high, quantity=quantity,
        method=method, kind=kind, is_lower_bound=is_lower_bound, caveat=caveat,
        diagnostics=out.diagnostics, steps=steps, seed=seed,
        device=str(out.model.shift.device), n_train=out.n_train, n_test=out.n_test,
        confidence=confidence, network=out.model, held_out=out.held_out,
        fold_values=out.fold_values, interval=out.interval)


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
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator
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
    seed = seed_to_int(seed)
    net = _cpu64(critic)
    dual = float(_scores(net, xr).mean() - _scores(net, xg).mean())
    norms, slope, _ = _lipschitz(net, xr, xg, np.random.default_rng([seed, 17]))
    exact = exact_w1(xr, xg)
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
