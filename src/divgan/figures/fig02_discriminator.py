r"""Figure 2 (L5, L6, L7): the optimal discriminator, and the GAN value at it is 2·JS − 2 log 2.

(a) p_r = N(−1, 1) and p_g = N(1, 0.6²): the optimal discriminator
D*(x) = p_r/(p_r + p_g) (``divgan.theory.optimal_discriminator``), with the output
σ(logit) of a discriminator trained on samples of the two (``divgan.gan.fit_discriminator``)
drawn over it. (b) For the pairs N(0, 1), N(μ, 1): L(G, D*) by quadrature
(``divgan.theory.gan_value``) against 2·JS − 2 log 2 with JS by adaptive quadrature
(``divgan.divergences.js_divergence_density``); at μ = 0 both are −2 log 2. (c) The same
JS beside the discriminator estimate (``divgan.gan.estimators.estimate_js``: the held-out
GAN value turned into JS by L7) with its 95% bootstrap interval. For a fixed D the
population value L(G, D) is at most L(G, D*), so the estimator's expectation is a lower
bound on JS; one held-out sample mean carries sampling noise and can lie above JS by up
to its interval.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from divgan.figures._common import Check, finish, pyplot

NAME = "discriminator"
NUMBER = 2
TITLE = "The optimal discriminator D* = p_r/(p_r + p_g), and L(G, D*) = 2·JS − 2 log 2"
CLAIMS = "L5, L6, L7"
CAPTION = (
    "D*(x) = p_r/(p_r + p_g) for two Gaussians, with a trained discriminator's D(x) over it; "
    "L(G, D*) = 2·JS − 2 log 2 by quadrature (−2 log 2 at p_g = p_r).\n"
    "Discriminator JS estimates (held-out GAN value: a lower bound in expectation, "
    "± sampling noise, 95% bootstrap intervals) beside the exact JS."
)

LOG2 = math.log(2.0)
REAL = (-1.0, 1.0)  # mean, std of p_r (the lecture's N(-1, 1))
FAKE = (1.0, 0.6)  # mean, std of p_g


MUS = np.linspace(0.0, 4.0, 9)  # p_g = N(mu, 1) against p_r = N(0, 1) in (b) and (c)


@dataclass(frozen=True)
class DiscriminatorNumbers:
    """The numbers of figure 2."""

    n_a: int
    steps_a: int
    grid: np.ndarray  # x grid of panel (a)
    d_star: np.ndarray  # divgan.theory.optimal_discriminator on the grid
    d_net: np.ndarray  # the trained discriminator's D on the grid
    where: np.ndarray  # grid points where (p_r + p_g)/2 > 0.05
    js_mu: np.ndarray  # JS(N(0,1) ‖ N(mu,1)) at MUS, divgan.js_divergence_density
    value_mu: np.ndarray  # L(G, D*) at MUS, divgan.theory.gan_value (trapezoid)
    n_c: int
    steps_c: int
    mus_c: np.ndarray  # the mus with a discriminator estimate
    est: np.ndarray  # (len(mus_c), 3): value, ci_low, ci_high

    @property
    def max_gap(self) -> float:
        """max |D − D*| where (p_r + p_g)/2 > 0.05."""
        return float(np.abs(self.d_net - self.d_star)[self.where].max())


def compute(*, quick: bool = False, device: str = "auto", seed: int = 0) -> DiscriminatorNumbers:
    """Train the discriminators and tabulate the quadratures.

    ``quick``: 2 000 samples per side and 300 steps for (a), 5 pairs with 1 000 samples
    and 300 steps for (c); full: 8 000 samples and 2 000 steps for (a), 9 pairs with 4 000
    samples and 1 000 steps for (c). ``seed`` draws the samples and initialises the
    networks; ``device`` is where they train.
    """
    import torch
    from scipy import stats

    from divgan.divergences import js_divergence_density
    from divgan.gan import configure_threads
    from divgan.gan.estimators import estimate_js, fit_discriminator
    from divgan.theory import gan_value, optimal_discriminator

    configure_threads(1)
    rng = np.random.default_rng(seed)
    pr, pg = stats.norm(*REAL), stats.norm(*FAKE)
    n_a, steps_a = (2000, 300) if quick else (8000, 2000)
    xr, xg = pr.rvs(n_a, random_state=rng), pg.rvs(n_a, random_state=rng)
    disc = fit_discriminator(xr, xg, steps=steps_a, device=device, seed=seed)
    grid = np.linspace(-4.5, 3.5, 801)
    with torch.no_grad():
        first = next(disc.parameters())
        logits = disc(torch.as_tensor(grid[:, None], dtype=first.dtype, device=first.device))
        d_net = torch.sigmoid(logits).double().cpu().numpy().reshape(-1)

    x = np.linspace(-12.0, 16.0, 28001)
    p0 = stats.norm(0.0, 1.0)
    value = []
    for m in MUS:
        a, b = p0.pdf(x), stats.norm(m, 1.0).pdf(x)
        value.append(gan_value(optimal_discriminator(a, b), a, b, x))

    n_c, steps_c = (1000, 300) if quick else (4000, 1000)
    mus_c = MUS[::2] if quick else MUS
    est = []
    for i, m in enumerate(mus_c):
        a = p0.rvs(n_c, random_state=rng)
        b = stats.norm(m, 1.0).rvs(n_c, random_state=rng)
        e = estimate_js(a, b, steps=steps_c, device=device, seed=seed + i)
        est.append((e.value, e.ci_low, e.ci_high))
    return DiscriminatorNumbers(
        n_a=n_a, steps_a=steps_a, grid=grid,
        d_star=optimal_discriminator(pr.pdf(grid), pg.pdf(grid)), d_net=d_net,
        where=0.5 * (pr.pdf(grid) + pg.pdf(grid)) > 0.05,
        js_mu=np.array([float(js_divergence_density(p0, stats.norm(m, 1.0))) for m in MUS]),
        value_mu=np.array(value, dtype=float), n_c=n_c, steps_c=steps_c, mus_c=mus_c,
        est=np.array(est, dtype=float))


def _legend_below(ax, ncol=1):
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=ncol, fontsize=8)


def panel_optimal(ax, n: DiscriminatorNumbers) -> None:
    """(a) D* and the trained D over the two densities."""
    from scipy import stats

    g = n.grid
    ax.plot(g, stats.norm(*REAL).pdf(g), color="tab:blue", lw=1, alpha=0.7, label="p_r = N(−1, 1)")
    ax.plot(g, stats.norm(*FAKE).pdf(g), color="tab:orange", lw=1, alpha=0.7,
            label="p_g = N(1, 0.6²)")
    ax.plot(g, n.d_star, "k-", lw=2, label="D* = p_r / (p_r + p_g) (exact)")
    ax.plot(g, n.d_net, "--", color="tab:red", lw=1.6,
            label=f"trained D: {n.steps_a} Adam steps, {n.n_a} + {n.n_a} samples")
    ax.fill_between(g, 0, 1, where=~n.where, color="0.92", lw=0,
                    label="(p_r + p_g)/2 < 0.05 (no samples to speak of)")
    ax.axhline(0.5, color="0.5", lw=0.8, ls=":")
    ax.set(ylim=(0, 1.02), xlabel="x", ylabel="D(x) = P(x is real);  densities [1/x units]",
           title=f"L5: D* and a trained D; max |D − D*| = {n.max_gap:.3f} outside the grey")
    ax.title.set_fontsize(10)
    _legend_below(ax, 2)


def panel_value(ax, n: DiscriminatorNumbers) -> None:
    """(b) L(G, D*) by quadrature against 2 JS − 2 log 2."""
    ax.plot(MUS, 2 * n.js_mu - 2 * LOG2, "-", color="tab:blue", lw=1.5,
            label="2·JS − 2 log 2 (JS by adaptive quadrature)")
    ax.plot(MUS, n.value_mu, "o", color="k", mfc="none", ms=7,
            label="L(G, D*): trapezoid of ∫p_r log D* + p_g log(1−D*)")
    ax.axhline(-2 * LOG2, color="0.4", ls=":", lw=1, label=f"−2 log 2 = {-2 * LOG2:.4f} (L6)")
    ax.axhline(0.0, color="0.4", ls="--", lw=0.8, label="0 = 2 log 2 − 2 log 2 (disjoint)")
    ax.set(xlabel="μ: p_r = N(0, 1), p_g = N(μ, 1)", ylabel="L(G, D*) [nats]",
           title="L6, L7: L(G, D*) = 2·JS(p_r‖p_g) − 2 log 2")
    _legend_below(ax)
    ax.grid(alpha=0.3)


def panel_estimates(ax, n: DiscriminatorNumbers) -> None:
    """(c) the discriminator's JS estimates with their intervals beside the exact JS."""
    val, lo, hi = n.est.T
    ax.plot(MUS, n.js_mu, "-", color="tab:blue", label="JS exact (quadrature)")
    ax.errorbar(n.mus_c, val, yerr=[val - lo, hi - val], fmt="s", color="tab:red", ms=4,
                capsize=3, label=f"discriminator estimate, 95% CI ({n.n_c // 2} + {n.n_c // 2} "
                f"held out, {n.steps_c} steps)")
    ax.axhline(LOG2, color="k", ls="--", lw=0.8, label=f"log 2 = {LOG2:.4f}")
    ax.set(ylim=(-0.03, 0.78), xlabel="μ: p_r = N(0, 1), p_g = N(μ, 1)",
           ylabel="JS(p_r‖p_g) [nats]")
    ax.set_title("L7: JS from a trained discriminator\n(≤ JS in expectation; one held-out "
                 "sample can land above, within its CI)", fontsize=10)
    _legend_below(ax)
    ax.grid(alpha=0.3)


