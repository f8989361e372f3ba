"""Exact distances on torch tensors (divgan.gan.metrics) against the numpy side, scipy, POT and
closed forms; gradients by finite differences (gradcheck); bad input with the numpy side's words.

Tolerances: the torch and numpy 1-D paths sort the same values and pair the same atoms, so
they differ only in the order of a sum of at most n + m terms (and, torch-side, a division by
the largest difference and a multiplication back, two roundings): relative error below
(n + m + 4) eps, < 1e-13 for n + m <= 300, asserted at 1e-12. The Gaussian formulas go through
two symmetric eigen-decompositions; for well-conditioned covariances (condition < 1e3, d <= 5)
eigenvalues carry a relative error of a few d eps each, far below 1e-12.
"""
from __future__ import annotations

import inspect
import math
import re

import numpy as np
import pytest
import scipy.stats as st

torch = pytest.importorskip("torch")

import divgan  # noqa: E402
from divgan._ot import _sliced  # noqa: E402
from divgan.gan import metrics  # noqa: E402
from divgan.gan.metrics import (  # noqa: E402
    frechet_distance,
    gaussian_w2,
    sliced_wasserstein,
    wasserstein_1d,
)

PS = [1, 2, 3.5, math.inf]
F64 = torch.float64


def T(a, device="cpu", requires_grad=False):
    t = torch.tensor(np.asarray(a, dtype=float), dtype=F64, device=device)
    return t.requires_grad_(requires_grad)


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


# ----------------------------------------------------------------------------- 1-D vs numpy
SHAPES = [((50,), (50,)), ((50,), (37,)), ((1,), (9,)), ((3, 1, 40), (4, 25)), ((2, 30), (2, 30)),
          ((40,), (4, 25)), ((4, 25), (25,))]


@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("weights", ["none", "both", "v only"])
def test_wasserstein_1d_matches_numpy_side(p, shapes, weights):
    # same definition, same pairing: 1e-12 relative (module docstring)
    rng = np.random.default_rng(len(shapes[0]) * 100 + shapes[1][-1])
    u, v = rng.normal(size=shapes[0]), rng.normal(0.3, 2.0, size=shapes[1])
    wu = rng.random(shapes[0]) if weights == "both" else None
    wv = rng.random(shapes[1]) if weights != "none" else None
    if wu is not None and wu.shape[-1] > 1:
        wu[..., 0] = 0.0  # a zero-mass atom must not count, also not for W_inf
    expected = divgan.wasserstein_1d(u, v, wu, wv, p=p)
    got = wasserstein_1d(T(u), T(v), None if wu is None else T(wu), None if wv is None else T(wv),
                         p=p)
    assert got.dtype == F64 and tuple(got.shape) == np.shape(expected)
    assert _rel(got.numpy(), expected) < 1e-12


def test_wasserstein_1d_matches_scipy_weighted():
    # scipy integrates |F_u - F_v| (the CDF form of W1, another algorithm): n + m = 140 terms,
    # each rounded once or twice, so 1e-12 relative holds with a wide margin
    rng = np.random.default_rng(1)
    u, v = rng.exponential(size=60), rng.normal(1.0, 0.5, size=80)
    wu, wv = rng.random(60), rng.random(80)
    expected = st.wasserstein_distance(u, v, wu, wv)
    assert _rel(wasserstein_1d(T(u), T(v), T(wu), T(wv)).item(), expected) < 1e-12


@pytest.mark.parametrize("p", [1, 2, 3.0])
def test_wasserstein_1d_matches_pot(p):
    # POT's ot.wasserstein_1d returns W_p^p (its own merge); one root adds one rounding
    ot = pytest.importorskip("ot")
    rng = np.random.default_rng(2)
    u, v = rng.normal(size=70), rng.normal(1.0, 1.0, size=45)
    expected = float(ot.wasserstein_1d(u, v, p=p)) ** (1.0 / p)
    assert _rel(wasserstein_1d(T(u), T(v), p=p).item(), expected) < 1e-12


