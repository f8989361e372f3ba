"""Exact Wasserstein distances: closed forms, scipy / POT oracles, invariances, bad input.

Tolerances: the 1-D values are sums of at most n + m terms, each exact up to one
or two roundings, so two exact algorithms (ours, scipy's CDF form, POT's) differ
by at most ~ (n + m) * eps * span of the data; with n + m <= 2000 that is
< 1e-12 * span, and the tests use 1e-11 * span (absolute) or 1e-12 relative
where the value is of the order of the span.
"""
import math

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

import divgan._ot
import divgan.wasserstein as W
from divgan.wasserstein import (
    OptimalTransportError,
    TransportResult,
    earth_movers_distance,
    kantorovich_potential_1d,
    sliced_wasserstein,
    transport_plan,
    wasserstein_1d,
    wasserstein_1d_shifts,
    wasserstein_distance,
)

ot = pytest.importorskip("ot")
EPS = np.finfo(float).eps
PS = [1, 1.5, 2, 3]
HYP = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _atol(*arrays):
    span = max(np.ptp(np.concatenate([np.ravel(a) for a in arrays])), 1.0)
    return 1e-11 * span


def _ot_1d(u, v, wu=None, wv=None, p=1):
    """POT's 1-D W_p: ``ot.wasserstein_1d`` returns W_p**p and wants normalised weights."""
    wu = None if wu is None else np.asarray(wu, float) / np.sum(wu)
    wv = None if wv is None else np.asarray(wv, float) / np.sum(wv)
    return float(ot.wasserstein_1d(np.asarray(u, float), np.asarray(v, float), wu, wv, p=p)) ** (1 / p)


# ------------------------------------------------------------------ closed forms
@pytest.mark.parametrize("p", PS + [math.inf])
def test_point_masses_are_their_distance_apart(p):
    # W_p(delta_a, delta_b) = |a - b| for every p: the only coupling moves all mass by |a - b|.
    # (|d|**p)**(1/p) rounds twice in libm's pow: 1e-15 relative.
    assert wasserstein_1d([2.5], [-1.0], p=p) == pytest.approx(3.5, rel=1e-15)
    assert wasserstein_1d([2.5, 2.5, 2.5], [-1.0, -1.0], p=p) == pytest.approx(3.5, rel=1e-15)


@pytest.mark.parametrize("p", PS + [math.inf])
def test_shifted_samples_are_shift_apart(p):
    # The quantile coupling pairs u_i with u_i + c, so W_p = |c| exactly; each
    # difference (u_i + c) - u_i carries one rounding of relative size eps * |u_i| / |c|.
    u = np.random.default_rng(0).standard_normal(1000)
    for c in (0.3, -2.0):
        assert wasserstein_1d(u, u + c, p=p) == pytest.approx(abs(c), rel=1e-13)


def test_lecture_piles_are_five_shovels_and_half_per_unit_mass():
    # L11: delta = 0, 2, 2, -1, 0 so W = 5 shovel-steps; the totals are 10, so 0.5 per unit mass.
    P, Q = [3, 2, 1, 4], [1, 2, 4, 3]
    assert earth_movers_distance(P, Q) == 5.0
    assert earth_movers_distance(np.divide(P, 10), np.divide(Q, 10)) == pytest.approx(0.5, rel=1e-15)
    x = [0.0, 1.0, 2.0, 3.0]
    assert wasserstein_1d(x, x, P, Q) == pytest.approx(0.5, rel=1e-15)
    assert st.wasserstein_distance(x, x, P, Q) == pytest.approx(0.5, rel=1e-15)  # the oracle agrees


def test_normals_via_quantiles_match_closed_forms():
    # Samples at the midpoint quantiles (i + 1/2)/n of N(m, s^2) converge to the normal;
    # W_2^2 = dm^2 + ds^2 (Gaussian W2) and W_1 = E|dm + ds Z| (folded normal mean).
    # The midpoint rule misses tail mass of order log(n)/n (about 6e-5 at n = 2e5): tol 1e-3.
    n = 200_000
    z = st.norm.ppf((np.arange(n) + 0.5) / n)
    m1, s1, m2, s2 = 0.3, 1.0, -0.4, 2.0
    u, v = m1 + s1 * z, m2 + s2 * z
    rng = np.random.default_rng(0)
    u, v = rng.permutation(u), rng.permutation(v)  # the function must sort
    dm, ds = m1 - m2, s1 - s2
    w2 = math.sqrt(dm**2 + ds**2)
    w1 = abs(ds) * math.sqrt(2 / math.pi) * math.exp(-dm**2 / (2 * ds**2)) + dm * (
        1 - 2 * st.norm.cdf(-dm / abs(ds)))
    assert wasserstein_1d(u, v, p=2) == pytest.approx(w2, rel=1e-3)
    assert wasserstein_1d(u, v, p=1) == pytest.approx(w1, rel=1e-3)


