"""The extremes of issue 7 §2, numpy side: each case gives the right value or a clear
ValueError raised by divgan; never a hang, NaN, a silent 0.0 or a wrong number.

Oracles: closed forms (all mass of one point moved to another: W_p = the distance, for
every p), and scaling invariance W_p(c x, c y) = c W_p(x, y) with the unscaled problem
computed in the test by scipy or POT. Powers of ten are not powers of two, so c·x rounds
each value by eps/2: the tolerances below are a few eps relative.
"""
import math
import threading

import numpy as np
import ot
import pytest
from scipy import stats
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from divgan.divergences import (
    gaussian_kl,
    gaussian_w2,
    js_divergence_density,
    kl_divergence_density,
)
from divgan.estimators import kl_divergence_knn
from divgan.wasserstein import (
    earth_movers_distance,
    kantorovich_potential_1d,
    sliced_wasserstein,
    wasserstein_1d,
    wasserstein_1d_shifts,
    wasserstein_distance,
)

# c·x rounds every value by eps/2 relative and the kernels sum compensated: 1e-13 leaves
# a wide margin above ~1e-15 and fails for any lost scale (0.0, NaN, a wrong power).
RTOL = 1e-13


def returns_within(seconds, fn, *args, **kwargs):
    """Call ``fn`` in a daemon thread (the kernels release the GIL); fail on a hang."""
    box = {}

    def target():
        try:
            box["value"] = fn(*args, **kwargs)
        except Exception as exc:  # re-raised below
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"{fn.__name__} did not return within {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


# ---------------------------------------------------------------------------- hangs
@pytest.mark.parametrize("p", [1, 2, math.inf])
def test_huge_weights_do_not_hang_and_scale_does_not_matter(p):
    # Weights are normalised: [1e308, 1e308] is [1, 1]. Oracle: scipy with [1, 1].
    got = returns_within(60, wasserstein_1d, [0.0, 1.0], [0.0, 1.0], [1e308, 1e308], [1, 1], p=p)
    assert got == 0.0  # the same distribution
    got = returns_within(60, wasserstein_1d, [0.0, 1.0], [0.0, 1.0], [1e308, 1e308], [1, 3], p=p)
    if p == math.inf:
        assert got == 1.0  # a quarter of the mass moves from 0 to 1
    else:
        # CDFs differ by 1/4 on [0, 1): W_p^p = 1/4
        expected = stats.wasserstein_distance([0.0, 1.0], [0.0, 1.0], [1, 1], [1, 3]) ** (1 / p)
        assert got == pytest.approx(expected, rel=RTOL)


def test_sliced_with_huge_weights_equals_unit_weights():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(2, 2)), rng.normal(size=(3, 2))
    big = returns_within(60, sliced_wasserstein, x, y, [1e308, 1e308], [1e308, 1e308, 1e308],
                         seed=4)
    # dividing by the max gives exactly [1, 1]: the same computation as unit weights
    assert big == sliced_wasserstein(x, y, [1.0, 1.0], [1.0, 1.0, 1.0], seed=4)
    assert big == pytest.approx(sliced_wasserstein(x, y, seed=4), rel=1e-14)


# ------------------------------------------------------------- overflow and underflow
@pytest.mark.parametrize("p", [1, 2, 3.5, 1100, math.inf])
@pytest.mark.parametrize("distance", [1e308, 1e200, 2.0, 1e-200, 5e-324])
def test_two_points_give_their_distance_for_every_p(p, distance):
    # All mass moves by `distance`: W_p = distance exactly, whatever p.
    assert wasserstein_1d([0.0, 0.0], [distance, distance], p=p) == pytest.approx(
        distance, rel=RTOL)
    assert wasserstein_1d([0.0], [distance], p=p) == pytest.approx(distance, rel=RTOL)


