"""The d-dimensional reference pairs of divgan.theory (shifted, scaled, hyperplanes), each
value checked by a route that does not go through the code under test.

Oracles: Monte Carlo with densities written here from scipy.stats (KL, JS); the dual with the
pair's critic and the primal with a coupling built here (W1); exact discrete OT from POT on
samples (W1 in d <= 3); closed forms from scipy.stats.chi and divgan's Gaussian formulas;
the lecture's parallel lines; invariances (rescaling, symmetry, small-shift asymptotics).
Monte Carlo checks allow 4 standard errors: with fixed seeds each is deterministic, and a
correct value fails such a check with probability about 6e-5.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import ot
import pytest
from scipy import integrate, stats

from divgan import gaussian_kl, gaussian_w2
from divgan.theory import (
    ReferencePair,
    hyperplanes,
    parallel_lines,
    sample_parallel_lines,
    scaled,
    shifted,
)

LOG2 = math.log(2.0)
N_MC = 100_000


def _within_4se(estimate, se, exact, *, floor=1e-12):
    assert abs(estimate - exact) <= 4.0 * se + floor, (estimate, exact, se)


# --------------------------------------------------------------------------- densities here
def _gaussian_logpdfs(pair):
    """log p and log q written from scipy.stats (isotropic Gaussians: a sum of 1-D normal
    logpdfs over the coordinates), independent of pair.log_density_ratio."""
    p = stats.norm(0.0, 1.0)
    if hasattr(pair, "scale"):
        q = stats.norm(0.0, pair.scale)
    else:
        q = stats.norm(np.asarray(pair.shift), 1.0)
    return (lambda x: p.logpdf(x).sum(axis=1)), (lambda x: q.logpdf(x).sum(axis=1))


def _uniform_logpdfs(pair):
    s = np.asarray(pair.shift)

    def box(lo):
        return lambda x: stats.uniform(lo, 1.0).logpdf(x).sum(axis=1)

    return box(np.zeros(pair.d)), box(s)


def _mc_js(lp, lq):
    """JS = 1/2 E_P[log 2p/(p+q)] + 1/2 E_Q[log 2q/(p+q)] and its standard error, from the log
    ratios l = log p - log q at draws of P (lp) and of Q (lq); l = ±inf allowed."""
    jp = LOG2 - np.logaddexp(0.0, -lp)  # log(2p / (p + q)) in log-domain-safe form
    jq = LOG2 - np.logaddexp(0.0, lq)
    return 0.5 * (jp.mean() + jq.mean()), 0.5 * math.sqrt((jp.var() + jq.var()) / len(lp))


def _draw_here(pair, n, seed):
    """Samples drawn by the test itself (not by pair.sample), so a sampler bug cannot cancel."""
    rng = np.random.default_rng(seed)
    d = pair.d
    if hasattr(pair, "theta"):
        return (np.column_stack([np.zeros(n), rng.uniform(size=(n, d - 1))]),
                np.column_stack([np.full(n, pair.theta), rng.uniform(size=(n, d - 1))]))
    if hasattr(pair, "scale"):
        return rng.standard_normal((n, d)), pair.scale * rng.standard_normal((n, d))
    s = np.asarray(pair.shift)
    if pair.base == "gaussian":
        return rng.standard_normal((n, d)), rng.standard_normal((n, d)) + s
    return rng.uniform(size=(n, d)), rng.uniform(size=(n, d)) + s


DENSITY_PAIRS = [
    pytest.param(lambda: shifted(5, [0.6, -0.3, 0.0, 0.9, 0.2]), id="shifted-gauss-d5"),
    pytest.param(lambda: shifted(12, 1.0), id="shifted-gauss-d12"),
    pytest.param(lambda: scaled(8, 0.5), id="scaled-d8-c0.5"),
    pytest.param(lambda: scaled(16, 1.1), id="scaled-d16-c1.1"),
    pytest.param(lambda: scaled(3, 2.0), id="scaled-d3-c2"),
]


@pytest.mark.parametrize("make", DENSITY_PAIRS)
def test_kl_and_js_match_monte_carlo_with_scipy_densities(make):
    # 1e5 draws per side; the KL and JS integrands have finite variance for these Gaussians,
    # so the sample means are within 4 SE of the exact values (see the module docstring).
    pair = make()
    logp, logq = _gaussian_logpdfs(pair)
    x_p, x_q = _draw_here(pair, N_MC, seed=11)
    lp, lq = logp(x_p) - logq(x_p), logp(x_q) - logq(x_q)
    # KL(P||Q) = E_P[log p - log q], KL(Q||P) = -E_Q[log p - log q].
    _within_4se(lp.mean(), lp.std() / math.sqrt(N_MC), pair.kl_pq)
    _within_4se(-lq.mean(), lq.std() / math.sqrt(N_MC), pair.kl_qp)
    _within_4se(*_mc_js(lp, lq), pair.js)
    # log_density_ratio is log p - log q: compared with scipy's densities to rounding
    # (the logpdfs are O(d) numbers, their difference loses a few ulps of them).
    x = np.concatenate([x_p[:1000], x_q[:1000]])
    np.testing.assert_allclose(pair.log_density_ratio(x), logp(x) - logq(x), rtol=1e-9, atol=1e-9)


# (128, 0.5) is left out on purpose: there JS = log 2 - 7.4e-8 and the deficit comes from
# rare overlap draws that 1e5 samples miss, so the sample SE understates the error; the
# quadrature test below covers it.
@pytest.mark.parametrize("d, c", [(32, 0.5), (128, 0.9), (128, 1.02), (1024, 0.99)])
def test_scaled_kl_and_js_in_high_dimension_match_monte_carlo_on_the_radius(d, c):
    # The ratio of N(0, I) to N(0, c^2 I) at x depends on |x| only:
    # log p - log q = (1/c^2 - 1) r^2 / 2 + d log c with r = |x|, and r^2 ~ chi2(d) under P,
    # c^2 chi2(d) under Q. Drawing 1e5 chi-square variates (numpy's sampler, not the pair's)
    # gives KL and JS in any d at 1-D cost; finite variances, so 4 SE.
    pair = scaled(d, c)
    rng = np.random.default_rng(13)
    r2_p, r2_q = rng.chisquare(d, N_MC), c**2 * rng.chisquare(d, N_MC)
    lp = 0.5 * (1 / c**2 - 1) * r2_p + d * math.log(c)
    lq = 0.5 * (1 / c**2 - 1) * r2_q + d * math.log(c)
    _within_4se(lp.mean(), lp.std() / math.sqrt(N_MC), pair.kl_pq)
    _within_4se(-lq.mean(), lq.std() / math.sqrt(N_MC), pair.kl_qp)
    _within_4se(*_mc_js(lp, lq), pair.js)


def _js_deficit(dist_p, dist_q, log_ratio):
    """log 2 - JS = 1/2 E_P softplus(-l) + 1/2 E_Q softplus(l), l = log p - log q, written over
    a 1-D statistic with laws dist_p, dist_q (scipy.stats) and integrated with scipy's quad,
    split at both laws' quantiles. No cancellation against log 2, so even a deficit of 1e-8
    is resolved to quad's relative accuracy."""
    def under_p(t):
        return math.exp(dist_p.logpdf(t)) * np.logaddexp(0.0, -log_ratio(t))

    def under_q(t):
        return math.exp(dist_q.logpdf(t)) * np.logaddexp(0.0, log_ratio(t))

    probs = [1e-12, 1e-9, 1e-6, 1e-3, 0.5, 0.999, 1 - 1e-9]
    lo, hi = dist_p.support()
    cuts = sorted({*dist_p.ppf(probs), *dist_q.ppf(probs)})
    edges = [lo, *cuts, hi]
    total = 0.0
    for f in (under_p, under_q):
        for a, b in zip(edges[:-1], edges[1:]):
            total += 0.5 * integrate.quad(f, a, b, epsabs=0.0, epsrel=1e-12, limit=500)[0]
    return total