def test_parallel_lines_are_theta_apart():
    # L13: P on x = 0, Q on x = theta with the same heights: moving each point sideways
    # costs |theta| and no coupling can do better (horizontal distance >= |theta|).
    rng = np.random.default_rng(1)
    y = rng.uniform(size=200)
    for theta in (0.0, 0.25, -1.0):
        x_p = np.column_stack([np.zeros_like(y), y])
        x_q = np.column_stack([np.full_like(y, theta), rng.permutation(y)])
        assert wasserstein_distance(x_p, x_q) == pytest.approx(abs(theta), abs=1e-12)
        assert wasserstein_distance(x_p, x_q, p=2) == pytest.approx(abs(theta), abs=1e-7)


# ------------------------------------------------------------------ other libraries
@pytest.mark.parametrize("n, m", [(1, 7), (50, 50), (300, 211), (64, 1000)])
def test_matches_scipy_unweighted_and_weighted(n, m):
    rng = np.random.default_rng(n * 1000 + m)
    u, v = rng.standard_normal(n), 1.5 * rng.standard_normal(m) + 0.2
    wu, wv = rng.random(n), rng.random(m)
    tol = _atol(u, v)
    assert wasserstein_1d(u, v) == pytest.approx(st.wasserstein_distance(u, v), abs=tol)
    assert wasserstein_1d(u, v, wu, wv) == pytest.approx(
        st.wasserstein_distance(u, v, wu, wv), abs=tol)


@pytest.mark.parametrize("p", [1.5, 2, 3])
def test_matches_pot_for_p_above_one(p):
    rng = np.random.default_rng(7)
    u, v = rng.standard_normal(200), rng.exponential(size=150)
    wu, wv = rng.random(200), rng.random(150)
    tol = _atol(u, v)
    assert wasserstein_1d(u, v, p=p) == pytest.approx(_ot_1d(u, v, p=p), abs=tol)
    assert wasserstein_1d(u, v, wu, wv, p=p) == pytest.approx(_ot_1d(u, v, wu, wv, p=p), abs=tol)
    # and the network simplex on the same 1-D clouds (a third, unrelated algorithm)
    M = np.abs(u[:, None] - v[None, :]) ** p
    exact = ot.emd2(wu / wu.sum(), wv / wv.sum(), M, numItermax=10**7) ** (1 / p)
    assert wasserstein_1d(u, v, wu, wv, p=p) == pytest.approx(exact, rel=1e-10)


def test_w_inf_is_the_largest_quantile_gap():
    # W_inf = max over quantile levels of |F_u^-1 - F_v^-1|, computed here on a fine grid of levels
    # (a naive reference); zero-weight atoms carry no mass and must not count.
    rng = np.random.default_rng(3)
    u, v = rng.standard_normal(40), rng.standard_normal(30)
    t = (np.arange(120_000) + 0.5) / 120_000  # every level interval here is wider than 1/1200
    ref = np.max(np.abs(np.quantile(u, t, method="inverted_cdf")
                        - np.quantile(v, t, method="inverted_cdf")))
    assert wasserstein_1d(u, v, p=math.inf) == ref
    wu = np.ones(40)
    wu[np.argmax(u)] = 0.0  # hide the largest sample
    assert wasserstein_1d(u, v, wu, None, p=math.inf) <= ref
    assert wasserstein_1d(u, v, wu, None, p=math.inf) == wasserstein_1d(
        np.delete(u, np.argmax(u)), v, p=math.inf)
    # W_p increases to W_inf as p grows
    assert wasserstein_1d(u, v, p=64) <= ref + 1e-12
    assert wasserstein_1d(u, v, p=64) > 0.9 * ref


# ------------------------------------------------------------------ invariances
@pytest.mark.parametrize("p", PS)
def test_invariances(p):
    rng = np.random.default_rng(11)
    u, v = rng.standard_normal(120), rng.gamma(2.0, size=90)
    wu, wv = rng.random(120), rng.random(90)
    w = wasserstein_1d(u, v, wu, wv, p=p)
    rel = 1e-12
    assert wasserstein_1d(v, u, wv, wu, p=p) == pytest.approx(w, rel=rel)  # symmetry
    assert wasserstein_1d(u + 7.0, v + 7.0, wu, wv, p=p) == pytest.approx(w, rel=1e-11)  # shift
    assert wasserstein_1d(3 * u, 3 * v, wu, wv, p=p) == pytest.approx(3 * w, rel=rel)  # scaling
    assert wasserstein_1d(-u, -v, wu, wv, p=p) == pytest.approx(w, rel=rel)  # reflection
    pu, pv = rng.permutation(120), rng.permutation(90)
    assert wasserstein_1d(u[pu], v[pv], wu[pu], wv[pv], p=p) == pytest.approx(w, rel=rel)
    assert wasserstein_1d(u, v, 5 * wu, wv / 3, p=p) == pytest.approx(w, rel=rel)  # normalised
    # duplicating samples leaves the distribution unchanged; so does integer weight 2
    assert wasserstein_1d(np.tile(u, 2), v, np.tile(wu, 2), wv, p=p) == pytest.approx(w, rel=rel)
    w0 = wasserstein_1d(u, v, p=p)
    assert wasserstein_1d(np.repeat(u, 3), v, p=p) == pytest.approx(w0, rel=rel)
    assert wasserstein_1d(u, v, np.full(120, 2.0), None, p=p) == pytest.approx(w0, rel=rel)


