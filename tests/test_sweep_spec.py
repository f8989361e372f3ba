"""Sweep specs and cells, without Dask: validation, grid expansion, keys, pure cells.

Oracles: the grid size is the product of the axis lengths counted here; the exact values
are the closed forms written out here (W1 of a shift is its length, KL of a unit-variance
Gaussian shift is |s|^2/2, disjoint supports give JS = log 2); the plug-in value is POT's
exact network simplex (ot.emd2) computed here on the same draw.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from divgan.sweep import compute_cell, draw_samples, load_spec, parse_spec

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "analysis" / "specs"


def _spec(**over):
    base = {"n": [50], "seeds": [0], "methods": ["plugin"],
            "families": {"gauss": {"mu": [1.0]}}}
    base.update(over)
    return base


def test_shipped_specs_load_and_smoke_is_small():
    """The issue asks for a smoke grid of 8-16 cells with torch cells among them."""
    smoke = load_spec(SPECS / "smoke.toml")
    assert 8 <= len(smoke.cells) <= 16
    assert any(c.uses_torch for c in smoke.cells)
    for path in SPECS.glob("*.toml"):
        assert load_spec(path).cells  # every shipped spec is valid and non-empty


def test_grid_is_the_product_of_the_axes():
    data = {"d": [1, 3], "n": [20, 40, 80], "seeds": [0, 1], "methods": ["gp", "plugin"],
            "estimator": {"steps": {"gp": 5}},
            "families": {"shifted": {"shift": [0.5, 1.0], "base": ["gaussian", "uniform"]},
                         "scaled": {"scale": [2.0]}, "lines": {"theta": [0.3]}}}
    spec = parse_spec(data)
    # shifted: 2 shifts x 2 bases x 2 d; scaled: 1 x 2 d; lines: 1 (d fixed at 2)
    data_points = 2 * 2 * 2 + 1 * 2 + 1
    assert len(spec.cells) == data_points * 3 * 2 * 2
    assert len(set(spec.cells)) == len(spec.cells)
    assert {c.d for c in spec.cells if c.family == "lines"} == {2}
    assert {c.steps for c in spec.cells if c.method == "gp"} == {5}
    assert {c.steps for c in spec.cells if c.method == "plugin"} == {0}


def test_max_n_leaves_out_a_methods_larger_cells_and_keeps_the_others_keys():
    data = _spec(n=[50, 100, 200], methods=["plugin", "sliced"], seeds=[0, 1])
    full = parse_spec(data)
    capped = parse_spec({**data, "estimator": {"max_n": {"plugin": 100, "gp": 10}}})
    assert len(full.cells) == 3 * 2 * 2
    kept = [c for c in full.cells if not (c.method == "plugin" and c.n > 100)]
    assert list(capped.cells) == kept  # the same cells, hence the same keys, in grid order
    assert {c.n for c in capped.cells if c.method == "plugin"} == {50, 100}
    assert {c.n for c in capped.cells if c.method == "sliced"} == {50, 100, 200}


@pytest.mark.parametrize("over, words", [
    ({"n": [1]}, ["spec n", "1", ">= 2"]),
    ({"n": []}, ["spec n", "non-empty"]),
    ({"seeds": [0, 0]}, ["spec seeds", "repeated", "0"]),
    ({"methods": ["gp", "wgan"]}, ["spec methods", "'wgan'", "gp", "knn"]),
    ({"families": {"circles": {"r": [1.0]}}}, ["spec families", "'circles'", "shifted"]),
    ({"families": {"gauss": {"mu": [1.0], "sigma": [2.0]}}},
     ["families.gauss", "sigma", "allowed"]),
    ({"families": {"gauss": {}}}, ["families.gauss.mu", "missing"]),
    ({"families": {"shifted": {"shift": [1.0]}}}, ["spec d", "missing"]),
    ({"families": {"scaled": {"scale": [0.0]}}, "d": [1]}, ["families.scaled.scale", "> 0"]),
    ({"families": {"shifted": {"shift": [1.0], "base": ["cauchy"]}}, "d": [1]},
     ["families.shifted.base", "'cauchy'", "uniform"]),
    ({"estimator": {"steps": 0}}, ["estimator.steps", "0", ">= 1"]),
    ({"estimator": {"steps": {"plugin": 10}}}, ["estimator.steps", "plugin"]),
    ({"estimator": {"lr": 0.1}}, ["[estimator]", "lr", "allowed"]),
    ({"grid": 1}, ["top level", "grid", "allowed"]),
    ({"d": [0], "families": {"shifted": {"shift": [1.0]}}}, ["spec d", ">= 1"]),
    ({"estimator": {"max_n": 8000}}, ["estimator.max_n", "8000", "table per method"]),
    ({"estimator": {"max_n": {"ot": 10}}}, ["estimator.max_n", "'ot'", "plugin"]),
    ({"estimator": {"max_n": {"plugin": 1}}}, ["estimator.max_n.plugin", "1", ">= 2"]),
])
def test_bad_specs_name_the_key_and_the_allowed_values(over, words):
    with pytest.raises(ValueError) as info:
        parse_spec(_spec(**over))
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)


def test_load_spec_reports_bad_toml_and_missing_files(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        load_spec(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("n = [100\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_spec(bad)


def test_cell_keys_change_with_every_parameter_and_the_version():
    spec = parse_spec({"d": [1, 2], "n": [20, 40], "seeds": [0, 1], "methods": ["plugin", "knn"],
                       "families": {"shifted": {"shift": [1.0, 2.0]}}})
    keys = {c.key("0.1.0") for c in spec.cells}
    assert len(keys) == len(spec.cells)  # no two cells share a key
    cell = spec.cells[0]
    assert cell.key("0.1.0") != cell.key("0.2.0")
    assert cell.key("0.1.0") == parse_spec({"d": [1, 2], "n": [20, 40], "seeds": [0, 1],
                                            "methods": ["plugin", "knn"],
                                            "families": {"shifted": {"shift": [1.0, 2.0]}}}
                                           ).cells[0].key("0.1.0")


def test_exact_columns_are_the_closed_forms():
    """shifted(d, s) Gaussian: W1 = W2 = |s| (every point moves by s) and KL = s^2/2;
    lines: W1 = theta, JS = log 2, KL = inf (disjoint supports, L13). Exact to rounding."""
    spec = parse_spec({"d": [3], "n": [30], "seeds": [0], "methods": ["plugin", "js", "knn"],
                       "estimator": {"steps": 5, "n_resamples": 10},
                       "families": {"shifted": {"shift": [1.5]}, "lines": {"theta": [0.25]}}})
    rows = {(c.family, c.method): compute_cell(c, "cpu") for c in spec.cells}
    s = rows[("shifted", "plugin")]
    assert s["error"] is None
    assert math.isclose(s["exact"], 1.5) and math.isclose(s["exact_w2"], 1.5)
    assert math.isclose(rows[("shifted", "knn")]["exact"], 1.5 ** 2 / 2, rel_tol=1e-12)
    assert math.isclose(rows[("lines", "plugin")]["exact"], 0.25)
    assert math.isclose(rows[("lines", "js")]["exact"], math.log(2), rel_tol=1e-12)
    assert math.isinf(rows[("lines", "knn")]["exact"])


def test_plugin_cell_is_the_exact_ot_of_its_draw_and_cells_are_pure():
    """The plug-in cell equals POT's exact transport cost on the same draw (1e-12: both
    solve the same linear programme); two runs of a cell give the same bits; another seed
    gives another draw."""
    ot = pytest.importorskip("ot")
    cell = parse_spec({"d": [2], "n": [60], "seeds": [3], "methods": ["plugin"],
                       "families": {"scaled": {"scale": [2.0]}}}).cells[0]
    x, y = draw_samples(cell)
    assert x.shape == y.shape == (60, 2)
    w = np.full(60, 1 / 60)
    cost = np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))
    row = compute_cell(cell, "cpu")
    assert math.isclose(row["value"], float(ot.emd2(w, w, cost)), rel_tol=1e-12)
    assert compute_cell(cell, "cpu")["value"] == row["value"]
    other = parse_spec({"d": [2], "n": [60], "seeds": [4], "methods": ["plugin"],
                        "families": {"scaled": {"scale": [2.0]}}}).cells[0]
    assert not np.array_equal(draw_samples(other)[0], x)


def test_methods_of_one_draw_share_the_samples():
    """Paired comparisons: gp and plugin at the same (family, param, d, n, seed) see one draw."""
    spec = parse_spec({"n": [30], "seeds": [0], "methods": ["gp", "plugin"],
                       "families": {"gauss": {"mu": [1.0]}}})
    a, b = (draw_samples(c) for c in spec.cells)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_a_failing_cell_returns_its_error_and_no_value():
    """estimate_wasserstein needs at least 4 points each: with n = 2 the cell fails, and
    the failure is returned (type and message), never a 0.0 or NaN value."""
    cell = parse_spec({"n": [2], "seeds": [0], "methods": ["gp"],
                       "estimator": {"steps": 5}, "families": {"gauss": {"mu": [1.0]}}}).cells[0]
    row = compute_cell(cell, "cpu")
    assert row["value"] is None
    assert row["error"].startswith("ValueError") and "\n" not in row["error"]


def test_plugin_shortcuts_are_exact(monkeypatch):
    """d = 1: the sorted formula equals scipy's wasserstein_distance (1e-12: same sums in
    another order). Lines above the size threshold: the sorted matching of heights equals
    POT's simplex on the same draw (the cost sqrt(theta^2 + dy^2) is convex in dy, so the
    monotone matching is optimal); the threshold is lowered here to keep POT small."""
    ot = pytest.importorskip("ot")
    from scipy import stats

    from divgan.sweep import cells

    gauss = parse_spec(_spec(n=[300])).cells[0]
    x, y = draw_samples(gauss)
    row = compute_cell(gauss, "cpu")
    assert "sorted 1-D" in row["diagnostics"]
    assert math.isclose(row["value"], stats.wasserstein_distance(x[:, 0], y[:, 0]),
                        rel_tol=1e-12)
    monkeypatch.setattr(cells, "LINES_SORTED_ABOVE", 10)
    lines = parse_spec(_spec(n=[150], families={"lines": {"theta": [0.2]}})).cells[0]
    x, y = draw_samples(lines)
    row = compute_cell(lines, "cpu")
    assert "sorted heights" in row["diagnostics"]
    w = np.full(150, 1 / 150)
    cost = np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))
    assert math.isclose(row["value"], float(ot.emd2(w, w, cost)), rel_tol=1e-12)


def test_critic_cells_store_the_held_out_halves_exact_w1():
    """heldout_w1 = exact W1 between the held-out halves the critic was read on: the same
    fit through the public estimator (same seed and settings) gives the held-out indices,
    POT's simplex (ot.emd2) the W1 of those halves in d = 2 (1e-12: one linear programme)."""
    import json

    ot = pytest.importorskip("ot")
    from divgan.gan import estimate_wasserstein

    cell = parse_spec({"d": [2], "n": [40], "seeds": [1], "methods": ["sn"],
                       "estimator": {"steps": 5, "n_resamples": 50},
                       "families": {"shifted": {"shift": [1.0]}}}).cells[0]
    row = compute_cell(cell, "cpu")
    x, y = draw_samples(cell)
    est = estimate_wasserstein(x, y, method="sn", steps=5, device="cpu", seed=1,
                               n_resamples=50)
    assert row["value"] == est.value  # the cell is this fit
    r_idx, g_idx = est.held_out
    a, b = x[r_idx], y[g_idx]
    cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    want = ot.emd2(np.full(len(a), 1 / len(a)), np.full(len(b), 1 / len(b)), cost)
    assert math.isclose(json.loads(row["diagnostics"])["heldout_w1"], float(want),
                        rel_tol=1e-12)
