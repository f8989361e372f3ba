"""The W1 between a step's own training batches, logged on the device (``batch_w1_every``).

Oracles, all computed here from the batches the loop really used (recorded by wrapping the
critic's loss, the discriminator or :func:`divgan.gan._loop.batch_w1`): the numpy side's
Numba ``divgan.wasserstein_1d`` and scipy's ``wasserstein_distance`` for 1-D batches; for
d > 1, scipy's 1-D W1 of each projection on directions drawn by the convention documented in
:func:`divgan.gan.metrics.sliced_wasserstein`, and POT's exact N-D W1 as an upper bound.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

import divgan
from divgan.gan import _loop as loop_mod
from divgan.gan import training as training_mod
from divgan.gan.critics import CriticMethod
from divgan.gan.models import Discriminator
from divgan.gan.training import TrainConfig, train_aae, train_gan, train_wgan

torch.set_num_threads(1)

# Both sides compute the same sorted-matching sum in float64 from the same float32 values
# (widened exactly); with 32-64 terms of size <= ~5 the rounding of either sum is below
# 64 * 2**-52 * 5 ~ 7e-14, hence 1e-12.
TOL = 1e-12


def tiny(model: str, **kw) -> TrainConfig:
    base = {"steps": 12, "batch_size": 32, "hidden": (16, 16), "device": "cpu", "progress": False,
            "log_every": 5, "eval_every": 10, "eval_samples": 64, "n_critic": 2}
    return TrainConfig.for_model(model, **{**base, **kw})


def numpy_w1(a: torch.Tensor, b: torch.Tensor) -> tuple[float, float]:
    """(divgan's numpy W1, scipy's W1) of two (n, 1) batches, in float64 on the host."""
    x = a.detach().double().cpu().numpy()[:, 0]
    y = b.detach().double().cpu().numpy()[:, 0]
    return float(divgan.wasserstein_1d(x, y)), float(stats.wasserstein_distance(x, y))


@pytest.mark.parametrize("method", ["gp", "ctransform"])
def test_wgan_logs_the_exact_w1_of_the_batches_its_critic_value_was_read_on(monkeypatch, method):
    # Record every critic update's (real, fake, dual value). The step's logged w_dual is the
    # dual value of its last update (n_critic per step), and w1_batch must be the exact W1 of
    # those very batches: like is compared with like.
    calls = []
    original = CriticMethod.loss

    def recording(self, critic, real, fake, settings, *, seed=None):
        out = original(self, critic, real, fake, settings, seed=seed)
        calls.append((real.clone(), fake.clone(), float(out[1])))
        return out

    monkeypatch.setattr(CriticMethod, "loss", recording)
    cfg = tiny("wgan", critic_method=method, batch_w1_every=4)
    res = train_wgan(cfg)
    steps, logged = res.column("w1_batch")
    assert steps.tolist() == [4, 8, 12]
    assert len(calls) == cfg.steps * cfg.n_critic
    dual = dict(zip(*res.column("w_dual")))
    for s, value in zip(steps, logged):
        real, fake, w_dual = calls[s * cfg.n_critic - 1]
        assert dual[s] == w_dual  # the same update's batches
        ours, scipy_w1 = numpy_w1(real, fake)
        assert value == pytest.approx(ours, rel=TOL, abs=TOL)
        assert value == pytest.approx(scipy_w1, rel=TOL, abs=TOL)


def test_gan_logs_the_exact_w1_of_its_last_discriminator_batches(monkeypatch):
    # The discriminator sees, per step, n_critic pairs (real, fake) and then G's fakes: 2n + 1
    # calls; the logged W1 is that of the last pair.
    seen = []

    class Recording(Discriminator):
        def forward(self, x):
            seen.append(x.detach().clone())
            return super().forward(x)

    monkeypatch.setattr(training_mod, "Discriminator", Recording)
    cfg = tiny("gan", batch_w1_every=3, steps=9)
    res = train_gan(cfg)
    per_step = 2 * cfg.n_critic + 1
    assert len(seen) == cfg.steps * per_step
    steps, logged = res.column("w1_batch")
    assert steps.tolist() == [3, 6, 9]
    for s, value in zip(steps, logged):
        real, fake = seen[(s - 1) * per_step + 2 * cfg.n_critic - 2: (s - 1) * per_step
                          + 2 * cfg.n_critic]
        ours, scipy_w1 = numpy_w1(real, fake)
        assert value == pytest.approx(ours, rel=TOL, abs=TOL)
        assert value == pytest.approx(scipy_w1, rel=TOL, abs=TOL)


def _record_batch_w1(monkeypatch) -> list:
    """Wrap the loop's ``batch_w1`` so every call's (real, generated, seed, result) is kept."""
    recorded = []
    original = loop_mod.batch_w1

    def recording(real, generated, *, seed):
        out = original(real, generated, seed=seed)
        recorded.append((real.clone(), generated.clone(), seed, out))
        return out

    monkeypatch.setattr(loop_mod, "batch_w1", recording)
    return recorded


def test_sliced_w1_of_2d_batches_matches_projections_and_stays_below_exact_w1(monkeypatch):
    # d = 2 (the ring): the column is the sliced W1. Recompute it from the recorded batches and
    # seed: directions by sliced_wasserstein's documented draw (torch.randn(L, d) in float64
    # from a CPU generator seeded with the seed, rows normalised), then scipy's W1 of each
    # projection, averaged (the per-direction sums agree to rounding, as above). Every
    # projection is 1-Lipschitz, so SW1 <= the exact W1 (POT's network simplex).
    recorded = _record_batch_w1(monkeypatch)
    res = train_gan(tiny("gan", data="ring", batch_w1_every=4))
    steps, logged = res.column("sw1_batch")
    assert steps.tolist() == [4, 8, 12] and len(recorded) == 3
    assert not any("w1_batch" in row for row in res.history)
    for value, (real, fake, seed, out) in zip(logged, recorded):
        assert out.dtype == torch.float64 and out.device == real.device
        x, y = real.double().numpy(), fake.double().numpy()
        g = torch.Generator().manual_seed(seed)
        theta = torch.randn(loop_mod.BATCH_SLICED_PROJECTIONS, 2, generator=g,
                            dtype=torch.float64).numpy()
        theta /= np.linalg.norm(theta, axis=1, keepdims=True)
        want = np.mean([stats.wasserstein_distance(x @ t, y @ t) for t in theta])
        assert value == pytest.approx(want, rel=TOL, abs=TOL)
        assert 0 < value <= divgan.wasserstein_distance(x, y) + TOL


def test_the_column_exists_only_when_enabled_and_changes_nothing_else():
    # Off: no batch column anywhere. On: a row at every multiple of k (here 3: steps 3, 6, 9
    # and 12; rows 3, 6 and 9 are added for it) and otherwise the same run: same weights bit for bit
    # (nothing is drawn from the run's stream) and the same numbers in every other row.
    off = train_wgan(tiny("wgan"))
    on = train_wgan(tiny("wgan", batch_w1_every=3))
    assert not any(k.endswith("_batch") for row in off.history for k in row)
    with pytest.raises(KeyError, match="w1_batch"):
        off.column("w1_batch")
    assert on.column("w1_batch")[0].tolist() == [3, 6, 9, 12]
    for a, b in zip(off.models.values(), on.models.values()):
        for ta, tb in zip(a.state_dict().values(), b.state_dict().values()):
            assert torch.equal(ta, tb)
    stripped = [{k: v for k, v in row.items() if k != "w1_batch"} for row in on.history]
    assert [r for r in stripped if r["step"] not in (3, 6, 9)] == list(off.history)


@pytest.mark.parametrize("latent_dim, column", [(1, "w1_batch_codes_prior"),
                                                (2, "sw1_batch_codes_prior")])
def test_aae_logs_codes_against_the_prior_batch(latent_dim, column):
    # The AAE's pair is phase 2's prior batch and codes; 1-D codes get the exact W1 (checked
    # against the numpy side by the tests above through the same function), 2-D the sliced.
    res = train_aae(tiny("aae", steps=4, latent_dim=latent_dim, batch_w1_every=2))
    steps, values = res.column(column)
    assert steps.tolist() == [2, 4] and np.all(values > 0)


@pytest.mark.parametrize("value, exc", [(0, ValueError), (2.5, TypeError), (True, TypeError)])
def test_config_rejects_a_bad_batch_w1_every(value, exc):
    with pytest.raises(exc, match="batch_w1_every"):
        TrainConfig(batch_w1_every=value)


@pytest.mark.gpu
def test_batch_w1_on_cuda_stays_there_and_agrees_with_the_cpu(monkeypatch):
    # A WGAN on the GPU: the logged value is computed on the device (the returned tensor is a
    # CUDA tensor) and equals the numpy W1 of the same batches copied here; the same function
    # on the CPU copies agrees too. 2-D batches: CPU-drawn directions make CUDA and CPU
    # project on the same lines; the matmul's summation order may differ (relative ~1e-15 per
    # projected value), so 1e-10.
    original = loop_mod.batch_w1  # before the recording wrapper replaces it
    recorded = _record_batch_w1(monkeypatch)
    res = train_wgan(tiny("wgan", device="cuda", batch_w1_every=4))
    _, logged = res.column("w1_batch")
    for value, (real, fake, seed, out) in zip(logged, recorded):
        assert real.is_cuda and out.is_cuda
        assert value == pytest.approx(numpy_w1(real, fake)[0], rel=TOL, abs=TOL)
        cpu = original(real.cpu(), fake.cpu(), seed=seed).item()
        assert value == pytest.approx(cpu, rel=TOL, abs=TOL)
    x = torch.randn(300, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y = torch.randn(300, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) + 1
    on_gpu = original(x.cuda(), y.cuda(), seed=7)
    assert on_gpu.is_cuda
    assert on_gpu.item() == pytest.approx(original(x, y, seed=7).item(), rel=1e-10)
