"""Trained critics and discriminators in d dimensions against exact values (issue 8, done means).

Every expected value is a closed form of :mod:`divgan.theory` (W1 = |s| for a shift,
|1 - c| E|X| for a scaling, JS by quadrature) or the exact W1 of the held-out samples solved
here with POT's ``ot.emd2``. Each test trains networks at n = 8000 points per distribution
(half for training, half held out) with the estimators' defaults, five seeds, one thread:
marked ``slow`` (about 10-40 s per estimate on one core: hidden="auto" fits three networks).
"""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
ot = pytest.importorskip("ot")

from divgan import theory  # noqa: E402
from divgan.gan.estimators import estimate_js, estimate_wasserstein  # noqa: E402

pytestmark = pytest.mark.slow

N = 8000
SEEDS = range(5)


def _draw(pair, seed):
    return pair.sample(N, seed=seed)


def _held_out_w1(a, b):
    """Exact W1 of two equal-weight samples by POT's network simplex, run to optimality."""
    w = np.full(len(a), 1.0 / len(a))
    v = np.full(len(b), 1.0 / len(b))
    return float(ot.emd2(w, v, ot.dist(a, b, metric="euclidean"), numItermax=10**8))


def test_default_critic_on_shifted_16_within_5_percent_and_ci_covers():
    # Population W1 = |s| = 2 (coupling X + s; critic -<x, s>/|s|). The held-out half has
    # 4000 points per side, so the value's sampling sd is about 1.2% of W1 (the bootstrap
    # half-width is ~0.05); 5% leaves 4 sd for sampling plus the fit's error, which the
    # optimal linear critic's ceiling (1 + 2d/(n_t |s|^2))^(-1/2) = 0.999 does not limit here.
    # Measured 2026-11-30 (seeds 0-4, hidden="auto", ELU): the 128-unit layer chosen in each
    # (gp fits no (64, 64) network from d = 16 on), ratios 0.986-1.023, the CI covered 2 in 5
    # of 5 (with the (64, 64) network: 0.979-1.023, 5 of 5; ReLU: 0.982-1.009, 5 of 5).
    pair = theory.shifted(16, 2.0)
    values, covered = [], 0
    for seed in SEEDS:
        xr, xg = _draw(pair, seed)
        est = estimate_wasserstein(xr, xg, device="cpu", seed=seed)
        values.append(est.value)
        covered += est.ci_low <= pair.w1 <= est.ci_high
    ratios = np.array(values) / pair.w1
    assert np.all(np.abs(ratios - 1.0) <= 0.05), ratios
    assert covered >= 4, (covered, values)


def test_default_critic_on_scaled_8_within_7_percent():
    # Population W1 = (1 - c) E|X| = 0.5 * sqrt(2) Gamma(9/2) / Gamma(4) = 1.3708 (coupling
    # Y = cX; critic |x|, a cone). Sampling sd of the held-out value is about 1% of W1; the
    # rest of the 7% is a systematic shortfall of the de-biasing: the raw dual value is ~5%
    # above the optimal critic's value on the same points and the subtracted 2*lambda*penalty
    # ~9% of W1 (first-order, exact in 1-D only; docs/critics_in_d.md). Measured 2026-11-30
    # (seeds 0-4, hidden="auto", the (64, 64) ELU network chosen in each): ratios 0.960-0.982,
    # the bootstrap interval covered W1 in one (ReLU, 2026-11-29: 0.936-0.964, in none).
    pair = theory.scaled(8, 0.5)
    ratios = []
    for seed in SEEDS:
        xr, xg = _draw(pair, seed)
        ratios.append(estimate_wasserstein(xr, xg, device="cpu", seed=seed).value / pair.w1)
    assert np.all(np.abs(np.array(ratios) - 1.0) <= 0.07), ratios


