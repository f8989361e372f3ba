r"""Figure 5 (L11, L12): the lecture's piles of dirt, and an exact transport plan.

Left: P = (3, 2, 1, 4) and Q = (1, 2, 4, 3) shovels as bars, with the moves that the
recursion delta_{i+1} = delta_i + P_i - Q_i prescribes. Middle: the recursion written out
with the numbers computed now, W = sum |delta_i|, beside divgan's earth_movers_distance
(checked against scipy's W1 times the total mass). Right: the optimal coupling between two small
weighted point clouds (POT's network simplex via divgan.transport_plan), drawn as lines
whose width is the mass moved; its marginals and value are checked against scipy's LP.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from divgan.figures._common import Check, finish, pyplot

NAME = "piles"
NUMBER = 5
TITLE = "Earth mover's distance: the lecture's piles (W = 5 shovels) and an exact transport plan"
CLAIMS = "L11, L12"
CAPTION = (
    "δ_{i+1} = δ_i + P_i − Q_i is the dirt carried past each gap; "
    "W = Σ|δ_i| = 5 shovels (0.5 per unit mass).\n"
    "An optimal coupling γ between two weighted point clouds: line width ∝ mass moved; "
    "its marginals are the two weights."
)

SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _linprog_ot(cost: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """The transport LP solved by scipy's HiGHS: an independent exact reference."""
    from scipy.optimize import linprog

    n, m = cost.shape
    rows = np.zeros((n, n * m))
    cols = np.zeros((m, n * m))
    for i in range(n):
        rows[i, i * m : (i + 1) * m] = 1.0
    for j in range(m):
        cols[j, j::m] = 1.0
    res = linprog(
        cost.ravel(),
        A_eq=np.vstack([rows, cols]),
        b_eq=np.concatenate([a, b]),
        bounds=(0, None),
        method="highs",
    )
    if res.status != 0:  # pragma: no cover
        raise RuntimeError(f"scipy linprog failed: {res.message}")
    return float(res.fun)


@dataclass(frozen=True)
class PilesNumbers:
    """The piles of figure 5 and an exact plan between two small weighted clouds."""

    piles: object  # divgan.theory.piles(): p, q, deltas, work, moves
    emd: float  # divgan.earth_movers_distance(P, Q) [shovels]
    x: np.ndarray  # (8, 2) first cloud
    y: np.ndarray  # (6, 2) second cloud
    a: np.ndarray  # its weights, normalised
    b: np.ndarray
    plan: np.ndarray  # divgan.transport_plan(x, y, a, b).plan
    value: float  # its W1


def compute(*, quick: bool = False, device: str = "auto", seed: int = 0) -> PilesNumbers:
    """divgan's numbers (``seed`` draws the two clouds; ``quick``, ``device`` unused).

    Examples
    --------
    >>> compute(seed=0).emd  # the lecture's W = 5 shovels
    5.0
    """
    from divgan.theory import piles
    from divgan.wasserstein import earth_movers_distance, transport_plan

    r = piles()
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, (8, 2))
    y = rng.normal(0.0, 0.9, (6, 2)) + np.array([2.0, 0.5])
    a = rng.uniform(0.5, 2.0, 8)
    b = rng.uniform(0.5, 2.0, 6)
    res = transport_plan(x, y, a, b)
    return PilesNumbers(piles=r, emd=float(earth_movers_distance(r.p, r.q)), x=x, y=y,
                        a=a / a.sum(), b=b / b.sum(), plan=res.plan, value=float(res.value))


def panel_piles(ax, n: PilesNumbers) -> None:
    """(a) P and Q as bars with the moves the recursion prescribes."""
    r = n.piles
    p, q = r.p, r.q
    pos = np.arange(1, p.size + 1)
    ax.bar(pos - 0.18, p, width=0.34, color="tab:brown", label="P (start)")
    ax.bar(pos + 0.18, q, width=0.34, color="tab:olive", label="Q (target)")
    for i in range(p.size):
        ax.text(pos[i] - 0.18, p[i] + 0.08, f"{p[i]:g}", ha="center", fontsize=9)
        ax.text(pos[i] + 0.18, q[i] + 0.08, f"{q[i]:g}", ha="center", fontsize=9)
    top = float(max(p.max(), q.max()))
    for k, mv in enumerate(r.moves):
        xs, xt = pos[mv.source] - 0.18, pos[mv.target] - 0.18
        y = top + 0.9
        ax.annotate("", xy=(xt, y), xytext=(xs, y), arrowprops={
            "arrowstyle": "-|>", "color": "k", "lw": 1.4, "connectionstyle": "arc3,rad=-0.35"})
        ax.text((xs + xt) / 2, y + 0.45,
                f"move {k + 1}:\n{mv.amount:g} shovel{'s' if mv.amount != 1 else ''}",
                ha="center", fontsize=9)
    ax.set_xticks(pos, [f"pile {i}" for i in pos])
    ax.set(ylabel="shovels of dirt", ylim=(0, top + 2.2),
           title=f"P → Q in {len(r.moves)} moves to a neighbour, W = {r.work:g} shovels")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, fontsize=9, frameon=False)