@HYP
@given(seed=hs.integers(0, 2**32 - 1), p=hs.sampled_from(PS + [math.inf]),
       n=hs.integers(1, 40), m=hs.integers(1, 40), k=hs.integers(1, 40))
def test_triangle_inequality(seed, p, n, m, k):
    # W_p is a metric on distributions: W(a, c) <= W(a, b) + W(b, c) (rounding: 1e-12 * span).
    rng = np.random.default_rng(seed)
    a, b, c = rng.standard_normal(n), rng.standard_normal(m) * 2, rng.uniform(-3, 3, k)
    wa, wb, wc = rng.random(n) + 0.01, rng.random(m) + 0.01, rng.random(k) + 0.01
    lhs = wasserstein_1d(a, c, wa, wc, p=p)
    rhs = wasserstein_1d(a, b, wa, wb, p=p) + wasserstein_1d(b, c, wb, wc, p=p)
    assert lhs <= rhs + 1e-12 * 10


@HYP
@given(seed=hs.integers(0, 2**32 - 1), n=hs.integers(1, 60), m=hs.integers(1, 60),
       ties=hs.booleans(), zeros=hs.booleans())
def test_agrees_with_scipy_and_pot_on_random_weighted_input(seed, n, m, ties, zeros):
    rng = np.random.default_rng(seed)
    u, v = rng.standard_normal(n), rng.standard_normal(m) + rng.uniform(-1, 1)
    if ties:  # rounded values create ties within and across the samples
        u, v = np.round(u, 1), np.round(v, 1)
    wu, wv = rng.random(n), rng.random(m)
    if zeros and n > 1:
        wu[rng.integers(n)] = 0.0
    tol = _atol(u, v)
    assert wasserstein_1d(u, v, wu, wv) == pytest.approx(st.wasserstein_distance(u, v, wu, wv), abs=tol)
    assert wasserstein_1d(u, v, wu, wv, p=2) == pytest.approx(_ot_1d(u, v, wu, wv, p=2), abs=tol)
    assert wasserstein_1d(u, v) == pytest.approx(st.wasserstein_distance(u, v), abs=tol)


@HYP
@given(seed=hs.integers(0, 2**32 - 1), p=hs.sampled_from(PS + [math.inf]),
       weighted=hs.booleans())
def test_batch_equals_loop(seed, p, weighted):
    rng = np.random.default_rng(seed)
    U, V = rng.standard_normal((3, 1, 17)), rng.standard_normal((4, 9))  # batch (3, 4)
    WU = rng.random(U.shape) if weighted else None
    WV = rng.random(V.shape) if weighted else None
    out = wasserstein_1d(U, V, WU, WV, p=p)
    assert out.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            ref = wasserstein_1d(U[i, 0], V[j], None if WU is None else WU[i, 0],
                                 None if WV is None else WV[j], p=p)
            assert out[i, j] == ref  # same kernel, same numbers: bit-identical


def test_batched_weights_one_side_and_non_contiguous_input():
    rng = np.random.default_rng(5)
    U = rng.standard_normal((20, 6)).T  # (6, 20), Fortran-ordered view
    v = rng.standard_normal(15)
    wv = rng.random(15)
    out = wasserstein_1d(U, v, None, wv, p=2)
    ref = [_ot_1d(U[i], v, None, wv, p=2) for i in range(6)]
    np.testing.assert_allclose(out, ref, rtol=0, atol=_atol(U, v))


# ------------------------------------------------------------------ shifts
@pytest.mark.parametrize("p", PS + [math.inf])
def test_shifts_equal_direct_calls(p):
    rng = np.random.default_rng(2)
    u, v = rng.standard_normal(300), rng.standard_normal(170)
    shifts = np.linspace(-2, 2, 9).reshape(3, 3)
    out = wasserstein_1d_shifts(u, v, shifts, p=p)
    ref = np.array([wasserstein_1d(u, v + s, p=p) for s in shifts.ravel()]).reshape(3, 3)
    np.testing.assert_allclose(out, ref, rtol=1e-13)  # v + s is formed the same way in both
    # closed form: W_p(u, u + theta) = |theta|
    np.testing.assert_allclose(wasserstein_1d_shifts(u, u, [-1.5, 0.0, 0.7], p=p),
                               [1.5, 0.0, 0.7], atol=1e-13)


