"""The trained-network figures (2, 4, 7–11): their glue and their reference numbers.

``tests/test_figures.py`` already draws every registered figure in quick mode and checks
the files, the gallery and that each figure's own checks agree. Here: the pieces those
figures rely on, each against an independent computation.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from divgan.figures import FIGURES, figure_module

TORCH_FIGURES = [
    "discriminator",
    "vanishing_gradient",
    "critics",
    "gan_vs_wgan",
    "lecture_1d",
    "aae",
    "critics_in_d",
]


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def test_torch_figures_are_registered_in_lecture_order():
    names = list(FIGURES)
    for name in TORCH_FIGURES:
        assert name in names
    numbers = [figure_module(n).NUMBER for n in names]
    assert numbers == sorted(numbers) == list(range(1, 12))


def test_training_in_segments_equals_one_uninterrupted_run():
    # Figures 8-10 look at one run several times by resuming from a checkpoint; the
    # checkpoints restore weights, optimiser moments and the data stream, so the weights
    # after segments 5 + 5 + 5 must be bitwise those of a single 15-step run (CPU).
    from divgan.figures.fig08_gan_vs_wgan import train_with_snapshots
    from divgan.gan.training import TrainConfig, train_gan

    cfg = TrainConfig.for_model(
        "gan", steps=15, device="cpu", seed=3, eval_every=5, eval_samples=50, progress=False
    )
    seen = []
    seg = train_with_snapshots(train_gan, cfg, [5, 10, 15], lambda r: seen.append(r.steps_done))
    one = train_gan(cfg)
    assert seen == [5, 10, 15]
    for name in ("generator", "discriminator"):
        a = seg.models[name].state_dict()
        b = one.models[name].state_dict()
        for k in a:
            assert torch.equal(a[k], b[k]), (name, k)
    assert [r["step"] for r in seg.history] == [r["step"] for r in one.history]


def test_vanishing_gradient_quadrature_matches_trapezoid_finite_differences():
    # Independent route: the losses E_{x ~ N(m, 1)} log(1 - D*(x)) and -E log D*(x) by the
    # trapezoid rule on 40 001 points of m ± 12 (spectrally accurate for these smooth,
    # Gaussian-decaying integrands), differentiated in m by a central difference with D*
    # held fixed (error O(h^2) ~ 1e-8; cancellation ~ 1e-12).
    from scipy.special import log_expit

    from divgan.figures.fig04_vanishing_gradient import REAL_MEAN, _exact_gradients

    for mu in (0.0, 1.0, 3.0):
        a, b = -(mu - REAL_MEAN), (mu**2 - REAL_MEAN**2) / 2  # D*'s logit for this mu, fixed

        def expect(f, m):
            x = np.linspace(m - 12, m + 12, 40001)
            return float(
                np.trapezoid(np.exp(-0.5 * (x - m) ** 2) / math.sqrt(2 * math.pi) * f(x), x)
            )

        h = 1e-4
        for got, loss in zip(
            _exact_gradients(mu),
            (
                lambda x, a=a, b=b: log_expit(-(a * x + b)),
                lambda x, a=a, b=b: -log_expit(a * x + b),
            ),
        ):
            want = abs(expect(loss, mu + h) - expect(loss, mu - h)) / (2 * h)
            assert got == pytest.approx(want, rel=1e-7, abs=1e-10)
        # sigma + (1 - sigma) = 1, so the two weights add up to D's slope |a| = mu + 1.
        assert sum(_exact_gradients(mu)) == pytest.approx(mu - REAL_MEAN, rel=1e-9)


def test_minimax_gradient_vanishes_relative_to_non_saturating():
    # L9: E_pg D*(x) -> 0 as the Gaussians separate, so the ratio minimax / non-saturating
    # falls below any bound; at a distance of 8 it is E D* / (1 - E D*) < 1e-3.
    from divgan.figures.fig04_vanishing_gradient import _exact_gradients

    ratios = [np.divide(*_exact_gradients(mu)) for mu in (1.0, 3.0, 5.0, 7.0)]
    assert all(r2 < r1 for r1, r2 in itertools.pairwise(ratios))
    assert ratios[-1] < 1e-3


def test_js_against_a_kde_matches_adaptive_quadrature_and_saturates():
    # The figure's JS(p_r || KDE) is a grid quadrature; scipy.integrate.quad of the KDE
    # itself (in log space) must agree to the grid's accuracy, and a KDE far from p_r
    # must give log 2 (disjoint in effect).
    from scipy import integrate, stats

    from divgan.figures.fig08_gan_vs_wgan import REAL, js_real_vs_kde

    rng = np.random.default_rng(0)
    x = rng.normal(REAL[0] + 0.3, REAL[1] * 0.8, 400)
    kde = stats.gaussian_kde(x)
    pr = stats.norm(*REAL)

    def f(t):
        lp, lq = float(pr.logpdf(t)), math.log(max(float(kde(t)[0]), 1e-300))
        lm = np.logaddexp(lp, lq) - math.log(2)
        return 0.5 * (math.exp(lp) * (lp - lm) + math.exp(lq) * (lq - lm))

    lo, hi = REAL[0] - 12 * REAL[1], REAL[0] + 12 * REAL[1]
    ref = sum(
        integrate.quad(f, a, b, limit=400, epsabs=1e-12)[0]
        for a, b in itertools.pairwise(np.linspace(lo, hi, 13))
    )
    assert js_real_vs_kde(x) == pytest.approx(ref, abs=1e-6)
    far = rng.normal(REAL[0] + 40.0, 0.1, 400)
    assert js_real_vs_kde(far) == pytest.approx(math.log(2), abs=1e-9)


def test_a_figure_is_reproducible_from_its_seed_and_changes_with_it(tmp_path):
    # Every random draw and initialisation comes from draw's seed: same seed, same numbers;
    # another seed, other sample-based numbers (the exact ones stay).
    module = figure_module("vanishing_gradient")

    def numbers(seed, sub):
        out = tmp_path / sub
        module.draw(out, quick=True, device="cpu", seed=seed)
        record = json.loads((out / "vanishing_gradient.json").read_text(encoding="utf-8"))
        return [(c["exact"], c["estimate"]) for c in record["checks"]]

    a, b, c = numbers(0, "a"), numbers(0, "b"), numbers(1, "c")
    assert a == b
    assert [x[0] for x in a] == [x[0] for x in c]  # exact values do not depend on the seed
    assert [x[1] for x in a] != [x[1] for x in c]


def test_an_unavailable_device_is_a_clear_error(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match="CUDA"):
        figure_module("vanishing_gradient").draw(tmp_path, quick=True, device="cuda", seed=0)


def test_lecture_1d_quantile_w1_is_the_sorted_formula_for_any_map():
    # Figure 9's check reads W1(G#U(0,1), N(-1, 1)) as ∫|F_G^{-1} − F^{-1}| on a midpoint grid
    # (the sorted values of G). Oracles: a map shifted by c gives exactly |c| (W1 of a
    # translate), and for a non-monotone map the formula equals scipy's W1 between the two
    # equal-weight sets of grid values (the 1-D sorted coupling, rounding only).
    from scipy import stats

    from divgan.figures.fig09_lecture_1d import N_MAP, Lecture1dNumbers, Snapshot

    zg = (np.arange(N_MAP) + 0.5) / N_MAP
    exact = stats.norm(-1.0, 1.0).ppf(zg)
    empty = np.zeros(1)

    def numbers(gmap):
        snap = Snapshot(step=1, draws=empty, gmap=gmap, d=empty)
        return Lecture1dNumbers(-1.0, 1.0, empty, (snap,), empty, empty, 0.0, 0.0, 0.0), snap

    n, snap = numbers(exact[::-1] + 0.3)  # decreasing and shifted
    assert n.decreasing
    assert n.quantile_w1(snap) == pytest.approx(0.3, abs=1e-12)
    np.testing.assert_allclose(n.exact_map(), exact[::-1], atol=1e-12)  # F^{-1}(1 - z)
    wiggly = np.sin(7 * zg) - 1.0
    n, snap = numbers(wiggly)
    want = stats.wasserstein_distance(wiggly, exact)
    assert n.quantile_w1(snap) == pytest.approx(want, abs=1e-12)


def test_gan_vs_wgan_pairs_each_loss_with_the_w1_of_the_same_step():
    from divgan.figures.fig08_gan_vs_wgan import RunTrace

    trace = RunTrace(
        loss_steps=np.array([1, 2, 3, 4, 6]), loss=np.array([10.0, 20, 30, 40, 60]),
        loss_d=np.zeros(5), eval_steps=np.zeros(1), w1=np.zeros(1),
        batch_steps=np.array([2, 5, 6, 9]), batch_w1=np.array([0.2, 0.5, 0.6, 0.9]),
        snap_steps=np.zeros(1), snap_js=np.zeros(1), last_samples=np.zeros(1), n_critic=1,
        batch_size=4,
    )
    w, loss = trace.loss_at_batches()
    # Steps 5 and 9 have no loss row: dropped, not paired with a neighbour.
    np.testing.assert_array_equal(w, [0.2, 0.6])
    np.testing.assert_array_equal(loss, [20.0, 60.0])


def test_gan_vs_wgan_slope_bound_is_dual_value_over_the_batch_w1():
    # Oracle: scipy's W1 of two batches, and divgan's optimal 1-Lipschitz critic for them
    # (kantorovich_potential_1d, whose dual value is W1 by Kantorovich-Rubinstein duality) and
    # that critic times 3 (slope 3, dual value 3 W1). The figure's bound reads back 3 to the
    # accuracy of that duality (1e-10, asserted below; rounding of 256-term sums is ~1e-13).
    # A zero-W1 row is skipped, not divided.
    from scipy import stats

    from divgan.figures.fig08_gan_vs_wgan import RunTrace
    from divgan.wasserstein import kantorovich_potential_1d

    rng = np.random.default_rng(0)
    w1s, duals = [0.0], [0.5]  # step 1: identical batches
    for shift in (0.5, 2.0, 4.0):
        xr, xg = rng.normal(4.0, 0.5, 256), rng.normal(4.0 - shift, 0.7, 256)
        f = kantorovich_potential_1d(xr, xg, np.concatenate([xr, xg]))
        dual = f[:256].mean() - f[256:].mean()
        assert dual == pytest.approx(stats.wasserstein_distance(xr, xg), rel=1e-10)
        w1s.append(stats.wasserstein_distance(xr, xg))
        duals.append(3 * dual if shift == 2.0 else dual)
    steps = np.arange(1, 5)
    trace = RunTrace(
        loss_steps=steps, loss=np.array(duals), loss_d=np.zeros(4), eval_steps=np.zeros(1),
        w1=np.zeros(1), batch_steps=steps, batch_w1=np.array(w1s), snap_steps=np.zeros(1),
        snap_js=np.zeros(1), last_samples=np.zeros(1), n_critic=1, batch_size=256,
    )
    assert trace.max_slope_certified() == pytest.approx(3.0, rel=1e-9)
