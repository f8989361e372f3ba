"""The shared validator: every kind of bad input gets a clear error naming it."""
import math

import numpy as np
import pytest

from divgan import _validation as v


@pytest.mark.parametrize(
    "bad, exc, words",
    [
        ([1.0, -0.5], ValueError, "non-negative"),
        ([1.0, np.nan], ValueError, "finite"),
        ([1.0, np.inf], ValueError, "finite"),
        ([0.0, 0.0], ValueError, "all-zero"),
        ([], ValueError, "empty"),
        (3.0, ValueError, "1-D"),
        (["a", "b"], TypeError, "real numbers"),
        ([1 + 1j, 1], TypeError, "real numbers"),
        (None, TypeError, "None"),
    ],
)
def test_as_pmf_rejects(bad, exc, words):
    with pytest.raises(exc, match=words):
        v.as_pmf(bad, "p")


def test_as_pmf_keeps_values_and_dtype():
    out = v.as_pmf([1, 2, 3], "p")
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [1.0, 2.0, 3.0])


def test_as_pmf_checks_each_row_along_axis():
    with pytest.raises(ValueError, match="all-zero"):
        v.as_pmf([[1.0, 2.0], [0.0, 0.0]], "p", axis=-1)
    v.as_pmf([[1.0, 0.0], [0.0, 1.0]], "p", axis=0)  # each column has mass 1
    with pytest.raises(ValueError, match="all-zero"):
        v.as_pmf([[1.0, 0.0], [1.0, 0.0]], "p", axis=0)  # second column is empty
    with pytest.raises(ValueError, match="out of range"):
        v.as_pmf([1.0, 2.0], "p", axis=3)


def test_samples_points_weights():
    with pytest.raises(ValueError, match="empty"):
        v.as_samples([], "u")
    with pytest.raises(ValueError, match="finite"):
        v.as_samples([0.0, np.nan], "u")
    assert v.as_points([1.0, 2.0], "x").shape == (2, 1)
    with pytest.raises(ValueError, match="coordinates per point"):
        v.as_points(np.zeros((3, 2)), "y", dim=3)
    with pytest.raises(ValueError, match="shape"):
        v.as_weights([1.0, 2.0], (3,), "u_weights")
    with pytest.raises(ValueError, match="positive total"):
        v.as_weights([0.0, 0.0], (2,), "u_weights")
    assert v.as_weights(None, (2,)) is None


@pytest.mark.parametrize("p, exc", [(0.5, ValueError), (np.nan, ValueError), ("2", TypeError), (True, TypeError)])
def test_check_p(p, exc):
    with pytest.raises(exc, match="p must"):
        v.check_p(p)


def test_check_p_accepts_inf_and_ints():
    assert v.check_p(np.inf) == np.inf
    assert v.check_p(2) == 2.0


def test_check_positive_int_and_base():
    with pytest.raises(TypeError):
        v.check_positive_int(2.5, "k")
    with pytest.raises(ValueError, match="k must be >= 1"):
        v.check_positive_int(0, "k")
    assert v.check_base(None) is None
    assert v.check_base(2) == 2.0
    for bad in (1, 0, -2, 0.5, np.inf, np.nan):
        with pytest.raises(ValueError, match="base"):
            v.check_base(bad)


def test_check_fraction():
    assert v.check_fraction(0.95, "confidence") == 0.95
    for bad in (0, 1, 1.5, -0.1, np.nan):
        with pytest.raises(ValueError, match="confidence"):
            v.check_fraction(bad, "confidence")
    with pytest.raises(TypeError, match="confidence"):
        v.check_fraction("0.9", "confidence")