# ------------------------------------------------------------------ piles on a grid
def test_piles_match_naive_and_scipy():
    rng = np.random.default_rng(4)
    N = 10_001  # odd: exercises the kernel's tail loop
    p = rng.random(N)
    q = rng.random(N)
    q *= p.sum() / q.sum()
    x = np.cumsum(rng.uniform(0.1, 1.0, N))
    naive = math.fsum(np.abs(np.cumsum(p - q)[:-1]))  # the lecture's recursion, summed exactly
    assert earth_movers_distance(p, q) == pytest.approx(naive, rel=1e-9)
    # scipy's W1 between the normalised piles, times the total mass, is the work
    ref = st.wasserstein_distance(x, x, p, q) * p.sum()
    assert earth_movers_distance(p, q, positions=x) == pytest.approx(ref, rel=1e-9)
    # invariances: symmetry, mass scaling, reversal of the grid, positions scaled
    w = earth_movers_distance(p, q, positions=x)
    assert earth_movers_distance(q, p, positions=x) == pytest.approx(w, rel=1e-12)
    assert earth_movers_distance(3 * p, 3 * q, positions=x) == pytest.approx(3 * w, rel=1e-12)
    assert earth_movers_distance(p[::-1], q[::-1], positions=-x[::-1]) == pytest.approx(w, rel=1e-9)
    assert earth_movers_distance(p, q, positions=2 * x) == pytest.approx(2 * w, rel=1e-12)


@pytest.mark.parametrize("N", [1, 2, 3, 4, 5, 6, 7])
def test_piles_small_lengths_match_recursion(N):
    # tiny grids (under one block of 8 chains) take the serial tail; integer masses are exact
    rng = np.random.default_rng(N)
    p = rng.integers(0, 9, N).astype(float)
    p[0] += 1
    q = rng.permutation(p)
    naive = float(np.abs(np.cumsum(p - q))[:-1].sum())
    assert earth_movers_distance(p, q) == naive
    assert earth_movers_distance(p, q, positions=np.arange(N) * 2.0) == 2 * naive


def test_piles_negative_zero_is_accepted():
    assert earth_movers_distance([-0.0, 1.0], [1.0, -0.0]) == 1.0


@pytest.mark.parametrize("N", [8, 9, 16, 17, 1024, 1025, 1026, 1033, 3 * 1024 + 5, 50_000])
def test_piles_blocks_match_fsum(N):
    # the unit-grid kernel runs 8 chains over blocks of 8 runs and a serial tail: lengths
    # around the block size (1024) and partial blocks; reference: exact sum of the recursion
    rng = np.random.default_rng(N)
    p = rng.random(N)
    q = rng.random(N)
    p[rng.random(N) < 0.2] = 0.0
    q *= p.sum() / q.sum()
    naive = math.fsum(np.abs(np.cumsum(p - q)[:-1]))
    assert earth_movers_distance(p, q) == pytest.approx(naive, rel=1e-12)
    # integer masses: every partial sum is exact, so the blocked sum is too
    a = rng.integers(0, 5, N).astype(float)
    a[0] += 1.0
    b = rng.permutation(a)
    assert earth_movers_distance(a, b) == float(np.abs(np.cumsum(a - b))[:-1].sum())


@pytest.mark.parametrize("where", [0, 1023, 1024, 5000, 9999])
@pytest.mark.parametrize("bad, message", [(-1e-3, "non-negative"), (np.nan, "finite"),
                                          (np.inf, "finite")])
def test_piles_bad_entry_anywhere_is_named(where, bad, message):
    # the one-pass checks must see entries in every block and in the tail
    p = np.full(10_000, 1.0)
    for first, second in ((p.copy(), p), (p, p.copy())):
        target = first if first is not p else second
        target[where] = bad
        name = "p" if target is first else "q"
        with pytest.raises(ValueError, match=f"{name} must be {message}.*index {where}"):
            earth_movers_distance(first, second)


def test_piles_totals_at_the_tolerance_edge():
    # totals within the tolerance but outside the fast path's margin still pass (checked
    # by as_piles); beyond the tolerance they are refused, on the fast path or not
    N = 4096
    rtol = max(1e-12, 4.0 * N * EPS)
    p = np.full(N, 1.0)
    q = p.copy()
    q[-1] += 0.8 * rtol * N  # the total of q is N (1 + 0.8 rtol)
    naive = math.fsum(np.abs(np.cumsum(p - q)[:-1]))
    assert earth_movers_distance(p, q) == naive == 0.0
    q[0] += 0.8 * rtol * N  # now the imbalance is 1.6 rtol: refused
    with pytest.raises(ValueError, match="same total mass"):
        earth_movers_distance(p, q)


