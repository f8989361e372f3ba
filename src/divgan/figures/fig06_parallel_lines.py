r"""Figure 6 (L13, L14): two parallel segments; only the Wasserstein distance is smooth in θ.

P lives on the line x = 0 and Q on x = θ, both with heights y ~ U(0, 1). For θ ≠ 0
the supports are disjoint: KL = +inf both ways and JS = log 2 whatever θ is, while
W1 = |θ|. Panels: (a) the two supports for one θ with the exact optimal coupling of
the samples; (b) W1 and JS over θ, exact, with exact OT on samples; (c) KL: +inf
exactly, and what a kNN estimator makes of it (its raw number and its disjoint-support
flag); (d) the θ-derivatives, with the finite-difference slope of the sample W1.
"""

from __future__ import annotations

import math
import sys
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


# ----------------------------------------------------------------------------------------
# HOOK (torch side): network estimates on the same samples.
# ----------------------------------------------------------------------------------------
def _network_estimates(
    p_samples, q_samples, thetas, *, quick: bool, device: str, seed: int
) -> list[dict]:
    """Discriminator-JS and critic-W1 estimates over θ: to be filled in by the torch side.

    ``p_samples`` is the ``(n, 2)`` sample of P; ``q_samples`` the ``(n, 2)`` sample of Q at
    θ = 0 (shift its first column by θ). Return a list of series, each a dict::

        {"quantity": "js" or "wasserstein", "label": str,
         "theta": 1-D array, "value": 1-D array,
         "ci_low": 1-D array or None, "ci_high": 1-D array or None}

    Each series is drawn as markers with error bars on panel (b), and its value nearest
    θ = 0.5 is added to the checked numbers (exact: log 2 or 0.5).

    Filled with ``divgan.gan.estimators.estimate_js`` (a fresh discriminator per θ: the
    held-out GAN value as JS, a lower bound) and ``estimate_wasserstein(method="gp")``
    (one-sided penalty, de-biased), each trained on half the samples and read on the
    other half, on every other θ (and θ = 0, 0.5). Quick: 100 / 200 steps; full: 500 / 800.
    """
    from divgan.gan import configure_threads
    from divgan.gan.estimators import estimate_js, estimate_wasserstein

    configure_threads(1)
    thetas = np.asarray(thetas)
    keep = set(range(0, len(thetas), 2)) | {
        int(np.argmin(np.abs(thetas))),
        int(np.argmin(np.abs(thetas - 0.5))),
    }
    ts = thetas[sorted(keep)]
    steps_js, steps_w = (100, 200) if quick else (500, 800)
    js, w = [], []
    for i, t in enumerate(ts):
        q = q_samples + np.array([float(t), 0.0])
        js.append(estimate_js(p_samples, q, steps=steps_js, device=device, seed=seed + i))
        w.append(
            estimate_wasserstein(
                p_samples, q, method="gp", steps=steps_w, device=device, seed=seed + i
            )
        )

    def series(quantity, label, ests):
        return {
            "quantity": quantity,
            "label": label,
            "theta": ts,
            "value": np.array([e.value for e in ests]),
            "ci_low": np.array([e.ci_low for e in ests]),
            "ci_high": np.array([e.ci_high for e in ests]),
        }

    half = len(p_samples) // 2
    return [
        series("js", f"JS, trained discriminator ({steps_js} steps, {half} + {half} held out)", js),
        series("wasserstein", f"W₁, WGAN-GP critic, de-biased ({steps_w} steps)", w),
    ]


def _raw(result) -> float:
    """The kNN estimator's raw number (``estimate``; ``value`` becomes inf when flagged)."""
    return float(getattr(result, "estimate", getattr(result, "value", result)))


