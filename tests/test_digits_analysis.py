"""Smoke test of analysis/digits.py on tiny settings (about 10-20 s).

The networks train for a few steps only, so their estimates are not judged here (the study
is the check of those). What is checked against oracles computed here: the exact W1 columns
(scipy's assignment solver for equal sizes, POT's emd2 on a cost matrix built here for
unequal ones), the c-transform certificate, the corruptions (closed forms), the critic value
of a known linear critic, the correlation summary (scipy.stats) and the report's structure.
"""
from __future__ import annotations

import importlib.util
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, spatial, stats

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "analysis" / "digits.py"

torch = pytest.importorskip("torch")
pytest.importorskip("matplotlib")
ot = pytest.importorskip("ot")
pytest.importorskip("sklearn")

TINY = dict(seeds=(0,), pairs=((3, 8),), n_half=60, noise_sds=(0.3,), blur_sds=(1.0,),
            critic_steps=30, n_resamples=50, wgan_methods=("clip", "ctransform"),
            wgan_steps=20, log_every=5, batch_size=32, latent_dim=2, hidden=(16, 16),
            quick=True)


@pytest.fixture(scope="module")
def dg():
    spec = importlib.util.spec_from_file_location("digits_study", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def study(dg, tmp_path_factory):
    out = tmp_path_factory.mktemp("digits")
    return dg.run_study(dg.Settings(**TINY), out, log=lambda *_: None)


def _w1_assignment(x, y):
    """Exact W1 of two equal-size uniform samples: an optimal plan is a permutation
    (Birkhoff), so the min-cost assignment's mean cost is W1 (scipy, not POT)."""
    cost = spatial.distance.cdist(x, y)
    r, c = optimize.linear_sum_assignment(cost)
    return cost[r, c].mean()


def _w1_pot(x, y):
    cost = spatial.distance.cdist(x, y)
    return ot.emd2(np.full(len(x), 1 / len(x)), np.full(len(y), 1 / len(y)), cost)


def test_blur_is_a_sampled_gaussian(dg):
    # A unit pixel at (3, 3) blurred with sd 1: with the kernel cut at 4 sd no reflected copy
    # reaches (3, 3) or its neighbours (the nearest mirror image is 7 pixels away), so the
    # values are the normalised sampled Gaussian k(i) k(j), k(i) ∝ exp(-i²/2): neighbour
    # ratios are exp(-1/2) and exp(-1) exactly, to float rounding.
    x = np.zeros((1, 64))
    x[0, 3 * 8 + 3] = 1.0
    b = dg.blur(x, 1.0).reshape(8, 8)
    assert b[3, 4] / b[3, 3] == pytest.approx(math.exp(-0.5), rel=1e-12)
    assert b[4, 4] / b[3, 3] == pytest.approx(math.exp(-1.0), rel=1e-12)
    k = np.exp(-np.arange(-4, 5) ** 2 / 2)
    assert b[3, 3] == pytest.approx((1 / k.sum()) ** 2, rel=1e-12)


def test_noise_has_the_asked_sd(dg):
    # 64 x 4000 independent N(0, 0.3²) draws: the sample sd's standard error is
    # 0.3 / sqrt(2 * 256000) ≈ 4.2e-4; 4 standard errors is 1.7e-3.
    x = np.zeros((4000, 64))
    diff = dg.add_noise(x, 0.3, np.random.default_rng(1)) - x
    assert abs(diff.std() - 0.3) < 4 * 0.3 / math.sqrt(2 * diff.size)
    assert abs(diff.mean()) < 4 * 0.3 / math.sqrt(diff.size)


def test_cases_are_the_asked_samples(dg):
    s = dg.Settings(**TINY)
    cases = dg.make_cases(s, 0)
    from sklearn.datasets import load_digits

    sk = load_digits()
    names = [c[0] for c in cases]
    assert names == ["3 vs 8", "same law (two halves)", "noise σ = 0.3", "blur σ = 1"]
    _, p, q = cases[0]
    np.testing.assert_array_equal(p, sk.data[sk.target == 3] / 16)
    np.testing.assert_array_equal(q, sk.data[sk.target == 8] / 16)
    _, a, b = cases[1]
    assert a.shape == b.shape == (60, 64)
    # two disjoint draws from the 1797 images: no image occurs in a and b together more
    # often than in the data
    from collections import Counter

    in_data = Counter(map(tuple, sk.data / 16))
    drawn = Counter(map(tuple, np.vstack([a, b])))
    assert all(in_data[row] >= k for row, k in drawn.items())
    # the corrupted cases corrupt the second half and keep the first
    np.testing.assert_array_equal(cases[2][1], a)
    np.testing.assert_array_equal(cases[3][1], a)
    np.testing.assert_array_equal(cases[3][2], dg.blur(b, 1.0))
    assert not np.array_equal(cases[2][2], b)


def test_critic_rows_exact_columns(study, dg):
    recs = study["records"]
    cases = {c[0]: c for c in dg.make_cases(dg.Settings(**TINY), 0)}
    for r in recs:
        _, p, q = cases[r["case"]]
        oracle = _w1_assignment if len(p) == len(q) else _w1_pot
        # both are exact LP optima of the same problem: they agree to LP rounding (1e-9)
        assert r["exact_all"] == pytest.approx(oracle(p, q), rel=1e-9)
    ct = [r for r in recs if r["method"] == "ctransform"]
    assert len(ct) == len(cases)
    for r in ct:  # the certificate: a feasible dual cannot exceed the primal optimum
        assert r["value"] <= r["exact_held_out"] + 1e-9
        assert r["exact_held_out"] > 0


def test_held_out_exact_uses_the_estimators_halves(dg):
    # Recompute one held-out W1 by hand from Estimate.held_out: it must match the record.
    from divgan.gan import estimate_wasserstein

    s = dg.Settings(**TINY)
    name, p, q = dg.make_cases(s, 0)[1]
    rec = [r for r in dg.critic_records(name, p, q, seed=3, settings=s)
           if r["method"] == "sn"][0]
    est = estimate_wasserstein(p, q, method="sn", steps=30, device="cpu", seed=3,
                               n_resamples=50)
    i, j = est.held_out
    assert rec["exact_held_out"] == pytest.approx(_w1_assignment(p[i], q[j]), rel=1e-9)
    assert rec["value"] == est.value  # same seed, same fit: deterministic on one thread


def test_critic_and_batch_w1_with_a_linear_critic(dg):
    # f(x) = <w, x> with |w| = 1 is 1-Lipschitz: the value is <w, mean(real) - mean(fake)>
    # (computed here in numpy) and at most the exact W1 of the two batches.
    from divgan.gan.models import Generator

    torch.manual_seed(0)
    G = Generator(2, 64, (8,))
    lin = torch.nn.Linear(64, 1, bias=False)
    w = np.random.default_rng(0).normal(size=64)
    w /= np.linalg.norm(w)
    lin.weight.data = torch.tensor(w[None, :], dtype=torch.float32)

    class F(torch.nn.Module):
        def forward(self, x):
            return lin(x)[:, 0]

    value, exact, real, fake = dg.critic_and_batch_w1(G, F(), "gp", 40, seed=5)
    assert value == pytest.approx(float(w @ (real.mean(0) - fake.mean(0))), abs=1e-5)  # float32
    assert exact == pytest.approx(_w1_assignment(real, fake), rel=1e-9)
    assert value <= exact + 1e-5
    # c-transform: any f gives a feasible dual of the two batches' OT, so value <= exact
    value_ct, exact_ct, _, _ = dg.critic_and_batch_w1(G, F(), "ctransform", 40, seed=5)
    assert exact_ct == exact and value_ct <= exact + 1e-5


def test_zero_c_transform_is_the_nearest_neighbour_bound(study, dg):
    # f = 0 gives f^c(y) = min_i |x_i - y|: brute force here; (0, f^c) is dual feasible, so
    # the value is at most the exact W1 (assignment oracle, equal sizes).
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(30, 5)), rng.normal(0.5, 1, size=(30, 5))
    brute = np.mean([min(np.linalg.norm(xi - yj) for xi in x) for yj in y])
    assert dg.zero_c_transform(x, y) == pytest.approx(brute, rel=1e-12)
    assert dg.zero_c_transform(x, y) <= _w1_assignment(x, y) + 1e-12
    for r in (r for r in study["records"] if r["method"] == "zero_ct"):
        assert r["value"] <= r["exact_held_out"] + 1e-9


