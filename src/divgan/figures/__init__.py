"""The lecture's figures: one module per figure, a registry, and the gallery.

Each figure module defines

``NAME``     the name ``divgan figures --only NAME`` uses (also the output file stem)
``NUMBER``   its number in the lecture's order (1–11)
``TITLE``    a one-line title
``CLAIMS``   the lecture claims it illustrates, e.g. ``"L1, L2"``
``CAPTION``  two lines
``compute(*, quick, device, seed)``
             the figure's numbers as a plain dataclass (no matplotlib; tests call it)
``panel_*(ax, numbers)``
             one function per panel, drawing from those numbers only
``checks(numbers) -> list[Check]``
             each number beside an independent value (closed form, scipy, POT, an exact
             bound) with a stated tolerance, see :class:`divgan.figures._common.Check`
``draw(out_dir, *, quick=False, device="auto", seed=0) -> list[Path]``
             compute, draw the panels, check, and write ``NAME.png``, ``NAME.svg`` and
             ``NAME.json``; returns the three paths.

To add a figure, write its module and add one line to :data:`FIGURES`.
Nothing here imports matplotlib or torch until a figure is drawn.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType

__all__ = [
    "FIGURES",
    "draw_figure",
    "figure_module",
    "figure_names",
    "figure_table",
    "run_figures",
]

#: name -> module, in the lecture's order. One line per figure.
FIGURES: dict[str, str] = {
    "kl_js": "divgan.figures.fig01_kl_js",
    "discriminator": "divgan.figures.fig02_discriminator",
    "bilinear_game": "divgan.figures.fig03_bilinear_game",
    "vanishing_gradient": "divgan.figures.fig04_vanishing_gradient",
    "piles": "divgan.figures.fig05_piles",
    "parallel_lines": "divgan.figures.fig06_parallel_lines",
    "critics": "divgan.figures.fig07_critics",
    "gan_vs_wgan": "divgan.figures.fig08_gan_vs_wgan",
    "lecture_1d": "divgan.figures.fig09_lecture_1d",
    "aae": "divgan.figures.fig10_aae",
    "critics_in_d": "divgan.figures.fig11_critics_in_d",
}


def figure_names() -> list[str]:
    """The registered figure names, in order."""
    return list(FIGURES)


def figure_module(name: str) -> ModuleType:
    """Import the module of figure ``name`` (``ValueError`` listing the names if unknown)."""
    if name not in FIGURES:
        raise ValueError(f"unknown figure {name!r}; the figures are: {', '.join(FIGURES)}")
    module = importlib.import_module(FIGURES[name])
    if module.NAME != name:  # pragma: no cover - a registry typo
        raise RuntimeError(f"registry says {name!r} but {module.__name__}.NAME is {module.NAME!r}")
    return module


def draw_figure(name: str, out_dir, *, quick: bool = False, device: str = "auto", seed: int = 0):
    """Draw one figure into ``out_dir``; returns the paths its ``draw`` wrote.

    Example
    -------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [p.name for p in draw_figure("bilinear_game", tmp, quick=True)]
    ['bilinear_game.png', 'bilinear_game.svg', 'bilinear_game.json']
    """
    return figure_module(name).draw(Path(out_dir), quick=quick, device=device, seed=seed)


def figure_table() -> str:
    """One line per registered figure: number, name, lecture claims and title."""
    lines = []
    for name in FIGURES:
        m = figure_module(name)
        lines.append(f"{m.NUMBER:>2}  {name:<22} {m.CLAIMS:<10} {m.TITLE}")
    return "\n".join(lines)


def run_figures(
    out_dir="divgan-figures",
    names=None,
    *,
    quick: bool = False,
    device: str = "auto",
    seed: int = 0,
) -> int:
    """Draw the selected figures into ``out_dir`` and write ``index.html`` beside them.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Output folder (created if missing).
    names : sequence of str, optional
        Figure names (see :func:`figure_names`); all of them when ``None`` or empty.
    quick : bool
        Small settings (each figure in seconds) instead of the full ones.
    device : {"auto", "cpu", "cuda"}
        Where the trained-network figures train.
    seed : int
        Seed of every random draw and network initialisation (an int >= 0).

    Returns
    -------
    int
        0 when every figure was drawn and every checked number agreed within its
        tolerance, 1 otherwise. Prints one line per figure with its time and checks; a
        figure that fails is reported (traceback on stderr, marked in the gallery) and the
        others are still drawn.

    Raises
    ------
    ValueError
        For an unknown figure name (the message lists the names), a device other than
        auto/cpu/cuda or a CUDA device that is not there, or a negative seed; all before
        anything is drawn.
    """
    from divgan._validation import check_positive_int

    seed = check_positive_int(seed, "seed", minimum=0)
    names = list(names or [])
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(
            f"unknown figure name(s) {', '.join(map(repr, unknown))}; "
            f"choose from: {', '.join(FIGURES)} (see divgan figures --list)"
        )
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    if device == "cuda":
        from divgan.gan import resolve_device  # torch: only when a GPU is asked for

        resolve_device(device)
    names = [n for n in FIGURES if n in names] if names else list(FIGURES)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    from divgan.figures._gallery import Entry, write_gallery

    entries: list[Entry] = []
    failed, disagreed = [], []
    mode = "quick" if quick else "full"
    print(f"divgan figures: drawing {len(names)} figure(s) into {out_dir} ({mode}, seed {seed})")
    for i, name in enumerate(names, 1):
        module = figure_module(name)
        prefix = f"[{i}/{len(names)}] {name} ({module.CLAIMS})"
        print(f"{prefix} ...", end="", flush=True)
        t0 = time.perf_counter()
        try:
            paths = module.draw(out_dir, quick=quick, device=device, seed=seed)
            side = next(Path(p) for p in paths if str(p).endswith(".json"))
            record = json.loads(side.read_text(encoding="utf-8"))
        except Exception as exc:  # noqa: BLE001 - one failing figure must not lose the others
            seconds = time.perf_counter() - t0
            print(f" FAILED after {seconds:.1f} s: {type(exc).__name__}: {exc}", flush=True)
            traceback.print_exc(file=sys.stderr)
            failed.append(name)
            entries.append(
                Entry(
                    name=name,
                    number=module.NUMBER,
                    title=module.TITLE,
                    claims=module.CLAIMS,
                    caption=module.CAPTION,
                    seconds=seconds,
                    error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}",
                )
            )
            continue
        seconds = time.perf_counter() - t0
        checks = record.get("checks", [])
        bad = [c["label"] for c in checks if not c.get("ok")]
        status = f"{len(checks) - len(bad)}/{len(checks)} checks within tolerance"
        if bad:
            disagreed.append(name)
            status += f"; OUTSIDE: {'; '.join(bad)}"
        print(f" done in {seconds:.1f} s ({status})", flush=True)
        entries.append(
            Entry(
                name=name,
                number=record["number"],
                title=record["title"],
                claims=record["claims"],
                caption=record["caption"],
                png=record["png"],
                svg=record["svg"],
                checks=checks,
                seconds=seconds,
            )
        )
    index = write_gallery(out_dir, entries, quick=quick, seed=seed)
    print(f"gallery: {index}")
    if failed or disagreed:
        if failed:
            print(
                f"divgan figures: {len(failed)} figure(s) FAILED: {', '.join(failed)}",
                file=sys.stderr,
            )
        if disagreed:
            print(
                f"divgan figures: checked numbers outside tolerance in: {', '.join(disagreed)}",
                file=sys.stderr,
            )
        return 1
    return 0
