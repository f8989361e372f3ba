"""Training loops, samplers, checkpoints and ``divgan train`` (CPU, seeded, small).

Every distance used as an oracle is computed here with another implementation than the one
the training loop logs: scipy's ``wasserstein_distance`` for 1-D W1, and
``divgan.wasserstein.sliced_wasserstein`` for the AAE codes (the loop logs POT's exact W1).
"""
from __future__ import annotations

import csv
import dataclasses
import math

import numpy as np
import pytest
import torch
from scipy import stats

from divgan.gan import _loop as loop_mod
from divgan.gan import checkpoint as ckpt_mod
from divgan.gan.checkpoint import (
    CHECKPOINT_NAME,
    TrainingDivergedError,
    atomic_save,
    load_checkpoint,
)
from divgan.gan.data import (
    load_digits_data,
    make_sampler,
    sample_digits,
    sample_grid,
    sample_latent,
    sample_lines,
    sample_normal,
    sample_ring,
)
from divgan.gan.models import Encoder
from divgan.gan.training import TrainConfig, train_aae, train_gan, train_wgan

torch.set_num_threads(1)

TRAINERS = {"gan": train_gan, "wgan": train_wgan, "aae": train_aae}


def tiny(model: str, **kw) -> TrainConfig:
    """A config small enough for many runs per test (16-wide nets, batches of 32)."""
    base = {"steps": 30, "batch_size": 32, "hidden": (16, 16), "device": "cpu", "progress": False,
            "log_every": 5, "eval_every": 10, "eval_samples": 64}
    if model == "wgan":
        base["n_critic"] = 2
    return TrainConfig.for_model(model, **{**base, **kw})


def weights(result) -> dict[str, torch.Tensor]:
    return {f"{m}.{k}": v.detach().cpu().clone()
            for m, mod in result.models.items() for k, v in mod.state_dict().items()}


def assert_same_weights(a, b) -> None:
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        assert torch.equal(wa[k], wb[k]), f"{k} differs"


def w1_generated_vs_real(result, n: int = 20_000) -> float:
    """W1 between n generated and n real samples, by scipy (an oracle independent of the loop)."""
    G = result.models["generator"]
    cfg = result.config
    with torch.no_grad():
        fake = G(sample_latent(n, cfg.latent_dim, 12345, kind=cfg.latent)).numpy()[:, 0]
    real = make_sampler(cfg.data, cfg.data_params)(n, 54321).numpy()[:, 0]
    return stats.wasserstein_distance(fake, real)


# ---------------------------------------------------------------- samplers
def test_lecture_normal_matches_its_law():
    # L20's data is N(-1, 1). A KS test against the exact CDF at n = 20 000 has a critical
    # distance of ~0.0136 at level 1e-3; the seed is fixed, so this is deterministic.
    x = sample_normal(20_000, 0).numpy()[:, 0]
    assert stats.kstest(x, stats.norm(-1, 1).cdf).pvalue > 1e-3
    z = sample_latent(20_000, 1, 1).numpy()[:, 0]  # the lecture's z ~ U(0, 1)
    assert z.min() >= 0 and z.max() < 1
    assert stats.kstest(z, "uniform").pvalue > 1e-3


def test_mixtures_put_mass_on_every_mode_equally():
    # Each point is within 6 sigma of its nearest centre, and the counts per mode are
    # multinomial(n, 1/K): a chi-square test at level 1e-3 checks equal weights.
    for sampler, centres, std in [
        (sample_ring, np.array([[2 * math.cos(2 * math.pi * k / 8), 2 * math.sin(2 * math.pi * k / 8)]
                                for k in range(8)]), 0.02),
        (sample_grid, np.array([[a, b] for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4)]), 0.05),
    ]:
        x = sampler(10_000, 3).numpy()
        d = np.linalg.norm(x[:, None, :] - centres[None], axis=2)
        assert d.min(axis=1).max() < 6 * std * math.sqrt(2)
        counts = np.bincount(d.argmin(axis=1), minlength=len(centres))
        assert stats.chisquare(counts).pvalue > 1e-3


