r"""Private: model selection, early stopping and cross-fitting for :mod:`divgan.gan.estimators`.

Why (measured, ``docs/critics_in_d.md``): in high dimension a two-layer critic or discriminator
over-fits its training half from the first hundred steps (the training samples' own W1 is many
times the population's), so its held-out value falls short however it is trained, while a
linear network reaches the ceiling :math:`(1 + 2d/(n_t\|s\|^2))^{-1/2}` on a shift and one wide
hidden layer (``8 d`` units) comes within 1.5% on a scaling, where the optimal critic is a cone
(with ELU units; ReLU units came within 4-8%: their gradient is noisy across x).
``hidden="auto"`` therefore fits both and the (64, 64) default, each stopped early at its best
score on a validation split, keeps the best by that score, and reads the value on points used
neither to fit nor to choose. The linear gp and sn critics are not trained but solved: their
objectives' maximiser over linear critics is the direction of the training mean difference
(:func:`~divgan.gan._fitting._fit_linear`), which Adam only approaches, with noise in every
coordinate (at d = 128 the trained one read 0.96-0.97 of W1 on a shift, the solved one the
ceiling, 0.98-0.99). With fewer than 8 fitting points per side (or ``folds=2``, which
leaves none to choose on) ``"auto"`` is the (64, 64) network alone.

Two rules keep the linear critic where the optimal one is linear (measured in
``docs/critics_in_d.md``). A network replaces it only when its validation score is ahead by
more than one paired standard error (:func:`_margin`): ELU networks otherwise won the
validation by noise on shifts and lines, chosen in 56 of 100 folds on ``shifted(8, 1)``,
and read a little high. And from d = 16 on gp fits no (64, 64) network: that deep network
was steep where no penalty point falls (between the hyperplanes at the data's other
coordinates) and won the validation by 8-28 standard errors while reading 13-18% above W1 on
``hyperplanes(32 and 64, 0.5)`` at n = 16000; the wide layer read within 1%. Its score's
penalty is also taken between nearest neighbours (:func:`~divgan.gan._fitting._validation_terms`).
Lower bounds (sn, the c-transform, the discriminator's JS) cannot read high that way and keep
it. The first rule holds for them too, measured: choosing a network ahead by any margin moved
168 of the 222 lower-bound cells of ``ddim.md`` and ``critic_validation.md`` where it had been
decisive down, not up (the discriminator's JS on the Gaussian shift, 28 cells: mean error
-1.5% -> -2.9% of JS): a network that wins the validation by noise is, in expectation, worse
on the held-out points than the linear critic it displaced.

A chosen discriminator that separates the validation points is then sharpened on them
(:mod:`divgan.gan._calibrate`).

``folds=K`` cross-fits: every point is read once, by a network fitted (and chosen) without it;
the value is the mean of the K fold values and the interval Student's t over their spread,
which includes the variation between trainings that a bootstrap of one held-out part with the
network fixed leaves out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.stats

from divgan._validation import check_positive_int
from divgan.gan._calibrate import recalibrate
from divgan.gan._fitting import (
    _bootstrap,
    _fit,
    _fit_linear,
    _split,
    _Validation,
    _validation_terms,
)
from divgan.gan.critics import get_critic_method

AUTO = "auto"
_VALIDATION_FRACTION = 0.2  # hidden="auto" without folds: share of the training part
_DEFAULT = (64, 64)  # the estimators' fixed network
_MIN_SELECT = 8  # hidden="auto" fits the default network alone below this many points per side
_MAX_WIDTH = 1024  # hidden="auto": the wide layer has min(1024, 8 d) units
_LINEAR_LR_FACTOR = 10.0  # a linear network's weights move ~lr per Adam step: it needs a larger one
_CLOSED_FORM = ("gp", "sn")  # hidden="auto": their linear critic is solved, not trained
_SE_RULE = 1.0  # a network replaces the linear candidate only this many paired SEs ahead


def check_folds(folds) -> int | None:
    """``None`` (one held-out split) or a number of folds >= 2."""
    if folds is None:
        return None
    return check_positive_int(folds, "folds", minimum=2)


def candidates(method: str, d: int, hidden, lr_d: float) -> list[tuple[tuple[int, ...], float]]:
    """``[(hidden, lr)]`` to fit: the caller's network, or for ``"auto"`` a linear one, the
    (64, 64) default and, from d = 16 on, one wide hidden layer of ``min(1024, 8 d)`` units;
    from d = 16 on gp, whose value is an estimate and not a bound, has no (64, 64) network
    (weight clipping, the lecture's method, keeps its (64, 64) network: its value is K * W1
    for an unknown K, so scores of different networks do not compare). ``lr=None``: the
    linear gp or sn critic in closed form (:func:`~divgan.gan._fitting._fit_linear`)."""
    if hidden != AUTO:
        return [(hidden, lr_d)]
    if method == "clip":
        return [(_DEFAULT, lr_d)]
    linear_lr = None if method in _CLOSED_FORM else _LINEAR_LR_FACTOR * lr_d
    width = min(_MAX_WIDTH, 8 * d)
    if width <= _DEFAULT[0]:
        return [((), linear_lr), (_DEFAULT, lr_d)]
    if method == "js" or get_critic_method(method).is_lower_bound:
        return [((), linear_lr), (_DEFAULT, lr_d), ((width,), lr_d)]
    return [((), linear_lr), ((width,), lr_d)]  # gp: the deep network over-reads (see above)


def _fit_select(r_fit, g_fit, validation, cands, **fit):
    """The best of ``cands`` by validation score (each stopped early), or the only one; the
    linear candidate is kept unless the best network beats it by more than
    ``_SE_RULE`` paired standard errors (:func:`_margin`)."""
    if validation is None:
        (hidden, lr), = cands
        model, _, _ = _fit_one(r_fit, g_fit, hidden, lr, None, fit)
        return model, {}
    fitted = []
    for hidden, lr in cands:
        model, score, step = _fit_one(r_fit, g_fit, hidden, lr, validation, fit)
        score = score if math.isfinite(score) else -math.inf  # never chosen over a finite one
        fitted.append((model, score, step, hidden))
    best = max(fitted, key=lambda c: c[1])  # the first of equal scores: the linear one
    info = {}
    linear = [c for c in fitted if c[3] == ()]
    if linear and len(fitted) > 1:
        network = max((c for c in fitted if c[3] != ()), key=lambda c: c[1])
        margin = (_margin(network[0], linear[0][0], validation, fit)
                  if math.isfinite(linear[0][1]) else math.inf)
        info["network_margin_se"] = margin
        best = network if margin > _SE_RULE else linear[0]
    model, score, step, hidden = best
    info.update({"selected_depth": float(len(hidden)),
                 "selected_width": float(hidden[0] if hidden else 0),
                 "stopped_step": float(step), "validation_score": score})
    if fit["method"] == "js":  # the discriminator's logits, rescaled on the same split
        model, calibration = recalibrate(model, validation)
        info.update(calibration)
    return model, info


def _margin(network, linear, validation, fit) -> float:
    """How many paired standard errors the network's validation score exceeds the linear
    one's: the mean over validation pairs of the difference of their objective terms
    (:func:`~divgan.gan._fitting._validation_terms`, the same pairs and interpolates for
    both), divided by its standard error."""
    critic = None if fit["method"] == "js" else get_critic_method(fit["method"])
    # both were fitted on the same points: the same standardisation, the same validation pairs
    val = _Validation(validation, network.shift.cpu().numpy(), network.scale,
                      network.shift.device)
    terms = [_validation_terms(m.net, critic, val, fit["settings"], fit["seed"])
             for m in (network, linear)]
    diff = terms[0] - terms[1]
    mean, se = float(diff.mean()), float(diff.std(ddof=1)) / math.sqrt(len(diff))
    if not se > 0:
        return math.copysign(math.inf, mean) if mean != 0 else 0.0
    return mean / se


def _fit_one(r_fit, g_fit, hidden, lr, validation, fit):
    """:func:`_fit` one candidate, or solve it (``lr=None``, :func:`_fit_linear`)."""
    if lr is None:
        return _fit_linear(r_fit, g_fit, validation=validation,
                           **{k: fit[k] for k in ("method", "settings", "device", "seed")})
    return _fit(r_fit, g_fit, hidden=hidden, lr_d=lr, validation=validation, **fit)


@dataclass(frozen=True)
class Outcome:
    """What the estimators need from a run: the value, its interval and how it was obtained."""

    value: float
    ci_low: float
    ci_high: float
    diagnostics: dict
    model: object
    held_out: tuple[np.ndarray, np.ndarray]
    n_train: int
    n_test: int
    fold_values: tuple[float, ...] | None
    interval: str


def run(xr, xg, *, read, method, hidden, lr_d, test_fraction, folds, confidence, n_resamples,
        ci_method, seed, **fit) -> Outcome:
    """Fit (with selection when ``hidden="auto"``) and read the value on held-out points.

    ``read(model, r_te, g_te) -> (parts, coefs, const, diagnostics)`` with
    ``value = const + sum_k coef_k * mean(part_k)``. ``fit``: the remaining arguments of
    :func:`divgan.gan._fitting._fit` (``method`` included here)."""
    cands = candidates(method, xr.shape[1], hidden, lr_d)
    fit = dict(fit, method=method)
    if folds is None:
        (r_tr, r_te, r_idx), (g_tr, g_te, g_idx) = _split(xr, xg, test_fraction, seed)
        n_fit = min(len(r_tr), len(g_tr)) * (1 - _VALIDATION_FRACTION)
    else:
        n_fit = min(len(xr), len(xg)) * (folds - 2) / folds
    if len(cands) > 1 and n_fit < _MIN_SELECT:  # too few points to choose: the default network
        cands = [(_DEFAULT, lr_d)]
    select = len(cands) > 1
    if folds is None:
        validation = None
        if select:
            (r_tr, r_val, _), (g_tr, g_val, _) = _split(r_tr, g_tr, _VALIDATION_FRACTION, seed,
                                                        stream=29)
            validation = (r_val, g_val)
        model, info = _fit_select(r_tr, g_tr, validation, cands, seed=seed, **fit)
        parts, coefs, const, diag = read(model, r_te, g_te)
        value = _value(parts, coefs, const)
        lo, hi = _bootstrap(parts, coefs, const, confidence=confidence, n_resamples=n_resamples,
                            ci_method=ci_method, seed=seed)
        return Outcome(value, lo, hi, {**diag, **info}, model, (r_idx, g_idx),
                       len(r_tr) + len(g_tr), len(r_te) + len(g_te), None,
                       f"{ci_method} bootstrap of the held-out samples with the trained network "
                       f"fixed (training variation not included; folds=K includes it)")
    return _cross_fit(xr, xg, read=read, cands=cands, select=select, folds=folds,
                      confidence=confidence, seed=seed, fit=fit)


def _value(parts, coefs, const) -> float:
    """``const + sum_k coef_k * mean(part_k)``: a value as ``read`` describes it."""
    return float(const + sum(c * p.mean() for p, c in zip(parts, coefs)))


def _fold_indices(x, name, folds, rng) -> list[np.ndarray]:
    """``folds`` disjoint sorted index arrays covering ``x``, at least 2 indices each."""
    if len(x) < 2 * folds:
        raise ValueError(f"{name} has {len(x)} samples: too few for folds={folds} (at least "
                         f"2 per fold)")
    return [np.sort(p) for p in np.array_split(rng.permutation(len(x)), folds)]


def _cross_fit(xr, xg, *, read, cands, select, folds, confidence, seed, fit) -> Outcome:
    rng = np.random.default_rng([seed, 19])
    parts_r = _fold_indices(xr, "x_real", folds, rng)
    parts_g = _fold_indices(xg, "x_fake", folds, rng)
    values, diags = [], []
    for k in range(folds):
        val = (k + 1) % folds if select else None
        train = [j for j in range(folds) if j not in (k, val)]
        r_fit = xr[np.concatenate([parts_r[j] for j in train])]
        g_fit = xg[np.concatenate([parts_g[j] for j in train])]
        validation = None if val is None else (xr[parts_r[val]], xg[parts_g[val]])
        fold_seed = int(np.random.SeedSequence([seed, 23, k]).generate_state(1)[0])
        model, info = _fit_select(r_fit, g_fit, validation, cands, seed=fold_seed, **fit)
        parts, coefs, const, diag = read(model, xr[parts_r[k]], xg[parts_g[k]])
        values.append(_value(parts, coefs, const))
        diags.append({**diag, **info})
        if k == 0:  # the network and training size the Estimate reports: the first fold's
            first_model, first_n_train = model, len(r_fit) + len(g_fit)
    v = np.asarray(values)
    mean, sd = float(v.mean()), float(v.std(ddof=1))
    half = float(scipy.stats.t.ppf(0.5 + confidence / 2, folds - 1)) * sd / math.sqrt(folds)
    diag = {key: float(np.mean([d[key] for d in diags])) for key in diags[0]}  # fold means
    diag["fold_sd"] = sd
    if select:
        diag["linear_folds"] = float(sum(d["selected_depth"] == 0 for d in diags))
    return Outcome(mean, mean - half, mean + half, diag, first_model,
                   (parts_r[0], parts_g[0]), first_n_train, len(xr) + len(xg), tuple(values),
                   f"Student t over {folds} cross-fitted folds (each read by a network trained "
                   f"without it: training variation included)")
