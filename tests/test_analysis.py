"""Smoke test of analysis/critic_validation.py: a tiny run into a tmp dir (about 10 s).

The script is a layer over divgan.sweep (cells in process here, ``--workers 0``). The
networks are trained for only a few steps, so their *estimates* are not checked here (the
study itself is the check of those); what is checked is the table's structure, that its
exact column is right against values computed here independently of divgan, and that its
plug-in and held-out columns are the exact OT of the very samples the cells drew.
"""
from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, stats

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "analysis" / "critic_validation.py"

pytest.importorskip("torch")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")


def _load():
    spec = importlib.util.spec_from_file_location("critic_validation", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cv():
    return _load()


@pytest.fixture(scope="module")
def study(cv, tmp_path_factory):
    out = tmp_path_factory.mktemp("cv")
    # quick grid: lines theta = 0.5, Gaussians mu = 1; n = 200, 2 seeds, 25 training steps
    result = cv.main(["--quick", "--seeds", "2", "--n", "200", "--steps", "25", "--out",
                      str(out), "--no-progress", "--workers", "0"])
    return result, out


def _js_gauss_quad(mu):
    """JS(N(0,1) || N(mu,1)) in nats by direct quadrature of its definition (independent of
    divgan): 1/2 KL(p||m) + 1/2 KL(q||m), m = (p + q)/2."""
    p, q = stats.norm(0, 1), stats.norm(mu, 1)

    def f(x):
        a, b = p.pdf(x), q.pdf(x)
        m = 0.5 * (a + b)
        return 0.5 * ((a * math.log(a / m) if a > 0 else 0.0)
                      + (b * math.log(b / m) if b > 0 else 0.0))

    value, err = integrate.quad(f, -12.0, 12.0 + mu, epsabs=1e-13, epsrel=1e-12, limit=200)
    assert err < 1e-10
    return value


def test_table_structure(study):
    result, _ = study
    rows = result.rows
    # every method on every cell, nothing else: the lines have no kNN row (KL = inf goes to
    # the separate flag table), the Gaussians have all seven
    lines = {r["method"] for r in rows if r["family"] == "lines"}
    gauss = {r["method"] for r in rows if r["family"] == "gauss"}
    assert lines == {"gp", "gp_raw", "sn", "clip", "plugin", "js"}
    assert gauss == lines | {"knn"}
    assert {(r["param"], r["n"]) for r in rows} == {(0.5, 200), (1.0, 200)}
    for r in rows:
        assert r["n_seeds"] == 2
        assert 0.0 <= r["below"] <= 1.0
        has_ci = r["method"] in {"gp", "sn", "clip", "js"}
        assert math.isnan(r["coverage"]) == (not has_ci)
        if has_ci:  # a CI is an interval: positive width, coverage a fraction of 2 seeds
            assert r["ci_width"] > 0
            assert r["coverage"] in (0.0, 0.5, 1.0)
        assert math.isclose(r["rel_bias"], (r["mean"] - r["exact"]) / r["exact"])
    # the kNN flag table: one line per lines cell, with the k = 1 raw estimate finite
    assert len(result.knn_lines) == 1 and math.isfinite(result.knn_lines[0]["mean"])
    # the files: a PNG (magic bytes) and a Markdown table with one data line per row
    assert result.png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = result.md_path.read_text(encoding="utf-8")
    header = [ln for ln in md.splitlines() if ln.startswith("| family |")]
    assert len(header) == 1 and "coverage" in header[0] and "rel. bias" in header[0]
    data = [ln for ln in md.splitlines()
            if ln.startswith(("| parallel lines |", "| N(0,1)"))]
    assert len(data) == len(rows) == 13
    assert "wall time" in md.lower() and "## Findings" in md
    assert result.store_path.is_file()  # the cells live in a DuckDB store next to the table


def test_exact_column_matches_independent_values(study):
    """Lines (L13): W1 = |theta| (every point moves theta horizontally, and no coupling does
    better), JS = log 2 (disjoint supports). N(0,1) vs N(mu,1): W1 = |mu| (the quantile
    functions differ by mu everywhere), KL = mu^2/2 (closed form), JS by scipy quadrature
    of the definition. Tolerance 1e-9: the closed forms are exact up to rounding and the
    quadrature's own error bound is below 1e-10."""
    result, _ = study
    expected = {("lines", "W1"): 0.5, ("lines", "JS"): math.log(2),
                ("gauss", "W1"): 1.0, ("gauss", "KL"): 0.5,
                ("gauss", "JS"): _js_gauss_quad(1.0)}
    for r in result.rows:
        want = expected[(r["family"], r["quantity"])]
        assert math.isclose(r["exact"], want, rel_tol=1e-9, abs_tol=1e-12), (r["label"], want)
    # and the Markdown shows those numbers (4 significant digits)
    md = result.md_path.read_text(encoding="utf-8")
    for ln in md.splitlines():
        if ln.startswith(("| parallel lines |", "| N(0,1)")):
            cells = [c.strip() for c in ln.strip("|").split("|")]
            family = "lines" if cells[0] == "parallel lines" else "gauss"
            quantity = cells[3].rsplit(", ", 1)[1]
            assert math.isclose(float(cells[4]), expected[(family, quantity)], rel_tol=5e-4)


def _cells(cv, result, family, method):
    return [c for c in cv.build_spec(result.settings).cells
            if (c.family, c.method) == (family, method)]


def test_plugin_rows_are_the_exact_ot_of_the_drawn_samples(cv, study):
    """The plug-in row is the exact W1 of the very samples drawn: in 1-D scipy's
    wasserstein_distance (sorted quantile formula) on the same draws, to rounding; on the
    lines POT's simplex (ot.emd2) on the same draws."""
    from divgan.sweep import draw_samples

    ot = pytest.importorskip("ot")
    result, _ = study
    row = next(r for r in result.rows if r["family"] == "gauss" and r["method"] == "plugin")
    values = [stats.wasserstein_distance(*(a[:, 0] for a in draw_samples(c)))
              for c in _cells(cv, result, "gauss", "plugin")]
    assert len(values) == 2
    assert math.isclose(row["mean"], float(np.mean(values)), rel_tol=1e-12)
    row = next(r for r in result.rows if r["family"] == "lines" and r["method"] == "plugin")
    w = np.full(200, 1 / 200)
    values = []
    for c in _cells(cv, result, "lines", "plugin"):
        x, y = draw_samples(c)
        values.append(ot.emd2(w, w, np.sqrt(((x[:, None] - y[None]) ** 2).sum(-1))))
    assert math.isclose(row["mean"], float(np.mean(values)), rel_tol=1e-12)
    # POT against the sorted matching of heights (exact on the lines): equal to rounding
    assert row["pot_gap"] < 1e-12


def test_heldout_gap_uses_the_held_out_halves_exact_w1(cv, study):
    """gap to held-out W1 = mean(estimate - W1 of the held-out halves) / exact, with that W1
    recomputed here: the same critic fit (public estimator, same seed and settings) gives
    the held-out indices, scipy the exact 1-D W1 of those halves."""
    from divgan.gan import estimate_wasserstein
    from divgan.sweep import draw_samples

    result, _ = study
    row = next(r for r in result.rows if r["family"] == "gauss" and r["method"] == "sn")
    gaps = []
    for c in _cells(cv, result, "gauss", "sn"):
        x, y = draw_samples(c)
        est = estimate_wasserstein(x, y, method="sn", steps=25, device="cpu", seed=c.seed,
                                   n_resamples=300)
        r_idx, g_idx = est.held_out
        gaps.append(est.value - stats.wasserstein_distance(x[r_idx, 0], y[g_idx, 0]))
    # exact W1 = mu = 1, so the relative gap is the mean gap; 1e-9: same fits, same bits
    assert math.isclose(row["heldout_gap"], float(np.mean(gaps)), rel_tol=1e-9)


def test_penalised_critic_theory_against_nested_quadrature(cv):
    """The 1-D penalised-optimum value W1 + (1/2 lambda) int (F_r - F_g)^2 / rho, with rho the
    interpolates' density, recomputed here by nested scipy quadrature (an independent
    numerical method: adaptive quad in both variables instead of fixed grids). Tolerance
    1e-5 relative: the script's grids (dx ~ 0.005, 2000 midpoint nodes in eps) are accurate
    to ~1e-7 on these smooth integrands. As lambda grows the value tends to W1 = mu."""
    mu, lam = 1.0, 10.0

    def rho(x):
        return integrate.quad(lambda e: stats.norm.pdf(x, (1 - e) * mu,
                                                       math.hypot(e, 1 - e)), 0, 1,
                              epsabs=1e-14, epsrel=1e-11)[0]

    def integrand(x):
        d = stats.norm.cdf(x) - stats.norm.cdf(x - mu)
        return d * d / rho(x)

    extra = integrate.quad(integrand, -10, mu + 10, epsabs=1e-12, epsrel=1e-10, limit=200)[0]
    want = mu + extra / (2 * lam)
    assert math.isclose(cv.gp_raw_theory(mu, lam), want, rel_tol=1e-5)
    assert math.isclose(cv.gp_raw_theory(mu, 1e9), mu, rel_tol=1e-8)


def test_from_store_rewrites_the_outputs_without_computing(cv, study, monkeypatch, tmp_path):
    result, out = study
    import divgan.sweep

    def no_sweep(*args, **kwargs):
        raise AssertionError("--from-store must not run the sweep")

    monkeypatch.setattr(divgan.sweep, "run_sweep", no_sweep)
    monkeypatch.setattr(divgan.sweep, "code_version", lambda: "another code")  # keys differ
    again = cv.main(["--quick", "--seeds", "2", "--n", "200", "--steps", "25", "--out",
                     str(tmp_path), "--no-progress", "--store", str(result.store_path),
                     "--from-store"])
    table = [ln for ln in result.md_path.read_text(encoding="utf-8").splitlines()
             if ln.startswith("| ")]
    assert [ln for ln in again.md_path.read_text(encoding="utf-8").splitlines()
            if ln.startswith("| ")] == table
    assert "no cell computed in this run" in again.md_path.read_text(encoding="utf-8")
    with pytest.raises(RuntimeError, match="not in the store: run without --from-store"):
        cv.main(["--quick", "--seeds", "3", "--n", "200", "--steps", "25", "--out",
                 str(tmp_path), "--no-progress", "--store", str(result.store_path),
                 "--from-store"])
