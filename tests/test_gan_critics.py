"""The critic registry (divgan.gan.critics): one entry per method, used by training and estimators.

Oracles: closed forms for linear critics (gradient norm = |w| everywhere, so the penalty is
(|w| - 1)^2 and the spectral norm of a 1x1 layer is |w|), the WGAN papers' optimisers (Adam
for gp/sn, RMSProp for clipping, read back from a training checkpoint), and the exact W1 of a
shift (the mean difference) for the values read from a critic.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from divgan.gan import critics as critics_mod
from divgan.gan.checkpoint import CHECKPOINT_NAME, load_checkpoint
from divgan.gan.critics import CRITIC_METHODS, CriticSettings, HeldOut, get_critic_method
from divgan.gan.estimators import estimate_wasserstein, fit_critic
from divgan.gan.training import TrainConfig, train_wgan

torch.set_num_threads(1)


class _Linear(torch.nn.Module):
    def __init__(self, w):
        super().__init__()
        self.lin = torch.nn.Linear(len(w), 1, bias=False, dtype=torch.float64)
        with torch.no_grad():
            self.lin.weight.copy_(torch.tensor([w], dtype=torch.float64))

    def forward(self, x):
        return self.lin(x).squeeze(-1)


def test_registry_names_and_unknown_methods():
    assert tuple(CRITIC_METHODS) == ("gp", "sn", "clip", "ctransform")
    for name, m in CRITIC_METHODS.items():
        assert m.name == name and get_critic_method(name) is m
        assert m.is_lower_bound == (m.kind != "debiased")
        assert "diagnostics['" not in m.caveat  # no internal names in user-facing text
    with pytest.raises(TypeError):
        CRITIC_METHODS["new"] = CRITIC_METHODS["gp"]  # read-only: add an entry in critics.py
    x = np.arange(10.0)
    # every entry point that takes a method names the argument and lists the registered ones
    for call, arg in [(lambda: get_critic_method("wgan"), "method"),
                      (lambda: fit_critic(x, x + 1, method="wgan", steps=1, device="cpu"),
                       "method"),
                      (lambda: estimate_wasserstein(x, x + 1, method="lipschitz", steps=1,
                                                    device="cpu"), "method"),
                      (lambda: TrainConfig(critic_method="hinge"), "critic_method")]:
        with pytest.raises(ValueError, match=rf"{arg} must be one of \('gp', 'sn', 'clip', "):
            call()


def test_gp_loss_of_a_linear_critic_is_the_penalised_dual():
    # f(x) = w.x: the dual on a batch is w.(mean r - mean g), the gradient norm is |w| at every
    # interpolate, so the loss is -dual + lambda (|w| - 1)^2 (two-sided) or lambda max(0, |w|-1)^2
    # (one-sided), whatever the mixing weights. Float64 throughout; the penalty's norm is
    # sqrt(|grad|^2 + 1e-12), which moves it by < 1e-12, so lambda * penalty moves by < 1e-10.
    rng = np.random.default_rng(0)
    r = torch.as_tensor(rng.normal(size=(32, 2)))
    g = torch.as_tensor(rng.normal(1.0, 1.0, size=(32, 2)))
    gp = CRITIC_METHODS["gp"]
    for w, one_sided in [([3.0, 4.0], True), ([0.3, 0.4], True), ([0.3, 0.4], False)]:
        f = _Linear(w)
        s = CriticSettings(gp_weight=7.0, gp_one_sided=one_sided)
        loss, dual, pen = gp.loss(f, r, g, s, seed=0)
        dual_exact = float(np.dot(w, (r.mean(0) - g.mean(0)).numpy()))
        gap = np.linalg.norm(w) - 1
        pen_exact = (max(gap, 0.0) if one_sided else gap) ** 2
        assert float(dual) == pytest.approx(dual_exact, rel=1e-12)
        assert float(pen.detach()) == pytest.approx(pen_exact, abs=1e-11)
        assert float(loss.detach()) == pytest.approx(-dual_exact + 7.0 * pen_exact, abs=1e-10)
    for name in ("sn", "clip", "ctransform"):  # no penalty: the loss is minus the dual
        loss, dual, pen = CRITIC_METHODS[name].loss(_Linear([2.0, 0.0]), r, g, CriticSettings())
        assert pen is None and float(loss.detach()) == pytest.approx(-float(dual), rel=1e-15)


def test_clip_hook_clamps_and_optimisers_follow_the_papers():
    f = _Linear([3.0, -0.005])
    CRITIC_METHODS["clip"].after_step(f, CriticSettings(clip_value=0.01))
    assert f.lin.weight.tolist() == [[0.01, -0.005]]  # clamped to [-c, c], inner values kept
    params = list(_Linear([1.0]).parameters())
    assert isinstance(CRITIC_METHODS["clip"].make_optimizer(params, lr=1e-3, betas=(0.5, 0.9)),
                      torch.optim.RMSprop)  # WGAN's Algorithm 1
    for name in ("gp", "sn", "ctransform"):
        opt = CRITIC_METHODS[name].make_optimizer(params, lr=1e-3, betas=(0.5, 0.9))
        assert isinstance(opt, torch.optim.Adam) and opt.defaults["betas"] == (0.5, 0.9)
    assert CRITIC_METHODS["sn"].build(2, (8,)).net.net[0].parametrizations  # spectral norm


@pytest.mark.parametrize("method, state_key", [("clip", "square_avg"), ("gp", "exp_avg_sq")])
def test_training_uses_the_registered_optimiser(tmp_path, method, state_key):
    # The training loop and the estimators build the critic's optimiser from the same entry:
    # the checkpoint's optimiser state has RMSProp's (square_avg) or Adam's (exp_avg_sq) moments.
    cfg = TrainConfig.for_model("wgan", steps=2, n_critic=1, critic_method=method,
                                batch_size=16, hidden=(8,), device="cpu", progress=False,
                                eval_samples=16, checkpoint_dir=tmp_path)
    res = train_wgan(cfg)
    state = load_checkpoint(tmp_path / CHECKPOINT_NAME)["optimizers"]["critic"]["state"]
    assert all(state_key in s for s in state.values())
    if method == "clip":
        assert all(p.abs().max() <= 0.01 for p in res.models["critic"].parameters())


def test_values_read_from_a_linear_critic_are_the_exact_shift():
    # f(x) = -a x on N(0,1) vs N(mu,1) samples: the dual value is a (mean y - mean x), and the
    # exact W1 of two samples that differ by a pure shift is |shift|. sn divides by the spectral
    # norm a, clip by the largest slope a, gp subtracts 2 lambda max(0, a - 1)^2: all give the
    # mean difference exactly when a = 1, and sn/clip for any a (rounding only: 1e-12).
    x = np.random.default_rng(1).normal(size=500)
    y = x + 0.75
    for a in (1.0, 2.5):
        held = HeldOut(scores_real=-a * x, scores_fake=-a * y, grad_norms=np.full((4, 500), a),
                       slope=a, sigma_product=a)
        for name in ("sn", "clip"):
            parts, coefs, diag = CRITIC_METHODS[name].read(held, CriticSettings())
            value = sum(c * p.mean() for p, c in zip(parts, coefs))
            assert value == pytest.approx(0.75, rel=1e-12)
            assert diag["raw_value"] == pytest.approx(0.75 * a, rel=1e-12)
        parts, coefs, diag = CRITIC_METHODS["gp"].read(held, CriticSettings(gp_weight=10.0))
        value = sum(c * p.mean() for p, c in zip(parts, coefs))
        assert value == pytest.approx(0.75 * a - 20.0 * max(a - 1, 0) ** 2, rel=1e-12)
        assert diag["penalty"] == pytest.approx(max(a - 1, 0) ** 2, abs=1e-15)
    constant = HeldOut(scores_real=np.zeros(3), scores_fake=np.zeros(3),
                       grad_norms=np.zeros((4, 3)), slope=0.0, sigma_product=0.0)
    with pytest.raises(ValueError, match="constant on the held-out samples"):
        CRITIC_METHODS["clip"].read(constant, CriticSettings())


def test_settings_are_validated_naming_the_argument():
    for kw, exc, word in [({"gp_weight": -1.0}, ValueError, "gp_weight"),
                          ({"clip_value": "a"}, TypeError, "clip_value"),
                          ({"gp_one_sided": "yes"}, TypeError, "gp_one_sided")]:
        with pytest.raises(exc, match=word):
            CriticSettings(**kw)
        with pytest.raises(exc, match=word):
            TrainConfig(**kw)
    assert critics_mod.__all__  # the module documents its public names


# --------------------------------------------------------------------------- c-transform
def test_c_transform_scores_match_a_brute_force_computation(monkeypatch):
    # -f^c(y) = max_i (f(x_i) - |x_i - y|), computed here with numpy over all pairs; the registry
    # computes it in chunks of fakes (forced down to one fake per chunk here) with torch.cdist.
    # Float64: 1e-12 is rounding in the distances.
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(40, 3)), rng.normal(1.0, 1.0, size=(25, 3))
    f = _Linear([0.5, -2.0, 1.0])
    f_real = real @ np.array([0.5, -2.0, 1.0])
    dist = np.linalg.norm(real[None, :, :] - fake[:, None, :], axis=-1)
    brute = np.max(f_real[None, :] - 2.0 * dist, axis=1)
    ct = CRITIC_METHODS["ctransform"]
    monkeypatch.setattr(critics_mod, "_CDIST_BYTES", 1)
    with torch.no_grad():
        got = ct.fake_scores(f, torch.as_tensor(fake), torch.as_tensor(real), scale=2.0).numpy()
    np.testing.assert_allclose(got, brute, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_c_transform_estimate_is_a_certified_lower_bound(seed):
    # On the held-out points f(x_i) - max_k (f(x_k) - |x_k - y_j|) <= |x_i - y_j| for every pair,
    # a feasible dual of their discrete OT, so the value cannot exceed their exact W1 (POT's
    # emd2 in 2-D, computed here; 1e-9 covers float64 rounding) in any seed. Measured: 0.985-0.998
    # of it on the parallel lines (theta = 0.5) after 300 steps; 0.97 is the floor.
    ot = pytest.importorskip("ot")
    from divgan.theory import sample_parallel_lines

    p, q = sample_parallel_lines(0.5, 600, rng=10 + seed)
    est = estimate_wasserstein(p, q, method="ctransform", steps=300, device="cpu", seed=seed,
                               n_resamples=200)
    r, g = est.held_out
    a, b = np.full(len(r), 1 / len(r)), np.full(len(g), 1 / len(g))
    exact = ot.emd2(a, b, ot.dist(p[r], q[g], metric="euclidean"))
    assert est.kind == "certified_lower_bound" and est.is_lower_bound
    assert est.value <= exact * (1 + 1e-9)
    assert est.value >= 0.97 * exact


# --------------------------------------------------------------------------- CUDA
@pytest.mark.gpu
def test_c_transform_on_cuda_matches_brute_force_and_stays_certified(monkeypatch):
    # The chunked c-transform on the GPU (float64, one fake per chunk) equals numpy's brute
    # force; a critic fitted on CUDA is read on the CPU in float64, so its value is still
    # certified below POT's exact W1 of the held-out points; a ctransform WGAN trains there.
    ot = pytest.importorskip("ot")
    from divgan.theory import sample_parallel_lines

    rng = np.random.default_rng(4)
    real, fake = rng.normal(size=(300, 5)), rng.normal(1.0, 1.0, size=(70, 5))
    w = np.array([0.5, -2.0, 1.0, 0.0, 0.25])
    dist = np.linalg.norm(real[None, :, :] - fake[:, None, :], axis=-1)
    brute = np.max((real @ w)[None, :] - 1.5 * dist, axis=1)
    f = _Linear(list(w)).cuda()
    monkeypatch.setattr(critics_mod, "_CDIST_BYTES", 8 * len(real))  # one fake per chunk
    with torch.no_grad():
        got = CRITIC_METHODS["ctransform"].fake_scores(
            f, torch.as_tensor(fake, device="cuda"), torch.as_tensor(real, device="cuda"),
            scale=1.5)
    assert got.is_cuda
    np.testing.assert_allclose(got.cpu().numpy(), brute, rtol=1e-12, atol=1e-12)
    monkeypatch.undo()

    p, q = sample_parallel_lines(0.5, 600, rng=10)
    est = estimate_wasserstein(p, q, method="ctransform", steps=300, device="cuda", seed=0,
                               n_resamples=200)
    r, g = est.held_out
    a, b = np.full(len(r), 1 / len(r)), np.full(len(g), 1 / len(g))
    exact = ot.emd2(a, b, ot.dist(p[r], q[g], metric="euclidean"))
    assert est.device.startswith("cuda") and est.kind == "certified_lower_bound"
    assert 0.97 * exact <= est.value <= exact * (1 + 1e-9)

    cfg = TrainConfig.for_model("wgan", critic_method="ctransform", steps=30, batch_size=64,
                                hidden=(16, 16), device="cuda", progress=False, log_every=10,
                                eval_every=10, eval_samples=128)
    res = train_wgan(cfg)
    assert res.device.startswith("cuda")
    assert all(np.isfinite(v) for row in res.history for v in row.values())


# --------------------------------------------------------------------------- divergence
@pytest.mark.parametrize("method, bad_step", [("gp", 13), ("js", 13), ("sn", 120)])
def test_a_non_finite_loss_is_reported_at_its_own_step(monkeypatch, method, bad_step):
    # The fit stops at the first step whose loss is not finite (here made NaN from ``bad_step``
    # on) and names that step and its value, also after early-stopping measurements (every
    # 20 steps here: 120 comes after five).
    from divgan.gan import _fitting
    from divgan.gan.checkpoint import TrainingDivergedError
    from divgan.gan.estimators import estimate_js

    calls = []

    def poisoned(fn):
        def wrapped(*args, **kwargs):
            out = fn(*args, **kwargs)
            calls.append(1)
            if len(calls) < bad_step:
                return out
            nan = torch.tensor(float("nan"))
            return (out[0] * nan, *out[1:]) if isinstance(out, tuple) else out * nan
        return wrapped

    if method == "js":
        monkeypatch.setattr(_fitting, "discriminator_loss", poisoned(_fitting.discriminator_loss))
    else:
        monkeypatch.setattr(critics_mod.CriticMethod, "loss",
                            poisoned(critics_mod.CriticMethod.loss))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(600, 2)), rng.normal(1.0, 1.0, size=(600, 2))
    with pytest.raises(TrainingDivergedError) as info:
        if method == "js":
            estimate_js(x, y, steps=400, hidden=(8,), device="cpu", seed=0)
        else:
            estimate_wasserstein(x, y, method=method, steps=400, hidden=(8,), device="cpu",
                                 seed=0)
    assert info.value.step == bad_step and np.isnan(info.value.value)