# ----------------------------------------------------------------------------- 1-D closed forms
@pytest.mark.parametrize("p", PS)
def test_shift_and_point_masses(p):
    # W_p(u, u + a) = |a| (the monotone coupling moves every atom by a); W_p(delta_x, delta_y) =
    # |x - y|; 1e-15: one subtraction and one power/root per term, then a mean of equal terms
    u = T(np.random.default_rng(3).normal(size=40))
    assert wasserstein_1d(u, u + 2.5, p=p).item() == pytest.approx(2.5, rel=1e-14)
    assert wasserstein_1d(T([2.5] * 3), T([-1.0, -1.0]), p=p).item() == pytest.approx(3.5, rel=1e-15)


def test_two_point_weighted_closed_form():
    # weights 3:1 against 1:3 on {0, 1}: half the mass moves by 1, W1 = 1/2, W2 = sqrt(1/2),
    # W_inf = 1 (numbers exact in binary except the root, one rounding)
    a, w1, w2 = T([0.0, 1.0]), T([3.0, 1.0]), T([1.0, 3.0])
    assert wasserstein_1d(a, a, w1, w2).item() == 0.5
    assert wasserstein_1d(a, a, w1, w2, p=2).item() == pytest.approx(math.sqrt(0.5), rel=1e-16)
    assert wasserstein_1d(a, a, w1, w2, p=math.inf).item() == 1.0


@pytest.mark.parametrize("p", PS)
def test_zero_weight_atoms_do_not_count(p):
    # the atom at 100 has no mass: u is delta_0, so W_p(u, delta_0) = 0, also for p = inf
    # (exact: every positive-mass pair has difference 0)
    got = wasserstein_1d(T([0.0, 100.0]), T([0.0, 0.0, 0.0]), T([1.0, 0.0]), None, p=p)
    assert got.item() == 0.0
    got = wasserstein_1d(T([100.0, 0.0, 3.0]), T([1.0]), T([0.0, 1.0, 1.0]), p=p)
    assert got.item() == pytest.approx(2.0 if p == math.inf else (0.5 + 0.5 * 2.0**p) ** (1 / p),
                                       rel=1e-15)
    # a zero-weight atom sorted first sits on the zero-length segment at level 0
    assert wasserstein_1d(T([-100.0, 0.0]), T([0.0]), T([0.0, 1.0]), p=p).item() == 0.0


@pytest.mark.parametrize("p", [1, 2, 3.5])
def test_differences_beyond_float64_with_a_representable_distance(p):
    # u = {0: 0.4, 1.2e308: 0.6} against v = {-1.2e308: 0.6, 0: 0.4}: on the quantile levels
    # (0.4, 0.6] 1.2e308 meets -1.2e308, a difference of 2.4e308 > float64's 1.8e308, yet
    # W1 = 1.44e308 and W2 = 1.52e308 exist. Scaled by 2**-1000 (exact) the numpy side
    # computes the same problem without overflow: 1e-14 relative
    big, k = 1.2e308, 2.0**-1000
    u, v, wu, wv = [0.0, big], [-big, 0.0], [0.4, 0.6], [0.6, 0.4]
    expected = divgan.wasserstein_1d(np.multiply(u, k), np.multiply(v, k), wu, wv, p=p) / k
    assert math.isfinite(expected)
    assert _rel(wasserstein_1d(T(u), T(v), T(wu), T(wv), p=p).item(), expected) < 1e-14
    # W_inf is that 2.4e308 itself: it overflows honestly to inf
    assert wasserstein_1d(T(u), T(v), T(wu), T(wv), p=math.inf).item() == math.inf


@pytest.mark.parametrize("p", [2, 7.0, 20.0, 50.0])
def test_small_gaps_beside_a_far_outlier_survive_high_powers(p):
    # the outlier 1e5 is matched to itself; the other gaps are 1e-20, so W_p^p = (3/4) 1e-20^p,
    # which underflows float64 for p >= 16 unless the gaps are divided by the largest one before
    # powering: W_p = 1e-20 (3/4)^(1/p), to a few roundings (1e-14)
    u = T([1e5, 1e-20, 2e-20, 3e-20])
    v = T([1e5, 2e-20, 3e-20, 4e-20])
    assert _rel(wasserstein_1d(u, v, p=p).item(), 1e-20 * 0.75 ** (1 / p)) < 1e-14


