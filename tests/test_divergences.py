"""KL and JS for pmfs, densities and Gaussians (lecture claims L1, L2).

Oracles: closed forms written out in the test, scipy computed in the test
(``scipy.stats.entropy``, ``scipy.special.rel_entr``, ``jensenshannon``, ``quad``),
POT's Bures–Wasserstein, and invariances (symmetry, scaling, permutation, base).
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats
from scipy.spatial.distance import jensenshannon

from divgan.divergences import (
    gaussian_kl,
    gaussian_w1,
    gaussian_w2,
    js_distance,
    js_divergence,
    js_divergence_density,
    kl_divergence,
    kl_divergence_density,
)

LOG2 = math.log(2.0)
# Sums of n terms in float64 carry rounding of a few ulps × log n; scipy's own sums
# are pairwise too, so 1e-12 relative (plus 1e-15 absolute for values near 0) is a
# tolerance with orders of magnitude of margin, yet fails for any formula error.
RTOL = 1e-12
ATOL = 1e-15


def fsum_kl(p, q):
    """Reference KL with exactly rounded summation of p_i log(p_i/q_i)."""
    p = np.asarray(p, float) / math.fsum(p)
    q = np.asarray(q, float) / math.fsum(q)
    return math.fsum(special.rel_entr(p, q))


def fsum_js(p, q):
    p = np.asarray(p, float) / math.fsum(p)
    q = np.asarray(q, float) / math.fsum(q)
    m = (p + q) / 2
    return 0.5 * math.fsum(special.rel_entr(p, m)) + 0.5 * math.fsum(special.rel_entr(q, m))


# ----------------------------------------------------------------------------- KL
def test_kl_explicit_example_and_asymmetry_L1():
    # Closed form by hand: KL(p‖q) = Σ p log(p/q).
    p, q = [0.5, 0.5], [0.9, 0.1]
    pq = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    qp = 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5)
    assert kl_divergence(p, q) == pytest.approx(pq, rel=RTOL)
    assert kl_divergence(q, p) == pytest.approx(qp, rel=RTOL)
    assert kl_divergence(p, q) == pytest.approx(stats.entropy(p, q), rel=RTOL)
    # L1: the divergence is asymmetric (0.511 vs 0.368 nats here).
    assert abs(kl_divergence(p, q) - kl_divergence(q, p)) > 0.1


@pytest.mark.parametrize(
    "n", [1, 2, 7, 8, 9, 1023, 65535, 65536, 65537, 100_003]
)
def test_kl_matches_scipy_and_fsum_across_block_sizes(n):
    # The cores work in blocks of 2**16 outcomes and the dot kernel in lanes of 8 with a
    # tail: sizes around those boundaries exercise every path. scipy.stats.entropy
    # normalises and sums rel_entr.
    rng = np.random.default_rng(n)
    p, q = rng.random(n), rng.random(n)
    ref = fsum_kl(p, q)
    assert kl_divergence(p, q) == pytest.approx(ref, rel=RTOL, abs=ATOL)
    assert kl_divergence(p, q) == pytest.approx(stats.entropy(p, q), rel=1e-10, abs=1e-14)


def test_kl_accuracy_large_n_against_fsum():
    # The performance brief's accuracy target: <= 1e-12 relative at N = 1e6.
    rng = np.random.default_rng(0)
    p, q = rng.random(1_000_000), rng.random(1_000_000)
    assert abs(kl_divergence(p, q) - fsum_kl(p, q)) <= 1e-12 * fsum_kl(p, q)


def test_kl_and_js_masses_over_many_orders_of_magnitude():
    # Entries from 1e-120 to 1e120: ratios over 240 orders of magnitude (still the ratio
    # form); the references sum exactly (math.fsum) with numpy's log.
    rng = np.random.default_rng(21)
    p = rng.random(5000) * 10.0 ** rng.uniform(-120, 120, 5000)
    q = rng.random(5000) * 10.0 ** rng.uniform(-120, 120, 5000)
    assert kl_divergence(p, q) == pytest.approx(fsum_kl(p, q), rel=1e-12)
    assert js_divergence(p, q) == pytest.approx(fsum_js(p, q), rel=1e-12)


def test_kl_zero_conventions():
    # 0·log(0/q) = 0, so zeros of p drop out: KL([0, 1, 1] ‖ [1, 1, 2]) = KL over the
    # last two entries with q renormalised over all three (closed form by hand).
    expected = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.5)
    assert kl_divergence([0, 1, 1], [1, 1, 2]) == pytest.approx(expected, rel=RTOL)
    # q = 0 where p > 0: infinite, as scipy says too.
    assert kl_divergence([1, 1], [1, 0]) == math.inf
    assert stats.entropy([1, 1], [1, 0]) == math.inf
    # Equal inputs: exactly zero.
    assert kl_divergence([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0


def test_kl_invariances_scaling_permutation_base():
    rng = np.random.default_rng(1)
    p, q = rng.random(500), rng.random(500)
    base_value = kl_divergence(p, q)
    # masses are normalised: scaling either input changes nothing
    assert kl_divergence(7.5 * p, 0.01 * q) == pytest.approx(base_value, rel=1e-13)
    # ... even when the totals differ by hundreds of orders of magnitude (the
    # one-pass form S/P + log(Q/P) would cancel there without its exact rescaling)
    assert kl_divergence(p * 1e300, q * 1e-300) == pytest.approx(base_value, rel=1e-13)
    assert kl_divergence([1.4450966882687325e-152], [2.748046875]) == pytest.approx(0, abs=1e-15)
    # relabelling outcomes changes nothing
    perm = rng.permutation(500)
    assert kl_divergence(p[perm], q[perm]) == pytest.approx(base_value, rel=1e-13)
    # base change: log_b x = ln x / ln b
    assert kl_divergence(p, q, base=2) == pytest.approx(base_value / LOG2, rel=1e-14)
    assert kl_divergence(p, q, base=10) == pytest.approx(stats.entropy(p, q, base=10), rel=1e-12)


def test_kl_extreme_dynamic_range_uses_exact_path():
    # Ratios of 1e300 leave the ratio form's range (2**±1000 with the balancing power of
    # two); the log-difference form must still match scipy.
    p, q = [1e-300, 1.0], [1.0, 1e-300]
    assert kl_divergence(p, q) == pytest.approx(stats.entropy(p, q), rel=1e-12)
    # Huge finite masses whose sum overflows: same as the scaled-down pmf.
    assert kl_divergence([1e308, 1e308], [1.0, 2.0]) == pytest.approx(
        stats.entropy([0.5, 0.5], [1 / 3, 2 / 3]), rel=1e-12
    )
    # Found by hypothesis: normalising first underflows a subnormal mass to 0 (scipy
    # then says 0 and inf). By definition: p > 0 = q gives +inf, and
    # KL([0, 1] ‖ [2, 5e-324]) = log(Q / 5e-324) = log 2 − log(5e-324), finite.
    assert kl_divergence([2.0, 5e-324], [1.0, 0.0]) == math.inf
    expected = math.log(2.0) - math.log(5e-324)
    assert kl_divergence([0.0, 1.0], [2.0, 5e-324]) == pytest.approx(expected, rel=1e-13)
    # Subnormal totals: products p·log(p/q) would lose digits; found by fuzzing
    # (1.4e-9 error before the fix). One outcome: both pmfs are [1], KL = 0.
    assert kl_divergence([1.13289e-318], [2.06566268e-316]) == pytest.approx(0, abs=1e-15)
    p, q = [2.225073858507203e-309] * 2, [0.875, 0.8125]
    assert kl_divergence(p, q) == pytest.approx(stats.entropy([1, 1], q), rel=1e-12)
    # Subnormal masses: as scipy
    p = [5e-324, 1.0, 2.0]
    q = [1.0, 1.0, 1e-310]
    assert kl_divergence(p, q) == pytest.approx(stats.entropy(p, q), rel=1e-12)


def _log_domain_kl(p, q):
    """KL from the definition with math.log of the raw masses (exact for any positive
    float, subnormals too) and math.fsum: Σ (p/P)(log p − log q) + log Q − log P."""
    P, Q = math.fsum(p), math.fsum(q)
    if any(a > 0 and b == 0 for a, b in zip(p, q)):
        return math.inf
    terms = [(a / P) * (math.log(a) - math.log(b)) for a, b in zip(p, q) if a > 0]
    return max(0.0, math.fsum(terms) + math.log(Q) - math.log(P))


def _log_domain_js(p, q):
    """JS from the definition in the log domain: ½ Σ a (log 2a − log(a + b)) + ½ Σ b (...)."""
    P, Q = math.fsum(p), math.fsum(q)
    terms = []
    for a, b in zip(p, q):
        la = math.log(a) - math.log(P) if a > 0 else -math.inf
        lb = math.log(b) - math.log(Q) if b > 0 else -math.inf
        lm = np.logaddexp(la, lb)
        terms += [0.5 * math.exp(z) * (LOG2 + z - lm) for z in (la, lb) if z > -math.inf]
    return min(max(math.fsum(terms), 0.0), LOG2)


@pytest.mark.parametrize("seed", range(6))
def test_kl_and_js_on_masses_spanning_the_float_range(seed):
    # Masses from 1e-300 to 1e300, zeros and subnormals (a fuzzing run found rows whose
    # rescaling lost their small entries). Tolerance: the log-difference form rounds each
    # term to eps·(|log p| + |log q|) <= 1500 eps ~ 2e-13 absolute; 5e-13 + 1e-11 relative.
    rng = np.random.default_rng(seed)
    for _ in range(60):
        n = int(rng.integers(1, 8))
        p, q = (rng.random(n) * 10.0 ** rng.uniform(-300, 300, n) for _ in range(2))
        p[rng.random(n) < 0.2] = 0.0
        q[rng.random(n) < 0.1] = 5e-324
        if p.sum() == 0 or not np.isfinite([p.sum(), q.sum()]).all():
            continue
        ref = _log_domain_kl(p, q)
        got = kl_divergence(p, q)
        assert got == ref or abs(got - ref) <= 1e-11 * abs(ref) + 5e-13, (p, q)
        assert js_divergence(p, q) == pytest.approx(_log_domain_js(p, q), rel=1e-11, abs=5e-13)
    # the case the fuzzing found: p spans 1e5..1e283, q spans 1e-284..1e288
    p = [7.691411962081514e238, 6.822686185989515e282, 457871.6632093518, 4.5189206739255774e117]
    q = [2.958268507959738e164, 3.2338214826649383e159, 2.947853038797171e288, 7.76e-284]
    assert kl_divergence(p, q) == pytest.approx(_log_domain_kl(p, q), rel=1e-12)


def test_kl_batches_axis_and_return_types():
    rng = np.random.default_rng(2)
    p = rng.random((3, 4, 50))
    q = rng.random((4, 50))  # broadcast over the first axis
    out = kl_divergence(p, q)
    assert isinstance(out, np.ndarray) and out.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            assert out[i, j] == pytest.approx(stats.entropy(p[i, j], q[j]), rel=1e-12)
    # axis=0 is the transpose of axis=-1
    pt = rng.random((50, 6))
    qt = rng.random((50, 6))
    np.testing.assert_allclose(kl_divergence(pt, qt, axis=0), kl_divergence(pt.T, qt.T), rtol=1e-14)
    np.testing.assert_allclose(
        kl_divergence(pt, qt, axis=0), stats.entropy(pt, qt, axis=0), rtol=1e-12
    )
    # one pair: a Python float
    assert type(kl_divergence([1, 2], [2, 1])) is float
    assert type(js_divergence([1, 2], [2, 1])) is float
    assert type(js_distance([1, 2], [2, 1])) is float


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100)), min_size=1, max_size=40).filter(
        lambda pairs: sum(a for a, _ in pairs) > 0 and sum(b for _, b in pairs) > 0
    )
)
def test_kl_property_agrees_with_scipy_and_nonnegative(pairs):
    p = np.array([a for a, _ in pairs])
    q = np.array([b for _, b in pairs])
    value = kl_divergence(p, q)
    assert value >= 0.0  # Gibbs' inequality
    if ((p > 0) & (q == 0)).any():  # KL = +inf by definition
        assert value == math.inf
        return
    tiny = np.finfo(float).tiny
    if min((p[p > 0] / p.sum()).min(), (q[q > 0] / q.sum()).min()) >= tiny:
        # scipy normalises then sums p·log(p/q) pairwise: agreement to 1e-10
        # relative (terms of mixed sign can cancel, hence a small absolute floor). When the
        # totals are ~2**900 or more apart divgan works with log p - log q (no ratio can
        # leave the float range), whose rounding is a few eps times |log p| + |log q|
        # (hypothesis: p = [6], q = [1.1e-301] gives 1.1e-13 for a true 0): that is the floor.
        logs = np.abs(np.log(p[p > 0])).max() + np.abs(np.log(q[q > 0])).max()
        floor = max(1e-13, 4 * np.finfo(float).eps * logs)
        assert value == pytest.approx(stats.entropy(p, q), rel=1e-10, abs=floor)
    else:
        # Normalising would leave subnormals (scipy then loses digits: hypothesis
        # found q = [0.75, 5e-324] where it is off by 0.29). Oracle: the definition
        # rearranged in the log domain, Σ (p/P)(log p − log q) + log(Q/P), with
        # math.log of the raw masses (exact for subnormals) and math.fsum.
        P, Q = math.fsum(p), math.fsum(q)
        ref = math.fsum((a / P) * (math.log(a) - math.log(b)) for a, b in zip(p, q) if a > 0)
        ref += math.log(Q) - math.log(P)
        assert value == pytest.approx(ref, rel=1e-12, abs=1e-12)


# ----------------------------------------------------------------------------- JS
def test_js_explicit_example_and_bounds_L2():
    # By hand: m = (0.75, 0.25); JS = ½KL([1,0]‖m) + ½KL([.5,.5]‖m).
    expected = 0.5 * math.log(1 / 0.75) + 0.5 * (
        0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    )
    assert js_divergence([1, 0], [0.5, 0.5]) == pytest.approx(expected, rel=RTOL)
    assert js_divergence([1, 0], [0.5, 0.5]) == pytest.approx(
        jensenshannon([1, 0], [0.5, 0.5]) ** 2, rel=1e-12
    )
    # disjoint supports reach the bound log 2 exactly, log_2 2 = 1 in bits
    assert js_divergence([1, 1, 0, 0], [0, 0, 3, 1]) == LOG2
    assert js_divergence([1, 0], [0, 1], base=2) == 1.0
    assert js_distance([1, 0], [0, 1], base=2) == 1.0


@pytest.mark.parametrize("n", [1, 3, 7, 8, 9, 65535, 65536, 65537, 100_003])
def test_js_matches_scipy_and_fsum(n):
    rng = np.random.default_rng(10 + n)
    p, q = rng.random(n), rng.random(n)
    assert js_divergence(p, q) == pytest.approx(fsum_js(p, q), rel=RTOL, abs=ATOL)
    assert js_divergence(p, q) == pytest.approx(jensenshannon(p, q) ** 2, rel=1e-10, abs=1e-14)
    ref2 = jensenshannon(p, q, base=2)
    assert js_distance(p, q, base=2) == pytest.approx(ref2, rel=1e-10, abs=1e-14)


def test_js_equal_and_proportional_inputs_give_exact_zero():
    rng = np.random.default_rng(3)
    p = rng.random(5000)
    assert js_divergence(p, p) == 0.0
    assert js_distance(p, p) == 0.0
    # proportional masses are the same pmf; a power-of-two scale is exact in float
    assert js_distance(p, 4.0 * p) == 0.0
    assert js_distance([1, 2, 3], [2, 4, 6]) == 0.0
    assert not math.isnan(js_distance([0.1, 0.2, 0.7], [0.1, 0.2, 0.7]))


def test_js_invariances():
    rng = np.random.default_rng(4)
    p, q = rng.random(300), rng.random(300)
    v = js_divergence(p, q)
    assert js_divergence(q, p) == pytest.approx(v, rel=1e-13)  # symmetry
    assert js_divergence(3 * p, 0.5 * q) == pytest.approx(v, rel=1e-13)  # scaling
    perm = rng.permutation(300)
    assert js_divergence(p[perm], q[perm]) == pytest.approx(v, rel=1e-13)  # permutation
    assert js_divergence(p, q, base=2) == pytest.approx(v / LOG2, rel=1e-14)  # base
    assert js_distance(p, q) == pytest.approx(math.sqrt(v), rel=1e-14)


def test_js_distance_triangle_inequality():
    # sqrt(JS) is a metric (Endres & Schindelin 2003).
    rng = np.random.default_rng(5)
    for _ in range(200):
        a, b, c = rng.random((3, 6)) ** 3
        assert js_distance(a, c) <= js_distance(a, b) + js_distance(b, c) + 1e-12


@pytest.mark.parametrize("shape", [(3, 70_001), (2000, 100)])
def test_batches_across_row_and_column_blocks(shape):
    # (3, 70001): each row spans two column blocks; (2000, 100): several rows per block.
    # Oracle: the fsum references row by row; q broadcast over the rows.
    rng = np.random.default_rng(shape[0])
    p, q = rng.random(shape), rng.random(shape[1])
    kl, js = kl_divergence(p, q), js_divergence(p, q)
    for i in range(0, shape[0], max(1, shape[0] // 7)):
        assert kl[i] == pytest.approx(fsum_kl(p[i], q), rel=RTOL, abs=ATOL)
        assert js[i] == pytest.approx(fsum_js(p[i], q), rel=RTOL, abs=ATOL)


def test_js_batches():
    rng = np.random.default_rng(6)
    p, q = rng.random((5, 2000)), rng.random((5, 2000))
    out = js_divergence(p, q)
    assert out.shape == (5,)
    np.testing.assert_allclose(out, jensenshannon(p, q, axis=1) ** 2, rtol=1e-10)
    np.testing.assert_allclose(js_distance(p, q), np.sqrt(out), rtol=1e-14)


def test_js_extreme_range_matches_scipy():
    p, q = [1e200, 1.0, 0.0], [1.0, 1e200, 3.0]
    assert js_divergence(p, q) == pytest.approx(jensenshannon(p, q) ** 2, rel=1e-12)
    p, q = [1e-320, 1.0], [1.0, 1e-320]
    assert js_divergence(p, q) == pytest.approx(jensenshannon(p, q) ** 2, rel=1e-12)
    # near the range limits (tiny entries against tiny or huge totals)
    for p, q in [([1, 1e-285], [1e-100, 1e-100]), ([1e99, 1e-190], [5e-100, 5e-100]),
                 ([1e60, 1], [1e-60, 1e-60])]:
        assert js_divergence(p, q) == pytest.approx(jensenshannon(p, q) ** 2, rel=1e-12)
        assert kl_divergence(p, q) == pytest.approx(stats.entropy(p, q), rel=1e-12)


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 1e6), st.floats(0, 1e6)), min_size=1, max_size=40).filter(
        lambda pairs: sum(a for a, _ in pairs) > 0 and sum(b for _, b in pairs) > 0
    )
)
def test_js_properties(pairs):
    p = np.array([a for a, _ in pairs])
    q = np.array([b for _, b in pairs])
    v = js_divergence(p, q)
    assert 0.0 <= v <= LOG2  # L2's bound
    assert js_divergence(q, p) == pytest.approx(v, rel=1e-12, abs=1e-15)  # symmetry
    ref = jensenshannon(p, q) ** 2
    tiny = np.finfo(float).tiny
    if min((p[p > 0] / p.sum()).min(), (q[q > 0] / q.sum()).min()) >= tiny:
        if not math.isnan(ref):  # scipy can give NaN for (near-)equal inputs; we do not
            assert v == pytest.approx(ref, rel=1e-9, abs=1e-14)
    else:
        # Normalising leaves subnormals, where scipy loses digits (hypothesis found
        # p = [0, 1], q = [5e-324, 1], where scipy says inf). Oracle: the definition in the
        # log domain with math.log of the raw masses (exact for subnormals) and math.fsum:
        # JS = ½ Σ a (log 2a − log(a + b)) + ½ Σ b (log 2b − log(a + b)).
        la = [math.log(x) - math.log(math.fsum(p)) if x > 0 else -math.inf for x in p]
        lb = [math.log(x) - math.log(math.fsum(q)) if x > 0 else -math.inf for x in q]
        terms = []
        for x, y in zip(la, lb):
            lm = np.logaddexp(x, y)
            for lz in (x, y):
                if lz > -math.inf:
                    terms.append(0.5 * math.exp(lz) * (LOG2 + lz - lm))
        assert v == pytest.approx(math.fsum(terms), rel=1e-9, abs=1e-14)
    assert not math.isnan(js_distance(p, q))


# --------------------------------------------------------------------- bad input
PMF_FUNCS = [kl_divergence, js_divergence, js_distance]


@pytest.mark.parametrize("func", PMF_FUNCS)
@pytest.mark.parametrize(
    "p, q, match",
    [
        ([0.5, -0.1, 0.6], [1, 1, 1], "non-negative"),
        ([1, 1, 1], [0.5, -0.1, 0.6], "non-negative"),
        ([1, 0], [-1, 2], "non-negative"),
        ([0.5, np.nan], [1, 1], "finite"),
        ([1, 1], [np.inf, 1], "finite"),
        ([], [], "empty"),
        ([0, 0, 0], [1, 1, 1], "all-zero"),
        ([1, 2, 3], [0, 0, 0], "all-zero"),
        ([1, 2, 3], [1, 2], r"\(3,\).*\(2,\)"),
        (np.ones((2, 3)), np.ones((4, 3)), "broadcast"),
        (1.0, [1.0], "scalar"),
    ],
)
def test_pmf_bad_input_raises_value_error(func, p, q, match):
    with pytest.raises(ValueError, match=match):
        func(p, q)


@pytest.mark.parametrize("func", PMF_FUNCS)
@pytest.mark.parametrize("where", [5, 1500, 2047, 3000])  # inside full blocks and the tail
@pytest.mark.parametrize(
    "bad, match", [(-1e-9, "non-negative"), (np.nan, "finite"), (np.inf, "finite")]
)
def test_pmf_bad_entry_in_long_input(func, where, bad, match):
    # The validator (sum and min of each row, before any core runs) catches these in long
    # inputs too, wherever they sit.
    good = np.ones(3001)
    broken = good.copy()
    broken[where] = bad
    with pytest.raises(ValueError, match=match):
        func(broken, good)
    with pytest.raises(ValueError, match=match):
        func(good, broken)
    zero_p = good.copy()
    zero_p[where] = 0.0
    with pytest.raises(ValueError, match=match):
        func(zero_p, broken)  # p = 0 where q is bad: still caught


@pytest.mark.parametrize("func", PMF_FUNCS)
@pytest.mark.parametrize("base", [0, 1, 0.5, -2.0, math.inf, math.nan])
def test_pmf_bad_base_value(func, base):
    with pytest.raises(ValueError, match="base"):
        func([1, 2], [2, 1], base=base)


@pytest.mark.parametrize("func", PMF_FUNCS)
def test_pmf_bad_types(func):
    with pytest.raises(TypeError, match="base"):
        func([1, 2], [2, 1], base="e")
    with pytest.raises(TypeError, match="axis"):
        func([1, 2], [2, 1], axis=0.5)
    with pytest.raises(TypeError):
        func(["a", "b"], [1, 2])
    with pytest.raises(ValueError, match="axis"):
        func([1, 2], [2, 1], axis=3)


# ----------------------------------------------------------------------- densities
GAUSS_PAIRS = [(0.0, 1.0, 1.0, 4.0), (0.0, 1.0, 0.0, 1.0), (2.0, 0.25, -1.0, 9.0),
               (0.0, 1e-6, 0.0, 1.0), (0.0, 1.0, 0.5, 1e-4)]


def quad_kl_gauss(mp, vp, mq, vq):
    """Independent quadrature in the test: ∫ p (log p − log q) over ±40 sd of p."""
    sp = math.sqrt(vp)
    f = lambda x: stats.norm.pdf(x, mp, sp) * (stats.norm.logpdf(x, mp, sp)
                                               - stats.norm.logpdf(x, mq, math.sqrt(vq)))
    return integrate.quad(f, mp - 40 * sp, mp + 40 * sp, points=[mp], limit=500,
                          epsabs=1e-13, epsrel=1e-12)[0]


@pytest.mark.parametrize("mp, vp, mq, vq", GAUSS_PAIRS)
def test_kl_density_gaussians_three_ways(mp, vp, mq, vq):
    closed = 0.5 * (math.log(vq / vp) + (vp + (mp - mq) ** 2) / vq - 1)  # by hand
    assert gaussian_kl(mp, vp, mq, vq) == pytest.approx(closed, rel=1e-14, abs=1e-15)
    assert quad_kl_gauss(mp, vp, mq, vq) == pytest.approx(closed, rel=1e-8, abs=1e-12)
    # quadrature of smooth integrands: epsrel 1e-11 requested; 1e-8 leaves margin
    got = kl_divergence_density(stats.norm(mp, math.sqrt(vp)), stats.norm(mq, math.sqrt(vq)))
    assert got == pytest.approx(closed, rel=1e-8, abs=1e-12)


def test_kl_density_beta_closed_form():
    # KL(Beta(a1,b1)‖Beta(a2,b2)) = ln B(a2,b2) − ln B(a1,b1) + (a1−a2)ψ(a1)
    #   + (b1−b2)ψ(b1) + (a2−a1+b2−b1)ψ(a1+b1)
    a1, b1, a2, b2 = 2.0, 3.0, 3.0, 1.5
    ps = special.psi
    closed = (special.betaln(a2, b2) - special.betaln(a1, b1) + (a1 - a2) * ps(a1)
              + (b1 - b2) * ps(b1) + (a2 - a1 + b2 - b1) * ps(a1 + b1))
    got = kl_divergence_density(stats.beta(a1, b1), stats.beta(a2, b2))
    assert got == pytest.approx(closed, rel=1e-8)
    # and as pdf callables on the shared support [0, 1]
    got_c = kl_divergence_density(stats.beta(a1, b1).pdf, stats.beta(a2, b2).pdf, support=(0, 1))
    assert got_c == pytest.approx(closed, rel=1e-7)
    assert kl_divergence_density(stats.beta(a1, b1), stats.beta(a2, b2), base=2) == pytest.approx(
        closed / LOG2, rel=1e-8)


def test_kl_density_callables_closed_form_and_asymmetry():
    # p = U(0,1), q(x) = 2x: KL = ∫ log(1/(2x)) dx = 1 − log 2; reverse: ∫ 2x log 2x = log 2 − ½.
    assert kl_divergence_density(lambda x: 1.0, lambda x: 2 * x, support=(0, 1)) == pytest.approx(
        1 - LOG2, rel=1e-9)
    assert kl_divergence_density(lambda x: 2 * x, lambda x: 1.0, support=(0, 1)) == pytest.approx(
        LOG2 - 0.5, rel=1e-9)


def test_kl_density_support_logic():
    # p inside q: KL(U(0.25, 0.5) ‖ U(0, 1)) = log(1 / 0.25) = log 4.
    assert kl_divergence_density(stats.uniform(0.25, 0.25), stats.uniform(0, 1)) == pytest.approx(
        math.log(4), rel=1e-10)
    # p has mass where q has none (partial overlap, or disjoint): +inf exactly
    assert kl_divergence_density(stats.uniform(0, 1), stats.uniform(0.5, 1)) == math.inf
    assert kl_divergence_density(stats.norm(0, 1), stats.uniform(0, 1)) == math.inf
    assert kl_divergence_density(stats.uniform(0, 1), stats.uniform(3, 1)) == math.inf
    # callables: q vanishes on part of p's support
    q = lambda x: 2.0 if x > 0.5 else 0.0
    assert kl_divergence_density(lambda x: 1.0, q, support=(0, 1)) == math.inf


def test_kl_density_divergent_tail_warns():
    # KL(Cauchy ‖ N(0,1)) = +inf (E_p x² diverges); quadrature cannot return that
    # from a tail integral, so it must say so instead of printing a quiet number.
    with pytest.warns(integrate.IntegrationWarning, match="divergent"):
        kl_divergence_density(stats.cauchy(), stats.norm())


def test_js_density_closed_forms_L2():
    # disjoint supports: log 2 exactly (from the supports, not quadrature)
    assert js_divergence_density(stats.uniform(0, 1), stats.uniform(1, 1)) == LOG2
    assert js_divergence_density(stats.uniform(0, 1), stats.uniform(5, 2), base=2) == 1.0
    # U(0,1) vs U(0.5,1.5): on the overlap p = q = m; outside, each side adds ½·½·log 2
    assert js_divergence_density(stats.uniform(0, 1), stats.uniform(0.5, 1)) == pytest.approx(
        0.5 * LOG2, rel=1e-10)
    assert js_divergence_density(stats.norm(1, 2), stats.norm(1, 2)) == pytest.approx(0, abs=1e-14)


def test_js_density_against_fine_grid_and_symmetry():
    # N(0,1) vs N(1, 2²): no closed form. Oracle: scipy's jensenshannon on pdf values
    # over a fine grid (midpoint rule, h = 1e-3 on smooth densities: error ~1e-7).
    p, q = stats.norm(0, 1), stats.norm(1, 2)
    h = 1e-3
    x = np.arange(-30, 30, h) + h / 2
    grid = jensenshannon(p.pdf(x), q.pdf(x)) ** 2
    got = js_divergence_density(p, q)
    assert got == pytest.approx(grid, rel=1e-6)
    assert js_divergence_density(q, p) == pytest.approx(got, rel=1e-10)
    assert 0 < got < LOG2


def test_js_density_narrow_peak_not_missed():
    # A peak 1e-4 wide at x = 3 under a unit normal: the supports overlap but the
    # mixture is almost separated, so JS is close to log 2 (by a fine-grid oracle).
    p, q = stats.norm(0, 1), stats.norm(3, 1e-4)
    got = js_divergence_density(p, q)
    x = np.concatenate([np.linspace(-40, 40, 400_001), np.linspace(3 - 1e-3, 3 + 1e-3, 200_001)])
    x.sort()
    lp, lq = p.logpdf(x), q.logpdf(x)
    lm = np.logaddexp(lp, lq) - LOG2
    f = 0.5 * (np.exp(lp) * (lp - lm) + np.exp(lq) * np.where(np.isfinite(lq), lq - lm, 0))
    assert got == pytest.approx(integrate.trapezoid(f, x), rel=1e-5)
    assert got > 0.68


def test_js_density_callables():
    # p = 1, q = 2x on (0,1); oracle: scipy quad of the definition in the test
    def f(x):
        pp, qq = 1.0, 2 * x
        m = (pp + qq) / 2
        return 0.5 * pp * math.log(pp / m) + (0.5 * qq * math.log(qq / m) if qq > 0 else 0.0)

    ref = integrate.quad(f, 0, 1, epsabs=1e-14)[0]
    assert js_divergence_density(lambda x: 1.0, lambda x: 2 * x, support=(0, 1)) == pytest.approx(
        ref, rel=1e-9)


@pytest.mark.parametrize("func", [kl_divergence_density, js_divergence_density])
def test_density_bad_input(func):
    n = stats.norm(0, 1)
    with pytest.raises(ValueError, match="support"):
        func(lambda x: 1.0, lambda x: 1.0)  # callables need a support
    with pytest.raises(ValueError, match="support"):
        func(n, stats.norm(1, 1), support=(0, 1))  # frozen ones carry their own
    with pytest.raises(ValueError, match="support"):
        func(lambda x: 1.0, lambda x: 1.0, support=(1, 0))
    with pytest.raises(ValueError, match="support"):
        func(lambda x: 1.0, lambda x: 1.0, support=(0, math.inf))
    with pytest.raises(ValueError, match="support"):
        func(lambda x: 1.0, lambda x: 1.0, support=(0, 1, 2))
    with pytest.raises(TypeError, match="discrete"):
        func(stats.poisson(3), n)
    with pytest.raises(TypeError, match="frozen scipy.stats"):
        func([0.5, 0.5], n)
    with pytest.raises(ValueError, match="pdf must be finite and >= 0"):
        func(lambda x: -1.0, lambda x: 1.0, support=(0, 1))
    with pytest.raises(ValueError, match="base"):
        func(n, n, base=1)
    with pytest.raises(ValueError, match="base"):
        func(n, n, base=0.5)


# ----------------------------------------------------------------- Gaussian forms
def test_gaussian_kl_multivariate_invariances():
    # Independent coordinates: KL adds over them (diagonal covariances).
    mp, vp = np.array([0.0, 1.0, -2.0]), np.array([1.0, 0.5, 3.0])
    mq, vq = np.array([0.5, 0.0, 0.0]), np.array([2.0, 0.5, 1.0])
    additive = sum(gaussian_kl(a, b, c, d) for a, b, c, d in zip(mp, vp, mq, vq))
    assert gaussian_kl(mp, np.diag(vp), mq, np.diag(vq)) == pytest.approx(additive, rel=1e-13)
    # A common rotation and shift leave KL unchanged.
    rng = np.random.default_rng(7)
    rot, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    a = rng.normal(size=(3, 3))
    b = rng.normal(size=(3, 3))
    sp, sq = a @ a.T + 0.1 * np.eye(3), b @ b.T + 0.1 * np.eye(3)
    v = gaussian_kl(mp, sp, mq, sq)
    shift = np.array([3.0, -1.0, 2.0])
    moved = gaussian_kl(rot @ mp + shift, rot @ sp @ rot.T, rot @ mq + shift, rot @ sq @ rot.T)
    assert moved == pytest.approx(v, rel=1e-10)
    # Asymmetric (L1) and zero on equal arguments.
    assert abs(gaussian_kl(mq, sq, mp, sp) - v) > 1e-3
    assert gaussian_kl(mp, sp, mp, sp) == pytest.approx(0.0, abs=1e-13)


def test_gaussian_kl_2d_against_monte_carlo():
    # E_p[log p − log q] by Monte Carlo with 4e5 draws: standard error ~ sd/630; the
    # tolerance is 5 standard errors, computed from the draws.
    mp, sp = np.array([0.0, 0.0]), np.array([[1.0, 0.3], [0.3, 0.5]])
    mq, sq = np.array([0.5, -0.2]), np.array([[2.0, -0.4], [-0.4, 1.0]])
    x = stats.multivariate_normal(mp, sp).rvs(400_000, random_state=np.random.default_rng(8))
    d = stats.multivariate_normal(mp, sp).logpdf(x) - stats.multivariate_normal(mq, sq).logpdf(x)
    se = d.std() / math.sqrt(d.size)
    assert abs(gaussian_kl(mp, sp, mq, sq) - d.mean()) < 5 * se


@pytest.mark.parametrize(
    "mp, vp, mq, vq", [(0, 1, 0, 4), (0, 1, 2.5, 1), (1, 0.3, -0.5, 2), (0, 2, 0.1, 0.02)]
)
def test_gaussian_w1_against_quantile_integral_and_scipy(mp, vp, mq, vq):
    sp, sq = math.sqrt(vp), math.sqrt(vq)
    # W1 = ∫_0^1 |F_p⁻¹(u) − F_q⁻¹(u)| du, quad with scipy's ppf (tails are integrable);
    # the kink where the quantile functions cross, Φ(−Δμ/Δσ), is a breakpoint.
    kink = [stats.norm.cdf(-(mq - mp) / (sq - sp))] if sq != sp else None
    ref = integrate.quad(lambda u: abs(stats.norm.ppf(u, mp, sp) - stats.norm.ppf(u, mq, sq)),
                         0, 1, points=kink, limit=200, epsabs=1e-12)[0]
    assert gaussian_w1(mp, vp, mq, vq) == pytest.approx(ref, rel=1e-8)
    # scipy's empirical W1 on 2e5 midpoint quantiles: discretisation error O(log N / N)
    u = (np.arange(200_000) + 0.5) / 200_000
    emp = stats.wasserstein_distance(stats.norm.ppf(u, mp, sp), stats.norm.ppf(u, mq, sq))
    assert gaussian_w1(mp, vp, mq, vq) == pytest.approx(emp, rel=1e-3)
    assert gaussian_w1(mq, vq, mp, vp) == gaussian_w1(mp, vp, mq, vq)  # symmetry


def test_gaussian_w1_equal_variances_and_bound():
    assert gaussian_w1(1.0, 2.0, -1.5, 2.0) == 2.5  # b = 0: W1 = |Δμ|
    # W1 <= W2 (Jensen)
    assert gaussian_w1(0, 1, 1, 3) <= gaussian_w2(0, 1, 1, 3)


def test_gaussian_w2_1d_against_quantile_integral():
    mp, vp, mq, vq = 0.5, 2.0, -1.0, 0.3
    sp, sq = math.sqrt(vp), math.sqrt(vq)
    w2sq = integrate.quad(lambda u: (stats.norm.ppf(u, mp, sp) - stats.norm.ppf(u, mq, sq)) ** 2,
                          0, 1, limit=200, epsabs=1e-12)[0]
    assert gaussian_w2(mp, vp, mq, vq) == pytest.approx(math.sqrt(w2sq), rel=1e-8)
    assert gaussian_w2(mp, vp, mq, vq) == pytest.approx(math.hypot(mp - mq, sp - sq), rel=1e-14)


def test_gaussian_w2_multivariate_against_pot_and_invariances():
    ot_gaussian = pytest.importorskip("ot.gaussian")
    rng = np.random.default_rng(9)
    a, b = rng.normal(size=(2, 4, 4))
    sp, sq = a @ a.T + 0.05 * np.eye(4), b @ b.T + 0.05 * np.eye(4)
    mp, mq = rng.normal(size=4), rng.normal(size=4)
    got = gaussian_w2(mp, sp, mq, sq)
    pot = float(ot_gaussian.bures_wasserstein_distance(mp, mq, sp, sq))
    assert got == pytest.approx(pot, rel=1e-8)
    # commuting (diagonal) covariances: W2² = |Δμ|² + Σ(√a − √b)²
    da, db = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    m1, m2 = np.array([1.0, 0, 0]), np.array([0, 2.0, 0])
    expected = math.sqrt(5.0 + float(((np.sqrt(da) - np.sqrt(db)) ** 2).sum()))
    assert gaussian_w2(m1, np.diag(da), m2, np.diag(db)) == pytest.approx(expected, rel=1e-12)
    # symmetry and rotation invariance
    assert gaussian_w2(mq, sq, mp, sp) == pytest.approx(got, rel=1e-10)
    rot, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    moved = gaussian_w2(rot @ mp, rot @ sp @ rot.T, rot @ mq, rot @ sq @ rot.T)
    assert moved == pytest.approx(got, rel=1e-9)
    # degenerate (rank-1) covariances are allowed: two segments in the plane, as 1-D
    line = np.array([[1.0, 0.0], [0.0, 0.0]])
    segments = gaussian_w2([0, 0], line, [0, 0.5], 4 * line)
    assert segments == pytest.approx(math.hypot(0.5, 1.0), rel=1e-12)


@pytest.mark.parametrize(
    "args, match",
    [
        ((0.0, 0.0, 0.0, 1.0), "variance"),
        ((0.0, -1.0, 0.0, 1.0), "variance"),
        ((np.nan, 1.0, 0.0, 1.0), "finite"),
        ((0.0, np.inf, 0.0, 1.0), "finite"),
        (([0, 0], [[1, 0], [0, 1]], [0, 0, 0], np.eye(3)), "dimension"),
        (([0, 0], np.eye(3), [0, 0], np.eye(2)), "shape"),
        (([0, 0], [[1, 2], [0, 1]], [0, 0], np.eye(2)), "symmetric"),
        (([0, 0], [[1, 2], [2, 1]], [0, 0], np.eye(2)), "positive"),
        ((0.0, np.eye(2), 0.0, 1.0), "scalar variance"),
        ((np.zeros((2, 2)), np.eye(2), 0.0, 1.0), "1-D vector"),
    ],
)
def test_gaussian_kl_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        gaussian_kl(*args)


def test_gaussian_w_bad_input():
    with pytest.raises(ValueError, match="semi-definite"):
        gaussian_w2([0, 0], [[1, 2], [2, 1]], [0, 0], np.eye(2))
    with pytest.raises(ValueError, match="variance"):
        gaussian_w2(0.0, -1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="1-D"):
        gaussian_w1([0, 0], np.eye(2), [0, 0], np.eye(2))
    with pytest.raises(ValueError, match="variance"):
        gaussian_w1(0.0, -0.5, 0.0, 1.0)
    with pytest.raises(TypeError):
        gaussian_w1("a", 1.0, 0.0, 1.0)
    # zero variance is a point mass: allowed for the Wasserstein forms
    assert gaussian_w1(0.0, 0.0, 3.0, 0.0) == 3.0
    assert gaussian_w2(0.0, 0.0, 0.0, 4.0) == 2.0
