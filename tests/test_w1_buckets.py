"""The sort-free W1 of unweighted 1-D samples (divgan._w1_buckets) and its fall-back.

Oracles, all computed here: ``math.fsum`` over the sorted quantile coupling (each term
``|u_(i) - v_(j)| * (level gap)`` carries one or two roundings of relative size eps, so the
reference is within a few eps of the exact W1), scipy's ``wasserstein_distance`` (a sum of
CDF differences: rounding of order ``(n + m) eps * span``) and POT's ``ot.wasserstein_1d``.
The kernel certifies its own result to ``1e-13`` relative (its rounding bound) or hands the
pair to the sort path, so every value here must be within ``1e-12`` relative of the fsum
reference; pairs it hands on must equal the sort path's value to the bit.
"""
import math

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from divgan import _sort
from divgan import _w1_buckets as B
from divgan.wasserstein import wasserstein_1d

ot = pytest.importorskip("ot")
REL = 1e-12
HYP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def _reread_after():
    # DIVGAN_SORT is read once per process: read it again after monkeypatch restored it
    yield
    _sort.reread_environment()


def fsum_w1(u, v) -> float:
    """W1 by math.fsum over the quantile coupling: u's atoms end at levels k m, v's at
    l n (units of 1 / (n m)); between merged levels the coupled values are constant."""
    su, sv = np.sort(np.asarray(u, float)), np.sort(np.asarray(v, float))
    n, m = su.size, sv.size
    if n == m:
        return math.fsum(np.abs(su - sv)) / n
    ends = np.union1d(np.arange(1, n + 1, dtype=np.int64) * m,
                      np.arange(1, m + 1, dtype=np.int64) * n)
    seg = np.diff(ends, prepend=0).astype(float)
    terms = np.abs(su[(ends - 1) // m] - sv[(ends - 1) // n]) * seg
    return math.fsum(terms) / (float(n) * m)


def sort_path(u, v, monkeypatch):
    """The value of the sort path alone (the bucket kernel switched off)."""
    with monkeypatch.context() as mp:
        mp.setattr(B, "applies", lambda n, m, single: False)
        return wasserstein_1d(u, v)


def kernel(u, v):
    """(value, status) of the bucket kernel itself on one pair (any size)."""
    return B.w1_pair(np.ascontiguousarray(u, float), np.ascontiguousarray(v, float))


def assert_close(got, ref):
    if ref == 0.0:
        assert got == 0.0
    else:
        assert abs(got - ref) <= REL * abs(ref), (got, ref, abs(got - ref) / abs(ref))


# ------------------------------------------------------------------ the kernel is used, and exact
@pytest.mark.parametrize("n, m, shift", [(1000, 1000, 0.0), (1000, 777, 0.3), (64, 900, -1.0),
                                         (5000, 4000, 0.05), (40, 30, 2.0)])
def test_kernel_matches_fsum_scipy_and_pot(n, m, shift):
    # N(0, 1) against a shifted, wider normal: the kernel itself certifies these (status OK)
    rng = np.random.default_rng(n + 7 * m)
    u, v = rng.standard_normal(n), 1.3 * rng.standard_normal(m) + shift
    value, status = kernel(u, v)
    assert status == B.OK
    ref = fsum_w1(u, v)
    assert_close(value, ref)
    assert_close(wasserstein_1d(u, v), ref)
    # scipy and POT sum CDF differences or sorted gaps: rounding ~ (n + m) eps * span
    tol = 1e-12 * max(np.ptp(np.concatenate([u, v])), 1.0)
    assert value == pytest.approx(st.wasserstein_distance(u, v), abs=tol)
    assert value == pytest.approx(float(ot.wasserstein_1d(u, v, p=1)), abs=tol)


@HYP
@given(n=hs.integers(1, 400), m=hs.integers(1, 400), seed=hs.integers(0, 2**32 - 1),
       kind=hs.sampled_from(["normal", "shifted", "integers", "wide_integers", "cauchy",
                             "offset", "tiny", "huge"]))
def test_hypothesis_kernel_is_exact_or_hands_on(n, m, seed, kind):
    # Whatever the data, a value the kernel certifies is within 1e-12 of the fsum reference,
    # and the public function (kernel or sort path) is too.
    rng = np.random.default_rng(seed)
    u, v = rng.standard_normal(n), rng.standard_normal(m)
    if kind == "shifted":
        v = 0.7 * v + 0.4
    elif kind == "integers":
        u, v = rng.integers(-3, 4, n).astype(float), rng.integers(-2, 5, m).astype(float)
    elif kind == "wide_integers":
        u, v = rng.integers(0, 10**6, n).astype(float), rng.integers(0, 10**6, m).astype(float)
    elif kind == "cauchy":
        u, v = rng.standard_cauchy(n), rng.standard_cauchy(m) + 0.5
    elif kind == "offset":
        u, v = 1e9 + u, 1e9 + v + 0.1
    elif kind == "tiny":
        u, v = u * 1e-300, v * 1e-300
    elif kind == "huge":
        u, v = u * 1e250, v * 1e250
    ref = fsum_w1(u, v)
    value, status = kernel(u, v)
    if status == B.OK:
        assert_close(value, ref)
    assert_close(wasserstein_1d(u, v), ref)


# ------------------------------------------------------------------ special inputs
def test_ties_and_integer_data():
    # integers over a wide range: buckets of one or a few points, handled by the kernel;
    # a few distinct values with many ties: buckets of hundreds of tied points go to the
    # sort path; both exact (every gap is an integer, the fsum reference exact)
    rng = np.random.default_rng(1)
    u, v = rng.integers(0, 10**6, 3000).astype(float), rng.integers(0, 10**6, 2000).astype(float)
    value, status = kernel(u, v)
    assert status == B.OK
    assert_close(value, fsum_w1(u, v))
    u, v = rng.integers(0, 10, 3000).astype(float), rng.integers(0, 10, 2000).astype(float) + 0.5
    assert_close(wasserstein_1d(u, v), fsum_w1(u, v))
    assert wasserstein_1d(u, v) == pytest.approx(st.wasserstein_distance(u, v), rel=1e-13)


def test_constant_rows():
    # W1 between point masses is their distance; equal constants give exactly 0
    assert wasserstein_1d(np.full(500, 2.5), np.full(300, 2.5)) == 0.0
    assert wasserstein_1d(np.full(500, 2.5), np.full(300, -1.0)) == 3.5
    assert_close(wasserstein_1d(np.full(500, 1e9 + 0.25), np.full(700, 1e9)), 0.25)


def test_equal_multisets_give_exactly_zero():
    # u == v up to order: the kernel cannot certify a zero (its bound is not below 1e-13 of
    # 0) and hands the pair on; the sort path pairs equal values: exactly 0.0
    rng = np.random.default_rng(2)
    u = rng.standard_normal(1000)
    assert kernel(u, rng.permutation(u))[1] == B.FALLBACK
    assert wasserstein_1d(u, rng.permutation(u)) == 0.0
    U = rng.standard_normal((5, 600))
    assert np.all(wasserstein_1d(U, U[:, ::-1]) == 0.0)


@pytest.mark.parametrize("n, m", [(1, 1), (1, 2), (2, 2), (2, 70), (1, 500), (333, 1)])
def test_one_or_two_points(n, m):
    rng = np.random.default_rng(n * 10 + m)
    u, v = rng.standard_normal(n), rng.standard_normal(m) + 0.1
    ref = fsum_w1(u, v)
    value, status = kernel(u, v)
    if status == B.OK:
        assert_close(value, ref)
    assert_close(wasserstein_1d(u, v), ref)
    assert wasserstein_1d(u, v) == pytest.approx(st.wasserstein_distance(u, v), rel=1e-13)


def test_cauchy_heavy_tails():
    # most points in a few buckets near 0: the kernel hands the pair on; exact either way
    rng = np.random.default_rng(3)
    u, v = rng.standard_cauchy(2000), rng.standard_cauchy(1500) + 0.3
    assert_close(wasserstein_1d(u, v), fsum_w1(u, v))


def test_large_offset_loses_nothing():
    # positions are taken within buckets of width w, exactly: 1e9 + N(0, 1) is as accurate
    # as N(0, 1); the reference's differences of nearby large values are exact (Sterbenz)
    rng = np.random.default_rng(4)
    z, y = rng.standard_normal(2000), rng.standard_normal(1800)
    u, v = 1e9 + z, 1e9 + 0.3 + y
    value, status = kernel(u, v)
    assert status == B.OK
    assert_close(value, fsum_w1(u, v))


def test_nearly_identical_samples_go_to_the_sort_path(monkeypatch):
    # W1 = 1e-12 against a range of ~7: below what the kernel can certify; the sort path
    # computes each gap (u_i + 1e-12) - u_i directly
    rng = np.random.default_rng(5)
    u = rng.standard_normal(1000)
    v = rng.permutation(u + 1e-12)
    assert kernel(u, v)[1] == B.FALLBACK
    got = wasserstein_1d(u, v)
    assert got == sort_path(u, v, monkeypatch)
    assert_close(got, fsum_w1(u, v))


def test_extreme_outliers():
    # one value at 1e200 among small ones: W1 is the outlier's share, to 1e-12
    rng = np.random.default_rng(6)
    u, v = rng.standard_normal(1000), rng.standard_normal(800)
    u[17] = 1e200
    assert_close(wasserstein_1d(u, v), fsum_w1(u, v))
    v[3] = -1e200
    assert_close(wasserstein_1d(u, v), fsum_w1(u, v))


def test_signed_zeros_and_subnormals(monkeypatch):
    # -0.0 and +0.0 are the same point; subnormal samples (span below 2**-900) take the
    # sort path, which rescales them: the same value to the bit
    rng = np.random.default_rng(7)
    u = rng.choice([-0.0, 0.0, 1.0, -2.0], 2000)
    v = rng.choice([0.0, -0.0, 0.5], 1500)
    assert_close(wasserstein_1d(u, v), fsum_w1(u, v))
    assert wasserstein_1d(u, v) == pytest.approx(st.wasserstein_distance(u, v), rel=1e-13)
    assert wasserstein_1d(np.array([-0.0, 0.0] * 300), np.array([0.0] * 500)) == 0.0
    u, v = rng.standard_normal(1000) * 1e-310, rng.standard_normal(900) * 1e-310
    assert kernel(u, v)[1] == B.FALLBACK
    assert wasserstein_1d(u, v) == sort_path(u, v, monkeypatch)
    assert_close(wasserstein_1d(u, v), fsum_w1(u, v))


@pytest.mark.parametrize("method", ["numpy", "radix"])
def test_a_forced_sort_takes_the_sort_path(monkeypatch, method):
    # DIVGAN_SORT=numpy|radix forces the sort path (bit for bit that path's value)
    rng = np.random.default_rng(13)
    u, v = rng.standard_normal(1000), rng.standard_normal(900) + 0.2
    assert kernel(u, v)[1] == B.OK
    ref = sort_path(u, v, monkeypatch)
    monkeypatch.setenv("DIVGAN_SORT", method)
    _sort.reread_environment()
    got = wasserstein_1d(u, v)
    assert got == ref
    assert_close(got, fsum_w1(u, v))


def test_non_finite_values_raise_the_sort_paths_errors():
    u = np.random.default_rng(8).standard_normal(1000)
    for bad in (np.nan, np.inf, -np.inf):
        v = u.copy()
        v[123] = bad
        with pytest.raises(ValueError, match="v_values must hold finite sample values"):
            wasserstein_1d(u, v)
        U = np.stack([u, v])
        with pytest.raises(ValueError, match="u_values must hold finite sample values"):
            wasserstein_1d(U, u)


# ------------------------------------------------------------------ batches
def test_broadcast_batches_match_rows():
    # (3, 1, n) against (4, m): a (3, 4) result, each entry the fsum W1 of its pair
    rng = np.random.default_rng(9)
    U = rng.standard_normal((3, 1, 700))
    V = rng.standard_normal((4, 500)) * np.array([[1.0], [2.0], [0.5], [1.0]]) + 0.2
    got = wasserstein_1d(U, V)
    assert got.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            assert_close(got[i, j], fsum_w1(U[i, 0], V[j]))
            assert got[i, j] == wasserstein_1d(U[i, 0], V[j])


def test_batch_rows_handed_on_equal_the_sort_path(monkeypatch):
    # a batch mixing rows the kernel certifies with rows it hands on (equal multisets,
    # nearly identical, heavy tails): the latter carry the sort path's value to the bit
    rng = np.random.default_rng(10)
    U = rng.standard_normal((6, 800))
    V = rng.standard_normal((6, 800)) + 0.1
    V[1] = U[1, ::-1]
    V[2] = U[2] + 1e-12
    U[3], V[3] = rng.standard_cauchy(800), rng.standard_cauchy(800)
    idx = np.arange(6)
    _, status, _, _ = B.w1_rows(U, V, idx, idx)
    assert status[1] == status[2] == status[3] == B.FALLBACK
    assert status[0] == status[4] == status[5] == B.OK
    got = wasserstein_1d(U, V)
    ref = sort_path(U, V, monkeypatch)
    for i in (1, 2, 3):
        assert got[i] == ref[i]
    for i in range(6):
        assert_close(got[i], fsum_w1(U[i], V[i]))
    assert got[1] == 0.0


def test_a_batch_mostly_handed_on_goes_to_the_sort_path(monkeypatch):
    # 40 pairs of Cauchy samples: the kernel gives up after the first 32 or so (most went
    # to the sort path) and the whole batch is that path's, to the bit
    rng = np.random.default_rng(14)
    U, V = rng.standard_cauchy((40, 700)), rng.standard_cauchy((40, 600))
    idx = np.arange(40)
    assert B.w1_rows(U, V, idx, idx) is None
    got = wasserstein_1d(U, V)
    np.testing.assert_array_equal(got, sort_path(U, V, monkeypatch))
    for i in (0, 39):
        assert_close(got[i], fsum_w1(U[i], V[i]))


def test_batch_scaled_by_the_sort_path_when_a_row_spans_1e300(monkeypatch):
    # one row spans ~1e300: the sort path divides the whole batch by a power of two; the
    # row handed on gets exactly its value, the others stay exact
    rng = np.random.default_rng(11)
    U, V = rng.standard_normal((3, 600)), rng.standard_normal((3, 500))
    U[2, 0], V[2, 0] = 1e300, -1e300
    got = wasserstein_1d(U, V)
    ref = sort_path(U, V, monkeypatch)
    assert got[2] == ref[2]
    for i in range(3):
        assert_close(got[i], fsum_w1(U[i], V[i]))


def test_pot_batched_agrees():
    # POT's batched 1-D W1 on columns: the same 1000 x 1000 comparison as the benchmark
    rng = np.random.default_rng(12)
    U, V = rng.standard_normal((50, 1000)), rng.standard_normal((50, 1000))
    got = wasserstein_1d(U, V)
    ref = np.asarray(ot.wasserstein_1d(U.T.copy(), V.T.copy(), p=1))
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=0)


def test_sliced_w1_without_sorting_agrees_with_the_sort_path(monkeypatch):
    # sliced_wasserstein with p = 1 (its default) takes each direction's W1 from the kernel:
    # within 1e-12 of fsum over the same projections (the documented directions: normalised
    # Gaussians from default_rng(seed)) and of the sort path; identical samples read exactly
    # 0 (every pair handed on); a forced sort gives the sort path's value bit for bit.
    from divgan.wasserstein import sliced_wasserstein

    rng = np.random.default_rng(21)
    x, y = rng.standard_normal((3000, 3)), rng.standard_normal((2500, 3)) * 1.3 + 0.2
    L, seed = 40, 5
    theta = np.random.default_rng(seed).standard_normal((L, 3))
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    ref = math.fsum(fsum_w1(x @ t, y @ t) for t in theta) / L
    got = sliced_wasserstein(x, y, n_projections=L, seed=seed)
    assert_close(got, ref)
    with monkeypatch.context() as mp:
        mp.setattr(B, "applies", lambda n, m, single: False)
        sorted_value = sliced_wasserstein(x, y, n_projections=L, seed=seed)
    assert got == pytest.approx(sorted_value, rel=1e-13)
    assert sliced_wasserstein(x, x.copy(), n_projections=L, seed=seed) == 0.0
    monkeypatch.setenv("DIVGAN_SORT", "radix")
    _sort.reread_environment()
    assert sliced_wasserstein(x, y, n_projections=L, seed=seed) == sorted_value


def test_a_crowded_bucket_of_both_rows_goes_to_the_sort_path_before_counting(monkeypatch):
    # Pairs of >= 2**14 points are probed first (256 evenly spaced points a side): 8 or more
    # in one bucket, from both rows, mean that bucket holds ~(n + m) / 64 points, so the pair
    # goes to the sort path at once (its value bit for bit). An atom of one row alone is
    # left to the counting pass, which integrates it in closed form where D keeps its sign.
    rng = np.random.default_rng(31)
    n = 20000
    atom_u = np.where(rng.random(n) < 0.3, 0.0, rng.normal(2.0, 1.0, n))
    v = rng.normal(0.0, 1.0, n)
    value, status = kernel(atom_u, v)
    assert status == B.OK
    assert_close(value, fsum_w1(atom_u, v))
    atom_v = np.where(rng.random(n) < 0.3, 0.0, v)
    for a, b in ((atom_u, atom_v), (rng.standard_cauchy(n), rng.standard_cauchy(n))):
        assert B._crowded(a, b, *_grid(a, b))
        assert kernel(a, b)[1] == B.FALLBACK
        assert wasserstein_1d(a, b) == sort_path(a, b, monkeypatch)
    assert not B._crowded(atom_u, v, *_grid(atom_u, v))


def _grid(u, v):
    """(1 / w, floor(lo / w)) of the kernel's buckets for the pair (module docstring)."""
    lo, hi = min(u.min(), v.min()), max(u.max(), v.max())
    mant, ex = math.frexp((hi - lo) / max(1, (u.size + v.size) // B._PER_BUCKET))
    ex -= mant < math.sqrt(0.5)
    inv = math.ldexp(1.0, -ex)
    return inv, math.floor(lo * inv)