@pytest.mark.parametrize("d, c", [(8, 0.5), (32, 0.5), (128, 0.5), (128, 0.9), (1024, 0.7)])
def test_scaled_js_matches_an_independent_quadrature_of_its_deficit(d, c):
    # The pair integrates the JS integrand over the radius r ~ chi_d; here log 2 - JS is
    # integrated over r^2 ~ chi2(d) (scipy), a different variable, law and integrand. Both
    # quadratures are good to ~1e-12 relative, so they agree to 1e-10 absolute.
    pair = scaled(d, c)
    deficit = _js_deficit(stats.chi2(d), stats.chi2(d, scale=c**2),
                          lambda r2: 0.5 * (1 / c**2 - 1) * r2 + d * math.log(c))
    assert pair.js == pytest.approx(LOG2 - deficit, abs=1e-10)


@pytest.mark.parametrize("norm", [0.1, 1.0, 3.0, 8.0])
def test_shifted_js_matches_an_independent_quadrature_of_its_deficit(norm):
    # Along u = s/|s|: z = <x, u> ~ N(0, 1) under P, N(|s|, 1) under Q, l = |s|^2/2 - |s| z.
    pair = shifted(64, np.full(64, norm / 8.0))
    deficit = _js_deficit(stats.norm(0, 1), stats.norm(norm, 1), lambda z: norm**2 / 2 - norm * z)
    assert pair.js == pytest.approx(LOG2 - deficit, abs=1e-10)


