"""What every figure module shares: the checked-number record and saving a figure.

A figure module's ``draw(out_dir, *, quick, device, seed)`` computes its numbers, draws
its panels, collects a list of :class:`Check` (an independent exact or reference value
beside divgan's value or a sample estimate, with a tolerance), and ends with
``return finish(fig, out_dir, module, checks)``, which
writes ``<NAME>.png`` (120 dpi), ``<NAME>.svg`` and the sidecar ``<NAME>.json`` (the
module's metadata and its checks; the gallery reads it) and returns the three paths.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType

DPI = 120


@dataclass(frozen=True)
class Check:
    """One number a figure checked.

    Attributes
    ----------
    label : str
        What was compared, with its units (e.g. ``"W1(P, Q) at θ = 0.5 [x units]"``).
    exact : float
        The exact value (closed form) or an independent reference (another library, or
        code written in the figure apart from divgan's).
    estimate : float
        divgan's computed value or a sample-based estimate of the same quantity.
    tol : float
        The agreement the figure expects, ``|exact - estimate| <= tol``. Every check has
        one; a number that cannot be held to a tolerance is shown in the figure, not here.
    note : str
        Why the tolerance is what it is.

    Examples
    --------
    >>> Check("W1 [x units]", 0.5, 0.52, 0.05, "sampling").ok
    True
    """

    label: str
    exact: float
    estimate: float
    tol: float
    note: str = ""

    def __post_init__(self):
        tol = float(self.tol)
        if not tol >= 0:
            raise ValueError(f"Check {self.label!r}: tol must be a number >= 0, got {self.tol!r}")

    @property
    def gap(self) -> float:
        """``|exact - estimate|`` (0 for equal infinities; NaN if either is NaN)."""
        if self.exact == self.estimate:
            return 0.0
        return abs(float(self.exact) - float(self.estimate))

    @property
    def ok(self) -> bool:
        """Whether the gap is within ``tol`` (a NaN gap is not)."""
        return bool(self.gap <= float(self.tol))


def _encode(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def decode_number(v):
    """Inverse of the sidecar's encoding: ``"inf"``/``"-inf"``/``"nan"`` back to floats."""
    if v in ("inf", "-inf", "nan"):
        return float(v)
    return v


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend (files only, no window)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def finish(fig, out_dir: Path, module: ModuleType, checks: list[Check], **extra) -> list[Path]:
    """Save ``fig`` as PNG and SVG, write the JSON sidecar, close the figure, return the paths."""
    plt = pyplot()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = module.NAME
    png, svg, side = out_dir / f"{name}.png", out_dir / f"{name}.svg", out_dir / f"{name}.json"
    try:
        fig.savefig(png, dpi=DPI, bbox_inches="tight")
        fig.savefig(svg, bbox_inches="tight")
    finally:
        plt.close(fig)
    record = {
        "name": name,
        "number": module.NUMBER,
        "title": module.TITLE,
        "claims": module.CLAIMS,
        "caption": module.CAPTION,
        "png": png.name,
        "svg": svg.name,
        "checks": [
            {**{k: _encode(v) for k, v in asdict(c).items()}, "gap": _encode(c.gap), "ok": c.ok}
            for c in checks
        ],
        **{k: _encode(v) for k, v in extra.items()},
    }
    side.write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
    return [png, svg, side]