def test_a_distance_beyond_the_float_range_is_refused():
    # The true W_1 = 2e308 is not a float64: say so instead of returning inf or NaN.
    with pytest.raises(ValueError, match="beyond the largest float64"):
        wasserstein_1d([-1e308], [1e308])
    with pytest.raises(ValueError, match="beyond the largest float64"):
        earth_movers_distance([1, 0], [0, 1], positions=[-1e308, 1e308])


@pytest.mark.parametrize("c", [1e200, 1e-200])
@pytest.mark.parametrize("p", [1, 2])
def test_1d_and_shifts_scale_with_the_samples(c, p):
    rng = np.random.default_rng(1)
    u, v = rng.normal(size=50), rng.normal(1.0, 2.0, size=70)
    # unscaled oracle: scipy's W_1 (p = 1) or the quantile sum written here (p = 2)
    if p == 1:
        ref = stats.wasserstein_distance(u, v)
    else:
        t = np.linspace(0, 1, 50 * 70 + 1)[1:] - 0.5 / (50 * 70)  # midpoints of the levels
        ref = math.sqrt(np.mean((np.quantile(u, t, method="inverted_cdf")
                                 - np.quantile(v, t, method="inverted_cdf")) ** 2))
    assert wasserstein_1d(c * u, c * v, p=p) == pytest.approx(c * ref, rel=1e-12)
    shifts = np.array([-0.5, 0.0, 2.0])
    refs = [stats.wasserstein_distance(u, v + s) for s in shifts]
    got = wasserstein_1d_shifts(c * u, c * v, c * shifts)
    np.testing.assert_allclose(got, c * np.array(refs), rtol=1e-12)


@pytest.mark.parametrize("c", [1e200, 1e-200])
def test_point_clouds_scale_with_the_samples(c):
    # Oracle: POT's emd2 on the unscaled clouds, computed here.
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(6, 2)), rng.normal(2.0, 1.0, size=(5, 2))
    a, b = np.full(6, 1 / 6), np.full(5, 1 / 5)
    w1 = ot.emd2(a, b, cdist(x, y))
    w2 = math.sqrt(ot.emd2(a, b, cdist(x, y, "sqeuclidean")))
    assert wasserstein_distance(c * x, c * y) == pytest.approx(c * w1, rel=1e-12)
    assert wasserstein_distance(c * x, c * y, p=2) == pytest.approx(c * w2, rel=1e-12)


@pytest.mark.parametrize("c", [1e200, 1e-200])
def test_sliced_scales_with_the_samples(c):
    # Oracle: the same directions (drawn from the same seed, as documented) and scipy's
    # 1-D W_1 on each unscaled projection, averaged.
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(40, 3)), rng.normal(0.5, 1.0, size=(30, 3))
    theta = np.random.default_rng(9).standard_normal((16, 3))
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    ref = np.mean([stats.wasserstein_distance(x @ t, y @ t) for t in theta])
    assert sliced_wasserstein(c * x, c * y, n_projections=16, seed=9) == pytest.approx(
        c * ref, rel=1e-12)


def test_piles_on_a_huge_grid():
    # Nothing moves: 0 work, not 0·inf = NaN.
    assert earth_movers_distance([1, 0], [1, 0], positions=[-1e308, 1e308]) == 0.0
    # One shovel across 2e307: closed form.
    assert earth_movers_distance([1, 0], [0, 1], positions=[-1e307, 1e307]) == pytest.approx(
        2e307, rel=RTOL)
    # Huge piles on the unit grid: 1e307 shovels carried 2 steps is 2e307; 1e308 carried 2
    # steps is beyond float64 and refused (not inf).
    assert earth_movers_distance([1e307, 0, 0], [0, 0, 1e307]) == pytest.approx(2e307, rel=RTOL)
    with pytest.raises(ValueError, match="beyond the largest float64"):
        earth_movers_distance([1e308, 0, 0], [0, 0, 1e308])