@pytest.mark.parametrize("scale", [1e200, 1e-200, 1e300, 1e-300])
@pytest.mark.parametrize("p", [1, 2, 7.0, math.inf])
def test_extreme_scales_are_homogeneous(scale, p):
    # W_p(s u, s v) = s W_p(u, v). |d|^p would overflow (1e200^2) or underflow (1e-200^2)
    # unscaled; scaled, the only extra roundings are the multiplications by s: 1e-14 relative
    rng = np.random.default_rng(4)
    u, v = rng.normal(size=10), rng.normal(size=13)
    expected = divgan.wasserstein_1d(u, v, p=p) * scale
    assert _rel(wasserstein_1d(T(u * scale), T(v * scale), p=p).item(), expected) < 1e-14
    assert _rel(wasserstein_1d(T(u * scale), T(v * scale), T(np.ones(10)), None, p=p).item(),
                expected) < 1e-14


def test_float32_and_half_inputs_keep_their_dtype():
    # float32 sums of 200 terms: relative error ~ 200 * 6e-8 at worst; half is computed in float32
    # and rounded once to half (rel 2**-11 = 5e-4)
    rng = np.random.default_rng(5)
    u, v = rng.normal(size=100), rng.normal(1.0, 1.0, size=100)
    exact = divgan.wasserstein_1d(u, v, p=2)
    w32 = wasserstein_1d(torch.tensor(u, dtype=torch.float32), torch.tensor(v, dtype=torch.float32),
                         p=2)
    assert w32.dtype == torch.float32 and w32.item() == pytest.approx(exact, rel=2e-5)
    w16 = wasserstein_1d(torch.tensor(u).half(), torch.tensor(v).half(), p=2)
    assert w16.dtype == torch.float16 and w16.item() == pytest.approx(exact, rel=2e-3)


# ----------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("p", PS)
def test_wasserstein_1d_gradcheck(p):
    # gradcheck compares autograd with central finite differences (eps 1e-6, atol 1e-5); the
    # samples are apart by >> 1e-6 so the matching does not change inside the difference step
    rng = np.random.default_rng(6)
    u = T(rng.normal(size=(2, 5)), requires_grad=True)
    v = T(rng.normal(size=(3, 1, 4)), requires_grad=True)
    same = T(rng.normal(size=6), requires_grad=True)
    wu = T(rng.random((2, 5)) + 0.1, requires_grad=True)
    wv = T(rng.random((3, 1, 4)) + 0.1, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: wasserstein_1d(a, b, p=p), (u, v))
    assert torch.autograd.gradcheck(lambda a, b: wasserstein_1d(a, b, p=p),
                                    (same, same.detach() + T(rng.normal(size=6))))
    assert torch.autograd.gradcheck(lambda a, b, c, d: wasserstein_1d(a, b, c, d, p=p),
                                    (u, v, wu, wv))


def test_gradient_of_the_sorted_matching_and_of_zero_distance():
    # dW1/du_i = sign(u_(i) - v_(i)) / n along the matching; at W2 = 0 the gradient is 0, not NaN
    u = T([3.0, 0.0, 1.0], requires_grad=True)
    wasserstein_1d(u, T([0.5, 5.0, -1.0])).backward()
    # sorted u = (0, 1, 3) meets (-1, 0.5, 5): signs +, +, -  at original positions 1, 2, 0
    assert u.grad.tolist() == pytest.approx([-1 / 3, 1 / 3, 1 / 3], abs=1e-16)
    x = T([1.0, 2.0], requires_grad=True)
    wasserstein_1d(x, x.detach().clone(), p=2).backward()
    assert x.grad.tolist() == [0.0, 0.0]


# ----------------------------------------------------------------------------- sliced
@pytest.mark.parametrize("p", PS)
def test_sliced_matches_numpy_side_on_the_same_directions(p):
    # same directions (drawn as documented), same per-direction W_p: 1e-12 relative; the torch
    # power mean divides by the largest W_l first (two more roundings)
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(60, 3)), rng.normal(0.5, 1.5, size=(45, 3))
    theta = metrics._directions(20, 3, torch.Generator().manual_seed(11))
    expected = _sliced(x, y, None, None, float(p), theta.numpy())
    got = sliced_wasserstein(T(x), T(y), p=p, n_projections=20,
                             generator=torch.Generator().manual_seed(11))
    assert _rel(got.item(), expected) < 1e-12
    assert got.item() == sliced_wasserstein(T(x), T(y), p=p, n_projections=20, generator=11).item()


