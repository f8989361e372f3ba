"""The sort behind the 1-D distances (divgan._sort): NumPy's or the Numba radix sort.

Oracles: ``np.sort`` for the sorted values (bit for bit, except the order of -0.0 and
+0.0, which np.sort leaves arbitrary), closed forms and ``scipy.stats.wasserstein_distance``
for the distances, and the other sort for bit-identity (``DIVGAN_SORT`` forces each).
"""
import numpy as np
import pytest
import scipy.stats as st

from divgan import _sort
from divgan.wasserstein import sliced_wasserstein, wasserstein_1d, wasserstein_1d_shifts

RNG_SEED = 20261129
TINY = 5e-324  # the smallest subnormal


def _bits(a):
    return np.ascontiguousarray(a, dtype=np.float64).view(np.uint64)


def _inputs():
    """Named float64 arrays covering the radix sort's paths (runs, skipped digits, ...)."""
    rng = np.random.default_rng(RNG_SEED)
    normal = rng.standard_normal(20_000)
    return {
        "one value": np.array([3.5]),
        "two values": np.array([2.0, -1.0]),
        "normal 1000": rng.standard_normal(1000),
        "normal 2e5 (11-bit digits)": rng.standard_normal(200_000),
        "sorted": np.sort(normal),
        "reverse sorted": np.sort(normal)[::-1].copy(),
        "long runs of ties": np.repeat(rng.standard_normal(7), 3000),
        "three values": rng.integers(0, 3, 5000) * 1.0,
        "all equal": np.full(4000, -2.25),
        "subnormals of both signs": rng.integers(-2**40, 2**40, 5000) * TINY,
        "subnormals and normals": np.concatenate([rng.integers(-9, 9, 3000) * TINY,
                                                  rng.standard_normal(3000) * 1e-300,
                                                  rng.standard_normal(3000)]),
        # agree in their top ~30 bits: runs longer than the insertion-sort limit
        "narrow range": 1.0 + rng.random(50_000) * 1e-9,
        "rounded (many runs)": np.round(rng.standard_normal(30_000), 2) + 0.0,  # no -0.0
        "huge magnitudes": rng.standard_normal(3000) * 1e300,
        "integers": rng.integers(-10**15, 10**15, 4000).astype(np.float64),
    }


@pytest.mark.parametrize("name", list(_inputs()))
def test_radix_sort_matches_np_sort_bit_for_bit(name):
    # exact: sorting only moves values; with no zeros of both signs the sorted
    # sequence is unique, so the bits must agree
    x = _inputs()[name]
    got = _sort.radix_sort(x)
    np.testing.assert_array_equal(_bits(got), _bits(np.sort(x)))


def test_radix_sort_batched_and_strided_rows():
    # every row sorted independently, whatever the input's memory layout
    rng = np.random.default_rng(RNG_SEED)
    x = rng.standard_normal((3, 4, 700))
    x[1, 2] = 0.5  # a constant row among varied ones
    for arr in (x, x.transpose(1, 0, 2), x[..., ::2]):
        got = _sort.radix_sort(arr)
        assert got.shape == arr.shape
        np.testing.assert_array_equal(_bits(got), _bits(np.sort(arr, axis=-1)))


def test_radix_sort_orders_signed_zeros():
    # -0.0 and +0.0 have different keys: all -0.0 come first, and as values the
    # result is np.sort's (which interleaves the two zeros)
    rng = np.random.default_rng(RNG_SEED)
    x = rng.choice([-0.0, 0.0, 1.0, -1.0, TINY, -TINY], 5000)
    got = _sort.radix_sort(x)
    np.testing.assert_array_equal(got, np.sort(x))
    zeros = np.signbit(got[got == 0.0])
    k = int(zeros.sum())
    assert zeros[:k].all() and not zeros[k:].any()


