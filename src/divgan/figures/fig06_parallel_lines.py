r"""Figure 6 (L13, L14): two parallel segments; only the Wasserstein distance is smooth in θ.

P lives on the line x = 0 and Q on x = θ, both with heights y ~ U(0, 1). For θ ≠ 0
the supports are disjoint: KL = +inf both ways and JS = log 2 whatever θ is, while
W1 = |θ|. Panels: (a) the two supports for one θ with the exact optimal coupling of
the samples; (b) W1 and JS over θ, exact, with exact OT on samples and the network
estimates (a discriminator's JS, a gradient-penalty critic's W1) on the same samples;
(c) KL: +inf exactly, and what a kNN estimator makes of it (its raw number and its
disjoint-support flag); (d) the θ-derivatives, with the finite-difference slope of the
sample W1.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from divgan.figures._common import Check, finish, pyplot

NAME = "parallel_lines"
NUMBER = 6
TITLE = "Parallel lines: KL = ∞ and JS = log 2 for every θ ≠ 0, but W = |θ| is smooth"
CLAIMS = "L13, L14"
CAPTION = (
    "P on x = 0, Q on x = θ, y ~ U(0, 1): KL(P‖Q) = KL(Q‖P) = +∞, JS = log 2 for θ ≠ 0, "
    "W₁ = |θ|; all 0 at θ = 0.\n"
    "Only W₁ has a useful θ-gradient (±1); KL and JS are flat away from 0 and jump at 0. "
    "Markers: estimates from samples."
)

LOG2 = math.log(2.0)
THETA_SHOW = 0.5
N_COUPLED = 30  # points whose exact coupling panel (a) draws


@dataclass(frozen=True)
class KnnSeries:
    """kNN estimates of KL(P‖Q) over θ ≠ 0 at one sample size."""

    size: int
    thetas: np.ndarray
    raw: np.ndarray  # the estimator's finite number [nats]
    value: np.ndarray  # inf where it flags 'supports look disjoint'
    flagged: np.ndarray


@dataclass(frozen=True)
class NetworkSeries:
    """Network estimates over θ on the samples of the figure (a subset of the θ grid)."""

    quantity: str  # "js" or "wasserstein"
    label: str
    thetas: np.ndarray
    value: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    held_out_exact: np.ndarray  # exact OT W1 of the very held-out samples each was read on


@dataclass(frozen=True)
class ParallelLinesNumbers:
    """The numbers of figure 6."""

    thetas: np.ndarray
    p: np.ndarray  # (n, 2) sample of P (x = 0)
    q0: np.ndarray  # (n, 2) sample of Q at θ = 0; Q at θ is q0 shifted by (θ, 0)
    w_hat: np.ndarray  # exact OT W1 of the samples at each θ
    w2_heights: float  # W2 between the two samples' heights (bounds the plug-in bias)
    coupled_value: float  # W1 of the first N_COUPLED points at THETA_SHOW
    coupled_pairs: np.ndarray  # (k, 2) index pairs of that coupling's support
    knn: tuple  # KnnSeries at n and 4n
    net: tuple  # NetworkSeries: JS and W1

    def q(self, theta: float) -> np.ndarray:
        return self.q0 + np.array([float(theta), 0.0])


def _network_estimates(p, q0, thetas, *, quick: bool, device: str, seed: int):
    """Discriminator-JS and GP-critic W1 (``divgan.gan.estimators``) on every other θ.

    A fresh network per θ, trained on half the samples and read on the other half.
    Quick: 100 / 200 steps; full: 500 / 800.
    """
    from divgan.gan import configure_threads
    from divgan.gan.estimators import estimate_js, estimate_wasserstein
    from divgan.wasserstein import wasserstein_distance

    configure_threads(1)
    keep = set(range(0, len(thetas), 2)) | {int(np.argmin(np.abs(thetas - THETA_SHOW)))}
    ts = thetas[sorted(keep)]
    steps_js, steps_w = (100, 200) if quick else (500, 800)
    ests = {"js": [], "wasserstein": []}
    for i, t in enumerate(ts):
        q = q0 + np.array([float(t), 0.0])
        ests["js"].append(estimate_js(p, q, steps=steps_js, device=device, seed=seed + i))
        ests["wasserstein"].append(
            estimate_wasserstein(p, q, method="gp", steps=steps_w, device=device, seed=seed + i)
        )
    half = len(p) // 2
    labels = {
        "js": f"JS, trained discriminator ({steps_js} steps, {half} + {half} held out)",
        "wasserstein": f"W₁, WGAN-GP critic, de-biased ({steps_w} steps)",
    }
    out = []
    for quantity, es in ests.items():
        held = []
        for t, e in zip(ts, es):
            ir, ig = e.held_out
            held.append(float(wasserstein_distance(p[ir], (q0 + np.array([t, 0.0]))[ig])))
        out.append(NetworkSeries(
            quantity, labels[quantity], ts, np.array([e.value for e in es]),
            np.array([e.ci_low for e in es]), np.array([e.ci_high for e in es]), np.array(held)))
    return tuple(out)


def compute(*, quick: bool = False, device: str = "auto", seed: int = 0,
            networks: bool = True) -> ParallelLinesNumbers:
    """Samples, exact OT, kNN and (``networks=True``) network estimates over θ.

    ``quick``: 9 values of θ and n = 200 samples (kNN also at 800); full: 21 values and
    n = 1000 (kNN also at 4000). ``seed`` draws the samples; ``device`` is where the
    networks train.
    """
    from divgan.estimators import kl_divergence_knn
    from divgan.theory import sample_parallel_lines
    from divgan.wasserstein import transport_plan, wasserstein_1d, wasserstein_distance

    n = 200 if quick else 1000
    thetas = np.linspace(-1.0, 1.0, 9 if quick else 21)
    rng = np.random.default_rng(seed)
    # One sample of heights for every θ (common random numbers): Q at θ is Q at 0 shifted.
    p, q0 = sample_parallel_lines(0.0, n, seed=rng)
    p_big, q_big = sample_parallel_lines(0.0, 4 * n, seed=rng)
    knn_thetas = thetas[thetas != 0]
    knn = []
    for size, (a, b) in ((n, (p, q0)), (4 * n, (p_big, q_big))):
        res = [kl_divergence_knn(a, b + np.array([t, 0.0])) for t in knn_thetas]
        knn.append(KnnSeries(size, knn_thetas, np.array([r.estimate for r in res]),
                             np.array([r.value for r in res]),
                             np.array([r.supports_look_disjoint for r in res])))
    shift = np.array([THETA_SHOW, 0.0])
    plan = transport_plan(p[:N_COUPLED], q0[:N_COUPLED] + shift)
    net = ()
    if networks:
        net = _network_estimates(p, q0, thetas, quick=quick, device=device, seed=seed)
    return ParallelLinesNumbers(
        thetas=thetas, p=p, q0=q0,
        w_hat=np.array([float(wasserstein_distance(p, q0 + np.array([t, 0.0]))) for t in thetas]),
        w2_heights=float(wasserstein_1d(p[:, 1], q0[:, 1], p=2)),
        coupled_value=float(plan.value),
        coupled_pairs=np.argwhere(plan.plan > 1e-12),
        knn=tuple(knn), net=net)


def panel_supports(ax, n: ParallelLinesNumbers) -> None:
    """(a) the two supports at THETA_SHOW with the exact coupling of a few points."""
    q = n.q(THETA_SHOW)
    for i, j in n.coupled_pairs:
        ax.plot([n.p[i, 0], q[j, 0]], [n.p[i, 1], q[j, 1]], "-", color="0.6", lw=0.8)
    ax.scatter(n.p[:, 0], n.p[:, 1], s=6, color="tab:blue", label=f"P: x = 0 ({len(n.p)} samples)")
    ax.scatter(q[:, 0], q[:, 1], s=6, color="tab:orange", label=f"Q: x = θ = {THETA_SHOW:g}")
    ax.set(xlim=(-0.3, 1.6), xlabel="x", ylabel="y ~ U(0, 1)")
    ax.set_title(f"disjoint supports; optimal coupling of the first {N_COUPLED} points of each "
                 f"(their W₁ = {n.coupled_value:.4f}; |θ| = {THETA_SHOW:g})", fontsize=10)
    ax.legend(loc="upper right", fontsize=8)
    k = int(np.argmin(np.abs(n.thetas - THETA_SHOW)))
    z = int(np.argmin(np.abs(n.thetas)))
    ax.text(0.99, 0.03, f"exact OT on all samples:\nθ = {n.thetas[k]:g}: W₁ exact "
            f"{abs(n.thetas[k]):g}, samples {n.w_hat[k]:.4f}\nθ = 0: W₁ exact 0, samples "
            f"{n.w_hat[z]:.4f}\nJS exact {LOG2:.4f} nats for θ ≠ 0", transform=ax.transAxes,
            ha="right", va="bottom", fontsize=8,
            bbox={"boxstyle": "round", "fc": "white", "ec": "0.7"})


def panel_distances(ax, n: ParallelLinesNumbers) -> None:
    """(b) W1 and JS over θ: exact, exact OT on samples, network estimates."""
    t = np.linspace(-1, 1, 401)
    ax.plot(t, np.abs(t), "-", color="tab:green", label="W₁ = |θ| (exact)")
    ax.plot(n.thetas, n.w_hat, "o", color="tab:green", mfc="none",
            label=f"W₁, exact OT on {len(n.p)} + {len(n.p)} samples")
    ax.hlines(LOG2, -1, 1, color="tab:red", label="JS = log 2 for θ ≠ 0 (exact)")
    ax.plot([0], [LOG2], "o", color="tab:red", mfc="white", zorder=3)
    ax.plot([0], [0], "o", color="tab:red", zorder=3, label="JS = W₁ = 0 at θ = 0")
    for s, colour in zip(n.net, ("tab:blue", "tab:orange")):
        ax.errorbar(s.thetas, s.value, yerr=[s.value - s.ci_low, s.ci_high - s.value], fmt="s",
                    ms=4, capsize=2, color=colour, label=s.label + " (95% CI)")
    ax.set(xlabel="θ (offset of Q) [x units]", ylabel="W₁ [x units] · JS [nats]",
           ylim=(-0.05, 1.75), title="only W₁ tells how far apart P and Q are")
    ax.legend(loc="upper center", fontsize=8)
    ax.grid(alpha=0.3)


def panel_kl(ax, n: ParallelLinesNumbers) -> None:
    """(c) KL: +∞ exactly; the kNN estimator's raw numbers, each side of θ = 0 separately."""
    top = 1.25 * max(float(s.raw.max()) for s in n.knn)
    nz = n.thetas[n.thetas != 0]
    for t in nz:
        ax.annotate("", xy=(t, top), xytext=(t, 0.9 * top),
                    arrowprops={"arrowstyle": "-|>", "color": "tab:red", "lw": 1})
    ax.plot([], [], "^", color="tab:red", label="exact KL(P‖Q) = KL(Q‖P) = +∞ for θ ≠ 0 (arrows)")
    ax.plot([0], [0], "o", color="tab:red", label="exact KL = 0 at θ = 0")
    k = int(np.argmin(np.abs(n.knn[0].thetas - THETA_SHOW)))
    for s, mk in zip(n.knn, ("o", "^")):
        for side in (s.thetas < 0, s.thetas > 0):  # no line across θ = 0 (no estimate there)
            ax.plot(s.thetas[side], s.raw[side], "--", color="tab:purple", lw=0.8)
        ax.plot(s.thetas, s.raw, mk, color="tab:purple", mfc="none",
                label=f"raw kNN estimate (k = 1), n = {s.size}: {s.raw[k]:.2f} nats at θ = "
                f"{s.thetas[k]:g}")
        ax.plot(s.thetas[s.flagged], s.raw[s.flagged], mk, color="tab:purple",
                label=f"n = {s.size}: flagged 'supports look disjoint' "
                f"({s.flagged.sum()}/{s.flagged.size})")
    ax.set(xlim=(-1.05, 1.05), xlabel="θ [x units]", ylabel="KL(P‖Q) [nats]")
    ax.set_title("KL: +∞ exactly; a kNN estimate stays finite and grows with n", fontsize=10)
    ax.legend(loc="lower center", fontsize=7.5, framealpha=1)
    ax.set_ylim(-0.75 * top, top)
    ax.set_yticks([v for v in ax.get_yticks() if 0 <= v <= top])
    ax.grid(alpha=0.3)