@pytest.mark.parametrize("p", [1, 2])
def test_sliced_chunks_change_nothing(p):
    # each direction is computed on its own, so chunking only regroups the projections; the
    # matrix products may be blocked differently (one rounding per term): 1e-14
    rng = np.random.default_rng(8)
    x, y = T(rng.normal(size=(30, 4))), T(rng.normal(size=(20, 4)))
    theta = metrics._directions(17, 4, torch.Generator().manual_seed(0)).to(F64)
    whole = metrics._sliced_per_direction(x, y, theta, float(p), chunk_elements=10**9)
    pieces = metrics._sliced_per_direction(x, y, theta, float(p), chunk_elements=120)  # 2 rows
    assert _rel(pieces.numpy(), whole.numpy()) < 1e-14


@pytest.mark.parametrize("p", PS)
def test_sliced_in_one_dimension_is_the_1d_distance(p):
    # d = 1: every direction is +1 or -1 and W_p is invariant under x -> -x, so SW_p = W_p
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=25), rng.normal(1.0, 2.0, size=30)
    got = sliced_wasserstein(T(x), T(y), p=p, n_projections=5, generator=0).item()
    assert _rel(got, divgan.wasserstein_1d(x, y, p=p)) < 1e-12


def test_sliced_gradcheck_and_extremes():
    # gradcheck as above (fixed directions); homogeneity SW(s x, s y) = s SW(x, y) at 1e+-250
    rng = np.random.default_rng(10)
    x = T(rng.normal(size=(6, 3)), requires_grad=True)
    y = T(rng.normal(size=(5, 3)), requires_grad=True)
    for p in (1, 2, math.inf):
        assert torch.autograd.gradcheck(
            lambda a, b: sliced_wasserstein(a, b, p=p, n_projections=7, generator=0), (x, y))
    base = sliced_wasserstein(x, y, p=2, generator=3).item()
    for s in (1e250, 1e-250):
        assert _rel(sliced_wasserstein(x * s, y * s, p=2, generator=3).item(), base * s) < 1e-13


# ----------------------------------------------------------------------------- Gaussians
def _spd(rng, d, cond=10.0):
    q = st.ortho_group.rvs(d, random_state=rng)
    return (q * np.geomspace(1.0, cond, d)) @ q.T


@pytest.mark.parametrize("d", [1, 2, 5])
def test_gaussian_w2_matches_numpy_side(d):
    rng = np.random.default_rng(11 + d)
    mp, mq = rng.normal(size=d), rng.normal(size=d)
    cp, cq = _spd(rng, d), _spd(rng, d, cond=100.0)
    cp, cq = (cp + cp.T) / 2, (cq + cq.T) / 2
    expected = divgan.gaussian_w2(mp, cp, mq, cq)
    assert _rel(gaussian_w2(T(mp), T(cp), T(mq), T(cq)).item(), expected) < 1e-12
    # 1-D convention: scalar means with scalar variances, W2 = hypot(dmu, dsigma)
    got = gaussian_w2(T(0.5), T(4.0), T(-1.0), T(0.25)).item()
    assert got == pytest.approx(math.hypot(1.5, 1.5), rel=1e-16)
    assert _rel(got, divgan.gaussian_w2(0.5, 4.0, -1.0, 0.25)) < 1e-15