def test_lines_and_digits():
    x = sample_lines(500, 0, theta=0.3).numpy()
    assert np.all(x[:, 0] == np.float32(0.3))  # the segment {theta} x [0, 1] of L13
    assert stats.kstest(x[:, 1], "uniform").pvalue > 1e-3
    d = load_digits_data()
    # scikit-learn ships 1797 8x8 digits with pixel values 0..16; scaled to [0, 1]
    assert d.images.shape == (1797, 64) and float(d.images.min()) == 0.0
    assert float(d.images.max()) == 1.0
    assert sample_digits(7, 0).shape == (7, 64)


def test_samplers_use_only_the_given_generator():
    # Same generator state -> same draw; torch's global RNG is neither used nor changed.
    state = torch.get_rng_state()
    for name in ("normal", "ring", "grid", "lines", "digits"):
        s = make_sampler(name)
        assert torch.equal(s(50, 7), s(50, torch.Generator().manual_seed(7)))
        assert not torch.equal(s(50, 7), s(50, 8))
    assert torch.equal(state, torch.get_rng_state())


@pytest.mark.parametrize("call, exc", [
    (lambda: sample_normal(0, 0), ValueError),
    (lambda: sample_normal(5, 0, std=-1.0), ValueError),
    (lambda: sample_ring(5, 0, modes=0), ValueError),
    (lambda: sample_latent(5, 1, 0, kind="cauchy"), ValueError),
    (lambda: sample_normal(5, "seed"), TypeError),
    (lambda: make_sampler("moons"), ValueError),
    (lambda: make_sampler("normal", {"sigma": 1.0}), TypeError),
])
def test_sampler_bad_input(call, exc):
    with pytest.raises(exc):
        call()


# ---------------------------------------------------------------- the three loops
def test_gan_learns_the_lecture_normal():
    # L20: G maps z ~ U(0, 1) to N(-1, 1). W1 between two independent 20 000-samples of one law
    # is ~0.01, so the 0.15 bound leaves G an error of ~0.14 in W1, while the untrained G is ~1
    # away (its outputs sit near 0: the mean is off by one). With the default settings the final
    # W1 measured 0.03-0.14 over 12 seeds (0.03 for this one).
    cfg = TrainConfig(device="cpu", progress=False, eval_every=500, seed=0)
    res = train_gan(cfg)
    w1 = w1_generated_vs_real(res)
    steps, logged = res.column("w1_exact")
    assert steps[0] == 0 and logged[0] > 0.5
    assert w1 < 0.15, f"W1(generated, N(-1, 1)) = {w1:.3f}"
    assert all(math.isfinite(v) for row in res.history for v in row.values())


@pytest.mark.parametrize("method", ["gp", "sn", "clip", "ctransform"])
def test_wgan_trains(method):
    # The untrained G outputs ~0 while the data is N(-1, 1): W1 starts near 1 (1.0-1.2
    # measured). After 300 generator steps the exact W1 (scipy, 20 000 samples, noise ~0.01)
    # must have fallen by 30% at least; measured ratios over 3 seeds: gp 0.15-0.25,
    # sn 0.19-0.56, clip 0.12-0.52 (RMSProp critic, the registry's optimiser for clipping),
    # ctransform 0.09-0.49.
    cfg = TrainConfig.for_model("wgan", steps=300, n_critic=3, critic_method=method,
                                batch_size=128, hidden=(32, 32), device="cpu", progress=False,
                                eval_every=100, seed=1)
    res = train_wgan(cfg)
    assert all(math.isfinite(v) for row in res.history for v in row.values())
    w1_start = res.column("w1_exact")[1][0]
    w1_end = w1_generated_vs_real(res)
    assert w1_end < 0.7 * w1_start, f"{method}: W1 {w1_start:.3f} -> {w1_end:.3f}"
    if method == "clip":  # every critic weight is inside [-c, c] (the lecture's clipping)
        assert all(p.abs().max() <= 0.01 for p in res.models["critic"].parameters())