# ------------------------------------------------------------------ point clouds
def _linprog_ot(a, b, M):
    """Exact OT cost by scipy's HiGHS linear program (an algorithm independent of POT's
    network simplex): min <G, M> subject to G 1 = a, G^T 1 = b, G >= 0."""
    from scipy.optimize import linprog

    n, m = M.shape
    rows = np.kron(np.eye(n), np.ones(m))  # row sums
    cols = np.kron(np.ones(n), np.eye(m))  # column sums
    res = linprog(M.ravel(), A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([a, b]),
                  bounds=(0, None), method="highs")
    assert res.status == 0, res.message
    return float(res.fun)


@pytest.mark.parametrize("p", [1, 2, 1.5])
def test_transport_plan_matches_pot_and_certifies(p):
    # (docs/theory.md cites this name; the oracle is now scipy's linprog, not POT)
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal((30, 3)), rng.standard_normal((25, 3)) + 0.5
    a, b = rng.random(30), rng.random(25)
    res = transport_plan(x, y, a, b, p=p)
    assert isinstance(res, TransportResult)
    an, bn = a / a.sum(), b / b.sum()
    M = np.linalg.norm(x[:, None] - y[None], axis=-1) ** p  # naive cost matrix
    # HiGHS solves to its default tolerances (primal/dual feasibility 1e-7 on masses of
    # ~1/30): 1e-7 relative on the cost is what the LP guarantees, not more.
    ref = _linprog_ot(an, bn, M)
    assert res.cost == pytest.approx(ref, rel=1e-7)
    assert res.value == pytest.approx(ref ** (1 / p), rel=1e-7)
    assert wasserstein_distance(x, y, a, b, p=p) == res.value
    # L12: the plan is a coupling of a and b (flows are sums of <= n + m masses: 1e-14)
    np.testing.assert_allclose(res.plan.sum(axis=1), an, atol=1e-14)
    np.testing.assert_allclose(res.plan.sum(axis=0), bn, atol=1e-14)
    assert (res.plan >= 0).all()
    # strong duality and dual feasibility, recomputed here
    u, v = res.potentials
    dual = an @ u + bn @ v
    assert math.isclose(float(np.sum(res.plan * M)), dual, rel_tol=1e-12)
    assert (u[:, None] + v[None, :] - M).max() <= 1e-12 * M.max()
    assert abs(res.dual_gap) <= res.tolerance


def test_point_cloud_distance_in_1d_takes_the_sorted_path():
    # d = 1 goes through the sorted formula; oracles: scipy (p = 1) and POT's network
    # simplex on the 1-D cost matrix (p = 2), both computed here.
    rng = np.random.default_rng(9)
    u, v = rng.standard_normal(80), rng.standard_normal(50)
    a, b = rng.random(80), rng.random(50)
    assert wasserstein_distance(u, v) == pytest.approx(st.wasserstein_distance(u, v), rel=1e-12)
    assert wasserstein_distance(u, v, a, b) == pytest.approx(
        st.wasserstein_distance(u, v, a, b), rel=1e-12)
    M = (u[:, None] - v[None, :]) ** 2
    ref = math.sqrt(ot.emd2(np.full(80, 1 / 80), np.full(50, 1 / 50), M, numItermax=10**7))
    assert wasserstein_distance(u[:, None], v[:, None], p=2) == pytest.approx(ref, rel=1e-10)
    # W_inf is allowed in 1-D: the largest gap between the quantile functions
    assert wasserstein_distance([0.0, 1.0], [0.5, 3.0], p=math.inf) == 2.0


def test_point_cloud_invariances():
    rng = np.random.default_rng(10)
    x, y = rng.standard_normal((30, 2)), rng.standard_normal((25, 2))
    w = wasserstein_distance(x, y)
    R = np.array([[0.6, -0.8], [0.8, 0.6]])  # rotation: Euclidean distances unchanged
    assert wasserstein_distance(x @ R.T + 3, y @ R.T + 3) == pytest.approx(w, rel=1e-12)
    assert wasserstein_distance(y, x) == pytest.approx(w, rel=1e-12)
    assert wasserstein_distance(2 * x, 2 * y) == pytest.approx(2 * w, rel=1e-12)
    assert wasserstein_distance(np.tile(x, (2, 1)), y) == pytest.approx(w, rel=1e-12)