def test_discriminator_js_on_shifted_8_within_0_02():
    # Exact JS = 1-D JS of N(0,1) and N(1,1) = 0.1114 nats (quadrature in divgan.theory; the
    # density ratio depends on x only through <x, s>). Held-out sampling sd of the value is
    # about 0.005 nats (bootstrap half-width ~0.009); 0.02 is 4 sd. The value is a lower
    # bound in expectation only, so single draws may lie above. Measured 2026-11-30 (seeds
    # 0-4, hidden="auto", ELU: the linear discriminator chosen in three, (64, 64) in two):
    # 0.106-0.117.
    pair = theory.shifted(8, 1.0)
    errors = []
    for seed in SEEDS:
        xr, xg = _draw(pair, seed)
        errors.append(estimate_js(xr, xg, device="cpu", seed=seed).value - pair.js)
    assert np.all(np.abs(errors) <= 0.02), errors


def test_ctransform_value_is_certified_below_held_out_exact_w1_in_every_seed():
    # On the held-out halves the c-transform critic's value is a feasible dual of their
    # discrete OT problem (f(x_i) - max_k (f(x_k) - |x_k - y_j|) <= |x_i - y_j|), so it is at
    # most their exact W1, solved here by POT: every seed, float64 rounding only (1e-9
    # relative). The held-out exact W1 is itself far above the population value 2 in d = 16
    # (the empirical measures' own distance), and so is the certified value: measured
    # 2026-11-30 (hidden="auto", ELU, mostly the 128-unit layer chosen), 3.37-3.40 against
    # held-out 3.47-3.50.
    pair = theory.shifted(16, 2.0)
    for seed in SEEDS:
        xr, xg = _draw(pair, seed)
        est = estimate_wasserstein(xr, xg, method="ctransform", device="cpu", seed=seed)
        assert est.kind == "certified_lower_bound" and est.is_lower_bound
        ir, ig = est.held_out
        exact = _held_out_w1(xr[ir], xg[ig])
        assert est.value <= exact * (1 + 1e-9), (seed, est.value, exact)
        assert est.value > 0.5 * exact, (seed, est.value, exact)  # a trained, not a trivial, dual


@pytest.mark.parametrize("family", ["shifted", "scaled"])
def test_defaults_hold_at_d_128_with_16000_points(family):
    # Issue 8 section 5's target: at d = 128 and n = 16000 points per distribution the default
    # critic is within 10% of the population W1 and the default discriminator within 0.02 nats
    # of the exact JS. Exact values: W1 = |s| = 1 (shift) and 0.5 E|X| = 5.6458 (scaling, the
    # cone); JS by quadrature (0.1114 and 0.6931 nats). The (64, 64) network that was the
    # default read 0.68 and 0.54 of W1 and JS -0.05 (shift); hidden="auto" chooses the linear
    # network on the shift and the 1024-unit layer on the scaling (docs/critics_in_d.md).
    pair = theory.shifted(128, 1.0) if family == "shifted" else theory.scaled(128, 0.5)
    xr, xg = pair.sample(16000, seed=0)
    w = estimate_wasserstein(xr, xg, device="cpu", seed=0)
    assert abs(w.value / pair.w1 - 1.0) <= 0.10, (w.value, pair.w1)
    js = estimate_js(xr, xg, device="cpu", seed=0)
    assert abs(js.value - pair.js) <= 0.02, (js.value, pair.js)


def test_default_critic_on_hyperplanes_32_does_not_over_read():
    # W1 = theta = 0.5 (coupling (0, u) -> (theta, u); critic -x_1). The optimal critic is
    # linear; random-pair interpolates never visit the region between the planes at the data's
    # other coordinates, where a (64, 64) ELU network was steep unpenalised: it won the
    # validation by 20-28 standard errors and read 1.14-1.18 of W1 (seeds 0-2, 2026-11-30).
    # Without it (gp fits a linear critic and one wide layer from d = 16 on) the reading was
    # within 1% (1.003-1.009): 3% allows for seeds not measured.
    pair = theory.hyperplanes(32, 0.5)
    xr, xg = pair.sample(16000, seed=100)
    est = estimate_wasserstein(xr, xg, device="cpu", seed=0)
    assert est.diagnostics["selected_width"] != 64.0
    assert abs(est.value / pair.w1 - 1.0) <= 0.03, est.value
