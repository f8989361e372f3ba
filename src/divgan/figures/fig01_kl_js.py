r"""Figure 1 (L1, L2): KL is asymmetric; JS is symmetric and bounded by log 2.

Left: two pmfs on seven outcomes (a binomial and a uniform) with KL both ways and JS.
Middle: N(0, 1) against N(mu, 1) as the separation mu grows: KL = mu^2/2 grows without
bound, JS (adaptive quadrature) saturates at log 2. Right: N(0, 1) against N(0, s^2):
the two directions of KL differ (closed forms, with quadrature markers on them).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from divgan.figures._common import Check, finish, pyplot

NAME = "kl_js"
NUMBER = 1
TITLE = "KL divergence is asymmetric; Jensen–Shannon is symmetric and never exceeds log 2"
CLAIMS = "L1, L2"
CAPTION = (
    "KL(p‖q) ≠ KL(q‖p): on pmfs, and for Gaussians of different widths "
    "(closed form, quadrature markers).\n"
    "As two Gaussians separate, KL = μ²/2 grows without bound "
    "while JS saturates at log 2 ≈ 0.693 nats."
)

LOG2 = math.log(2.0)
MU_MAX = 6.0
S_CHECK = 2.0  # the width ratio whose two KL directions are printed and checked


@dataclass(frozen=True)
class KlJsNumbers:
    """The numbers of figure 1 (all in nats)."""

    p: np.ndarray  # Binomial(6, 1/2) on {0, ..., 6}
    q: np.ndarray  # uniform on {0, ..., 6}
    kl_pq: float
    kl_qp: float
    js_pq: float
    mus: np.ndarray  # separations of N(0, 1) vs N(mu, 1)
    js_sep: np.ndarray  # divgan.js_divergence_density at each mu
    kl_sep: np.ndarray  # divgan.gaussian_kl at each mu
    widths: np.ndarray  # s of N(0, 1) vs N(0, s^2), quadrature markers
    kl_fwd_quad: np.ndarray  # KL(N(0,1) || N(0,s^2)) by divgan quadrature
    kl_bwd_quad: np.ndarray  # KL(N(0,s^2) || N(0,1)) by divgan quadrature
    kl_fwd_closed: float  # divgan.gaussian_kl at s = S_CHECK, both directions
    kl_bwd_closed: float


def compute(*, quick: bool = False, device: str = "auto", seed: int = 0) -> KlJsNumbers:
    """divgan's values for the three panels (deterministic: ``device``, ``seed`` unused).

    Examples
    --------
    >>> n = compute(quick=True)
    >>> round(n.kl_pq, 4), round(n.kl_qp, 4)  # KL(p‖q) ≠ KL(q‖p)
    (0.3285, 0.4994)
    """
    from scipy import stats

    from divgan.divergences import (
        gaussian_kl,
        js_divergence,
        js_divergence_density,
        kl_divergence,
        kl_divergence_density,
    )

    p = stats.binom(6, 0.5).pmf(np.arange(7))
    q = np.full(7, 1 / 7)
    mus = np.linspace(0.0, MU_MAX, 13 if quick else 31)
    widths = np.geomspace(0.25, 4.0, 5 if quick else 9)  # contains S_CHECK = 2
    p0 = stats.norm(0.0, 1.0)
    return KlJsNumbers(
        p=p,
        q=q,
        kl_pq=float(kl_divergence(p, q)),
        kl_qp=float(kl_divergence(q, p)),
        js_pq=float(js_divergence(p, q)),
        mus=mus,
        js_sep=np.array([float(js_divergence_density(p0, stats.norm(m, 1.0))) for m in mus]),
        kl_sep=np.array([float(gaussian_kl(0.0, 1.0, m, 1.0)) for m in mus]),
        widths=widths,
        kl_fwd_quad=np.array([float(kl_divergence_density(p0, stats.norm(0, s))) for s in widths]),
        kl_bwd_quad=np.array([float(kl_divergence_density(stats.norm(0, s), p0)) for s in widths]),
        kl_fwd_closed=float(gaussian_kl(0.0, 1.0, 0.0, S_CHECK**2)),
        kl_bwd_closed=float(gaussian_kl(0.0, S_CHECK**2, 0.0, 1.0)),
    )


def _box(ax, x, y, text, **kw):
    ax.text(x, y, text, transform=ax.transAxes, fontsize=kw.pop("fontsize", 8.5),
            bbox={"boxstyle": "round", "fc": "white", "ec": "0.7"}, **kw)


def panel_pmfs(ax, n: KlJsNumbers) -> None:
    """(a) the two pmfs as bars, with KL both ways and JS."""
    k = np.arange(n.p.size)
    ax.bar(k - 0.2, n.p, width=0.4, color="tab:blue", label="p = Binomial(6, ½)")
    ax.bar(k + 0.2, n.q, width=0.4, color="tab:orange", label="q = uniform on {0, …, 6}")
    ax.set(xlabel="outcome", ylabel="probability", xticks=k, ylim=(0, 0.62))
    ax.legend(loc="upper left", fontsize=8)
    _box(ax, 0.98, 0.97, f"KL(p‖q) = {n.kl_pq:.4f} nats\nKL(q‖p) = {n.kl_qp:.4f} nats\n"
         f"JS(p‖q) = {n.js_pq:.4f} ≤ log 2 = {LOG2:.4f}", ha="right", va="top")
    ax.set_title("pmfs: the two KL directions differ")


def panel_separation(ax, n: KlJsNumbers) -> None:
    """(b) N(0, 1) vs N(mu, 1): KL = mu^2/2 unbounded, JS below log 2."""
    mu_fine = np.linspace(0.0, MU_MAX, 301)
    ax.plot(mu_fine, 0.5 * mu_fine**2, "-", color="tab:red", lw=1, alpha=0.5,
            label="KL = μ²/2 (textbook)")
    ax.plot(n.mus, n.kl_sep, "o", ms=3.5, color="tab:red", label="KL, divgan.gaussian_kl")
    ax.plot(n.mus, n.js_sep, "o-", ms=3.5, color="tab:blue", label="JS, divgan quadrature")
    ax.axhline(LOG2, color="k", ls="--", lw=1, label=f"log 2 = {LOG2:.4f}")
    ax.set(ylim=(0, 2.6), xlabel="separation μ between the means [units of σ]",
           ylabel="divergence [nats]", title="N(0, 1) vs N(μ, 1): KL unbounded, JS ≤ log 2")
    ax.text(MU_MAX, LOG2 - 0.12, f"JS(μ = {MU_MAX:g}) = {n.js_sep[-1]:.4f} < log 2",
            ha="right", va="top", fontsize=8, color="tab:blue")
    ax.text(2.3, 2.5, f"↑ KL reaches {n.kl_sep[-1]:g} at μ = {MU_MAX:g}", fontsize=8,
            color="tab:red", ha="left", va="top")
    ax.legend(loc="center right", bbox_to_anchor=(1.0, 0.52), fontsize=8)
    ax.grid(alpha=0.3)


def panel_widths(ax, n: KlJsNumbers) -> None:
    """(c) N(0, 1) vs N(0, s^2): the two KL directions, closed form and quadrature."""
    from matplotlib.ticker import NullFormatter

    s = np.geomspace(0.25, 4.0, 200)
    ax.plot(s, np.log(s) + 1 / (2 * s**2) - 0.5, "-", color="tab:purple",
            label="KL(N(0,1) ‖ N(0,s²)) = log s + 1/(2s²) − ½")
    ax.plot(s, -np.log(s) + s**2 / 2 - 0.5, "-", color="tab:green",
            label="KL(N(0,s²) ‖ N(0,1)) = −log s + s²/2 − ½")
    ax.plot(n.widths, n.kl_fwd_quad, "o", color="tab:purple", mfc="none",
            label="same, divgan quadrature")
    ax.plot(n.widths, n.kl_bwd_quad, "s", color="tab:green", mfc="none",
            label="same, divgan quadrature")
    ax.set_xscale("log")
    ax.set_xticks([0.25, 0.5, 1, 2, 4], ["¼", "½", "1", "2", "4"])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set(ylim=(0, 5.2), xlabel="width ratio s = σ_q / σ_p", ylabel="divergence [nats]",
           title="densities: KL(p‖q) ≠ KL(q‖p)")
    ax.legend(loc="upper center", fontsize=7.5)
    _box(ax, 0.5, 0.5, f"s = {S_CHECK:g}, divgan.gaussian_kl:\nKL(p‖q) = {n.kl_fwd_closed:.6f}\n"
         f"KL(q‖p) = {n.kl_bwd_closed:.6f}", ha="center", va="center")
    ax.grid(alpha=0.3, which="both")


def checks(n: KlJsNumbers) -> list[Check]:
    """Each number beside scipy or a closed form computed here."""
    from scipy import stats
    from scipy.spatial import distance

    i = int(np.argmin(np.abs(n.widths - S_CHECK)))
    s = float(n.widths[i])
    fwd, bwd = math.log(s) + 1 / (2 * s**2) - 0.5, -math.log(s) + s**2 / 2 - 0.5
    j = int(np.argmin(np.abs(n.mus - 2.0)))
    return [
        Check("pmf KL(p‖q) [nats]: scipy.stats.entropy vs divgan", float(stats.entropy(n.p, n.q)),
              n.kl_pq, 1e-12, "two float64 sums of 7 terms: rounding only"),
        Check("pmf KL(q‖p) [nats]: scipy.stats.entropy vs divgan", float(stats.entropy(n.q, n.p)),
              n.kl_qp, 1e-12, "rounding only; differs from KL(p‖q): asymmetric (L1)"),
        Check("pmf JS [nats]: scipy jensenshannon² vs divgan",
              float(distance.jensenshannon(n.p, n.q)) ** 2, n.js_pq, 1e-12, "rounding only"),
        Check(f"KL(N(0,1) ‖ N({n.mus[j]:g},1)) [nats]: μ²/2 vs divgan.gaussian_kl",
              0.5 * float(n.mus[j]) ** 2, float(n.kl_sep[j]), 1e-12, "closed form; rounding"),
        Check(f"KL(N(0,1) ‖ N(0,{s:g}²)): log s + 1/(2s²) − ½ vs divgan quadrature", fwd,
              float(n.kl_fwd_quad[i]), 1e-8, "adaptive quadrature to 1e-10 relative"),
        Check(f"KL(N(0,{s:g}²) ‖ N(0,1)): −log s + s²/2 − ½ vs divgan quadrature", bwd,
              float(n.kl_bwd_quad[i]), 1e-8, "the other direction: a different number"),
        Check(f"KL(N(0,{S_CHECK:g}²) ‖ N(0,1)): closed form vs divgan.gaussian_kl",
              -math.log(S_CHECK) + S_CHECK**2 / 2 - 0.5, n.kl_bwd_closed, 1e-12, "rounding"),
        Check(f"JS(N(0,1) ‖ N({MU_MAX:g},1)) [nats]: scipy quad here vs divgan",
              js_by_scipy_quad(0.0, MU_MAX), float(n.js_sep[-1]), 1e-8,
              "two adaptive quadratures of the same integral, each to ~1e-11"),
    ]


def js_by_scipy_quad(mu_p: float, mu_q: float) -> float:
    """JS(N(mu_p, 1) ‖ N(mu_q, 1)) in nats by scipy.integrate.quad in log space (a reference)."""
    from scipy import integrate, stats

    pr, pg = stats.norm(mu_p, 1.0), stats.norm(mu_q, 1.0)

    def integrand(x):
        lp, lq = pr.logpdf(x), pg.logpdf(x)
        lm = np.logaddexp(lp, lq) - LOG2
        return 0.5 * (math.exp(lp) * (lp - lm) + math.exp(lq) * (lq - lm))

    lo, mid, hi = min(mu_p, mu_q) - 14, 0.5 * (mu_p + mu_q), max(mu_p, mu_q) + 14
    return sum(
        integrate.quad(integrand, a, b, limit=200, epsabs=1e-13, epsrel=1e-11)[0]
        for a, b in ((lo, mid), (mid, hi))
    )


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Compute, draw the three panels, check; returns the PNG, SVG and JSON paths.

    Deterministic (``seed`` and ``device`` unused); ``quick`` uses fewer separations and
    widths for the quadrature markers.
    """
    n = compute(quick=quick)
    fig, axes = pyplot().subplots(1, 3, figsize=(16, 4.9))
    for panel, ax in zip((panel_pmfs, panel_separation, panel_widths), axes):
        panel(ax, n)
    fig.tight_layout()
    return finish(fig, out_dir, sys.modules[__name__], checks(n))
