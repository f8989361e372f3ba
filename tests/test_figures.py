"""`divgan figures`: files, images, the gallery, and the command's errors.

The quick run of every registered figure happens once per module (a few seconds);
the other tests reuse its output folder.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import math
import sys
import types

import numpy as np
import pytest

from divgan.cli import main
from divgan.figures import FIGURES, figure_module
from divgan.figures._common import Check


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("figures")
    rc, out, err = _run(["figures", "--quick", "--out", str(folder)])
    return rc, folder, out, err


def test_quick_run_succeeds_with_progress_per_figure(quick_run):
    rc, _, out, err = quick_run
    assert rc == 0, f"divgan figures --quick failed:\n{out}\n{err}"
    for i, name in enumerate(FIGURES, 1):
        assert f"[{i}/{len(FIGURES)}] {name}" in out
    assert out.count(" done in ") == len(FIGURES)
    assert "index.html" in out


@pytest.mark.parametrize("name", list(FIGURES))
def test_each_figure_writes_a_real_png_svg_and_numbers(quick_run, name):
    matplotlib_image = pytest.importorskip("matplotlib.image")
    _, folder, _, _ = quick_run
    png, svg, side = folder / f"{name}.png", folder / f"{name}.svg", folder / f"{name}.json"
    for f in (png, svg, side):
        assert f.is_file() and f.stat().st_size > 0, f
    img = matplotlib_image.imread(png)
    assert img.ndim == 3 and img.shape[2] in (3, 4)
    assert img.shape[0] >= 300 and img.shape[1] >= 400  # a real figure at 120 dpi, not a thumbnail
    rgb = img[..., :3].reshape(-1, 3)
    # Not blank: many distinct colours (lines, text, fills) and visible contrast.
    assert len(np.unique((rgb * 255).round().astype(np.uint8), axis=0)) > 50
    assert rgb.std() > 0.05
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and text.rstrip().endswith("</svg>")
    record = json.loads(side.read_text(encoding="utf-8"))
    module = figure_module(name)
    assert record["name"] == name and record["claims"] == module.CLAIMS
    assert len(module.CAPTION.strip().splitlines()) == 2
    assert record["checks"], f"{name} checked no numbers"
    for c in record["checks"]:
        assert c["label"] and "exact" in c and "estimate" in c
        # The figure's own comparisons must agree within the tolerances it states; every
        # check states one.
        assert isinstance(c["tol"], (int, float)) and c["tol"] >= 0, f"{name}: {c}"
        assert c["ok"] is True, f"{name}: {c}"


def test_gallery_links_every_figure_with_claims_caption_and_numbers(quick_run):
    _, folder, _, _ = quick_run
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "FAILED" not in page
    for name in FIGURES:
        module = figure_module(name)
        assert f'src="{name}.png"' in page
        assert f'href="{name}.svg"' in page
        assert html.escape(module.CLAIMS) in page
        for line in module.CAPTION.strip().splitlines():
            assert html.escape(line) in page
        record = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        for c in record["checks"]:
            assert html.escape(c["label"]) in page
    assert page.count("<table>") == len(FIGURES)


def test_unknown_figure_name_is_a_clear_error(tmp_path):
    rc, _, err = _run(["figures", "--quick", "--out", str(tmp_path), "--only", "no_such_figure"])
    assert rc != 0
    assert "no_such_figure" in err
    for name in FIGURES:
        assert name in err  # the message lists the valid names
    assert not (tmp_path / "index.html").exists()


def test_cuda_without_a_gpu_is_refused_before_drawing(tmp_path):
    # Asking for a GPU that is not there is one clear error up front, not ten tracebacks.
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    rc, _, err = _run(["figures", "--quick", "--out", str(tmp_path), "--device", "cuda"])
    assert rc == 2
    assert "CUDA is not available" in err
    assert not (tmp_path / "index.html").exists()


def test_list_names_every_figure(tmp_path):
    rc, out, _ = _run(["figures", "--list", "--out", str(tmp_path)])
    assert rc == 0
    for name in FIGURES:
        assert name in out and figure_module(name).CLAIMS in out
    assert not any(tmp_path.iterdir())  # --list draws nothing


def test_only_draws_just_the_named_figure(tmp_path):
    rc, _, _ = _run(["figures", "--quick", "--out", str(tmp_path), "--only", "bilinear_game"])
    assert rc == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bilinear_game.json",
        "bilinear_game.png",
        "bilinear_game.svg",
        "index.html",
    ]


def test_a_failing_figure_does_not_lose_the_others(tmp_path, monkeypatch):
    module = figure_module("bilinear_game")

    def broken(*args, **kwargs):
        raise RuntimeError("deliberately broken for the test")

    monkeypatch.setattr(module, "draw", broken)
    rc, out, err = _run(
        ["figures", "--quick", "--out", str(tmp_path), "--only", "bilinear_game", "piles"]
    )
    assert rc != 0
    assert "FAILED" in out and "deliberately broken" in out
    assert "bilinear_game" in err
    assert (tmp_path / "piles.png").is_file()  # the other figure was still drawn
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "FAILED" in page and "deliberately broken" in page and 'src="piles.png"' in page


def _fake_figure_module():
    """A registered figure whose checked number disagrees (to test the exit code)."""
    from divgan.figures._common import finish, pyplot

    m = types.ModuleType("divgan_test_fake_figure")
    m.NAME, m.NUMBER, m.TITLE, m.CLAIMS = "fake", 99, "A fake figure", "L0"
    m.CAPTION = "first line\nsecond line"

    def draw(out_dir, *, quick=False, device="auto", seed=0):
        plt = pyplot()
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        return finish(fig, out_dir, m, [Check("one is two", 1.0, 2.0, 0.1, "deliberately wrong")])

    m.draw = draw
    return m


def test_registry_takes_a_new_figure_in_one_line_and_reports_disagreement(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "divgan_test_fake_figure", _fake_figure_module())
    monkeypatch.setitem(FIGURES, "fake", "divgan_test_fake_figure")
    rc, out, err = _run(["figures", "--out", str(tmp_path), "--only", "fake"])
    assert rc == 1  # drawn, but its checked number is outside its tolerance
    assert "OUTSIDE: one is two" in out and "fake" in err
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Figure 99: A fake figure" in page and "✗" in page


def test_check_gap_and_ok():
    assert Check("a", 1.0, 1.05, 0.1).ok is True
    assert Check("a", 1.0, 1.2, 0.1).ok is False
    assert Check("a", math.inf, math.inf, 0.0).gap == 0.0  # equal infinities agree
    assert Check("a", math.inf, 15.0, 0.0).ok is False
    assert Check("a", math.nan, 1.0, 1e9).ok is False  # a NaN never passes
    with pytest.raises(TypeError):
        Check("a", 1.0, 1.0)  # no check without a tolerance
    for bad in (-1.0, math.nan):
        with pytest.raises(ValueError, match="tol"):
            Check("a", 1.0, 1.0, bad)


def test_run_figures_takes_explicit_arguments_and_refuses_bad_ones_before_drawing(tmp_path):
    from divgan.figures import run_figures

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = run_figures(tmp_path / "g", ["piles"], quick=True, device="cpu", seed=3)
    assert rc == 0 and (tmp_path / "g" / "piles.png").is_file()
    assert "seed 3" in out.getvalue()
    with pytest.raises(ValueError, match="'nope'.*piles"):
        run_figures(tmp_path / "h", ["nope"])
    with pytest.raises(ValueError, match="device.*'tpu'"):
        run_figures(tmp_path / "h", ["piles"], device="tpu")
    with pytest.raises(ValueError, match="seed"):
        run_figures(tmp_path / "h", ["piles"], seed=-1)
    with pytest.raises(TypeError, match="seed"):
        run_figures(tmp_path / "h", ["piles"], seed="abc")
    assert not (tmp_path / "h").exists()  # refused before anything was written


def test_importing_the_registry_loads_neither_matplotlib_nor_torch():
    # `import divgan` must stay light; the figures package only imports them inside draw().
    import subprocess

    code = (
        "import sys, divgan, divgan.theory, divgan.figures\n"
        "from divgan.figures import FIGURES, figure_module\n"
        "[figure_module(n) for n in FIGURES]\n"
        "bad = [m for m in ('matplotlib', 'torch') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


# ---------------------------------------------------------------------------------------
# The figures' numbers, computed without matplotlib, against independent oracles.
# ---------------------------------------------------------------------------------------


def test_compute_functions_do_not_import_matplotlib():
    # The numbers of a figure are testable on their own: computing them draws nothing.
    import subprocess

    code = (
        "import sys\n"
        "from divgan.figures import fig01_kl_js, fig03_bilinear_game, fig05_piles, "
        "fig06_parallel_lines\n"
        "fig01_kl_js.compute(quick=True); fig03_bilinear_game.compute()\n"
        "fig05_piles.compute(seed=1); fig06_parallel_lines.compute(quick=True, networks=False)\n"
        "assert 'matplotlib' not in sys.modules\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr


def test_kl_js_numbers_match_scipy_and_closed_forms():
    from scipy import stats
    from scipy.spatial import distance

    from divgan.figures.fig01_kl_js import compute

    n = compute(quick=True)
    # Oracles: scipy on 7-term pmfs (rounding only, 1e-12); KL of unit-variance Gaussians
    # mu^2/2 and of centred ones log s + 1/(2 s^2) - 1/2 (closed forms; quadrature to ~1e-10).
    assert n.kl_pq == pytest.approx(stats.entropy(n.p, n.q), abs=1e-12)
    assert n.kl_qp == pytest.approx(stats.entropy(n.q, n.p), abs=1e-12)
    assert n.js_pq == pytest.approx(distance.jensenshannon(n.p, n.q) ** 2, abs=1e-12)
    np.testing.assert_allclose(n.kl_sep, n.mus**2 / 2, atol=1e-12)
    s = n.widths
    np.testing.assert_allclose(n.kl_fwd_quad, np.log(s) + 1 / (2 * s**2) - 0.5, atol=1e-8)
    np.testing.assert_allclose(n.kl_bwd_quad, -np.log(s) + s**2 / 2 - 0.5, atol=1e-8)
    # JS rises with the separation and stays below log 2 (L2): strict, since the
    # Gaussians always overlap.
    assert np.all(np.diff(n.js_sep) > 0) and n.js_sep[-1] < math.log(2)


def test_bilinear_numbers_match_matrix_powers():
    from divgan.figures.fig03_bilinear_game import ETA, START, STEPS, compute

    n = compute()
    z0 = np.array(START)
    # Oracle: each method is linear, so its iterate t is M^t z0 (numpy.linalg.matrix_power);
    # rounding over 120 steps of a matrix with norm ~1.01 stays below 1e-12.
    sim = np.array([[1.0, -ETA], [ETA, 1.0]])
    alt = np.array([[1.0, -ETA], [ETA, 1.0 - ETA**2]])  # y uses the new x
    rot = np.array([[0.0, -1.0], [1.0, 0.0]])  # the field (-y, x) of the game
    eg = np.eye(2) + ETA * rot @ (np.eye(2) + ETA * rot)  # z + eta*F(z + eta*F(z))
    for method, m in (("simultaneous", sim), ("alternating", alt), ("extragradient", eg)):
        want = np.linalg.matrix_power(m, STEPS) @ z0
        np.testing.assert_allclose(n.paths[method][-1], want, atol=1e-12, err_msg=method)
    assert n.grow == pytest.approx(math.sqrt(1 + ETA**2), abs=1e-15)
    assert n.shrink == pytest.approx(abs(np.linalg.eigvals(eg)).max(), abs=1e-14)


def test_piles_numbers_match_scipy_and_the_lecture():
    from scipy import stats
    from scipy.optimize import linprog

    from divgan.figures.fig05_piles import compute

    n = compute(seed=4)
    k = np.arange(4)
    # The lecture: W = 5 shovels; scipy's W1 of the normalised piles times the 10 shovels.
    assert n.emd == 5.0 == n.piles.work
    assert n.emd == pytest.approx(10 * stats.wasserstein_distance(k, k, n.piles.p, n.piles.q))
    # The plan's value against scipy's HiGHS LP of the same transport problem (both exact;
    # HiGHS to ~1e-9), and its marginals against the weights.
    cost = np.linalg.norm(n.x[:, None, :] - n.y[None, :, :], axis=-1)
    a_eq = np.vstack([np.kron(np.eye(8), np.ones(6)), np.kron(np.ones(8), np.eye(6))])
    lp = linprog(cost.ravel(), A_eq=a_eq, b_eq=np.concatenate([n.a, n.b]), method="highs")
    assert n.value == pytest.approx(lp.fun, abs=1e-9)
    np.testing.assert_allclose(n.plan.sum(1), n.a, atol=1e-12)
    np.testing.assert_allclose(n.plan.sum(0), n.b, atol=1e-12)


def test_parallel_lines_numbers_match_an_assignment_and_the_exact_band():
    from scipy.optimize import linear_sum_assignment

    from divgan.figures.fig06_parallel_lines import compute

    n = compute(quick=True, networks=False)
    for i in (0, 4, 6):
        t = n.thetas[i]
        cost = np.linalg.norm(n.p[:, None, :] - n.q(t)[None, :, :], axis=-1)
        r, c = linear_sum_assignment(cost)
        # Oracle: equal sizes and weights, so exact OT is an assignment (Birkhoff);
        # two exact solvers, rounding only.
        assert n.w_hat[i] == pytest.approx(cost[r, c].mean(), abs=1e-9)
        # And the band every sample obeys: |θ| <= W1 <= sqrt(θ² + W2(heights)²).
        assert abs(t) - 1e-12 <= n.w_hat[i] <= math.hypot(t, n.w2_heights) + 1e-12
    for s in n.knn:  # KL = +inf exactly: the estimator flags every θ != 0
        assert s.flagged.all() and np.isinf(s.value).all() and np.isfinite(s.raw).all()
    assert n.net == ()