@pytest.mark.parametrize("shift", [[0.3, -0.2, 0.1], [0.5, 0.5, 0.0], [1.5, 0.2, 0.0]])
def test_uniform_shift_js_matches_monte_carlo_and_kl_is_infinite(shift):
    # Densities from scipy.stats.uniform; the JS integrand is bounded (by log 2), 4 SE holds.
    pair = shifted(3, shift, base="uniform")
    logp, logq = _uniform_logpdfs(pair)
    x_p, x_q = _draw_here(pair, N_MC, seed=12)
    lp, lq = logp(x_p) - logq(x_p), logp(x_q) - logq(x_q)  # draws lie in their own box
    # P's box sticks out of Q's: a positive fraction of P's draws has q = 0, so KL = inf.
    assert np.isposinf(lp).mean() > 0.01 and pair.kl_pq == pair.kl_qp == math.inf
    _within_4se(*_mc_js(lp, lq), pair.js)
    # The ratio: 0 on the overlap, +inf on P's box only, -inf on Q's only (scipy's logpdfs).
    expected = np.concatenate([lp[:500], lq[:500]])
    assert np.array_equal(pair.log_density_ratio(np.concatenate([x_p[:500], x_q[:500]])), expected)


def test_uniform_log_density_ratio_refuses_points_outside_both_boxes():
    pair = shifted(2, 0.5, base="uniform")
    with pytest.raises(ValueError, match=r"x\[1\] lies outside both supports"):
        pair.log_density_ratio([[0.5, 0.5], [3.0, 0.5]])


# --------------------------------------------------------------------------- W1: dual, primal
def _coupling(pair, x):
    """A map T pushing P forward to Q, built here from the family's definition."""
    if hasattr(pair, "scale"):
        return pair.scale * x
    if hasattr(pair, "theta"):
        return x + pair.theta * np.eye(pair.d)[0]
    return x + np.asarray(pair.shift)


W1_PAIRS = [
    pytest.param(lambda: shifted(16, 2.0), id="shifted-gauss-d16"),
    pytest.param(lambda: shifted(4, [0.3, -1.2, 0.0, 0.4], base="uniform"), id="shifted-unif-d4"),
    pytest.param(lambda: scaled(8, 0.5), id="scaled-d8-c0.5"),
    pytest.param(lambda: scaled(32, 1.5), id="scaled-d32-c1.5"),
    pytest.param(lambda: hyperplanes(64, -0.5), id="hyperplanes-d64"),
    pytest.param(lambda: hyperplanes(1, 0.7), id="hyperplanes-d1"),
]


@pytest.mark.parametrize("make", W1_PAIRS)
def test_dual_with_the_critic_reaches_w1(make):
    # Kantorovich–Rubinstein (L15): E_P f - E_Q f = W1 for the optimal critic. Its sample
    # version over 1e5 independent draws per side has SE sqrt((Var_P f + Var_Q f) / n), 4 SE.
    # (Hyperplanes: f depends on the first coordinate only, constant on each plane, SE = 0.)
    pair = make()
    x_p, x_q = pair.sample(N_MC, seed=21)
    f_p, f_q = pair.critic(x_p), pair.critic(x_q)
    assert f_p.shape == f_q.shape == (N_MC,)
    se = math.sqrt((f_p.var() + f_q.var()) / N_MC)
    _within_4se(f_p.mean() - f_q.mean(), se, pair.w1, floor=1e-12 * max(pair.w1, 1.0))