def _flagged(result) -> bool:
    return bool(getattr(result, "supports_look_disjoint", False))


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Draw the figure into ``out_dir``; returns the PNG, SVG and JSON paths.

    ``quick``: 9 values of θ and n = 200 samples (kNN also at 800); full: 21 values
    and n = 1000 (kNN also at 4000). ``seed`` draws the samples; ``device`` is passed to
    the (future) network estimates.
    """
    from divgan.divergences import js_divergence, kl_divergence
    from divgan.estimators import kl_divergence_knn
    from divgan.theory import parallel_lines, parallel_lines_gradients, sample_parallel_lines
    from divgan.wasserstein import transport_plan, wasserstein_1d, wasserstein_distance

    plt = pyplot()
    n = 200 if quick else 1000
    thetas = np.linspace(-1.0, 1.0, 9 if quick else 21)
    rng = np.random.default_rng(seed)
    # One sample of heights for every θ (common random numbers): Q at θ is Q at 0 shifted.
    p_s, q0 = sample_parallel_lines(0.0, n, rng=rng)
    shift = lambda t: q0 + np.array([t, 0.0])
    w2_heights = float(wasserstein_1d(p_s[:, 1], q0[:, 1], p=2))

    exact = [parallel_lines(float(t)) for t in thetas]
    w_hat = np.array([float(wasserstein_distance(p_s, shift(t))) for t in thetas])
    # kNN KL at two sample sizes (the larger one has its own samples).
    n_big = 4 * n
    p_big, q_big0 = sample_parallel_lines(0.0, n_big, rng=rng)
    knn_thetas = thetas[thetas != 0]
    knn = {
        n: [kl_divergence_knn(p_s, shift(t)) for t in knn_thetas],
        n_big: [kl_divergence_knn(p_big, q_big0 + np.array([t, 0.0])) for t in knn_thetas],
    }
    net = _network_estimates(p_s, q0, thetas, quick=quick, device=device, seed=seed)

    fig, axes = plt.subplots(2, 2, figsize=(13, 9.5))
    (ax_a, ax_b), (ax_c, ax_d) = axes

    # (a) the supports at θ = THETA_SHOW, with the exact coupling of a few samples.
    m = 30
    p_few, q_few = p_s[:m], shift(THETA_SHOW)[:m]
    plan = transport_plan(p_few, q_few)
    for i, j in zip(*np.nonzero(plan.plan > 1e-12)):
        ax_a.plot([p_few[i, 0], q_few[j, 0]], [p_few[i, 1], q_few[j, 1]], "-", color="0.6", lw=0.8)
    ax_a.scatter(p_s[:, 0], p_s[:, 1], s=6, color="tab:blue", label=f"P: x = 0 ({n} samples)")
    ax_a.scatter(
        shift(THETA_SHOW)[:, 0],
        shift(THETA_SHOW)[:, 1],
        s=6,
        color="tab:orange",
        label=f"Q: x = θ = {THETA_SHOW:g}",
    )
    ax_a.set_xlim(-0.4, 1.0)
    ax_a.set_xlabel("x")
    ax_a.set_ylabel("y ~ U(0, 1)")
    ax_a.set_title(
        f"disjoint supports; optimal coupling of the first {m} points of each "
        f"(their W₁ = {plan.value:.4f}; |θ| = {THETA_SHOW:g})",
        fontsize=10,
    )
    ax_a.legend(loc="upper right", fontsize=8)

    # (b) W1 and JS over θ.
    t_fine = np.linspace(-1, 1, 401)
    ax_b.plot(t_fine, np.abs(t_fine), "-", color="tab:green", label="W₁ = |θ| (exact)")
    ax_b.plot(
        thetas,
        w_hat,
        "o",
        color="tab:green",
        mfc="none",
        label=f"W₁, exact OT on {n} + {n} samples",
    )
    js_exact = np.array([e.js for e in exact])
    nz = thetas != 0
    ax_b.hlines(LOG2, -1, 1, color="tab:red", label="JS = log 2 for θ ≠ 0 (exact)")
    ax_b.plot([0], [LOG2], "o", color="tab:red", mfc="white", zorder=3)
    ax_b.plot(
        [0],
        [js_exact[~nz][0] if (~nz).any() else 0.0],
        "o",
        color="tab:red",
        zorder=3,
        label="JS = W₁ = 0 at θ = 0",
    )
    for s in net:
        err = None
        if s.get("ci_low") is not None and s.get("ci_high") is not None:
            err = [
                np.asarray(s["value"]) - np.asarray(s["ci_low"]),
                np.asarray(s["ci_high"]) - np.asarray(s["value"]),
            ]
        ax_b.errorbar(s["theta"], s["value"], yerr=err, fmt="s", ms=4, capsize=2, label=s["label"])
    ax_b.set_xlabel("θ (offset of Q) [x units]")
    ax_b.set_ylabel("W₁ [x units] · JS [nats]")
    ax_b.set_ylim(-0.05, 1.15)
    ax_b.set_title("only W₁ tells how far apart P and Q are")
    ax_b.legend(loc="upper center", fontsize=8)
    k_b = int(np.argmin(np.abs(thetas - THETA_SHOW)))
    ax_a.text(
        0.98,
        0.03,
        f"θ = {thetas[k_b]:g}: W₁ exact {exact[k_b].wasserstein:g}, samples {w_hat[k_b]:.4f}\n"
        f"θ = 0: W₁ exact 0, samples {w_hat[np.argmin(np.abs(thetas))]:.4f}\n"
        f"JS exact {LOG2:.4f} nats for θ ≠ 0",
        transform=ax_a.transAxes,
        ha="right",
        va="bottom",
        fontsize=8,
        bbox={"boxstyle": "round", "fc": "white", "ec": "0.7"},
    )
    ax_b.grid(alpha=0.3)

    # (c) KL: +inf exactly; the kNN estimator's finite numbers.
    ax_c.set_ylim(0, 1.3 * max(max(_raw(r) for r in v) for v in knn.values()))
    top = ax_c.get_ylim()[1]
    for t in thetas[nz]:
        ax_c.annotate(
            "",
            xy=(t, top),
            xytext=(t, 0.86 * top),
            arrowprops={"arrowstyle": "-|>", "color": "tab:red", "lw": 1},
        )
    ax_c.text(
        0.0,
        0.93 * top,
        "exact KL(P‖Q) = KL(Q‖P) = +∞ for every θ ≠ 0",
        color="tab:red",
        ha="center",
        va="center",
        fontsize=9,
        bbox={"fc": "white", "ec": "none", "alpha": 0.9},
    )
    ax_c.plot([0], [0], "o", color="tab:red", label="exact KL = 0 at θ = 0")
    for (size, res), mk in zip(knn.items(), ("o", "^")):
        raw = np.array([_raw(r) for r in res])
        flag = np.array([_flagged(r) for r in res])
        ax_c.plot(
            knn_thetas,
            raw,
            mk + "--",
            color="tab:purple",
            mfc="none",
            lw=0.8,
            label=f"raw kNN estimate (k = 1), n = {size}: "
            f"{raw[np.argmin(np.abs(knn_thetas - THETA_SHOW))]:.2f} nats at θ = {THETA_SHOW:g}",
        )
        ax_c.plot(
            knn_thetas[flag],
            raw[flag],
            mk,
            color="tab:purple",
            label=f"n = {size}: flagged 'supports look disjoint' ({flag.sum()}/{flag.size})",
        )
    ax_c.set_xlim(-1.05, 1.05)
    ax_c.set_xlabel("θ [x units]")
    ax_c.set_ylabel("KL(P‖Q) [nats]")
    ax_c.set_title("KL: +∞ exactly; a kNN estimate stays finite and grows with n", fontsize=10)
    ax_c.legend(loc="lower center", fontsize=8)
    ax_c.grid(alpha=0.3)

    # (d) derivatives in θ.
    g_pos, g_neg = parallel_lines_gradients(1.0), parallel_lines_gradients(-1.0)
    ax_d.hlines(
        [g_neg.wasserstein, g_pos.wasserstein],
        [-1, 0],
        [0, 1],
        color="tab:green",
        lw=2,
        label="dW₁/dθ = sign θ (exact)",
    )
    ax_d.hlines(
        [g_neg.js, g_pos.js],
        [-1, 0],
        [0, 1],
        color="tab:red",
        lw=2,
        label="dJS/dθ = dKL/dθ = 0 for θ ≠ 0 (exact)",
    )
    ax_d.plot([0, 0, 0], [-1, 0, 1], "o", color="0.3", mfc="white", zorder=3)
    ax_d.annotate(
        "θ = 0: JS and KL jump,\nW₁ has a kink: no derivative",
        xy=(0, 0),
        xytext=(0.12, -0.55),
        fontsize=8,
        arrowprops={"arrowstyle": "->", "color": "0.3"},
    )
    mids = 0.5 * (thetas[1:] + thetas[:-1])
    slopes = np.diff(w_hat) / np.diff(thetas)
    ax_d.plot(
        mids,
        slopes,
        "o",
        color="tab:green",
        mfc="none",
        label="slope of the sample W₁ between neighbouring θ",
    )
    ax_d.set_ylim(-1.4, 1.4)
    ax_d.set_xlabel("θ [x units]")
    ax_d.set_ylabel("derivative in θ")
    ax_d.set_title("gradient signal: only W₁ points back to θ = 0")
    ax_d.legend(loc="upper left", fontsize=8)
    ax_d.grid(alpha=0.3)
    fig.tight_layout()

    # Checked numbers.
    i_show = int(np.argmin(np.abs(thetas - THETA_SHOW)))
    t_show = float(thetas[i_show])
    i_zero = int(np.argmin(np.abs(thetas)))
    upper = math.sqrt(t_show**2 + w2_heights**2)
    j = int(np.argmin(np.abs(mids - 0.55)))
    k_show = int(np.argmin(np.abs(knn_thetas - t_show)))
    # JS and KL through the x-marginals: P_x = δ₀, Q_x = δ_θ on the atoms {0, θ}; the common
    # height law factors out of both divergences.
    js_marg = float(js_divergence([1.0, 0.0], [0.0, 1.0]))
    kl_marg = float(kl_divergence([1.0, 0.0], [0.0, 1.0]))
    # Slope of the sample W1 on (a, b): from |θ| <= W_hat(θ) <= sqrt(θ² + W2²) at both ends,
    # (b - sqrt(a² + W2²)) / (b - a) <= slope <= (sqrt(b² + W2²) - a) / (b - a).
    a_j, b_j = float(thetas[j]), float(thetas[j + 1])
    slope_lo = (b_j - math.sqrt(a_j**2 + w2_heights**2)) / (b_j - a_j)
    slope_hi = (math.sqrt(b_j**2 + w2_heights**2) - a_j) / (b_j - a_j)
    slope_tol = max(1.0 - slope_lo, slope_hi - 1.0) + 1e-12
    checks = [
        Check(
            f"W₁ at θ = {t_show:g} [x units]: |θ| vs exact OT on samples",
            exact[i_show].wasserstein,
            float(w_hat[i_show]),
            upper - abs(t_show) + 1e-12,
            "any sample obeys |θ| ≤ Ŵ ≤ √(θ² + W₂(heights)²); tol = that band",
        ),
        Check(
            "W₁ at θ = 0 [x units]: exact vs samples",
            0.0,
            float(w_hat[i_zero]),
            w2_heights + 1e-12,
            "plug-in bias from two independent samples; ≤ W₂ of the heights",
        ),
        Check(
            f"dW₁/dθ on ({thetas[j]:g}, {thetas[j + 1]:g}): exact vs sample slope",
            1.0,
            float(slopes[j]),
            slope_tol,
            "same heights for all θ; the bounds |θ| ≤ Ŵ ≤ √(θ² + W₂²) at both ends fix the band",
        ),
        Check(
            f"JS at θ = {t_show:g} [nats]: theory vs divgan.js_divergence on the x-marginals",
            exact[i_show].js,
            js_marg,
            1e-15,
            "δ₀ vs δ_θ: the height law factors out",
        ),
        Check(
            f"KL(P‖Q) at θ = {t_show:g}: theory vs divgan.kl_divergence on the x-marginals",
            exact[i_show].kl_pq,
            kl_marg,
            0.0,
            "q = 0 where p > 0: +∞",
        ),
    ]
    for size, res in knn.items():
        r = res[k_show]
        checks.append(
            Check(
                f"KL(P‖Q) at θ = {float(knn_thetas[k_show]):g}: exact vs kNN value "
                f"(inf when flagged), n = {size}",
                math.inf,
                float(r.value),
                0.0,
                f"raw estimate {_raw(r):.3g} nats, finite and growing with n; "
                f"supports_look_disjoint = {_flagged(r)}",
            )
        )
    for s in net:
        theta_s = np.asarray(s["theta"])
        i = int(np.argmin(np.abs(theta_s - THETA_SHOW)))
        truth = parallel_lines(float(theta_s[i]))
        ref = truth.js if s["quantity"] == "js" else truth.wasserstein
        checks.append(
            Check(
                f"{s['label']} at θ = {float(theta_s[i]):g}",
                ref,
                float(np.asarray(s["value"])[i]),
                None,
                "network estimate",
            )
        )
    return finish(fig, out_dir, sys.modules[__name__], checks, n=n, n_theta=int(thetas.size))