def test_aae_drives_codes_to_the_prior():
    # L23: the aggregated posterior q(z) is driven to p(z) = N(0, I_2). Oracle: sliced W between
    # 1000 codes and 1000 prior draws (divgan.wasserstein.sliced_wasserstein), for the trained
    # encoder and for an untrained one of the same architecture; two independent 1000-samples
    # of the prior are ~0.05 apart, an untrained encoder's codes (a small blob) ~0.6.
    from divgan.wasserstein import sliced_wasserstein

    cfg = TrainConfig.for_model("aae", steps=300, device="cpu", progress=False, eval_every=150,
                                eval_samples=500)
    res = train_aae(cfg)
    x = sample_digits(1000, 99)
    prior = sample_latent(1000, 2, 98, kind="normal").numpy()
    with torch.no_grad():
        codes = res.models["encoder"](x).numpy()
        with torch.random.fork_rng():
            torch.manual_seed(5)
            untrained = Encoder(64, 2, cfg.hidden)(x).numpy()
    sw_trained = sliced_wasserstein(codes, prior, n_projections=256, seed=0)
    sw_untrained = sliced_wasserstein(untrained, prior, n_projections=256, seed=0)
    assert sw_trained < 0.35 * sw_untrained, (sw_trained, sw_untrained)
    # reconstruction: the held-out MSE of the untrained pair (step 0, ~0.25 measured: outputs
    # near 0 against pixel means ~0.3) must fall at least fourfold (to ~0.04 measured)
    _, rec = res.column("recon_mse")
    assert rec[-1] < 0.25 * rec[0]
    _, w1 = res.column("w1_codes_prior")  # the loop's own exact W1 agrees: it falls (1.25 -> 0.3)
    assert w1[-1] < 0.5 * w1[0]


# ---------------------------------------------------------------- checkpoints
class Crash(RuntimeError):
    pass


def crashing_sampler(monkeypatch, after_calls: int, *, value=None, batch: int = 32):
    """Make the run's data sampler crash (or return ``value``) once it has drawn ``after_calls``
    training batches (draws of ``batch`` points; evaluation draws are not counted): a simulated
    kill or a corrupt data stream."""
    real_make = loop_mod.make_sampler
    calls = {"n": 0}

    def make(name, params=None):
        s = real_make(name, params)

        def fn(n, generator, **kw):
            out = s.fn(n, generator, **kw)
            if n != batch:
                return out
            calls["n"] += 1
            if calls["n"] > after_calls:
                if value is None:
                    raise Crash("simulated crash")
                out = torch.full_like(out, value)
            return out
        return dataclasses.replace(s, fn=fn)

    monkeypatch.setattr(loop_mod, "make_sampler", make)


@pytest.mark.parametrize("model, extra", [("gan", {}), ("wgan", {"critic_method": "gp"}),
                                          ("wgan", {"critic_method": "sn"}),
                                          ("wgan", {"critic_method": "ctransform"}),
                                          ("wgan", {"critic_method": "gp", "batch_w1_every": 3}),
                                          ("aae", {}), ("aae", {"batch_w1_every": 7})])
def test_resume_after_a_crash_is_bitwise_equal(tmp_path, monkeypatch, model, extra):
    # Uninterrupted 40 steps vs. a run killed during step 30 and resumed from its step-20
    # checkpoint: weights, optimiser moments, the generator state (data, noise, GP mixing
    # weights) and the history (with the batches' W1 where logged) are restored, so every bit
    # must agree on the CPU.
    train = TRAINERS[model]
    full = train(tiny(model, steps=40, checkpoint_every=20, checkpoint_dir=tmp_path / "a", **extra))
    cfg = tiny(model, steps=40, checkpoint_every=20, checkpoint_dir=tmp_path / "b", **extra)
    per_step = cfg.n_critic if model != "aae" else 1  # training batches drawn per step
    with monkeypatch.context() as m:
        crashing_sampler(m, after_calls=29 * per_step)
        with pytest.raises(Crash):
            train(cfg)
    assert load_checkpoint(tmp_path / "b" / CHECKPOINT_NAME)["step"] == 20
    resumed = train(cfg, resume=True)
    assert_same_weights(full, resumed)
    assert full.history == resumed.history
    assert resumed.steps_done == 40


