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


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Draw the figure into ``out_dir``; returns the PNG, SVG and JSON paths.

    The dynamics are deterministic (``seed`` and ``device`` are unused); ``quick``
    changes nothing because the whole figure takes milliseconds.
    """
    from divgan.theory import BILINEAR_METHODS, bilinear_game

    plt = pyplot()
    eta, steps = ETA, 120
    x0, y0 = START
    r0 = math.hypot(x0, y0)
    paths = {m: bilinear_game(x0, y0, lr=eta, steps=steps, method=m) for m in BILINEAR_METHODS}
    radius = {m: np.hypot(z[:, 0], z[:, 1]) for m, z in paths.items()}
    t = np.arange(steps + 1)

    # Closed forms and spectra, computed here.
    grow = math.sqrt(1 + eta**2)
    shrink = math.sqrt(1 - eta**2 + eta**4)
    m_sim = np.array([[1.0, -eta], [eta, 1.0]])
    eig_sim = float(np.abs(np.linalg.eigvals(m_sim)).max())
    rho_ogda = float(np.abs(np.linalg.eigvals(_ogda_matrix(eta))).max())
    m_alt = np.array([[1.0, -eta], [eta, 1.0 - eta**2]])

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 5.2))
    styles = {"optimistic": (0, (4, 2))}
    for m, z in paths.items():
        ax.plot(z[:, 0], z[:, 1], linestyle=styles.get(m, "-"), lw=1.2, color=COLORS[m], label=m)
        ax.plot(z[-1, 0], z[-1, 1], "o", ms=4, color=COLORS[m])
    ax.plot([x0], [y0], "ks", ms=6, label=f"start ({x0:g}, {y0:g})")
    ax.plot([0], [0], "k*", ms=12, label="Nash equilibrium (0, 0)")
    ax.set_aspect("equal")
    ax.set_xlabel("x (minimises xy)")
    ax.set_ylabel("y (maximises xy)")
    ax.set_title(f"iterates, η = {eta:g}, {steps} steps")
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)

    for m in BILINEAR_METHODS:
        factor = (radius[m][-1] / radius[m][0]) ** (1 / steps)
        ax2.semilogy(
            t, radius[m], "-", color=COLORS[m], lw=1.5, label=f"{m}: mean factor {factor:.6f}"
        )
    ax2.semilogy(t, r0 * grow**t, "k--", lw=0.9, label=f"r₀·√(1+η²)ᵗ, factor {grow:.6f}")
    ax2.semilogy(t, r0 * shrink**t, "k:", lw=1.1, label=f"r₀·√(1−η²+η⁴)ᵗ, factor {shrink:.6f}")
    ax2.semilogy(
        t,
        r0 * rho_ogda**t,
        "-.",
        color="0.4",
        lw=0.9,
        label=f"r₀·ρᵗ, ρ(OGDA) = {rho_ogda:.6f} (eigvals)",
    )
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

    ax2.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax2.yaxis.set_major_formatter(ScalarFormatter())
    ax2.yaxis.set_minor_formatter(NullFormatter())
    ax2.set_xlabel("step t")
    ax2.set_ylabel("distance from equilibrium  √(x² + y²)")
    ax2.set_title("radius per step: simulated (colour) vs exact factor (black)")
    ax2.legend(fontsize=8, loc="lower left")
    ax2.grid(alpha=0.3, which="both")
    fig.tight_layout()

    z_alt, z_og = paths["alternating"], paths["optimistic"]
    ratios = radius["simultaneous"][1:] / radius["simultaneous"][:-1]
    h = z_alt[:, 0] ** 2 + z_alt[:, 1] ** 2 - eta * z_alt[:, 0] * z_alt[:, 1]
    state = np.array([x0, y0, x0, y0])
    z_og_pow = (np.linalg.matrix_power(_ogda_matrix(eta), steps) @ state)[:2]
    half = steps // 2
    checks = [
        Check(
            "simultaneous: radius factor per step, worst of all steps",
            grow,
            float(ratios[np.argmax(np.abs(ratios - grow))]),
            1e-13,
            "|(x−ηy, y+ηx)|² = (1+η²)(x²+y²) exactly; rounding only",
        ),
        Check(
            "simultaneous: |eigenvalue| of the step matrix (numpy.linalg)",
            grow,
            eig_sim,
            1e-14,
            "eigenvalues 1 ± iη",
        ),
        Check(
            "simultaneous: radius after all steps",
            r0 * grow**steps,
            float(radius["simultaneous"][-1]),
            1e-12 * r0 * grow**steps,
            "grows: no convergence",
        ),
        Check(
            "alternating: det of the step matrix (numpy.linalg)",
            1.0,
            float(np.linalg.det(m_alt)),
            1e-14,
            "area preserving, so bounded but not convergent",
        ),
        Check(
            "alternating: invariant x² + y² − ηxy, last vs first",
            float(h[0]),
            float(h[-1]),
            1e-12,
            "conserved exactly by the alternating step",
        ),
        Check(
            "extragradient: radius after all steps",
            r0 * shrink**steps,
            float(radius["extragradient"][-1]),
            1e-12,
            "a scaled rotation: factor √(1−η²+η⁴) < 1",
        ),
        Check(
            "optimistic: (x, y) after all steps, iterated vs matrix power",
            0.0,
            float(np.abs(z_og[-1] - z_og_pow).max()),
            1e-12,
            "independent linear-algebra route",
        ),
        Check(
            "optimistic: decay factor per step over the second half vs spectral radius",
            rho_ogda,
            float((radius["optimistic"][-1] / radius["optimistic"][half]) ** (1 / (steps - half))),
            None,
            "the norm oscillates around ρᵗ (non-normal rotation), so only close",
        ),
    ]
    return finish(fig, out_dir, sys.modules[__name__], checks, eta=eta, steps=steps)
