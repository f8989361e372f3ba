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
        # The figure's own comparisons must agree within the tolerances it states.
        assert c["ok"] in (True, None), f"{name}: {c}"


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
    assert Check("a", math.inf, 15.0).ok is None  # no tolerance: shown, not judged
    assert Check("a", "n/a", 1.0, 0.1).gap is None


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