@pytest.mark.parametrize("make", W1_PAIRS)
def test_coupling_and_critic_are_jointly_optimal(make):
    # Primal (L12): the coupling (X, T X) costs E|X - T X| >= W1; dual: E_P f - E_Q f <= W1.
    # When f(x) - f(T x) = |x - T x| for every x (complementary slackness) both equal W1.
    # Checked pointwise to rounding on draws of P made here, and T pushes P to Q (law check).
    pair = make()
    x = _draw_here(pair, 2000, seed=22)[0]
    y = _coupling(pair, x)
    cost = np.linalg.norm(x - y, axis=1)
    np.testing.assert_allclose(pair.critic(x) - pair.critic(y), cost, rtol=1e-12, atol=1e-12)
    if not hasattr(pair, "scale"):  # a translation: every point moves exactly W1
        np.testing.assert_allclose(cost, pair.w1, rtol=1e-12)  # (scaled: the chi test below)
    # T's image has Q's law: compared with pair.sample's Q draws by a two-sample KS test on the
    # critic's values (p < 1e-4 would flag a wrong sampler or a wrong map; fixed seeds).
    _, x_q = pair.sample(2000, seed=23)
    if np.ptp(pair.critic(x_q)) > 0:
        assert stats.ks_2samp(pair.critic(y), pair.critic(x_q)).pvalue > 1e-4


@pytest.mark.parametrize("d", [1, 2, 3, 10, 128, 1000])
@pytest.mark.parametrize("c", [0.5, 1.5])
def test_scaled_w1_is_the_coupling_cost_with_scipy_chi_mean(d, c):
    # Coupling Y = cX costs |1 - c| E|X|, and |X| ~ chi_d: scipy's chi(d).mean() is an outside
    # evaluation of the closed form sqrt(2) Gamma((d+1)/2) / Gamma(d/2); equal to ~1e-12.
    pair = scaled(d, c)
    assert pair.w1 == pytest.approx(abs(1 - c) * stats.chi(d).mean(), rel=1e-10)
    # The Monte Carlo cost of the coupling: |1-c| mean |x| over 1e5 draws, 4 SE.
    if d <= 10:
        x = np.random.default_rng(d).standard_normal((N_MC, d))
        cost = np.linalg.norm(x - c * x, axis=1)
        _within_4se(cost.mean(), cost.std() / math.sqrt(N_MC), pair.w1)


@pytest.mark.parametrize("make", W1_PAIRS)
def test_critic_is_one_lipschitz(make):
    # |f(a) - f(b)| <= |a - b| on random pairs of points spread wider than both supports;
    # 1e-12 relative slack for rounding in the norms.
    pair = make()
    rng = np.random.default_rng(31)
    a = 3.0 * rng.standard_normal((5000, pair.d))
    b = a + rng.standard_normal((5000, pair.d)) * rng.exponential(1.0, (5000, 1))
    gap = np.abs(pair.critic(a) - pair.critic(b))
    assert (gap <= np.linalg.norm(a - b, axis=1) * (1 + 1e-12) + 1e-12).all()


OT_PAIRS = [
    pytest.param(lambda: shifted(2, 1.0), id="shifted-gauss-d2"),
    pytest.param(lambda: shifted(3, [0.3, -0.2, 0.1], base="uniform"), id="shifted-unif-d3"),
    pytest.param(lambda: scaled(3, 2.0), id="scaled-d3"),
    pytest.param(lambda: hyperplanes(3, 0.5), id="hyperplanes-d3"),
]


def _plug_in_and_bound(pair, n, reps):
    """Exact W1 between n-point samples (POT's network simplex, called here) and the critic's
    value on the same samples, over independent repetitions."""
    plug, bound = [], []
    for r in range(reps):
        x_p, x_q = pair.sample(n, seed=1000 * r + n)
        cost = ot.dist(x_p, x_q, metric="euclidean")
        plug.append(ot.emd2([], [], cost, numItermax=10**7))
        bound.append(pair.critic(x_p).mean() - pair.critic(x_q).mean())
    return np.array(plug), np.array(bound)