def test_real_batch_floor(dg):
    # two independent batches of the same digits: positive W1, below the largest distance
    # between two images in [0, 1]^64 (8)
    mean, sd = dg.real_batch_floor(20, reps=3)
    assert 0 < mean < 8 and sd >= 0


def test_summarise_trace_matches_scipy(dg):
    rng = np.random.default_rng(0)
    rows = [{"method": "gp", "step": 0, "critic": 9.0, "exact": 1.0}]
    e, c = rng.uniform(1, 3, 12), rng.uniform(0, 2, 12)
    rows += [{"method": "gp", "step": 5 * (i + 1), "critic": c[i], "exact": e[i]}
             for i in range(12)]
    s = dg.summarise_trace(rows)
    assert s["logs"] == 12  # step 0 left out
    assert s["pearson"] == pytest.approx(stats.pearsonr(c, e)[0], rel=1e-12)
    assert s["spearman"] == pytest.approx(stats.spearmanr(c, e)[0], rel=1e-12)
    assert s["ratio_median"] == pytest.approx(np.median(c / e), rel=1e-12)
    assert s["ratio_last"] == pytest.approx(c[-1] / e[-1], rel=1e-12)


def test_wgan_trace_logs_every_k_steps(study):
    for method in TINY["wgan_methods"]:
        tr = study["traces"][method]
        assert [r["step"] for r in tr] == [0, 5, 10, 15, 20]
        for r in tr:
            assert math.isfinite(r["critic"]) and r["exact"] > 0
        if method == "ctransform":  # certified on every logged pair of batches
            assert all(r["critic"] <= r["exact"] + 1e-5 for r in tr)


def test_report_files(study):
    md = study["md"].read_text(encoding="utf-8")
    assert study["png"].stat().st_size > 0
    assert "QUICK" in md and "Command:" in md and "Date:" in md and "Machine:" in md
    table = [ln for ln in md.splitlines() if ln.startswith("| 3 vs 8 |")]
    assert len(table) == 5  # one row per critic method and the untrained c-transform
    assert md.count("| clip |") == 1 and md.count("| ctransform |") == 1


@pytest.mark.parametrize("bad, match", [
    (dict(n_half=0), "n_half"), (dict(n_half=899), "n_half"), (dict(seeds=()), "seeds"),
    (dict(pairs=((3, 3),)), "pairs"), (dict(wgan_methods=("sn",)), "wgan_methods"),
    (dict(critic_steps=0), "critic_steps"), (dict(log_every=1.5), "log_every"),
])
def test_bad_settings(dg, bad, match):
    with pytest.raises(ValueError, match=match):
        replace(dg.Settings(**TINY), **bad)