def test_gaussian_w2_commuting_near_singular_closed_form():
    # covariances diagonal in one basis commute: W2^2 = |dmu|^2 + sum (sqrt a_i - sqrt b_i)^2.
    # Half the eigenvalues are 0 (p) or below 1e-10 (q); rounding the rotated matrices moves a
    # zero eigenvalue by ~ d eps, which through the square root alone would cost ~1e-8
    # relative (the numpy side's error here); those are set to 0, and the remaining error is
    # that of well-conditioned eigenvalues plus sqrt(1e-10 * d eps) ~ 1e-12: asserted 1e-11
    rng = np.random.default_rng(12)
    for d in (4, 16, 64):
        q = st.ortho_group.rvs(d, random_state=rng)
        a, b = rng.random(d) + 0.5, rng.random(d) + 0.5
        a[: d // 2], b[: d // 2] = 0.0, 10.0 ** rng.uniform(-20, -16, d // 2)
        cp, cq = (q * a) @ q.T, (q * b) @ q.T
        cp, cq = (cp + cp.T) / 2, (cq + cq.T) / 2
        mp, mq = rng.normal(size=d), rng.normal(size=d)
        exact = math.sqrt(np.sum((mp - mq) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2))
        assert _rel(gaussian_w2(T(mp), T(cp), T(mq), T(cq)).item(), exact) < 1e-11


def test_gaussian_w2_gradcheck_with_repeated_eigenvalues():
    # at identity covariances autograd through eigh divides by eigenvalue gaps (NaN); the
    # Sylvester backward of the matrix root is finite and matches finite differences there.
    # The covariances enter symmetrised, as gradcheck perturbs one entry at a time.
    rng = np.random.default_rng(13)
    m1, m2 = T(rng.normal(size=3), requires_grad=True), T(rng.normal(size=3), requires_grad=True)
    eye = torch.eye(3, dtype=F64, requires_grad=True)
    c = T(_spd(rng, 3), requires_grad=True)

    def f(a, b, c_, d):
        return gaussian_w2(a, (b + b.mT) / 2, c_, (d + d.mT) / 2)

    assert torch.autograd.gradcheck(f, (m1, eye, m2, c))
    assert torch.autograd.gradcheck(f, (m1, c, m2, eye))


def test_frechet_distance_matches_numpy_side():
    # sample means and unbiased covariances (numpy.cov's ddof=1), then the numpy gaussian_w2
    rng = np.random.default_rng(14)
    x = rng.normal(size=(40, 4))
    y = rng.normal(size=(30, 4)) @ rng.normal(size=(4, 4)) + 1.0
    expected = divgan.gaussian_w2(x.mean(0), np.cov(x, rowvar=False),
                                  y.mean(0), np.cov(y, rowvar=False))
    assert _rel(frechet_distance(T(x), T(y)).item(), expected) < 1e-12


@pytest.mark.parametrize("n, d", [(20, 64), (3, 8), (200, 6)])
def test_frechet_distance_rank_deficient_closed_form(n, d):
    # y = a x + s: Sigma_y = a^2 Sigma_x commutes with Sigma_x, so W2^2 = |dmu|^2 +
    # (1 - a)^2 tr Sigma_x exactly, even with fewer points than dimensions (rank n - 1 < d);
    # zero eigenvalues are cut at d eps lambda_max, so the error is that of the traces: 1e-13
    # (scipy.linalg.sqrtm of the product is off by ~1e-8 relative here)
    rng = np.random.default_rng(15)
    for a in (2.0, 0.5):
        x = rng.normal(size=(n, d))
        y = a * x + rng.normal(size=d)
        dm = y.mean(0) - x.mean(0)
        exact = math.sqrt(dm @ dm + (1 - a) ** 2 * np.trace(np.cov(x, rowvar=False)))
        assert _rel(frechet_distance(T(x), T(y)).item(), exact) < 1e-13


def test_frechet_gradcheck_and_extremes():
    rng = np.random.default_rng(16)
    x = T(rng.normal(size=(6, 3)), requires_grad=True)
    y = T(rng.normal(size=(5, 3)) + 1.0, requires_grad=True)
    assert torch.autograd.gradcheck(frechet_distance, (x, y))
    # homogeneity: d_F(s x, s y) = s d_F(x, y), W2(s m, s^2 C) = s W2(m, C); covariances
    # ~ s^2 = 1e+-500 only exist scaled, and the sandwich root_q C_p root_q ~ C^2 = 1e+-600
    # needs the scaling even when C ~ 1e+-300. Scaling by powers of two is exact, by s is not
    # (one rounding per input): 1e-13
    base = frechet_distance(x, y).item()
    for s in (1e250, 1e-250):
        assert _rel(frechet_distance(x * s, y * s).item(), base * s) < 1e-13
    cp, cq = T(_spd(rng, 3)), T(_spd(rng, 3))
    base = gaussian_w2(x[0], cp, y[0], cq).item()
    for s in (1e150, 1e-150):
        assert _rel(gaussian_w2(x[0] * s, cp * (s * s), y[0] * s, cq * (s * s)).item(),
                    base * s) < 1e-13


# ----------------------------------------------------------------------------- bad input
def _numpy_message(fn, *args, **kw):
    with pytest.raises((ValueError, TypeError)) as info:
        fn(*args, **kw)
    return str(info.value)


NAN, INF = float("nan"), float("inf")
BAD_1D = [
    ("u", [0.0, NAN, 1.0], [1.0, 2.0], None, None),
    ("u", [0.0, 1.0], [INF, 2.0], None, None),
    ("u", [[0.0, 1.0], [2.0, -INF]], [1.0], None, None),
    ("u", [], [1.0], None, None),
    ("u", [1.0, 2.0], [1.0, 2.0], [1.0, -1.0], None),
    ("u", [1.0, 2.0], [1.0, 2.0], [0.0, 0.0], None),
    ("u", [1.0, 2.0], [1.0, 2.0], None, [1.0, NAN]),
    ("u", [1.0, 2.0], [1.0, 2.0], [1.0, 2.0, 3.0], None),
    ("u", [[1.0, 2.0]] * 3, [[1.0, 2.0]] * 2, None, None),
]


@pytest.mark.parametrize("case", range(len(BAD_1D)))
def test_wasserstein_1d_refuses_what_the_numpy_side_refuses_in_its_words(case):
    _, u, v, wu, wv = BAD_1D[case]
    expected = _numpy_message(divgan.wasserstein_1d, u, v, wu, wv)
    expected = expected.replace("u_values", "u").replace("v_values", "v")
    with pytest.raises(ValueError) as info:
        wasserstein_1d(T(u), T(v), None if wu is None else T(wu), None if wv is None else T(wv))
    assert str(info.value) == expected


def test_sliced_and_frechet_refuse_bad_points_in_the_numpy_words():
    for x, y in [([[0.0, NAN]], [[1.0, 2.0]]), ([[0.0, 1.0]], [[1.0, 2.0, 3.0]]),
                 (np.zeros((0, 2)), [[1.0, 2.0]]), (np.zeros((2, 2, 2)), [[1.0, 2.0]])]:
        expected = _numpy_message(divgan.sliced_wasserstein, x, y)
        with pytest.raises(ValueError, match=re.escape(expected)):
            sliced_wasserstein(T(x), T(y))
        with pytest.raises(ValueError, match=re.escape(expected)):
            frechet_distance(T(x), T(y))
    with pytest.raises(ValueError, match="x needs at least 2 points"):
        frechet_distance(T([[0.0, 1.0]]), T([[1.0, 2.0], [0.0, 0.0]]))


def test_gaussian_w2_refuses_in_the_numpy_words():
    cases = [(0.0, -1.0, 0.0, 1.0), ([0.0, 0.0], [[1.0, 2.0], [0.0, 1.0]], [0.0, 0.0], np.eye(2)),
             ([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], [0.0, 0.0], np.eye(2)),
             ([0.0, NAN], np.eye(2), [0.0, 0.0], np.eye(2)), (0.0, np.eye(2), 0.0, 1.0),
             ([0.0, 0.0], np.eye(3), [0.0, 0.0], np.eye(2)), ([0.0], [[1.0]], 0.0, 1.0)]
    for case in cases:
        expected = _numpy_message(divgan.gaussian_w2, *case)
        with pytest.raises(ValueError) as info:
            gaussian_w2(*(T(a) for a in case))
        assert str(info.value) == expected


def test_integer_samples_are_read_as_float64_like_the_numpy_side():
    # integers are exact in float64; W1({0, 1, 5}, {2, 3}) by the numpy side, 1e-15
    got = wasserstein_1d(torch.tensor([0, 1, 5]), torch.tensor([2, 3]))
    assert got.dtype == F64
    assert got.item() == pytest.approx(divgan.wasserstein_1d([0, 1, 5], [2, 3]), rel=1e-15)


def test_types_p_projections_and_devices_are_checked():
    with pytest.raises(TypeError, match="u must be a torch.Tensor"):
        wasserstein_1d([0.0, 1.0], T([1.0]))
    with pytest.raises(ValueError, match=re.escape("p must be >= 1 (or inf), got 0.5")):
        wasserstein_1d(T([0.0]), T([1.0]), p=0.5)
    with pytest.raises(ValueError, match="n_projections must be >= 1, got 0"):
        sliced_wasserstein(T([[0.0]]), T([[1.0]]), n_projections=0)
    with pytest.raises(TypeError, match="generator must be"):
        sliced_wasserstein(T([[0.0]]), T([[1.0]]), generator=np.random.default_rng(0))
    with pytest.raises(ValueError, match="all inputs must be on one device, got u on cpu, v on meta"):
        wasserstein_1d(T([0.0, 1.0]), torch.empty(3, device="meta", dtype=F64))


# ----------------------------------------------------------------------------- devices
def test_outputs_stay_on_the_inputs_device_and_the_module_never_copies_to_the_host():
    x, y = T([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]]), T([[1.0, 1.0], [3.0, 0.0]])
    for out in (wasserstein_1d(x[:, 0], y[:, 0]), sliced_wasserstein(x, y, generator=0),
                frechet_distance(x, y), gaussian_w2(x[0], torch.eye(2, dtype=F64), y[0],
                                                    torch.eye(2, dtype=F64))):
        assert out.device == x.device and out.dtype == F64 and out.ndim == 0
    source = inspect.getsource(metrics)
    assert not re.search(r"\.(cpu|numpy)\(", source)