def panel_gradients(ax, n: ParallelLinesNumbers) -> None:
    """(d) θ-derivatives: exact, and the slope of the sample W1."""
    from divgan.theory import parallel_lines_gradients

    g_pos, g_neg = parallel_lines_gradients(1.0), parallel_lines_gradients(-1.0)
    ax.hlines([g_neg.wasserstein, g_pos.wasserstein], [-1, 0], [0, 1], color="tab:green", lw=2,
              label="dW₁/dθ = sign θ (exact)")
    ax.hlines([g_neg.js, g_pos.js], [-1, 0], [0, 1], color="tab:red", lw=2,
              label="dJS/dθ = dKL/dθ = 0 for θ ≠ 0 (exact)")
    ax.plot([0, 0, 0], [-1, 0, 1], "o", color="0.3", mfc="white", zorder=3)
    ax.annotate("θ = 0: JS and KL jump,\nW₁ has a kink: no derivative", xy=(0, 0),
                xytext=(0.12, -0.55), fontsize=8, arrowprops={"arrowstyle": "->", "color": "0.3"})
    mids = 0.5 * (n.thetas[1:] + n.thetas[:-1])
    ax.plot(mids, np.diff(n.w_hat) / np.diff(n.thetas), "o", color="tab:green", mfc="none",
            label="slope of the sample W₁ between neighbouring θ")
    ax.set(ylim=(-1.4, 1.4), xlabel="θ [x units]", ylabel="derivative in θ",
           title="gradient signal: only W₁ points back to θ = 0")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)