def test_resume_extends_a_finished_run(tmp_path):
    # steps is a run-only field: 20 steps, then resumed to 40, equals 40 straight.
    full = train_gan(tiny("gan", steps=40, checkpoint_dir=tmp_path / "a"))
    train_gan(tiny("gan", steps=20, checkpoint_dir=tmp_path / "b"))
    more = train_gan(tiny("gan", steps=40, checkpoint_dir=tmp_path / "b"), resume=True)
    assert_same_weights(full, more)
    assert full.history == more.history


def test_resume_may_switch_batch_w1_logging_on(tmp_path):
    # batch_w1_every only logs (it draws nothing from the run's random stream), so it is a
    # run-only field: 20 steps without it, resumed to 40 with it, has the weights of 40 straight.
    full = train_wgan(tiny("wgan", steps=40, checkpoint_dir=tmp_path / "a"))
    train_wgan(tiny("wgan", steps=20, checkpoint_dir=tmp_path / "b"))
    more = train_wgan(tiny("wgan", steps=40, checkpoint_dir=tmp_path / "b", batch_w1_every=5),
                      resume=True)
    assert_same_weights(full, more)
    steps, _ = more.column("w1_batch")
    assert list(steps) == [25, 30, 35, 40]


def test_checkpoint_writes_are_atomic(tmp_path, monkeypatch):
    cfg = tiny("gan", steps=20, checkpoint_every=10, checkpoint_dir=tmp_path)
    train_gan(cfg)
    assert sorted(p.name for p in tmp_path.iterdir()) == [CHECKPOINT_NAME]  # no temp files left
    path = tmp_path / CHECKPOINT_NAME
    before = path.read_bytes()

    def torn_save(obj, fh, *a, **k):  # a crash half-way through writing
        fh.write(b"PK\x03\x04 half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(ckpt_mod.torch, "save", torn_save)
    with pytest.raises(OSError, match="disk full"):
        atomic_save({"x": 1}, path)
    assert path.read_bytes() == before  # the old checkpoint is untouched ...
    assert sorted(p.name for p in tmp_path.iterdir()) == [CHECKPOINT_NAME]  # ... and no debris
    assert load_checkpoint(path)["step"] == 20


def test_nan_stops_training_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    # Data turn NaN during step 26: the loop must stop at step 26 naming the loss, before the
    # bad update, and leave the step-20 checkpoint intact and finite.
    cfg = tiny("gan", steps=40, checkpoint_every=10, checkpoint_dir=tmp_path)
    crashing_sampler(monkeypatch, after_calls=25 * cfg.n_critic, value=float("nan"))
    with pytest.raises(TrainingDivergedError) as info:
        train_gan(cfg)
    err = info.value
    assert isinstance(err, FloatingPointError)
    assert err.step == 26 and err.loss == "loss_d" and math.isnan(err.value)
    assert "step 26" in str(err) and "loss_d" in str(err)
    saved = load_checkpoint(tmp_path / CHECKPOINT_NAME)
    assert saved["step"] == 20 and err.checkpoint_path == tmp_path / CHECKPOINT_NAME
    assert all(torch.isfinite(v).all() for sd in saved["models"].values() for v in sd.values())


def test_absurd_learning_rate_diverges_with_a_clear_error():
    # lr = 1e12 throws the WGAN critic's weights to ~1e12 in one step; with two-sided GP the
    # penalty overflows float32 within a few steps. The error must say which loss and when.
    cfg = tiny("wgan", steps=50, lr_d=1e12, lr_g=1e12, gp_one_sided=False)
    with pytest.raises(TrainingDivergedError, match=r"step \d+: (loss_critic|loss_g) = "):
        train_wgan(cfg)


# ---------------------------------------------------------------- determinism
def test_same_seed_same_numbers_other_seed_other_numbers():
    state = torch.get_rng_state()
    a = train_wgan(tiny("wgan", seed=3))
    b = train_wgan(tiny("wgan", seed=3))
    c = train_wgan(tiny("wgan", seed=4))
    assert torch.equal(state, torch.get_rng_state())  # the global RNG was never used
    assert a.history == b.history
    assert_same_weights(a, b)
    assert a.history != c.history
    assert not torch.equal(weights(a)["generator.net.net.0.weight"],
                           weights(c)["generator.net.net.0.weight"])


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("kw, exc, word", [
    ({"steps": 0}, ValueError, "steps"),
    ({"batch_size": 2.5}, TypeError, "batch_size"),
    ({"lr_g": -1e-3}, ValueError, "lr_g"),
    ({"lr_d": float("nan")}, ValueError, "lr_d"),
    ({"betas": (1.5, 0.9)}, ValueError, "betas"),
    ({"critic_method": "lipschitz"}, ValueError, "critic_method"),
    ({"generator_loss": "hinge"}, ValueError, "generator_loss"),
    ({"latent": "cauchy"}, ValueError, "latent"),
    ({"hidden": ()}, ValueError, "hidden"),
    ({"data": "moons"}, ValueError, "data"),
    ({"data_params": {"std": -1.0}}, ValueError, "std"),
    ({"clip_value": 0.0}, ValueError, "clip_value"),
    ({"num_threads": 0}, ValueError, "num_threads"),
    ({"device": "tpu"}, ValueError, "device"),
    ({"gp_one_sided": "yes"}, TypeError, "gp_one_sided"),
])
def test_config_rejects_bad_values(kw, exc, word):
    with pytest.raises(exc, match=word):
        TrainConfig(**kw)


def test_bad_data_and_bad_calls(tmp_path):
    cfg = tiny("gan", steps=5)
    bad = np.random.default_rng(0).normal(size=(100, 1))
    bad[17, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        train_gan(cfg, data=bad)
    with pytest.raises(ValueError, match="shape"):
        train_gan(cfg, data=np.zeros((4, 5, 2)))
    with pytest.raises(TypeError, match="TrainConfig"):
        train_gan({"steps": 5})
    with pytest.raises(ValueError, match="checkpoint_dir"):
        train_gan(cfg, resume=True)
    with pytest.raises(FileNotFoundError):
        train_gan(tiny("gan", checkpoint_dir=tmp_path), resume=True)
    train_gan(tiny("gan", steps=5, checkpoint_dir=tmp_path))
    with pytest.raises(ValueError, match="lr_g"):  # resuming under other hyper-parameters
        train_gan(tiny("gan", steps=10, lr_g=0.5, checkpoint_dir=tmp_path), resume=True)
    with pytest.raises(ValueError, match="'gan' run"):
        train_wgan(tiny("wgan", steps=10, checkpoint_dir=tmp_path), resume=True)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            TrainConfig(device="cuda")


def test_user_data_array_is_learned():
    # A GAN trained on 2000 given points of N(3, 0.5^2) must move its samples there: the untrained
    # G outputs ~0, three units away; after 400 steps W1 (scipy) must be below 0.5.
    data = np.random.default_rng(0).normal(3.0, 0.5, size=(2000, 1))
    res = train_gan(TrainConfig(steps=400, device="cpu", progress=False, eval_every=400), data=data)
    with torch.no_grad():
        fake = res.models["generator"](sample_latent(5000, 1, 0)).numpy()[:, 0]
    assert stats.wasserstein_distance(fake, data[:, 0]) < 0.5


# ---------------------------------------------------------------- command line
def test_cli_train_writes_checkpoint_history_and_plot(tmp_path, capsys):
    from divgan.cli import main

    out = tmp_path / "run"
    assert main(["train", "gan", "--steps", "60", "--out", str(out), "--device", "cpu",
                 "--no-progress", "--seed", "2"]) == 0
    printed = capsys.readouterr().out
    for name in (CHECKPOINT_NAME, "history.csv", "losses.png"):
        assert (out / name).is_file() and str(out / name) in printed
    rows = list(csv.DictReader((out / "history.csv").read_text().splitlines()))
    assert rows[0]["step"] == "0" and rows[-1]["step"] == "60"
    assert {"loss_d", "loss_g", "w1_exact"} <= set(rows[0]) | set(rows[-1])
    assert float(rows[-1]["w1_exact"]) >= 0
    assert (out / "losses.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # again without --resume: refused (exit 2), the run is not overwritten
    assert main(["train", "gan", "--steps", "60", "--out", str(out), "--no-progress"]) == 2
    # --resume continues to 90 steps
    assert main(["train", "gan", "--steps", "90", "--out", str(out), "--device", "cpu",
                 "--no-progress", "--seed", "2", "--resume"]) == 0
    rows = list(csv.DictReader((out / "history.csv").read_text().splitlines()))
    assert rows[-1]["step"] == "90"
    assert main(["train", "gan", "--out", str(tmp_path / "none"), "--resume"]) == 2


def test_cli_reports_divergence(tmp_path, monkeypatch, capsys):
    from divgan.cli import main

    # the default GAN draws two real batches of 256 per step: the 25th batch is in step 13
    crashing_sampler(monkeypatch, after_calls=24, value=float("inf"), batch=256)
    assert main(["train", "gan", "--steps", "20", "--out", str(tmp_path), "--device", "cpu",
                 "--no-progress"]) == 1
    assert "diverged at step 13" in capsys.readouterr().err


# ---------------------------------------------------------------- GPU
@pytest.mark.gpu
def test_training_on_cuda():
    # Same check as test_wgan_trains, on the GPU: finite losses and a falling exact W1.
    for train, model in ((train_gan, "gan"), (train_wgan, "wgan")):
        cfg = TrainConfig.for_model(model, steps=300, lr_g=1e-3, lr_d=1e-3, n_critic=3,
                                    device="cuda", progress=False, eval_every=100)
        res = train(cfg)
        assert res.device.startswith("cuda")
        assert next(res.models["generator"].parameters()).is_cuda
        assert all(math.isfinite(v) for row in res.history for v in row.values())
        _, w1 = res.column("w1_exact")
        assert w1[-1] < 0.6 * w1[0], (model, w1)


@pytest.mark.gpu
def test_resume_on_cuda_and_a_cuda_checkpoint_on_the_cpu(tmp_path, monkeypatch):
    # The run's random stream is a CPU generator, so a run resumed on CUDA draws what the
    # uninterrupted CUDA run drew; the weights agree to float32 rounding (1e-5, not bit for
    # bit: cuBLAS may pick another kernel after a restart). The same checkpoint resumes on the
    # CPU (device is a run-only field) and finishes with finite weights. Passed on an H200.
    cfg = tiny("wgan", steps=40, checkpoint_every=20, device="cuda",
               checkpoint_dir=tmp_path / "a")
    full = train_wgan(cfg)
    crashed = dataclasses.replace(cfg, checkpoint_dir=tmp_path / "b")
    with monkeypatch.context() as m:
        crashing_sampler(m, after_calls=29 * crashed.n_critic)
        with pytest.raises(Crash):
            train_wgan(crashed)
    resumed = train_wgan(crashed, resume=True)
    assert resumed.device.startswith("cuda") and resumed.steps_done == 40
    wa, wb = weights(full), weights(resumed)
    for k in wa:
        assert torch.allclose(wa[k].cpu(), wb[k].cpu(), rtol=1e-5, atol=1e-6), k
    on_cpu = train_wgan(dataclasses.replace(crashed, device="cpu", steps=50), resume=True)
    assert on_cpu.device == "cpu" and on_cpu.steps_done == 50
    assert all(torch.isfinite(w).all() for w in weights(on_cpu).values())