@pytest.mark.parametrize("make", OT_PAIRS)
def test_plug_in_exact_ot_approaches_w1_as_n_grows(make):
    pair = make()
    plug_200, bound_200 = _plug_in_and_bound(pair, 200, reps=4)
    plug_800, bound_800 = _plug_in_and_bound(pair, 800, reps=4)
    # The 1-Lipschitz critic is dual feasible for the discrete problem, so every sample's
    # exact OT is >= its critic value (1e-9: the simplex's rounding).
    assert (plug_200 >= bound_200 - 1e-9).all() and (plug_800 >= bound_800 - 1e-9).all()
    # E[critic value] = W1 exactly (the dual test above), so the plug-in's bias is the mean
    # excess plug - bound, a discretisation gain of order n^(-1/d): it must shrink from
    # n = 200 to n = 800 (4 repetitions each; measured ratios 0.3-0.6) ...
    excess_200, excess_800 = (plug_200 - bound_200).mean(), (plug_800 - bound_800).mean()
    assert excess_800 < excess_200
    # ... and be small at n = 800: measured 0.5-2.6% of W1 in these four cases, bound 5%.
    assert excess_800 < 0.05 * pair.w1
    # The plug-in itself, averaged over the repetitions, is near W1: its spread is that of
    # the critic value (SE over 4 reps from the per-draw variance) plus the excess above.
    x_p, x_q = pair.sample(N_MC, seed=5)
    se = math.sqrt((pair.critic(x_p).var() + pair.critic(x_q).var()) / (800 * 4))
    assert abs(plug_800.mean() - pair.w1) <= 4 * se + excess_800 + 1e-12


def test_plug_in_on_point_masses_is_exact():
    # d = 1 hyperplanes are the point masses at 0 and theta: every coupling costs |theta|.
    pair = hyperplanes(1, -0.5)
    plug, _ = _plug_in_and_bound(pair, 200, reps=1)
    assert plug[0] == pytest.approx(0.5, abs=1e-12)


# --------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("d", [1, 3, 16])
def test_gaussian_closed_forms_agree_with_divgans_gaussian_formulas(d):
    # divgan.gaussian_kl / gaussian_w2 compute KL and Bures W2 from means and covariance
    # matrices (a separate code path, linear algebra): equal to rounding.
    s = np.linspace(-1.0, 1.0, d) + 0.3
    pair = shifted(d, s)
    assert pair.kl_pq == pytest.approx(gaussian_kl(np.zeros(d), np.eye(d), s, np.eye(d)), rel=1e-12)
    assert pair.w2 == pytest.approx(gaussian_w2(np.zeros(d), np.eye(d), s, np.eye(d)), rel=1e-12)
    pair = scaled(d, 0.3)
    eye, cov = np.eye(d), 0.09 * np.eye(d)
    assert pair.kl_pq == pytest.approx(gaussian_kl(np.zeros(d), eye, np.zeros(d), cov), rel=1e-12)
    assert pair.kl_qp == pytest.approx(gaussian_kl(np.zeros(d), cov, np.zeros(d), eye), rel=1e-12)
    assert pair.w2 == pytest.approx(gaussian_w2(np.zeros(d), eye, np.zeros(d), cov), rel=1e-10)


def test_scaled_invariance_under_rescaling():
    # Dividing both variables by c maps (N(0, I), N(0, c^2 I)) to (N(0, I / c^2), N(0, I)),
    # the pair of scale 1/c with P and Q swapped: KL swaps, JS (symmetric, invariant under a
    # bijection) stays, W scales by 1/c. The JS values are two quadratures (1e-9).
    for d, c in [(1, 0.5), (8, 0.3), (128, 0.9)]:
        a, b = scaled(d, c), scaled(d, 1.0 / c)
        assert a.kl_pq == pytest.approx(b.kl_qp, rel=1e-12)
        assert a.kl_qp == pytest.approx(b.kl_pq, rel=1e-12)
        assert a.js == pytest.approx(b.js, rel=1e-9, abs=1e-12)
        assert b.w1 == pytest.approx(a.w1 / c, rel=1e-12)


