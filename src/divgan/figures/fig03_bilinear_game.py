r"""Figure 3 (L8): gradient play on min_x max_y xy spirals outward; three fixes do not.

Left: the iterates in the (x, y) plane from the same start. Right: their distance from
the equilibrium (0, 0) over the steps, with the closed forms drawn as dashed lines:
simultaneous steps grow the radius by exactly sqrt(1 + eta^2) per step, extragradient
steps shrink it by sqrt(1 - eta^2 + eta^4), optimistic steps decay like the spectral
radius of their step matrix (numpy.linalg), alternating steps keep x^2 + y^2 - eta*x*y.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from divgan.figures._common import Check, finish, pyplot

NAME = "bilinear_game"
NUMBER = 3
TITLE = "Simultaneous gradient steps spiral away from the Nash equilibrium of min_x max_y xy"
CLAIMS = "L8"
CAPTION = (
    "Simultaneous steps x ← x − ηy, y ← y + ηx multiply the radius by √(1 + η²) "
    "every step (outward spiral).\n"
    "Alternating steps circle on an ellipse; extragradient and optimistic steps converge to (0, 0)."
)

ETA = 0.15
STEPS = 120
START = (1.0, 0.5)
COLORS = {
    "simultaneous": "tab:red",
    "alternating": "tab:orange",
    "extragradient": "tab:blue",
    "optimistic": "tab:green",
}


def _ogda_matrix(eta: float) -> np.ndarray:
    """The optimistic step on the state (x_t, y_t, x_{t-1}, y_{t-1})."""
    return np.array(
        [[1, -2 * eta, 0, eta], [2 * eta, 1, -eta, 0], [1, 0, 0, 0], [0, 1, 0, 0]], dtype=float
    )


@dataclass(frozen=True)
class BilinearNumbers:
    """The iterates of every method and the exact factors of figure 3."""

    paths: dict  # method -> (STEPS + 1, 2) iterates from divgan.theory.bilinear_game
    grow: float  # sqrt(1 + eta^2), closed form
    shrink: float  # sqrt(1 - eta^2 + eta^4), closed form
    rho_ogda: float  # spectral radius of the optimistic step matrix (numpy.linalg)

    def radius(self, method: str) -> np.ndarray:
        """Distance of each iterate from the equilibrium (0, 0)."""
        z = self.paths[method]
        return np.hypot(z[:, 0], z[:, 1])


def compute(*, quick: bool = False, device: str = "auto", seed: int = 0) -> BilinearNumbers:
    """Run the four methods from START (deterministic and fast: the arguments are unused).

    Examples
    --------
    >>> n = compute()
    >>> round(n.grow, 6), bool(n.radius("simultaneous")[-1] > n.radius("simultaneous")[0])
    (1.011187, True)
    """
    from divgan.theory import BILINEAR_METHODS, bilinear_game

    x0, y0 = START
    return BilinearNumbers(
        paths={m: bilinear_game(x0, y0, lr=ETA, steps=STEPS, method=m) for m in BILINEAR_METHODS},
        grow=math.sqrt(1 + ETA**2),
        shrink=math.sqrt(1 - ETA**2 + ETA**4),
        rho_ogda=float(np.abs(np.linalg.eigvals(_ogda_matrix(ETA))).max()),
    )


def panel_iterates(ax, n: BilinearNumbers) -> None:
    """(a) the iterates in the (x, y) plane; the legend sits below the axes."""
    x0, y0 = START
    for m, z in n.paths.items():
        ls = (0, (4, 2)) if m == "optimistic" else "-"
        ax.plot(z[:, 0], z[:, 1], linestyle=ls, lw=1.2, color=COLORS[m], label=m)
        ax.plot(z[-1, 0], z[-1, 1], "o", ms=4, color=COLORS[m])
    ax.plot([x0], [y0], "ks", ms=6, label=f"start ({x0:g}, {y0:g})")
    ax.plot([0], [0], "k*", ms=12, label="Nash equilibrium (0, 0)")
    ax.set_aspect("equal")
    ax.set(xlabel="x (minimises xy)", ylabel="y (maximises xy)",
           title=f"iterates, η = {ETA:g}, {STEPS} steps")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=8)
    ax.grid(alpha=0.3)


def panel_radius(ax, n: BilinearNumbers) -> None:
    """(b) radius against step, simulated beside the exact factors; legend below the axes."""
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

    t = np.arange(STEPS + 1)
    r0 = math.hypot(*START)
    for m in n.paths:
        r = n.radius(m)
        factor = (r[-1] / r[0]) ** (1 / STEPS)
        ax.semilogy(t, r, "-", color=COLORS[m], lw=1.5, label=f"{m}: mean factor {factor:.6f}")
    ax.semilogy(t, r0 * n.grow**t, "k--", lw=0.9, label=f"r₀·√(1+η²)ᵗ, factor {n.grow:.6f}")
    ax.semilogy(t, r0 * n.shrink**t, "k:", lw=1.1,
                label=f"r₀·√(1−η²+η⁴)ᵗ, factor {n.shrink:.6f}")
    ax.semilogy(t, r0 * n.rho_ogda**t, "-.", color="0.4", lw=0.9,
                label=f"r₀·ρᵗ, ρ(optimistic step) = {n.rho_ogda:.6f} (eigvals)")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set(xlabel="step t", ylabel="distance from equilibrium  √(x² + y²)",
           title="radius per step: simulated (colour) vs exact factor (black)")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    ax.grid(alpha=0.3, which="both")


def checks(n: BilinearNumbers) -> list[Check]:
    """The iterates against closed forms and numpy.linalg (eigenvalues, matrix powers)."""
    x0, y0 = START
    r0 = math.hypot(x0, y0)
    r_sim = n.radius("simultaneous")
    ratios = r_sim[1:] / r_sim[:-1]
    z_alt, z_og = n.paths["alternating"], n.paths["optimistic"]
    h = z_alt[:, 0] ** 2 + z_alt[:, 1] ** 2 - ETA * z_alt[:, 0] * z_alt[:, 1]
    m_sim = np.array([[1.0, -ETA], [ETA, 1.0]])
    m_alt = np.array([[1.0, -ETA], [ETA, 1.0 - ETA**2]])
    state = np.array([x0, y0, x0, y0])
    z_og_pow = (np.linalg.matrix_power(_ogda_matrix(ETA), STEPS) @ state)[:2]
    grow = math.sqrt(1 + ETA**2)
    return [
        Check("simultaneous: radius factor per step, worst of all steps", grow,
              float(ratios[np.argmax(np.abs(ratios - grow))]), 1e-13,
              "|(x−ηy, y+ηx)|² = (1+η²)(x²+y²) exactly; rounding only"),
        Check("simultaneous: |eigenvalue| of the step matrix (numpy.linalg)", grow,
              float(np.abs(np.linalg.eigvals(m_sim)).max()), 1e-14, "eigenvalues 1 ± iη"),
        Check("simultaneous: radius after all steps", r0 * grow**STEPS, float(r_sim[-1]),
              1e-12 * r0 * grow**STEPS, "grows: no convergence; relative rounding over the steps"),
        Check("alternating: det of the step matrix (numpy.linalg)", 1.0,
              float(np.linalg.det(m_alt)), 1e-14, "area preserving, so bounded but not convergent"),
        Check("alternating: invariant x² + y² − ηxy, last vs first", float(h[0]), float(h[-1]),
              1e-12, "conserved exactly by the alternating step; rounding only"),
        Check("extragradient: radius after all steps", r0 * math.sqrt(1 - ETA**2 + ETA**4) ** STEPS,
              float(n.radius("extragradient")[-1]), 1e-12,
              "a scaled rotation: factor √(1−η²+η⁴) < 1; rounding only"),
        Check("optimistic: (x, y) after all steps, max |iterated − matrix power|", 0.0,
              float(np.abs(z_og[-1] - z_og_pow).max()), 1e-12,
              "independent linear-algebra route; rounding only"),
    ]


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Compute, draw the two panels, check; returns the PNG, SVG and JSON paths.

    The dynamics are deterministic and take milliseconds: ``quick``, ``seed`` and
    ``device`` change nothing.
    """
    n = compute()
    fig, (ax, ax2) = pyplot().subplots(1, 2, figsize=(12, 6.4))
    panel_iterates(ax, n)
    panel_radius(ax2, n)
    fig.tight_layout()
    return finish(fig, out_dir, sys.modules[__name__], checks(n), eta=ETA, steps=STEPS)