def test_zero_weight_points_are_ignored():
    rng = np.random.default_rng(12)
    x, y = rng.standard_normal((20, 2)), rng.standard_normal((15, 2))
    a = np.ones(21)
    a[-1] = 0.0
    far = np.vstack([x, [[100.0, 100.0]]])
    res = transport_plan(far, y, a, None)
    assert res.value == pytest.approx(wasserstein_distance(x, y), rel=1e-12)
    assert res.plan[-1].sum() == 0.0


def test_iteration_cap_raises_instead_of_a_suboptimal_value(monkeypatch):
    # With a cap of 10 pivots POT returns a plan with only a warning (result code 3);
    # we must raise. POT itself, for comparison, returns a wrong number.
    rng = np.random.default_rng(13)
    x, y = rng.standard_normal((40, 2)), rng.standard_normal((40, 2))
    M = np.linalg.norm(x[:, None] - y[None], axis=-1)
    with pytest.warns(UserWarning, match="numItermax"):
        pot_value = ot.emd2([], [], M, numItermax=10)
    # POT's capped answer is wrong (its plan is not even a coupling yet); the optimum
    # from scipy's linear program, an independent solver
    assert pot_value != pytest.approx(_linprog_ot(np.full(40, 1 / 40), np.full(40, 1 / 40), M),
                                      rel=1e-3)
    monkeypatch.setattr(divgan._ot, "_max_iterations", lambda n, m: 10)
    with pytest.raises(OptimalTransportError, match="did not reach optimality"):
        wasserstein_distance(x, y)
    with pytest.raises(RuntimeError):
        transport_plan(x, y)


def test_certificate_catches_a_feasible_but_suboptimal_plan(monkeypatch):
    # Even if POT said 'optimal', a plan that is not optimal must be refused: here the
    # independent coupling a b^T (feasible, not optimal) with POT's own optimal potentials.
    real_emd = ot.emd

    def fake(a, b, M, **kw):
        _plan, log = real_emd(a, b, M, **kw)
        return np.outer(a, b), log

    monkeypatch.setattr(ot, "emd", fake)
    rng = np.random.default_rng(14)
    with pytest.raises(OptimalTransportError, match="certificate"):
        transport_plan(rng.standard_normal((10, 2)), rng.standard_normal((12, 2)))


# ------------------------------------------------------------------ sliced
@pytest.mark.parametrize("p", [1, 2])
def test_sliced_matches_pot_at_same_projections(p):
    rng = np.random.default_rng(15)
    x, y = rng.standard_normal((300, 3)), rng.standard_normal((200, 3)) * 1.3
    a, b = rng.random(300), rng.random(200)
    L, seed = 64, 123
    ours = sliced_wasserstein(x, y, p=p, n_projections=L, seed=seed)
    # rebuild the documented directions: normalised Gaussians from default_rng(seed)
    theta = np.random.default_rng(seed).standard_normal((L, 3))
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    ref = ot.sliced_wasserstein_distance(x, y, p=p, projections=theta.T)
    assert ours == pytest.approx(float(ref), rel=1e-12)
    ours_w = sliced_wasserstein(x, y, a, b, p=p, n_projections=L, seed=seed)
    ref_w = ot.sliced_wasserstein_distance(x, y, a / a.sum(), b / b.sum(), p=p, projections=theta.T)
    assert ours_w == pytest.approx(float(ref_w), rel=1e-10)


def test_sliced_closed_form_and_invariances():
    # Point masses at 0 and z in R^d: SW_2^2 = E[(theta . z)^2] = |z|^2 / d for theta uniform on
    # the sphere. With L = 20000 directions the Monte-Carlo mean of (theta.z)^2 / |z|^2 (values in
    # [0, 1], variance 2(d-1)/(d^2(d+2)) = 0.08 for d = 2) has sd 0.002: 5 sd -> rel 0.02.
    z = np.array([[3.0, 4.0]])
    sw = sliced_wasserstein([[0.0, 0.0]], z, p=2, n_projections=20000, seed=1)
    assert sw == pytest.approx(5 / math.sqrt(2), rel=0.02)
    rng = np.random.default_rng(16)
    x, y = rng.standard_normal((50, 2)), rng.standard_normal((40, 2))
    s = sliced_wasserstein(x, y, seed=3)
    assert sliced_wasserstein(x + 5, y + 5, seed=3) == pytest.approx(s, rel=1e-12)
    assert sliced_wasserstein(2 * x, 2 * y, seed=3) == pytest.approx(2 * s, rel=1e-12)
    assert sliced_wasserstein(x, x, seed=3) == 0.0
    # every slice is a 1-Lipschitz image, so SW_p <= W_p
    assert sliced_wasserstein(x, y, p=2, seed=3) <= wasserstein_distance(x, y, p=2) + 1e-12
    # p = inf: the largest W_inf over the slices, the limit of the power mean
    assert sliced_wasserstein(x, y, p=math.inf, seed=3) >= sliced_wasserstein(x, y, p=8, seed=3)