def test_small_shift_js_is_a_quarter_of_the_kl():
    # For a small shift JS ≈ |s|^2 / 8 (local expansion: JS ≈ Fisher information x |s|^2 / 8,
    # and KL = |s|^2 / 2); the relative correction is O(|s|^2), so 1e-4 at |s| = 1e-3.
    pair = shifted(10, np.full(10, 1e-3 / math.sqrt(10)))
    assert pair.js == pytest.approx(pair.kl_pq / 4, rel=1e-4)


def test_shifted_values_depend_only_on_the_norm_and_vanish_at_zero():
    # Rotation invariance of both bases' Gaussian case: a vector shift (3, 4) is the float 5.
    a, b = shifted(2, [3.0, 4.0]), shifted(2, 5.0)
    assert (a.w1, a.w2, a.kl_pq, a.js) == (b.w1, b.w2, b.kl_pq, b.js)
    zero = (shifted(4, 0.0), shifted(4, 0.0, base="uniform"), scaled(4, 1.0), hyperplanes(4, 0))
    for pair in zero:
        assert (pair.w1, pair.w2, pair.kl_pq, pair.kl_qp, pair.js) == (0.0,) * 5
        assert (pair.critic(np.ones((3, 4))) == 0).all()
    # Disjoint boxes (one |s_i| >= 1): JS = log 2 exactly.
    assert shifted(3, [0.2, 1.0, 0.0], base="uniform").js == LOG2


@pytest.mark.parametrize("theta", [-0.7, 0.0, 0.25, 1.0, 3.0])
def test_hyperplanes_in_two_dimensions_are_the_lectures_parallel_lines(theta):
    # L13: the lecture's lines are hyperplanes(2, theta).
    pair, lines = hyperplanes(2, theta), parallel_lines(theta)
    assert (pair.kl_pq, pair.kl_qp, pair.js, pair.w1) == (
        lines.kl_pq, lines.kl_qp, lines.js, lines.wasserstein
    )
    assert pair.w2 == abs(theta)
    x_p, x_q = pair.sample(500, seed=3)
    l_p, l_q = sample_parallel_lines(theta, 500, rng=3)
    for ours, theirs in ((x_p, l_p), (x_q, l_q)):
        assert np.array_equal(ours[:, 0], theirs[:, 0])
        assert ((ours[:, 1] >= 0) & (ours[:, 1] <= 1)).all()
    with pytest.raises(NotImplementedError, match="no|not"):
        pair.log_density_ratio(x_p)


# --------------------------------------------------------------------------- sampling
def test_sample_shapes_laws_seeds_and_independence():
    pair = shifted(8, 1.5)
    x_p, x_q = pair.sample(N_MC, seed=4)
    assert x_p.shape == x_q.shape == (N_MC, 8) and x_p.dtype == x_q.dtype == np.float64
    # Laws: coordinates of Q have mean s (4 SE with SE = 1/sqrt(n)), those of P mean 0.
    s = np.asarray(pair.shift)
    assert np.abs(x_q.mean(axis=0) - s).max() <= 4 / math.sqrt(N_MC)
    assert np.abs(x_p.mean(axis=0)).max() <= 4 / math.sqrt(N_MC)
    # Independence: x_q is not x_p + s (correlation of paired coordinates ~ N(0, 1/n)).
    assert abs(np.corrcoef(x_p[:, 0], x_q[:, 0])[0, 1]) <= 4 / math.sqrt(N_MC)
    # Seeds: an int reproduces; rng= is the same seed under the DESIGN's name; a Generator
    # is used as is (its state advances); None draws fresh numbers.
    a = pair.sample(10, seed=7)
    b = pair.sample(10, rng=7)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    gen = np.random.default_rng(7)
    c1, c2 = pair.sample(10, seed=gen), pair.sample(10, seed=gen)
    assert np.array_equal(c1[0], a[0]) and not np.array_equal(c2[0], a[0])
    assert not np.array_equal(pair.sample(10)[0], pair.sample(10)[0])
    # The scaled Q's radii over c follow chi_d (KS test against scipy; fixed seed).
    pair = scaled(6, 0.4)
    _, x_q = pair.sample(5000, seed=8)
    assert stats.kstest(np.linalg.norm(x_q, axis=1) / 0.4, stats.chi(6).cdf).pvalue > 1e-4
    # The uniform Q lives in the moved box.
    pair = shifted(3, [0.5, -2.0, 0.0], base="uniform")
    _, x_q = pair.sample(1000, seed=9)
    moved = x_q - np.asarray(pair.shift)
    assert ((moved >= 0) & (moved <= 1)).all()