def checks(n: DiscriminatorNumbers, *, quick: bool = False) -> list[Check]:
    """L6 and L7 between two quadratures; the trained networks against the exact values."""
    out = [
        Check("L6: L(G, D*) at p_g = p_r [nats] vs −2 log 2", -2 * LOG2, float(n.value_mu[0]),
              1e-9, "D* = ½ everywhere; trapezoid on N(0, 1), tails beyond ±12 below 1e-30"),
    ]
    for j in (2, 4, 8):
        out.append(Check(
            f"L7 at μ = {MUS[j]:g}: 2·JS − 2 log 2 vs L(G, D*) by trapezoid [nats]",
            float(2 * n.js_mu[j] - 2 * LOG2), float(n.value_mu[j]), 1e-6,
            "two independent quadratures (adaptive vs a 28 001-point trapezoid)"))
    # (a): a discriminator trained for finitely many steps on finite samples is only close
    # to D*; over seeds 0-5 the gap stayed within 0.05 (quick) and 0.03 (full), tol 2x that.
    out.append(Check(
        "L5: trained D vs D*, max |D − D*| where (p_r + p_g)/2 > 0.05", 0.0, n.max_gap,
        0.1 if quick else 0.08,
        f"{n.steps_a} steps on {n.n_a} + {n.n_a} samples; a finite fit; about 2x the worst gap "
        "over seeds 0-5"))
    # (c): sampling error of the held-out mean is the CI; the fit's own shortfall (a lower
    # bound) adds to it: tol = 2 CI half-widths plus 0.02 nats (full), 0.05 (quick, 300 steps).
    for (val, lo, hi), m in zip(n.est, n.mus_c):
        k = int(np.argmin(np.abs(MUS - m)))
        out.append(Check(
            f"JS at μ = {m:g}: exact vs discriminator estimate [nats]", float(n.js_mu[k]),
            float(val), (hi - lo) + (0.05 if quick else 0.02),
            f"95% CI [{lo:.4f}, {hi:.4f}]; tol = 2 CI half-widths + optimisation allowance"))
    return out


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Compute, draw the three panels, check; returns the PNG, SVG and JSON paths."""
    n = compute(quick=quick, device=device, seed=seed)
    fig, axes = pyplot().subplots(1, 3, figsize=(17, 6.2))
    for panel, ax in zip((panel_optimal, panel_value, panel_estimates), axes):
        panel(ax, n)
    fig.tight_layout()
    return finish(fig, out_dir, sys.modules[__name__], checks(n, quick=quick), n_a=n.n_a,
                  steps_a=n.steps_a)