def _cuda_pairs():
    rng = np.random.default_rng(17)
    return rng.normal(size=(3, 2000)), rng.normal(0.5, 2.0, size=(3, 1500)), rng.random((3, 2000))


@pytest.mark.gpu
@pytest.mark.parametrize("p", PS)
def test_cuda_agrees_with_cpu_on_every_metric(p):
    # the same sort and pairing on both devices; only summation orders differ (n + m terms)
    u, v, wu = _cuda_pairs()
    for dev_args in [(u, v, None), (u, v, wu)]:
        cpu = wasserstein_1d(*(None if a is None else T(a) for a in dev_args), p=p)
        gpu = wasserstein_1d(*(None if a is None else T(a, device="cuda") for a in dev_args), p=p)
        assert gpu.device.type == "cuda"
        assert _rel(gpu.cpu().numpy(), cpu.numpy()) < 1e-12
    x, y = T(u.T[:, :3]), T(v.T[:, :3])
    sw = [sliced_wasserstein(a, b, p=p, n_projections=50, generator=torch.Generator().manual_seed(1))
          for a, b in ((x, y), (x.cuda(), y.cuda()))]
    assert sw[1].device.type == "cuda" and _rel(sw[1].item(), sw[0].item()) < 1e-12
    fd = [frechet_distance(a, b) for a, b in ((x, y), (x.cuda(), y.cuda()))]
    assert fd[1].device.type == "cuda" and _rel(fd[1].item(), fd[0].item()) < 1e-12


@pytest.mark.gpu
def test_cuda_gradients_agree_with_cpu():
    u, v, _ = _cuda_pairs()
    grads = []
    for dev in ("cpu", "cuda"):
        a = T(u, device=dev, requires_grad=True)
        b = T(v, device=dev)
        x = T(u.T[:200, :3], device=dev, requires_grad=True)
        y = T(v.T[:150, :3], device=dev)
        total = (wasserstein_1d(a, b, p=2).sum() + frechet_distance(x, y)
                 + sliced_wasserstein(x, y, p=2, n_projections=20,
                                      generator=torch.Generator().manual_seed(0)))
        total.backward()
        grads.append((a.grad.cpu().numpy(), x.grad.cpu().numpy()))
    for g_cpu, g_gpu in zip(*grads):
        assert np.allclose(g_gpu, g_cpu, rtol=1e-10, atol=1e-14)