# ------------------------------------------------------------------ Kantorovich potential
@pytest.mark.parametrize("weighted", [False, True])
def test_kantorovich_potential_attains_w1(weighted):
    # L15: E_u f - E_v f = W1 for the optimal critic; the oracle is scipy's W1.
    rng = np.random.default_rng(17)
    u, v = rng.standard_normal(200), rng.standard_normal(150) * 0.5 + 1
    wu = rng.random(200) if weighted else None
    wv = rng.random(150) if weighted else None
    fu = kantorovich_potential_1d(u, v, u, u_weights=wu, v_weights=wv)
    fv = kantorovich_potential_1d(u, v, v, u_weights=wu, v_weights=wv)
    gap = np.average(fu, weights=wu) - np.average(fv, weights=wv)
    assert gap == pytest.approx(st.wasserstein_distance(u, v, wu, wv), abs=_atol(u, v))
    # 1-Lipschitz on a fine grid and on the samples (slopes are in {-1, 0, 1} exactly)
    t = np.sort(np.concatenate([np.linspace(-5, 5, 4001), u, v]))
    f = kantorovich_potential_1d(u, v, t, u_weights=wu, v_weights=wv)
    slopes = np.abs(np.diff(f))[np.diff(t) > 0] / np.diff(t)[np.diff(t) > 0]
    assert slopes.max() <= 1 + 1e-9
    # constant outside the samples: f = 0 left of them (x0 = the smallest sample)
    assert kantorovich_potential_1d(u, v, [min(u.min(), v.min()) - 3.0], u_weights=wu, v_weights=wv)[0] == 0.0


def test_kantorovich_potential_on_point_masses():
    # u = delta_0, v = delta_2: F_v - F_u = -1 on [0, 2), so f falls with slope -1 there.
    x = np.array([[-1.0, 0.5], [1.0, 3.0]])
    np.testing.assert_array_equal(kantorovich_potential_1d([0.0], [2.0], x),
                                  [[0.0, -0.5], [-1.0, -2.0]])


# ------------------------------------------------------------------ bad input
BAD_1D = [
    ({"u_values": []}, ValueError, "empty"),
    ({"u_values": [1.0, np.nan]}, ValueError, "finite"),
    ({"u_values": [np.inf, 1.0]}, ValueError, "finite"),
    ({"u_values": [-np.inf, 1.0]}, ValueError, "finite"),
    ({"u_values": 3.0}, ValueError, "scalar"),
    ({"u_values": ["a"]}, TypeError, "real numbers"),
    ({"u_weights": [1.0, -1.0, 1.0]}, ValueError, "non-negative"),
    ({"u_weights": [1.0, np.nan, 1.0]}, ValueError, "finite"),
    ({"u_weights": [1.0, np.inf, 1.0]}, ValueError, "finite"),
    ({"u_weights": [0.0, 0.0, 0.0]}, ValueError, "positive total"),
    ({"u_weights": [1.0, 1.0]}, ValueError, "shape"),
    ({"p": 0.5}, ValueError, "p must be >= 1"),
    ({"p": np.nan}, ValueError, "p must be >= 1"),
    ({"p": "2"}, TypeError, "real number"),
    ({"p": True}, TypeError, "real number"),
]


@pytest.mark.parametrize("kw, exc, words", BAD_1D)
def test_wasserstein_1d_rejects(kw, exc, words):
    args = {"u_values": [0.0, 1.0, 2.0], "v_values": [0.5, 1.5], "u_weights": None, "v_weights": None, "p": 1}
    args.update(kw)
    p = args.pop("p")
    with pytest.raises(exc, match=words):
        wasserstein_1d(*args.values(), p=p)


def test_batched_bad_input():
    with pytest.raises(ValueError, match="broadcast"):
        wasserstein_1d(np.zeros((3, 5)), np.zeros((4, 5)))
    with pytest.raises(ValueError, match="finite.*index \\(1, 2\\)"):
        wasserstein_1d(np.array([[0.0, 1, 2], [0, 1, np.nan]]), np.zeros(5))
    with pytest.raises(ValueError, match="positive total"):
        wasserstein_1d(np.ones((2, 3)), np.ones(4), np.array([[1.0, 1, 1], [0, 0, 0]]))


def test_shifts_rejects():
    with pytest.raises(ValueError, match="finite"):
        wasserstein_1d_shifts([0.0], [1.0], [0.0, np.nan])
    with pytest.raises(ValueError, match="1-D"):
        wasserstein_1d_shifts(np.zeros((2, 2)), [1.0], [0.0])
    with pytest.raises(ValueError, match="p must be"):
        wasserstein_1d_shifts([0.0], [1.0], [0.0], p=0)
    with pytest.raises(ValueError, match="finite"):
        wasserstein_1d_shifts([0.0, np.nan], [1.0], [0.0])