def test_as_pmf_pair_rows_totals_and_rescaling():
    pair = v.as_pmf_pair([[1.0, 3.0], [0.0, 2.0]], [1.0, 1.0])
    assert pair.batch == (2,)
    assert pair.p.shape == pair.q.shape == (2, 2)
    np.testing.assert_array_equal(pair.p_total, [4.0, 2.0])
    np.testing.assert_array_equal(pair.p_min, [1.0, 0.0])
    # totals out of [2**-1000, 2**1000] (here one that overflows float64) are brought in
    # by an exact power of two: the pmf, entry over total, is unchanged
    big = v.as_pmf_pair([1e308, 1e308], [1.0, 1.0])
    assert np.isfinite(big.p_total).all() and 2.0**-1000 <= big.p_total[0] <= 2.0**1000
    np.testing.assert_array_equal(big.p[0] / big.p_total[0], [0.5, 0.5])
    # a row spanning 1e-300 to 1e300 is left alone: rescaling it would lose its small entries
    wide = v.as_pmf_pair([1e-300, 1e300], [1.0, 1.0])
    assert wide.p[0, 0] == 1e-300
    tiny = v.as_pmf_pair([5e-324, 1e-320], [1.0, 1.0])
    assert 2.0**-1000 <= tiny.p_total[0] <= 2.0**1000
    assert tiny.p[0, 1] / tiny.p[0, 0] == 1e-320 / 5e-324  # scaling up is exact
    for p, q, exc, words in [([1.0, -1.0], [1.0, 1.0], ValueError, "non-negative"),
                             ([1.0, 1.0], [np.nan, 1.0], ValueError, "finite"),
                             ([0.0, 0.0], [1.0, 1.0], ValueError, "all-zero"),
                             ([1.0, 1.0], [1.0], ValueError, "same length"),
                             ([1.0, 1.0], [1.0, 1.0], TypeError, "axis")]:
        kwargs = {"axis": 0.5} if exc is TypeError else {}
        with pytest.raises(exc, match=words):
            v.as_pmf_pair(p, q, **kwargs)


def test_weights_are_divided_by_their_largest():
    # the weights' scale never matters (they are normalised by the callers), and a
    # running sum of weights of at most 1 cannot overflow
    np.testing.assert_array_equal(v.as_weights([1e308, 5e307], (2,)), [1.0, 0.5])
    np.testing.assert_array_equal(v.as_weights([[2.0, 4.0], [1.0, 0.0]], (2, 2)),
                                  [[0.5, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="positive total"):
        v.as_weights([[1.0, 1.0], [0.0, 0.0]], (2, 2))


def test_piles_and_grids():
    pm, qm, sp, sq = v.as_piles([1, 2], [2, 1])
    assert (sp, sq) == (3.0, 3.0) and pm.dtype == np.float64
    with pytest.raises(ValueError, match="overflows"):
        v.as_piles([1e308, 1e308], [1.0, 1.0])
    with pytest.raises(ValueError, match="non-negative"):
        v.as_piles([1.0, -1.0], [1.0, 1.0])
    assert v.as_grid([0.0, 1.0, 3.0], 3).tolist() == [0.0, 1.0, 3.0]
    with pytest.raises(ValueError, match="strictly increasing"):
        v.as_grid([0.0, 0.0], 2)
    with pytest.raises(ValueError, match="finite"):
        v.as_grid([0.0, np.inf], 2)


@pytest.mark.parametrize("layout", ["contiguous", "strided", "negative zero", "zeros"])
def test_pmf_pair_totals_and_minima_match_numpy(layout):
    # The one-pass kernel (C-contiguous rows without sign bits) and the NumPy fallback
    # (strided rows, -0.0) must give the same totals (to rounding) and the same minima
    # as the NumPy reductions; oracle: math.fsum and np.min row by row.
    rng = np.random.default_rng(11)
    p = rng.random((3, 5001)) + 1e-3
    q = rng.random((3, 5001)) * 1e-200 + 1e-250
    if layout == "strided":
        p, q = np.asfortranarray(p)[:, ::2], np.asfortranarray(q)[:, ::2]
    elif layout == "negative zero":
        p[1, 17] = -0.0
    elif layout == "zeros":
        p[0, 4000] = 0.0
        q[2, :] = 0.0
        q[2, 9] = 3.0
    pair = v.as_pmf_pair(p, q)
    for r in range(p.shape[0]):
        for rows, total, low in ((p, pair.p_total, pair.p_min), (q, pair.q_total, pair.q_min)):
            assert total[r] == pytest.approx(math.fsum(rows[r]), rel=1e-14)
            assert low[r] == np.min(rows[r])
    assert pair.p_min[0] == (0.0 if layout == "zeros" else np.min(p[0]))


@pytest.mark.parametrize("bad, match", [(-1e-300, "non-negative"), (np.nan, "finite"),
                                        (np.inf, "finite"), (-np.nan, "finite")])
def test_pmf_pair_bad_entry_after_many_good_ones(bad, match):
    p = np.full((2, 3000), 0.5)
    p[1, 2999] = bad
    with pytest.raises(ValueError, match=f"p must be {match}"):
        v.as_pmf_pair(p, np.ones(3000))