def test_pair_is_frozen_and_abstract_base_cannot_be_built():
    pair = scaled(3, 0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        pair.w1 = 0.0
    assert isinstance(pair, ReferencePair)
    with pytest.raises(TypeError):
        ReferencePair(d=1, w1=0.0, w2=0.0, kl_pq=0.0, kl_qp=0.0, js=0.0)


# --------------------------------------------------------------------------- bad input
BAD_CALLS = [
    (lambda: shifted(0, 1.0), ValueError, "d must be >= 1"),
    (lambda: shifted(2.0, 1.0), TypeError, "d must be an integer"),
    (lambda: shifted(True, 1.0), TypeError, "d must be an integer"),
    (lambda: shifted(3, math.nan), ValueError, "shift must be finite"),
    (lambda: shifted(3, np.float64(-math.inf)), ValueError, "shift must be finite"),
    (lambda: shifted(3, [1.0, 2.0]), ValueError, r"shift .* length d = 3, got shape \(2,\)"),
    (lambda: shifted(2, [[1.0, 2.0]]), ValueError, r"shift .* length d = 2"),
    (
        lambda: shifted(3, [0.0, math.nan, 1.0]),
        ValueError,
        "shift must be finite, found nan at index 1",
    ),
    (lambda: shifted(2, "far"), TypeError, "shift"),
    (lambda: shifted(2, None), TypeError, "shift"),
    (
        lambda: shifted(2, 1.0, base="cauchy"),
        ValueError,
        "base must be one of gaussian, uniform; got 'cauchy'",
    ),
    (lambda: scaled(2, 0.0), ValueError, "scale must be > 0, got 0.0"),
    (lambda: scaled(2, -1.0), ValueError, "scale must be > 0"),
    (lambda: scaled(2, math.nan), ValueError, "scale must be finite"),
    (lambda: scaled(2, math.inf), ValueError, "scale must be finite"),
    (lambda: scaled(-1, 0.5), ValueError, "d must be >= 1"),
    (lambda: hyperplanes(2, math.nan), ValueError, "theta must be finite"),
    (lambda: hyperplanes(2, -math.inf), ValueError, "theta must be finite"),
    (lambda: hyperplanes(0, 0.5), ValueError, "d must be >= 1"),
    (lambda: hyperplanes(2.5, 0.5), TypeError, "d must be an integer"),
    (lambda: scaled(3, 0.5).sample(0), ValueError, "n must be >= 1"),
    (lambda: scaled(3, 0.5).sample(2.5), TypeError, "n must be an integer"),
    (lambda: scaled(3, 0.5).sample(5, seed=1, rng=1), TypeError, "not both"),
    (lambda: scaled(3, 0.5).sample(5, rng=-1), ValueError, "rng must be >= 0"),
    (lambda: scaled(3, 0.5).sample(5, seed="x"), TypeError, "seed must be"),
    (
        lambda: scaled(3, 0.5).critic(np.ones((4, 2))),
        ValueError,
        r"x must be points of shape \(n, 3\)",
    ),
    (lambda: scaled(3, 0.5).critic(np.ones(3)), ValueError, r"x must be points of shape \(n, 3\)"),
    (lambda: shifted(2, 1.0).critic([[0.0, math.nan]]), ValueError, "x must hold finite"),
    (lambda: shifted(2, 1.0).log_density_ratio([["a", "b"]]), TypeError, "x must be"),
]


@pytest.mark.parametrize("call, error, message", BAD_CALLS)
def test_bad_parameters_raise_naming_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_one_dimensional_points_may_be_a_flat_array():
    # In d = 1 a flat array is n points (the 1-D convention of divgan); same values as (n, 1).
    pair = shifted(1, -2.0)
    x = np.linspace(-3, 3, 7)
    assert np.array_equal(pair.critic(x), pair.critic(x[:, None]))
    assert np.array_equal(pair.critic(x), x)  # f(x) = -<x, s>/|s| = x for s = -2