@pytest.mark.parametrize(
    "p, q, kw, words",
    [
        ([1.0, -1.0, 2.0], [1.0, 0.0, 1.0], {}, "non-negative"),
        ([1.0, np.nan], [1.0, 0.0], {}, "finite"),
        ([1.0, np.inf], [1.0, 0.0], {}, "finite"),
        ([0.0, 0.0], [0.0, 0.0], {}, "all-zero"),
        ([], [], {}, "non-empty"),
        ([1.0, 1.0], [2.0], {}, "same length"),
        ([[1.0]], [[1.0]], {}, "1-D"),
        ([1.0, 2.0], [1.0, 1.0], {}, "same total"),
        ([1.0, 1.0 + 1e-9], [1.0, 1.0], {}, "same total"),
        ([1.0, 1.0], [1.0, 1.0], {"positions": [0.0, 0.0]}, "strictly increasing"),
        ([1.0, 1.0, 1.0], [1.0, 1.0, 1.0], {"positions": [0.0, 2.0, 1.0]}, "strictly increasing"),
        ([1.0, 1.0, 1.0], [1.0, 1.0, 1.0], {"positions": [0.0, np.nan, 1.0]}, "finite"),
        ([1.0, 1.0], [1.0, 1.0], {"positions": [0.0, np.inf]}, "finite"),
        ([1.0, 1.0], [1.0, 1.0], {"positions": [0.0, 1.0, 2.0]}, "shape"),
        ([1e308, 1e308], [1e308, 1e308], {}, "overflows"),
    ],
)
def test_earth_movers_distance_rejects(p, q, kw, words):
    with pytest.raises(ValueError, match=words):
        earth_movers_distance(p, q, **kw)


def test_earth_movers_tolerance_accepts_rounding_of_normalised_counts():
    # Normalising counts rounds each entry: totals then differ by ~ eps, which must pass.
    rng = np.random.default_rng(18)
    c, d = rng.integers(1, 1000, 10_000), rng.integers(1, 1000, 10_000)
    p, q = c / c.sum(), d / d.sum()
    w = earth_movers_distance(p, q)
    assert w == pytest.approx(math.fsum(np.abs(np.cumsum(p - q)[:-1])), rel=1e-9)


@pytest.mark.parametrize(
    "x, y, kw, exc, words",
    [
        (np.zeros((0, 2)), np.zeros((3, 2)), {}, ValueError, "empty"),
        (np.zeros((3, 2)), np.zeros((3, 3)), {}, ValueError, "coordinates"),
        ([[0.0, np.nan]], [[0.0, 1.0]], {}, ValueError, "finite"),
        ([[0.0, 1.0]], [[0.0, np.inf]], {}, ValueError, "finite"),
        ([[0.0], [1.0]], [[0.0]], {"a": [1.0, -1.0]}, ValueError, "non-negative"),
        ([[0.0], [1.0]], [[0.0]], {"a": [0.0, 0.0]}, ValueError, "positive total"),
        ([[0.0], [1.0]], [[0.0]], {"a": [1.0]}, ValueError, "shape"),
        ([[0.0], [1.0]], [[0.0]], {"b": [np.nan]}, ValueError, "finite"),
        ([[0.0]], [[1.0]], {"p": 0.9}, ValueError, "p must be"),
        ([[0.0, 0.0]], [[1.0, 0.0]], {"p": math.inf}, ValueError, "not supported"),
        (np.zeros((2, 2, 2)), np.zeros((2, 2)), {}, ValueError, "shape"),
    ],
)
def test_point_cloud_functions_reject(x, y, kw, exc, words):
    with pytest.raises(exc, match=words):
        wasserstein_distance(x, y, **kw)
    with pytest.raises(exc, match=words):
        transport_plan(x, y, **kw)
    if kw.get("p") != math.inf:
        with pytest.raises(exc, match=words):
            sliced_wasserstein(x, y, **kw)


def test_sliced_and_potential_reject():
    with pytest.raises(ValueError, match="n_projections"):
        sliced_wasserstein([[0.0]], [[1.0]], n_projections=0)
    with pytest.raises(TypeError, match="n_projections"):
        sliced_wasserstein([[0.0]], [[1.0]], n_projections=2.5)
    with pytest.raises(ValueError, match="finite"):
        kantorovich_potential_1d([0.0], [1.0], [np.nan])
    with pytest.raises(ValueError, match="non-negative"):
        kantorovich_potential_1d([0.0, 1.0], [1.0], [0.0], u_weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="empty"):
        kantorovich_potential_1d([], [1.0], [0.0])


def test_import_divgan_wasserstein_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys, divgan.wasserstein as w; w.wasserstein_1d([0.0], [1.0]); "
            "print('torch' in sys.modules, 'ot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
