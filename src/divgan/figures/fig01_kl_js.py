r"""Figure 1 (L1, L2): KL is asymmetric; JS is symmetric and bounded by log 2.

Left: two pmfs on seven outcomes (a binomial and a uniform) with KL both ways and JS.
Middle: N(0, 1) against N(mu, 1) as the separation mu grows: KL = mu^2/2 grows without
bound, JS (adaptive quadrature) saturates at log 2. Right: N(0, 1) against N(0, s^2):
the two directions of KL differ (closed forms, with quadrature markers on them).
"""

from __future__ import annotations

import math
import sys
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


def _js_quad(pr, pg, lo: float, hi: float) -> float:
    """JS in nats by scipy.integrate.quad of its integrand in log space (independent reference)."""
    from scipy import integrate

    def integrand(x):
        lp, lq = pr.logpdf(x), pg.logpdf(x)
        lm = np.logaddexp(lp, lq) - LOG2
        return 0.5 * (math.exp(lp) * (lp - lm) + math.exp(lq) * (lq - lm))

    # Split at the midpoint between the two modes so quad sees both bumps.
    mid = 0.5 * (pr.mean() + pg.mean())
    return sum(
        integrate.quad(integrand, a, b, limit=200, epsabs=1e-13, epsrel=1e-11)[0]
        for a, b in ((lo, mid), (mid, hi))
    )


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Draw the figure into ``out_dir``; returns the PNG, SVG and JSON paths.

    Everything is deterministic (``seed`` and ``device`` are unused); ``quick`` uses
    fewer separations and widths for the quadrature curves.
    """
    from scipy import stats
    from scipy.spatial import distance

    from divgan.divergences import (
        gaussian_kl,
        js_divergence,
        js_divergence_density,
        kl_divergence,
        kl_divergence_density,
    )

    plt = pyplot()
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(16, 4.9))

    # (a) two pmfs: a binomial (peaked) and a uniform (flat) on {0, ..., 6}.
    k = np.arange(7)
    p = stats.binom(6, 0.5).pmf(k)
    q = np.full(7, 1 / 7)
    kl_pq, kl_qp = float(kl_divergence(p, q)), float(kl_divergence(q, p))
    js_pq = float(js_divergence(p, q))
    ax1.bar(k - 0.2, p, width=0.4, color="tab:blue", label="p = Binomial(6, ½)")
    ax1.bar(k + 0.2, q, width=0.4, color="tab:orange", label="q = uniform on {0, …, 6}")
    ax1.set_xlabel("outcome")
    ax1.set_ylabel("probability")
    ax1.set_xticks(k)
    ax1.set_ylim(0, 0.48)
    ax1.legend(loc="upper left", fontsize=8)
    ax1.text(
        0.98,
        0.97,
        f"KL(p‖q) = {kl_pq:.4f} nats\nKL(q‖p) = {kl_qp:.4f} nats\n"
        f"JS(p‖q) = {js_pq:.4f} ≤ log 2 = {LOG2:.4f}",
        transform=ax1.transAxes,
        ha="right",
        va="top",
        fontsize=9,
        bbox={"boxstyle": "round", "fc": "white", "ec": "0.7"},
    )
    ax1.set_title("pmfs: the two KL directions differ")

    # (b) separation sweep: N(0, 1) vs N(mu, 1).
    mus = np.linspace(0.0, 6.0, 13 if quick else 31)
    p0 = stats.norm(0.0, 1.0)
    js = np.array([float(js_divergence_density(p0, stats.norm(m, 1.0))) for m in mus])
    kl_closed = np.array([float(gaussian_kl(0.0, 1.0, m, 1.0)) for m in mus])
    mu_fine = np.linspace(0.0, 6.0, 301)
    ax2.plot(
        mu_fine,
        0.5 * mu_fine**2,
        "-",
        color="tab:red",
        lw=1,
        alpha=0.5,
        label="KL = μ²/2 (textbook)",
    )
    ax2.plot(mus, kl_closed, "o", ms=3.5, color="tab:red", label="KL, divgan.gaussian_kl")
    ax2.plot(mus, js, "o-", ms=3.5, color="tab:blue", label="JS, divgan quadrature")
    ax2.text(
        mus[-1],
        LOG2 + 0.05,
        f"JS(μ = {mus[-1]:g}) = {js[-1]:.4f} < log 2 = {LOG2:.4f}",
        ha="right",
        va="bottom",
        fontsize=8,
        color="tab:blue",
    )
    ax2.axhline(LOG2, color="k", ls="--", lw=1, label=f"log 2 = {LOG2:.4f}")
    ax2.set_ylim(0, 2.6)
    ax2.set_xlabel("separation μ between the means [units of σ]")
    ax2.set_ylabel("divergence [nats]")
    ax2.set_title("N(0, 1) vs N(μ, 1): KL unbounded, JS ≤ log 2")
    ax2.annotate(
        f"↑ KL reaches {kl_closed[-1]:g} at μ = {mus[-1]:g}",
        xy=(2.2, 2.5),
        fontsize=8,
        color="tab:red",
        ha="left",
        va="top",
    )
    ax2.legend(loc="center right", fontsize=8)
    ax2.grid(alpha=0.3)

    # (c) width sweep: N(0, 1) vs N(0, s^2), both directions.
    s_fine = np.geomspace(0.25, 4.0, 200)
    s_marks = np.geomspace(0.25, 4.0, 5 if quick else 9)
    kl_fwd = [float(gaussian_kl(0.0, 1.0, 0.0, s**2)) for s in s_fine]
    kl_bwd = [float(gaussian_kl(0.0, s**2, 0.0, 1.0)) for s in s_fine]
    q_fwd = [float(kl_divergence_density(p0, stats.norm(0.0, s))) for s in s_marks]
    q_bwd = [float(kl_divergence_density(stats.norm(0.0, s), p0)) for s in s_marks]
    ax3.plot(s_fine, kl_fwd, "-", color="tab:purple", label="KL(N(0,1) ‖ N(0,s²)), closed form")
    ax3.plot(s_fine, kl_bwd, "-", color="tab:green", label="KL(N(0,s²) ‖ N(0,1)), closed form")
    ax3.plot(s_marks, q_fwd, "o", color="tab:purple", mfc="none", label="same, by quadrature")
    ax3.plot(s_marks, q_bwd, "s", color="tab:green", mfc="none", label="same, by quadrature")
    ax3.set_xscale("log")
    from matplotlib.ticker import NullFormatter

    ax3.set_xticks([0.25, 0.5, 1, 2, 4], ["¼", "½", "1", "2", "4"])
    ax3.xaxis.set_minor_formatter(NullFormatter())
    ax3.set_ylim(0, 4)
    ax3.set_xlabel("width ratio s = σ_q / σ_p")
    ax3.set_ylabel("divergence [nats]")
    ax3.set_title("densities: KL(p‖q) ≠ KL(q‖p)")
    ax3.legend(loc="upper center", fontsize=8)
    i2 = int(np.argmin(np.abs(s_marks - 2.0)))
    ax3.text(
        0.98,
        0.55,
        f"s = {s_marks[i2]:.3g}: closed form / quadrature\n"
        f"KL(p‖q) = {gaussian_kl(0.0, 1.0, 0.0, s_marks[i2] ** 2):.6f} / {q_fwd[i2]:.6f}\n"
        f"KL(q‖p) = {gaussian_kl(0.0, s_marks[i2] ** 2, 0.0, 1.0):.6f} / {q_bwd[i2]:.6f}",
        transform=ax3.transAxes,
        ha="right",
        va="center",
        fontsize=8,
        bbox={"boxstyle": "round", "fc": "white", "ec": "0.7"},
    )
    ax3.grid(alpha=0.3, which="both")
    fig.tight_layout()

    # Checked numbers.
    mu_c, s_c = 2.0, 2.0
    js_ref_far = _js_quad(p0, stats.norm(mus[-1], 1.0), -14.0, mus[-1] + 14.0)
    pj, qj = stats.norm(0, 1), stats.norm(3, 1)
    checks = [
        Check(
            "pmf KL(p‖q) [nats], scipy.stats.entropy vs divgan",
            float(stats.entropy(p, q)),
            kl_pq,
            1e-12,
            "",
        ),
        Check(
            "pmf KL(q‖p) [nats], scipy.stats.entropy vs divgan",
            float(stats.entropy(q, p)),
            kl_qp,
            1e-12,
            "differs from KL(p‖q): asymmetric (L1)",
        ),
        Check(
            "pmf JS [nats], scipy jensenshannon² vs divgan",
            float(distance.jensenshannon(p, q)) ** 2,
            js_pq,
            1e-12,
            "",
        ),
        Check(
            f"KL(N(0,1) ‖ N({mu_c:g},1)) [nats]: μ²/2 vs quadrature",
            0.5 * mu_c**2,
            float(kl_divergence_density(p0, stats.norm(mu_c, 1.0))),
            1e-8,
            "adaptive quadrature, tol 1e-8",
        ),
        Check(
            f"KL(N(0,1) ‖ N(0,{s_c:g}²)): log s + 1/(2s²) − ½ vs gaussian_kl",
            math.log(s_c) + 1 / (2 * s_c**2) - 0.5,
            float(gaussian_kl(0.0, 1.0, 0.0, s_c**2)),
            1e-12,
            "",
        ),
        Check(
            f"KL(N(0,{s_c:g}²) ‖ N(0,1)): −log s + s²/2 − ½ vs gaussian_kl",
            -math.log(s_c) + s_c**2 / 2 - 0.5,
            float(gaussian_kl(0.0, s_c**2, 0.0, 1.0)),
            1e-12,
            "the other direction: a different number",
        ),
        Check(
            f"JS(N(0,1) ‖ N({mus[-1]:g},1)) [nats]: scipy quad here vs divgan",
            js_ref_far,
            float(js[-1]),
            1e-8,
            "both quadratures",
        ),
        Check(
            "JS symmetry at μ = 3: JS(p‖q) − JS(q‖p)",
            0.0,
            float(js_divergence_density(pj, qj)) - float(js_divergence_density(qj, pj)),
            1e-10,
            "L2",
        ),
        Check(
            "largest JS on the sweep vs the bound log 2",
            LOG2,
            float(js.max()),
            None,
            "must stay below log 2 (it approaches it as μ grows)",
        ),
    ]
    return finish(fig, out_dir, sys.modules[__name__], checks)
