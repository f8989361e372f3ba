r"""Figure 11 (L15, L16): WGAN critics in d dimensions against the exact W₁.

Three exact reference families of :mod:`divgan.theory`, one panel each: the shifted Gaussian
(``shifted(d, 1.0)``, W₁ = 1), the scaled Gaussian (``scaled(d, 0.5)``, W₁ = ½·E‖X‖, the
optimal critic a cone) and the parallel hyperplanes (``hyperplanes(d, 0.5)``, W₁ = ½, disjoint
supports). For each dimension d, n points per distribution are drawn; critics are trained on
one half (``divgan.gan.estimators.estimate_wasserstein``, the same split for every method) and
read on the other. Plotted, each divided by the population W₁:

* ``gp``: the gradient-penalty critic, de-biased (an estimate, neither bound);
* ``sn``: spectral normalisation divided by the product of the layers' spectral norms
  (a 1-Lipschitz critic, so at most the held-out samples' exact W₁);
* ``ctransform``: the c-transform critic (a feasible dual of the held-out samples' OT, so at
  most their exact W₁);
* plug-in exact OT: the exact W₁ between the two held-out halves (POT's ``ot.emd2``), which
  is biased upward by the empirical measures' own distance, the more so the larger d;
* the optimal potential f* of the family read on the held-out halves: what a perfect critic
  would give on those samples (its error is sampling only).

The checks are the inequalities that hold on every draw: a 1-Lipschitz critic's dual value
on two samples is at most their exact W₁, for f* and the spectrally normalised critic alike,
and the c-transform value is a feasible dual of their OT problem. None of them can be met by
a value copied from the other side: the exact W₁ is solved by POT here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from divgan.figures._common import Check, finish, pyplot

NAME = "critics_in_d"
NUMBER = 11
TITLE = "WGAN critics in d dimensions: estimate ÷ exact W₁ for three exact reference families"
CLAIMS = "L15, L16"
CAPTION = (
    "Critics (gradient penalty de-biased, spectral norm, c-transform) trained on half the "
    "samples and read on the other half, divided by the exact population W₁, against d.\n"
    "Plug-in exact OT between the held-out halves is biased upward; the optimal potential "
    "f* on the same halves shows what a perfect critic would read."
)

FAMILIES = (
    ("shifted", "shifted Gaussian, ‖s‖ = 1", lambda d: _theory().shifted(d, 1.0)),
    ("scaled", "scaled Gaussian, c = 0.5", lambda d: _theory().scaled(d, 0.5)),
    ("hyperplanes", "hyperplanes, θ = 0.5", lambda d: _theory().hyperplanes(d, 0.5)),
)
METHODS = ("gp", "sn", "ctransform")
STYLE = {
    "gp": ("tab:red", "o", "gradient penalty λ = 10, de-biased"),
    "sn": ("tab:green", "s", "spectral norm ÷ ∏σ (≤ held-out exact W₁)"),
    "ctransform": ("tab:blue", "D", "c-transform (certified ≤ held-out exact W₁)"),
    "plugin": ("0.25", "x", "plug-in exact OT of the held-out halves (biased upward)"),
    "oracle": ("tab:olive", "+", "optimal potential f* on the held-out halves"),
}
ROUNDING = 1e-9  # relative float64 allowance of the inequality checks


def _theory():
    from divgan import theory

    return theory


@dataclass(frozen=True)
class Cell:
    """One family at one dimension: the exact values and each method's reading (data units)."""

    family: str
    d: int
    w1: float  # population W1, closed form (divgan.theory)
    plugin: float  # exact W1 of the held-out halves, POT ot.emd2
    oracle: float  # mean f*(held-out P) - mean f*(held-out Q)
    value: dict  # method -> (value, ci_low, ci_high)


@dataclass(frozen=True)
class CriticsInDNumbers:
    """The numbers of figure 11."""

    n: int
    steps: int | None  # None: the estimators' defaults
    dims: tuple
    cells: tuple  # Cell per (family, d)

    def family(self, name: str) -> list[Cell]:
        return [c for c in self.cells if c.family == name]


def _held_out_w1(a: np.ndarray, b: np.ndarray) -> float:
    """Exact W1 between two equal-weight samples by POT's network simplex (run to optimality)."""
    import ot

    cost = ot.dist(a, b, metric="euclidean")
    w = np.full(len(a), 1.0 / len(a))
    v = np.full(len(b), 1.0 / len(b))
    return float(ot.emd2(w, v, cost, numItermax=max(10**7, 50 * len(a) * len(b))))


def compute(*, quick: bool = False, device: str = "auto", seed: int = 0) -> CriticsInDNumbers:
    """Train the three critics per family and d (``quick``: d ∈ {2, 8, 32}, 600 points per
    distribution, 100 steps; full: d ∈ {2, 8, 32, 128}, 4 000 points, the estimators' default
    steps). ``seed`` draws the samples and initialises the critics."""
    from divgan.gan import configure_threads
    from divgan.gan.estimators import estimate_wasserstein

    configure_threads(1)
    dims = (2, 8, 32) if quick else (2, 8, 32, 128)
    n = 600 if quick else 4000
    steps = 100 if quick else None
    cells = []
    for k, (fam, _, make) in enumerate(FAMILIES):
        for d in dims:
            pair = make(d)
            xr, xg = pair.sample(n, seed=np.random.SeedSequence([seed, k, d]))
            est = {m: estimate_wasserstein(xr, xg, method=m, steps=steps, device=device,
                                           seed=seed, n_resamples=200 if quick else 1000)
                   for m in METHODS}
            ir, ig = est["gp"].held_out  # the split depends on the seed only: same for all
            hr, hg = xr[ir], xg[ig]
            cells.append(Cell(
                family=fam, d=d, w1=float(pair.w1), plugin=_held_out_w1(hr, hg),
                oracle=float(pair.critic(hr).mean() - pair.critic(hg).mean()),
                value={m: (e.value, e.ci_low, e.ci_high) for m, e in est.items()}))
    return CriticsInDNumbers(n=n, steps=steps, dims=dims, cells=tuple(cells))


