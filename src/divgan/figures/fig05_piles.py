r"""Figure 5 (L11, L12): the lecture's piles of dirt, and an exact transport plan.

Left: P = (3, 2, 1, 4) and Q = (1, 2, 4, 3) shovels as bars, with the moves that the
recursion delta_{i+1} = delta_i + P_i - Q_i prescribes. Middle: the recursion written out
with the numbers computed now, W = sum |delta_i|, beside divgan's earth_movers_distance
and scipy's W1 times the total mass. Right: the optimal coupling between two small
weighted point clouds (POT's network simplex via divgan.transport_plan), drawn as lines
whose width is the mass moved; its marginals and value are checked against scipy's LP.
"""

from __future__ import annotations

import sys
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


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Draw the figure into ``out_dir``; returns the PNG, SVG and JSON paths.

    ``seed`` draws the two point clouds; ``quick`` and ``device`` change nothing
    (the whole figure takes well under a second).
    """
    from scipy import stats

    from divgan.theory import piles
    from divgan.wasserstein import earth_movers_distance, transport_plan

    plt = pyplot()
    r = piles()
    p, q, deltas = r.p, r.q, r.deltas
    n_piles = p.size
    total = float(p.sum())
    emd = float(earth_movers_distance(p, q))
    scipy_work = (
        float(stats.wasserstein_distance(np.arange(n_piles), np.arange(n_piles), p, q)) * total
    )

    fig, (ax, axt, ax3) = plt.subplots(
        1, 3, figsize=(16, 5.2), gridspec_kw={"width_ratios": [1.1, 0.9, 1.1]}
    )
    pos = np.arange(1, n_piles + 1)
    ax.bar(pos - 0.18, p, width=0.34, color="tab:brown", label="P (start)")
    ax.bar(pos + 0.18, q, width=0.34, color="tab:olive", label="Q (target)")
    for i in range(n_piles):
        ax.text(pos[i] - 0.18, p[i] + 0.08, f"{p[i]:g}", ha="center", fontsize=9)
        ax.text(pos[i] + 0.18, q[i] + 0.08, f"{q[i]:g}", ha="center", fontsize=9)
    top = float(max(p.max(), q.max()))
    for k, mv in enumerate(r.moves):
        xs, xt = pos[mv.source] - 0.18, pos[mv.target] - 0.18
        y = top + 0.9
        ax.annotate(
            "",
            xy=(xt, y),
            xytext=(xs, y),
            arrowprops={
                "arrowstyle": "-|>",
                "color": "k",
                "lw": 1.4,
                "connectionstyle": "arc3,rad=-0.35",
            },
        )
        ax.text(
            (xs + xt) / 2,
            y + 0.45,
            f"move {k + 1}:\n{mv.amount:g} shovel{'s' if mv.amount != 1 else ''}",
            ha="center",
            fontsize=9,
        )
    ax.set_xticks(pos, [f"pile {i}" for i in pos])
    ax.set_ylabel("shovels of dirt")
    ax.set_ylim(0, top + 2.2)
    ax.set_title(f"P → Q in {len(r.moves)} moves to a neighbour, W = {r.work:g} shovels")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, fontsize=9, frameon=False)

    # The recursion with the numbers of this run.
    lines = ["δ₀ = 0"]
    for i in range(n_piles):
        j = i + 1
        lines.append(
            f"δ{str(j).translate(SUB)} = δ{str(i).translate(SUB)} + P{str(j).translate(SUB)} − "
            f"Q{str(j).translate(SUB)} = {deltas[i]:g} + {p[i]:g} − {q[i]:g} = {deltas[j]:g}"
        )
    lines += [
        "",
        "W = Σ|δᵢ| = " + " + ".join(f"{abs(d):g}" for d in deltas) + f" = {r.work:g} shovels",
        f"   per unit mass: {r.work:g} / {total:g} = {r.work / total:g}",
        "",
        f"divgan.theory.piles().work       = {r.work:g}",
        f"earth_movers_distance(P, Q)      = {emd:g}",
        f"scipy W₁ × total mass {total:g}       = {scipy_work:.12g}",
    ]
    axt.text(
        0.0,
        1.0,
        "\n".join(lines),
        va="top",
        ha="left",
        family="DejaVu Sans Mono",
        fontsize=9.5,
        transform=axt.transAxes,
    )
    axt.set_axis_off()
    axt.set_title("the lecture's recursion, computed")

    # An exact transport plan between two small weighted clouds.
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, (8, 2))
    y = rng.normal(0.0, 0.9, (6, 2)) + np.array([2.0, 0.5])
    a = rng.uniform(0.5, 2.0, 8)
    b = rng.uniform(0.5, 2.0, 6)
    res = transport_plan(x, y, a, b)
    a_n, b_n = a / a.sum(), b / b.sum()
    cost = np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))
    lp_value = _linprog_ot(cost, a_n, b_n)
    plan = res.plan
    support = int((plan > 1e-12).sum())
    for i, j in zip(*np.nonzero(plan > 1e-12)):
        ax3.plot(
            [x[i, 0], y[j, 0]],
            [x[i, 1], y[j, 1]],
            "-",
            color="tab:purple",
            lw=0.5 + 8 * plan[i, j] / plan.max(),
            alpha=0.55,
            solid_capstyle="round",
        )
    ax3.scatter(
        x[:, 0],
        x[:, 1],
        s=900 * a_n,
        color="tab:brown",
        zorder=3,
        label="x ~ p_r (area ∝ weight)",
    )
    ax3.scatter(
        y[:, 0],
        y[:, 1],
        s=900 * b_n,
        color="tab:olive",
        zorder=3,
        label="y ~ p_g (area ∝ weight)",
    )
    ax3.set_aspect("equal", adjustable="datalim")
    ax3.set_xlabel("first coordinate")
    ax3.set_ylabel("second coordinate")
    ax3.set_title(
        f"optimal coupling γ: W₁ = {res.value:.4f} (scipy LP: {lp_value:.4f})\n"
        f"{support} non-zero entries of {plan.size}, line width ∝ γᵢⱼ",
        fontsize=10,
    )
    ax3.legend(loc="lower right", fontsize=8)
    fig.tight_layout()

    state = p.copy()
    for mv in r.moves:
        state[mv.source] -= mv.amount
        state[mv.target] += mv.amount
    checks = [
        Check(
            "piles: work [shovels], scipy W₁ × total vs theory.piles()",
            scipy_work,
            r.work,
            1e-12,
            "scipy works on normalised masses; × 10 shovels",
        ),
        Check(
            "piles: work [shovels], scipy W₁ × total vs earth_movers_distance",
            scipy_work,
            emd,
            1e-12,
            "",
        ),
        Check(
            "piles: Σ moves applied to P, max |result − Q| [shovels]",
            0.0,
            float(np.abs(state - q).max()),
            0.0,
            "the moves turn P into Q exactly",
        ),
        Check(
            "piles: work = Σ amounts moved (neighbours, distance 1)",
            r.work,
            float(sum(mv.amount for mv in r.moves)),
            1e-12,
            "",
        ),
        Check(
            "coupling: W₁, scipy linprog (HiGHS) vs transport_plan",
            lp_value,
            float(res.value),
            1e-9,
            "both exact LP solvers; HiGHS tolerances ~1e-9",
        ),
        Check(
            "coupling: Σ γ·‖x − y‖ recomputed here vs reported value",
            float((plan * cost).sum()),
            float(res.value),
            1e-12,
            "",
        ),
        Check(
            "coupling: max |row sums − a|",
            0.0,
            float(np.abs(plan.sum(1) - a_n).max()),
            1e-12,
            "first marginal is p_r (L12)",
        ),
        Check(
            "coupling: max |column sums − b|",
            0.0,
            float(np.abs(plan.sum(0) - b_n).max()),
            1e-12,
            "second marginal is p_g (L12)",
        ),
        Check(
            "coupling: non-zero entries vs vertex bound n + m − 1",
            float(len(a) + len(b) - 1),
            float(support),
            None,
            "an optimal vertex has at most n + m − 1",
        ),
    ]
    return finish(fig, out_dir, sys.modules[__name__], checks)
