"""Smoke test of analysis/critic_validation.py: a tiny run into a tmp dir (about 10 s).

The networks are trained for only a few steps, so their *estimates* are not checked here
(the study itself is the check of those); what is checked is the table's structure and that
its exact column is right, against values computed here independently of divgan.
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
                      str(out), "--no-progress"])
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


def test_plugin_rows_are_the_exact_ot_of_the_drawn_samples(cv, study):
    """The plug-in row is the exact W1 of the very samples drawn: in 1-D scipy's
    wasserstein_distance (sorted quantile formula) on the same draws, to rounding."""
    result, _ = study
    row = next(r for r in result.rows if r["family"] == "gauss" and r["method"] == "plugin")
    values = [stats.wasserstein_distance(*cv.sample("gauss", 1.0, 200, s)) for s in (0, 1)]
    assert math.isclose(row["mean"], float(np.mean(values)), rel_tol=1e-12)


def test_lines_sorted_matching_is_the_exact_ot(cv):
    """On two vertical segments the cost sqrt(theta^2 + dy^2) is convex in dy, so the sorted
    matching is optimal: it must equal POT's exact network simplex (computed here) to
    rounding (1e-12 relative: both are sums of 150 terms of size ~0.5)."""
    ot = pytest.importorskip("ot")
    from divgan.theory import sample_parallel_lines

    for theta, seed in ((0.1, 0), (0.7, 1)):
        p, q = sample_parallel_lines(theta, 150, rng=seed)
        cost = np.sqrt(((p[:, None, :] - q[None, :, :]) ** 2).sum(-1))
        w = np.full(150, 1 / 150)
        pot = float(ot.emd2(w, w, cost))
        assert math.isclose(cv.lines_plugin_w1(p, q), pot, rel_tol=1e-12)
        assert cv.lines_plugin_w1(p, q) > theta  # the plug-in bias is upward on the lines


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
