"""The torch side at the extremes (issue 7, section 2): diverging fits, data at 1e+-300, the last
good checkpoint, and parameters that name themselves when they are wrong.

Every case gives a finite value or a clear error raised by divgan, never NaN. Oracles: the
exact W1 of the held-out samples (scipy) for the lower bounds, scale equivariance (W1 scales
with the data, JS does not change), and the checkpoint's own tensors for finiteness. Small
samples and few steps keep each case under a second or two.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats as st

torch = pytest.importorskip("torch")

from divgan.gan.checkpoint import TrainingDivergedError, first_nonfinite, load_checkpoint
from divgan.gan.data import sample_normal
from divgan.gan.estimators import check_critic, estimate_js, estimate_wasserstein, fit_critic
from divgan.gan.losses import clip_weights_, gradient_penalty
from divgan.gan.models import MLP, Critic
from divgan.gan.training import TrainConfig, train_gan

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def samples():
    rng = np.random.default_rng(0)
    return rng.normal(0, 1, 400), rng.normal(1, 1, 400)


def _held_out_exact(est, x, y):
    r, g = est.held_out
    return st.wasserstein_distance(x[r], y[g])


# ---------------------------------------------------------------- absurd learning rates
@pytest.mark.parametrize("method, lr", [("gp", 1e6), ("gp", 1e30), ("sn", 1e30)])
def test_diverging_critic_fit_raises(samples, method, lr):
    # Adam at lr 1e6 or more throws the weights so far that the float32 loss overflows within a
    # couple of steps (measured: step 2); the fit must stop there, naming the loss and lr_d.
    x, y = samples
    with pytest.raises(TrainingDivergedError, match=r"critic loss = .*lr_d") as info:
        estimate_wasserstein(x, y, method=method, lr_d=lr, steps=50, device="cpu")
    assert not math.isfinite(info.value.value) and "checkpoint" not in str(info.value)


def test_diverging_discriminator_fit_raises(samples):
    x, y = samples
    with pytest.raises(TrainingDivergedError, match="discriminator loss"):
        estimate_js(x, y, lr_d=1e30, steps=50, device="cpu")
    # at lr 1e6 the losses stay finite but the held-out value is about -5e16: JS lies in
    # [0, log 2] and a constant D = 1/2 scores 0, so a value below -log 2 is a failed fit
    with pytest.raises(ValueError, match="worse than a constant"):
        estimate_js(x, y, lr_d=1e6, steps=50, device="cpu")


@pytest.mark.parametrize("method", ["sn", "clip"])
def test_lower_bounds_stay_valid_lower_bounds_at_absurd_rates(samples, method):
    # Spectral normalisation and clipping keep the weights bounded, so lr 1e6 gives a poor but
    # finite critic; divided by its exact spectral norm product / largest slope it is still
    # 1-Lipschitz on the held-out points, so its value cannot exceed their exact W1 (1e-9:
    # float64 rounding).
    x, y = samples
    est = estimate_wasserstein(x, y, method=method, lr_d=1e6, steps=50, device="cpu")
    assert all(math.isfinite(v) for v in (est.value, est.ci_low, est.ci_high))
    assert est.is_lower_bound and est.value <= _held_out_exact(est, x, y) * (1 + 1e-9)


# ---------------------------------------------------------------- data at 1e+-300
@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_estimates_scale_with_the_data(samples, scale):
    # The networks see (x - m) / s, computed in float64, so multiplying the data by c changes
    # the float32 inputs only by rounding (~1e-7 relative): W1 scales by c (gp too: its
    # penalty acts on the standardised data, weight s*lambda in the data's units) and JS is
    # unchanged. Measured agreement ~1e-15; 1e-4 leaves room for float32 rounding differences.
    x, y = samples
    for method in ("gp", "sn", "clip"):
        base = estimate_wasserstein(x, y, method=method, steps=60, device="cpu", n_resamples=50)
        big = estimate_wasserstein(scale * x, scale * y, method=method, steps=60, device="cpu",
                                   n_resamples=50)
        for a, b in ((base.value, big.value), (base.ci_low, big.ci_low)):
            assert math.isfinite(b) and b == pytest.approx(scale * a, rel=1e-4)
    js = estimate_js(x, y, steps=60, device="cpu", n_resamples=50)
    js_big = estimate_js(scale * x, scale * y, steps=60, device="cpu", n_resamples=50)
    assert js_big.value == pytest.approx(js.value, rel=1e-4)


@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_point_clouds_scale_with_the_data_pair_slopes_included(scale):
    # In d > 1 the largest pairwise slope |f(a) - f(b)| / |a - b| is measured over point pairs;
    # at 1e300 the distances overflowed to inf (slope 0) before they were taken in units of the
    # largest entry. A slope is dimensionless, so it must not move with the scale; clip divides
    # by it, so its value scales with the data.
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(150, 3)), rng.normal(size=(150, 3)) + [1.0, 0.0, 0.0]
    base = estimate_wasserstein(x, y, method="clip", steps=40, device="cpu", n_resamples=20)
    big = estimate_wasserstein(scale * x, scale * y, method="clip", steps=40, device="cpu",
                               n_resamples=20)
    assert big.diagnostics["lipschitz_pairs"] == pytest.approx(
        base.diagnostics["lipschitz_pairs"], rel=1e-6)
    assert base.diagnostics["lipschitz_pairs"] > 0
    assert big.value == pytest.approx(scale * base.value, rel=1e-6)


# ---------------------------------------------------------------- last good checkpoint
def test_no_checkpoint_with_non_finite_tensors(tmp_path):
    # The GAN at lr 1e5 overflows Adam's second moments (exp_avg_sq = inf) in step 2, before
    # any loss is inf (the loss became inf only in step 3). A checkpoint is written only when
    # every tensor in it is finite, and the error names the last one written: step 1's.
    cfg = TrainConfig(steps=20, lr_g=1e5, lr_d=1e5, checkpoint_every=1, checkpoint_dir=tmp_path,
                      device="cpu", progress=False, eval_every=10, eval_samples=64)
    with pytest.raises(TrainingDivergedError) as info:
        train_gan(cfg)
    err = info.value
    assert err.step == 2 and "exp_avg_sq" in err.loss and not math.isfinite(err.value)
    assert err.checkpoint_path is not None and str(err.checkpoint_path) in str(err)
    ckpt = load_checkpoint(err.checkpoint_path)
    assert ckpt["step"] == 1 and first_nonfinite(ckpt) is None
    n_tensors, stack = 0, [ckpt["models"], ckpt["optimizers"]]
    while stack:  # every tensor, checked here independently of first_nonfinite
        obj = stack.pop()
        if torch.is_tensor(obj):
            n_tensors += 1
            assert torch.isfinite(obj.double()).all()
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)
    assert n_tensors > 20  # weights, biases and Adam's moments of both networks were seen


# ---------------------------------------------------------------- parameters name themselves
X, Y = np.arange(10.0), np.arange(10.0) + 1


@pytest.mark.parametrize("seed, exc", [("abc", TypeError), (-1, ValueError), (1.5, TypeError)])
def test_bad_seeds_are_named(seed, exc):
    calls = [lambda: estimate_js(X, Y, steps=1, device="cpu", seed=seed),
             lambda: estimate_wasserstein(X, Y, steps=1, device="cpu", seed=seed),
             lambda: fit_critic(X, Y, steps=1, device="cpu", seed=seed),
             lambda: check_critic(Critic(1), X, Y, seed=seed),
             lambda: TrainConfig(seed=seed),
             lambda: sample_normal(3, seed),
             lambda: gradient_penalty(Critic(1), torch.zeros(2, 1), torch.ones(2, 1), seed=seed)]
    for call in calls:
        with pytest.raises(exc, match="seed"):
            call()


def test_seeds_of_every_accepted_type():
    # An int seed keeps its value (same numbers as before the convention); a SeedSequence or a
    # numpy Generator is turned into an int by seed_to_int, so the run is reproducible from it.
    a = estimate_wasserstein(X, Y, steps=5, device="cpu", seed=3, n_resamples=20)
    b = estimate_wasserstein(X, Y, steps=5, device="cpu", seed=np.int64(3), n_resamples=20)
    assert a.value == b.value and b.seed == 3
    for seed in (np.random.SeedSequence(5), np.random.default_rng(5)):
        est = estimate_js(X, Y, steps=5, device="cpu", seed=seed, n_resamples=20)
        assert isinstance(est.seed, int) and est.seed >= 0
        assert isinstance(TrainConfig(seed=seed).seed, int)
    assert TrainConfig(seed=7).seed == 7


def test_bad_widths_and_clip_values_are_named():
    for call in (lambda: estimate_js(X, Y, steps=1, device="cpu", hidden=5),
                 lambda: fit_critic(X, Y, steps=1, device="cpu", hidden=5),
                 lambda: TrainConfig(hidden=5),
                 lambda: MLP(1, 1, hidden=5)):
        with pytest.raises(TypeError, match="hidden must be .*sequence of"):
            call()
    with pytest.raises(ValueError, match="hidden width must be >= 1"):
        MLP(1, 1, hidden=(4, 0))
    with pytest.raises(TypeError, match="clip_value must be a positive finite real number"):
        clip_weights_(Critic(1), "a")
    with pytest.raises(TypeError, match="module must be a torch.nn.Module"):
        clip_weights_("a", 0.01)
    with pytest.raises(ValueError, match="ci_method must be one of"):
        estimate_js(X, Y, steps=1, device="cpu", ci_method="normal")