def panel_recursion(ax, n: PilesNumbers) -> None:
    """(b) the recursion written out with the numbers of this run."""
    r = n.piles
    p, q, d = r.p, r.q, r.deltas

    def sub(i):
        return str(i).translate(SUB)

    lines = ["δ₀ = 0"]
    for i in range(p.size):
        lines.append(f"δ{sub(i + 1)} = δ{sub(i)} + P{sub(i + 1)} − Q{sub(i + 1)} = "
                     f"{d[i]:g} + {p[i]:g} − {q[i]:g} = {d[i + 1]:g}")
    total = float(p.sum())
    lines += [
        "",
        "W = Σ|δᵢ| = " + " + ".join(f"{abs(v):g}" for v in d) + f" = {r.work:g} shovels",
        f"   per unit mass: {r.work:g} / {total:g} = {r.work / total:g}",
        "",
        f"divgan.theory.piles().work       = {r.work:g}",
        f"earth_movers_distance(P, Q)      = {n.emd:g}",
    ]
    ax.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", family="DejaVu Sans Mono",
            fontsize=9.5, transform=ax.transAxes)
    ax.set_axis_off()
    ax.set_title("the lecture's recursion, computed")


def panel_coupling(ax, n: PilesNumbers) -> None:
    """(c) the optimal coupling between two weighted clouds, line width ∝ mass moved."""
    plan = n.plan
    support = int((plan > 1e-12).sum())
    for i, j in zip(*np.nonzero(plan > 1e-12)):
        ax.plot([n.x[i, 0], n.y[j, 0]], [n.x[i, 1], n.y[j, 1]], "-", color="tab:purple",
                lw=0.5 + 8 * plan[i, j] / plan.max(), alpha=0.55, solid_capstyle="round")
    ax.scatter(n.x[:, 0], n.x[:, 1], s=900 * n.a, color="tab:brown", zorder=3,
               label="x ~ p_r (area ∝ weight)")
    ax.scatter(n.y[:, 0], n.y[:, 1], s=900 * n.b, color="tab:olive", zorder=3,
               label="y ~ p_g (area ∝ weight)")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set(xlabel="first coordinate", ylabel="second coordinate")
    ax.set_title(f"optimal coupling γ: W₁ = {n.value:.4f}\n{support} non-zero entries of "
                 f"{plan.size} (a vertex: ≤ n + m − 1 = {plan.shape[0] + plan.shape[1] - 1}), "
                 "line width ∝ γᵢⱼ", fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8)


def checks(n: PilesNumbers) -> list[Check]:
    """The piles against scipy's W1 and the moves replayed; the plan against scipy's LP."""
    from scipy import stats

    r = n.piles
    p, q = r.p, r.q
    total = float(p.sum())
    k = np.arange(p.size)
    scipy_work = float(stats.wasserstein_distance(k, k, p, q)) * total
    state = p.copy()
    for mv in r.moves:
        state[mv.source] -= mv.amount
        state[mv.target] += mv.amount
    cost = np.sqrt(((n.x[:, None, :] - n.y[None, :, :]) ** 2).sum(-1))
    return [
        Check("piles: work [shovels], scipy W₁ × total mass vs theory.piles()", scipy_work,
              r.work, 1e-12, "scipy works on normalised masses; × 10 shovels; rounding only"),
        Check("piles: work [shovels], scipy W₁ × total mass vs earth_movers_distance",
              scipy_work, n.emd, 1e-12, "rounding only"),
        Check("piles: Σ moves applied to P, max |result − Q| [shovels]", 0.0,
              float(np.abs(state - q).max()), 0.0, "the moves turn P into Q exactly (integers)"),
        Check("piles: the lecture's W = 5 shovels vs theory.piles().work", 5.0, r.work, 0.0,
              "the lecture's number"),
        Check("coupling: W₁, scipy linprog (HiGHS) vs transport_plan", _linprog_ot(cost, n.a, n.b),
              n.value, 1e-9, "both exact LP solvers; HiGHS feasibility tolerance ~1e-9"),
        Check("coupling: Σ γ·‖x − y‖ recomputed here vs reported value",
              float((n.plan * cost).sum()), n.value, 1e-12, "rounding only"),
        Check("coupling: max |row sums − a|", 0.0, float(np.abs(n.plan.sum(1) - n.a).max()),
              1e-12, "first marginal is p_r (L12)"),
        Check("coupling: max |column sums − b|", 0.0, float(np.abs(n.plan.sum(0) - n.b).max()),
              1e-12, "second marginal is p_g (L12)"),
    ]


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Compute, draw the three panels, check; returns the PNG, SVG and JSON paths.

    ``seed`` draws the two point clouds; ``quick`` and ``device`` change nothing (the
    whole figure takes well under a second).
    """
    n = compute(seed=seed)
    fig, axes = pyplot().subplots(1, 3, figsize=(16, 5.4),
                                  gridspec_kw={"width_ratios": [1.1, 0.9, 1.1]})
    for panel, ax in zip((panel_piles, panel_recursion, panel_coupling), axes):
        panel(ax, n)
    fig.tight_layout()
    return finish(fig, out_dir, sys.modules[__name__], checks(n))
