"""The shared validator: every kind of bad input gets a clear error naming it."""
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