def checks(n: ParallelLinesNumbers, *, quick: bool = False) -> list[Check]:
    """The sample numbers against |θ| with exact bands, and KL / JS via the x-marginals."""
    from divgan.divergences import js_divergence, kl_divergence
    from divgan.theory import parallel_lines

    i = int(np.argmin(np.abs(n.thetas - THETA_SHOW)))
    t = float(n.thetas[i])
    i0 = int(np.argmin(np.abs(n.thetas)))
    w2 = n.w2_heights
    mids = 0.5 * (n.thetas[1:] + n.thetas[:-1])
    j = int(np.argmin(np.abs(mids - 0.55)))
    slope = float((n.w_hat[j + 1] - n.w_hat[j]) / (n.thetas[j + 1] - n.thetas[j]))
    # Slope of the sample W1 on (a, b): from |θ| <= W_hat(θ) <= sqrt(θ² + W2²) at both ends,
    # (b - sqrt(a² + W2²)) / (b - a) <= slope <= (sqrt(b² + W2²) - a) / (b - a).
    a, b = float(n.thetas[j]), float(n.thetas[j + 1])
    lo, hi = (b - math.hypot(a, w2)) / (b - a), (math.hypot(b, w2) - a) / (b - a)
    truth = parallel_lines(t)
    out = [
        Check(f"W₁ at θ = {t:g} [x units]: |θ| vs exact OT on samples", abs(t),
              float(n.w_hat[i]), math.hypot(t, w2) - abs(t) + 1e-12,
              "any sample obeys |θ| ≤ Ŵ ≤ √(θ² + W₂(heights)²); tol = that band"),
        Check("W₁ at θ = 0 [x units]: exact 0 vs samples", 0.0, float(n.w_hat[i0]), w2 + 1e-12,
              "plug-in bias from two independent samples; ≤ W₂ of the heights"),
        Check(f"dW₁/dθ on ({a:g}, {b:g}): exact 1 vs sample slope", 1.0, slope,
              max(1.0 - lo, hi - 1.0) + 1e-12,
              "same heights for all θ; the bounds |θ| ≤ Ŵ ≤ √(θ² + W₂²) at both ends fix the band"),
        Check(f"JS at θ = {t:g} [nats]: divgan.js_divergence on the x-marginals vs theory",
              float(js_divergence([1.0, 0.0], [0.0, 1.0])), truth.js, 1e-15,
              "δ₀ vs δ_θ: the height law factors out; both log 2"),
        Check(f"KL(P‖Q) at θ = {t:g}: divgan.kl_divergence on the x-marginals vs theory",
              float(kl_divergence([1.0, 0.0], [0.0, 1.0])), truth.kl_pq, 0.0,
              "q = 0 where p > 0: +∞"),
    ]
    for s in n.knn:
        k = int(np.argmin(np.abs(s.thetas - t)))
        out.append(Check(
            f"KL(P‖Q) at θ = {s.thetas[k]:g}: exact vs kNN value (inf when flagged), n = {s.size}",
            math.inf, float(s.value[k]), 0.0,
            f"raw estimate {s.raw[k]:.3g} nats, finite; supports_look_disjoint = {s.flagged[k]}"))
    allow = 0.15 if quick else 0.05  # relative allowance for a finite fit, as in figure 7
    for s in n.net:
        if s.quantity != "wasserstein":
            continue  # a lower bound whose shortfall has no stated size: drawn, not checked
        k = int(np.argmin(np.abs(s.thetas - THETA_SHOW)))
        half = 0.5 * (s.ci_high[k] - s.ci_low[k])
        out.append(Check(
            f"W₁ at θ = {s.thetas[k]:g}: exact OT on the held-out samples vs GP critic [x units]",
            float(s.held_out_exact[k]), float(s.value[k]), 2 * half + allow * s.held_out_exact[k],
            f"tol = 2 CI half-widths + {allow:.0%} of W₁ for the finite fit"))
    return out


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Compute, draw the four panels, check; returns the PNG, SVG and JSON paths."""
    n = compute(quick=quick, device=device, seed=seed)
    fig, axes = pyplot().subplots(2, 2, figsize=(13, 10))
    for panel, ax in zip((panel_supports, panel_distances, panel_kl, panel_gradients),
                         axes.ravel()):
        panel(ax, n)
    fig.tight_layout()
    return finish(fig, out_dir, sys.modules[__name__], checks(n, quick=quick), n=len(n.p),
                  n_theta=int(n.thetas.size))