@pytest.mark.parametrize("bad", [np.nan, -np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [0, 17, -1])
def test_non_finite_found_by_both_sorts(bad, where):
    # the radix checks in its first read pass (before moving anything); np.sort's
    # ends are read (NaN of either sign and +inf sort last, -inf first)
    x = np.random.default_rng(RNG_SEED).standard_normal((2, 600))
    x[1, where] = bad
    assert _sort.radix_sort(x) is None
    assert _sort.numpy_sort(x) is None
    assert _sort.radix_sort(x[0]) is not None


def _set_sort(monkeypatch, method):
    """DIVGAN_SORT=method for what follows (the variable is read once per process:
    read it again); monkeypatch restores the variable, _reread_after reads it again."""
    monkeypatch.setenv("DIVGAN_SORT", method)
    _sort.reread_environment()


@pytest.fixture(autouse=True)
def _reread_after():
    yield
    _sort.reread_environment()


@pytest.fixture(params=["numpy", "radix"])
def forced_sort(request, monkeypatch):
    _set_sort(monkeypatch, request.param)
    return request.param


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_distance_refuses_non_finite_with_either_sort(forced_sort, bad):
    u = np.linspace(0.0, 1.0, 2000)
    u[1234] = bad
    with pytest.raises(ValueError, match=r"u_values must hold finite sample values.*1234"):
        wasserstein_1d(u, np.zeros(3))
    with pytest.raises(ValueError, match=r"v_values must hold finite"):
        wasserstein_1d(np.zeros(3), u[None, :])


def test_sort_method_environment(monkeypatch):
    _set_sort(monkeypatch, "radix")
    assert _sort.sort_method(3) == "radix"
    monkeypatch.setenv("DIVGAN_SORT", "numpy")
    assert _sort.sort_method(3) == "radix"  # read once, until read again
    _sort.reread_environment()
    assert _sort.sort_method(10**7) == "numpy"
    _set_sort(monkeypatch, "fast")
    msg = "DIVGAN_SORT must be 'numpy', 'radix' or 'auto', got 'fast'"
    with pytest.raises(ValueError, match=msg):
        _sort.sort_method(1000)
    with pytest.raises(ValueError, match=msg):  # the public functions say so too
        wasserstein_1d([0.0, 1.0], [2.0])


def test_auto_measures_once_per_size_class(monkeypatch):
    # small rows never measure; each larger size class is measured once and cached
    _set_sort(monkeypatch, "auto")
    monkeypatch.setattr(_sort, "_CHOICE", {})
    calls = []

    def fake_measure(shape, kind="sort"):
        calls.append((shape, kind))
        return "radix"

    monkeypatch.setattr(_sort, "_measure", fake_measure)
    assert _sort.sort_method(100) == "numpy"
    assert calls == []
    assert [_sort.sort_method(n) for n in (1000, 5000, 10**6, 10**5)] == ["radix"] * 4
    assert calls == [(_sort._CLASSES["rows"], "sort"), (_sort._CLASSES["long"], "sort")]
    assert _sort.sort_method(2000, "argsort") == "radix"  # argsort: measured on its own
    assert calls[-1] == (_sort._CLASSES["rows"], "argsort")


def test_measure_returns_a_sort():
    assert _sort._measure((2, 600)) in ("numpy", "radix")
    assert _sort._measure((2, 600), "argsort") in ("numpy", "radix")


@pytest.mark.parametrize("name", list(_inputs()))
def test_radix_argsort_is_stable_argsort(name):
    # ties keep their input order, so the permutation is np.argsort's stable one exactly
    # (no zeros of both signs here: those are ordered -0.0 first by the radix)
    x = _inputs()[name]
    rows = np.ascontiguousarray(np.stack([x, x[::-1]]))
    np.testing.assert_array_equal(_sort.radix_argsort(rows),
                                  np.argsort(rows, axis=-1, kind="stable"))


def test_radix_argsort_signed_zeros_and_non_finite():
    rng = np.random.default_rng(RNG_SEED)
    rows = rng.choice([-0.0, 0.0, 1.0, -TINY], (2, 3000))
    order = _sort.radix_argsort(rows)
    np.testing.assert_array_equal(np.take_along_axis(rows, order, -1), np.sort(rows, axis=-1))
    for r in order:  # a permutation of each row
        np.testing.assert_array_equal(np.sort(r), np.arange(3000))
    rows[1, 2999] = np.nan
    assert _sort.radix_argsort(rows) is None and _sort.numpy_argsort(rows) is None


# ----------------------------------------------------------------------------- bit-identity
def _with_sort(monkeypatch, method, fn):
    _set_sort(monkeypatch, method)
    return np.asarray(fn(), dtype=np.float64)


def _same_bits_both_sorts(monkeypatch, fn):
    a = _with_sort(monkeypatch, "numpy", fn)
    b = _with_sort(monkeypatch, "radix", fn)
    np.testing.assert_array_equal(_bits(a), _bits(b))
    return a


@pytest.mark.parametrize("p", [1, 2, 3.5, np.inf])
@pytest.mark.parametrize("m", [4000, 3001])
def test_signed_zeros_give_the_same_distance(monkeypatch, p, m):
    # the sorts place -0.0 and +0.0 differently (checked below, so the case is real);
    # the kernels use |u_i - (v_j + shift)|, blind to the sign of a zero
    rng = np.random.default_rng(RNG_SEED)
    u = rng.choice([-0.0, 0.0, 1.0, -2.0], 4000)
    v = rng.choice([0.0, -0.0, 0.5], m)
    assert (_bits(np.sort(u)) != _bits(_sort.radix_sort(u))).any()
    got = _same_bits_both_sorts(monkeypatch, lambda: wasserstein_1d(u, v, p=p))
    if p == 1:  # scipy sums differences of CDFs: rounding of a few terms of size 1
        assert got == pytest.approx(st.wasserstein_distance(u, v), rel=1e-12)


def test_only_zeros_of_both_signs_give_zero(monkeypatch):
    # W between point masses at 0 is exactly +0.0 whatever the signs of the zeros
    u = np.array([-0.0, 0.0] * 600)
    v = np.array([0.0, -0.0, -0.0] * 400)
    got = _same_bits_both_sorts(monkeypatch, lambda: wasserstein_1d(u, v, p=2))
    assert _bits(got) == 0


@pytest.mark.parametrize("name", list(_inputs()))
def test_distance_bit_identical_across_sorts(monkeypatch, name):
    # the same sorted values reach the same kernel; the value itself checked against
    # scipy (a CDF-difference formula: relative rounding of order n eps)
    x = _inputs()[name]
    y = np.random.default_rng(RNG_SEED + 1).permutation(x)[: max(1, 3 * x.size // 4)] * 0.5
    got = _same_bits_both_sorts(monkeypatch, lambda: wasserstein_1d(x, y))
    if np.ptp(x) < 1e300:  # scipy overflows past 1e308
        ref = st.wasserstein_distance(x, y)
        assert got == pytest.approx(ref, rel=1e-9)


def test_float32_input_bit_identical(monkeypatch):
    # float32 is converted to float64 before sorting: same value as the float64 copy
    rng = np.random.default_rng(RNG_SEED)
    u = rng.standard_normal(3000).astype(np.float32)
    v = (rng.standard_normal(2000) + 0.25).astype(np.float32)
    got = _same_bits_both_sorts(monkeypatch, lambda: wasserstein_1d(u, v))
    assert _bits(got) == _bits(wasserstein_1d(u.astype(np.float64), v.astype(np.float64)))
    assert got == pytest.approx(st.wasserstein_distance(u, v), rel=1e-12)


def test_batched_input_bit_identical(monkeypatch):
    # rows of a broadcast batch: each equals the unbatched call on the same rows (same
    # kernel) and scipy to rounding
    rng = np.random.default_rng(RNG_SEED)
    U = rng.standard_normal((3, 1, 800))
    U[0, 0, :400] = 0.0
    U[1, 0, :200] = -0.0
    V = np.round(rng.standard_normal((5, 900)), 1)
    got = _same_bits_both_sorts(monkeypatch, lambda: wasserstein_1d(U, V, p=2))
    assert got.shape == (3, 5)
    for i in range(3):
        for j in range(5):
            assert _bits(got[i, j]) == _bits(wasserstein_1d(U[i, 0], V[j], p=2))
    ref = st.wasserstein_distance(U[2, 0], V[4])
    assert wasserstein_1d(U[2, 0], V[4]) == pytest.approx(ref, rel=1e-12)


def test_shifts_and_sliced_bit_identical(monkeypatch):
    # both sort (or argsort, with weights) their samples through divgan._sort
    rng = np.random.default_rng(RNG_SEED)
    u = rng.choice([-0.0, 0.0, 1.0], 3000)
    v = rng.standard_normal(2000)
    _same_bits_both_sorts(monkeypatch, lambda: wasserstein_1d_shifts(u, v, [-1.0, 0.0, 2.5]))
    x, y = rng.standard_normal((1500, 3)), rng.standard_normal((1200, 3)) + 0.2
    _same_bits_both_sorts(monkeypatch, lambda: sliced_wasserstein(x, y, n_projections=8, seed=3))
    a = rng.random(1500)
    _same_bits_both_sorts(monkeypatch,
                          lambda: sliced_wasserstein(x, y, a, None, n_projections=8, seed=3))


@pytest.mark.parametrize("p", [1, 2, np.inf])
def test_weighted_ties_and_signed_zeros_bit_identical(monkeypatch, p):
    # ties with different weights: the sorts leave them in different orders, and the
    # kernel adds the weights of a run of equal values in ascending order, so the levels
    # agree to the bit; value checked against scipy (CDF differences, rounding ~n eps)
    rng = np.random.default_rng(RNG_SEED)
    u = rng.choice([-0.0, 0.0, 1.0, 2.5], 3000)
    v = np.round(rng.standard_normal(2500), 1) + rng.choice([0.0, -0.0], 2500)
    wu, wv = rng.random(3000), rng.random(2500)
    got = _same_bits_both_sorts(monkeypatch, lambda: wasserstein_1d(u, v, wu, wv, p=p))
    if p == 1:
        assert got == pytest.approx(st.wasserstein_distance(u, v, wu, wv), rel=1e-12)


def test_weighted_batched_bit_identical(monkeypatch):
    # batched weighted rows through either argsort: each row equals its unbatched call
    rng = np.random.default_rng(RNG_SEED)
    U = np.round(rng.standard_normal((4, 700)), 1)
    W = rng.random((4, 700))
    v = rng.standard_normal(600)
    got = _same_bits_both_sorts(monkeypatch, lambda: wasserstein_1d(U, v, W, None, p=2))
    for i in range(4):
        assert _bits(got[i]) == _bits(wasserstein_1d(U[i], v, W[i], None, p=2))