def _panel(ax, n: CriticsInDNumbers, family: str, title: str) -> None:
    from matplotlib.ticker import FormatStrFormatter

    cells = n.family(family)
    d = np.array([c.d for c in cells], dtype=float)
    w1 = np.array([c.w1 for c in cells])
    ax.axhline(1.0, color="k", lw=1.5, label="exact population W₁ (closed form)")
    spread = 1.06
    for j, m in enumerate(METHODS):
        colour, marker, label = STYLE[m]
        v, lo, hi = (np.array([c.value[m] for c in cells]) / w1[:, None]).T
        x = d * spread ** (j - 1)
        ax.errorbar(x, v, yerr=[np.maximum(v - lo, 0), np.maximum(hi - v, 0)], fmt=marker + "-",
                    color=colour, ms=5, capsize=2, lw=1, label=label + ", 95% bootstrap CI")
    for key, attr in (("plugin", "plugin"), ("oracle", "oracle")):
        colour, marker, label = STYLE[key]
        ax.plot(d, [getattr(c, attr) / c.w1 for c in cells], marker + ("--" if key == "plugin"
                else ":"), color=colour, ms=7, lw=1, label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(FormatStrFormatter("%g"))
    ax.set_xticks(n.dims, [str(k) for k in n.dims])
    w_text = (f"W₁ = {w1[0]:.3g}" if np.allclose(w1, w1[0]) else
              f"W₁ = {w1[0]:.3g} at d = {cells[0].d} … {w1[-1]:.3g} at d = {cells[-1].d}")
    ax.set(xlabel="dimension d", ylabel="estimate ÷ exact W₁ [dimensionless]",
           title=f"{title} ({w_text})")
    ax.grid(alpha=0.3, which="both")


def panel_shifted(ax, n: CriticsInDNumbers) -> None:
    """(a) shifted Gaussian, ‖s‖ = 1."""
    _panel(ax, n, "shifted", FAMILIES[0][1])


def panel_scaled(ax, n: CriticsInDNumbers) -> None:
    """(b) scaled Gaussian, c = 0.5 (a cone-shaped optimal critic)."""
    _panel(ax, n, "scaled", FAMILIES[1][1])


def panel_hyperplanes(ax, n: CriticsInDNumbers) -> None:
    """(c) parallel hyperplanes, θ = 0.5 (disjoint supports)."""
    _panel(ax, n, "hyperplanes", FAMILIES[2][1])


def checks(n: CriticsInDNumbers) -> list[Check]:
    """Per family, the largest excess over d of each 1-Lipschitz or c-transform reading over
    the held-out samples' exact W₁ (POT): zero up to rounding on every draw, since each is a
    feasible dual value of those samples' OT problem. The gp value is no bound and the
    plug-in's bias has no stated size in d, so both are drawn, not checked."""
    out = []
    for fam, title, _ in FAMILIES:
        cells = n.family(fam)
        scale = max(c.plugin for c in cells)
        readings = (
            ("optimal potential f*", [c.oracle for c in cells]),
            ("spectral-norm critic ÷ ∏σ", [c.value["sn"][0] for c in cells]),
            ("c-transform critic", [c.value["ctransform"][0] for c in cells]),
        )
        for what, values in readings:
            excess = max(max(0.0, v - c.plugin) for v, c in zip(values, cells))
            out.append(Check(
                f"{title}: excess of the {what}'s held-out value over the held-out samples' "
                f"exact W₁ (POT), largest over d [data units]", 0.0, excess,
                ROUNDING * scale, "a feasible dual value is at most the exact W₁ of the same "
                "samples (Kantorovich duality); float64 rounding only"))
    return out


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Compute, draw the three panels, check; returns the PNG, SVG and JSON paths."""
    n = compute(quick=quick, device=device, seed=seed)
    fig, axes = pyplot().subplots(1, 3, figsize=(18, 6.2), sharey=True)
    for panel, ax in zip((panel_shifted, panel_scaled, panel_hyperplanes), axes):
        panel(ax, n)
    handles, labels = axes[0].get_legend_handles_labels()
    steps = "default steps" if n.steps is None else f"{n.steps} steps"
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8.5,
               bbox_to_anchor=(0.5, -0.08),
               title=f"{n.n} points per distribution, half for training, half held out; {steps}")
    fig.tight_layout()
    return finish(fig, out_dir, sys.modules[__name__], checks(n), n=n.n,
                  dims=list(n.dims),
                  cells=[{"family": c.family, "d": c.d, "w1": c.w1, "plugin": c.plugin,
                          "oracle": c.oracle, "value": c.value} for c in n.cells])