def test_gaussian_kl_with_extreme_variances():
    # Closed form: ½(ln(σq²/σp²) + σp²/σq² − 1) = ½(600 ln 10 + 1e-600 − 1).
    expected = 0.5 * (600 * math.log(10.0) - 1.0)
    assert gaussian_kl(0.0, 1e-300, 0.0, 1e300) == pytest.approx(expected, rel=1e-14)
    assert gaussian_kl([0.0], [[1e-300]], [0.0], [[1e300]]) == pytest.approx(expected, rel=1e-14)
    # and the other way round: ½(−600 ln 10 + 1e600 − 1) is beyond the float range
    with pytest.raises(ValueError, match="beyond the largest float64"):
        gaussian_kl(0.0, 1e300, 0.0, 1e-300)


def test_gaussian_w2_with_tiny_covariances():
    # W_2² = tr(Σp + Σq − 2(Σq^½ Σp Σq^½)^½) = 2 (1 + 4 − 2·2) 1e-300 = 2e-300.
    eye = np.eye(2)
    got = gaussian_w2([0.0, 0.0], 1e-300 * eye, [0.0, 0.0], 4e-300 * eye)
    assert got == pytest.approx(math.sqrt(2e-300), rel=1e-12)
    got = gaussian_w2([0.0, 0.0], 1e300 * eye, [0.0, 0.0], 4e300 * eye)
    assert got == pytest.approx(math.sqrt(2e300), rel=1e-12)


def _wkv(x, y):
    """The Wang–Kulkarni–Verdú estimate (k = 1) written out with scipy's cKDTree."""
    n, d = x.shape
    rho = cKDTree(x).query(x, k=[2])[0][:, 0]
    nu = cKDTree(y).query(x, k=[1])[0][:, 0]
    return d * float(np.mean(np.log(nu / rho))) + math.log(y.shape[0] / (n - 1))


@pytest.mark.parametrize("c", [1e200, 1e-200])
def test_knn_kl_is_scale_invariant(c):
    # KL is invariant under x -> c x; oracle: the estimator on the unscaled data.
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(300, 2)), rng.normal(0.5, 1.0, size=(300, 2))
    got = kl_divergence_knn(c * x, c * y, seed=0)
    assert got.estimate == pytest.approx(_wkv(x, y), rel=1e-9)
    assert math.isfinite(got.value)


def test_kantorovich_potential_with_huge_weights():
    # Normalised weights: [1e308, 1e308] is [1, 1]. Closed form for u = {0, 1} against
    # v = {2}: F_v − F_u <= 0 on [0, 2), so f(x) = −(x − 0) up to 2, then constant.
    x = [-1.0, 0.0, 0.5, 1.0, 2.0, 3.0]
    got = kantorovich_potential_1d([0.0, 1.0], [2.0], x, u_weights=[1e308, 1e308])
    np.testing.assert_array_equal(got, [0.0, 0.0, -0.5, -1.0, -2.0, -2.0])


def test_wasserstein_distance_with_huge_weights():
    # 2-D clouds: POT alone raises a bare AssertionError here; weights are normalised.
    x, y = [[0.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [1.0, 1.0]]
    assert wasserstein_distance(x, y, [1e308, 1e308]) == pytest.approx(1.0, rel=RTOL)
    assert wasserstein_distance([0.0, 1.0], [2.0, 3.0], [1e308, 1e308]) == 2.0  # 1-D path


# ------------------------------------------------------------------------ densities
@pytest.mark.parametrize("func", [kl_divergence_density, js_divergence_density])
@pytest.mark.parametrize("bad", [stats.norm(np.nan, 1), stats.norm(0, -1), stats.norm(0, 0)])
def test_density_with_invalid_parameters_is_refused(func, bad):
    with pytest.raises(ValueError, match="q"):
        func(stats.norm(0, 1), bad)
    with pytest.raises(ValueError, match="p"):
        func(bad, stats.norm(0, 1))
