r"""Figure 10 (L21, L22, L23): an adversarial autoencoder drives its codes to the prior.

The project's loop (``divgan.gan.training.train_aae``, its defaults: scikit-learn's 1 797
8×8 digits, a 2-D code, prior p(z) = N(0, I), three phases per minibatch) is run once and
looked at several times. (a, b) The codes E(x) of all the digits, coloured by digit, over
as many prior samples, early in training and at the end. (c) How far the aggregated
posterior q(z) (the codes) is from the prior: exact W₁ (network simplex, from the
training history), sliced W₁ of all the codes against as many prior samples
(``divgan.wasserstein.sliced_wasserstein``), each beside its noise floor (the same distance
between two independent prior samples of the same size), and, in the full run, the JS
estimate of a fresh discriminator (``divgan.gan.estimators.estimate_js``; a lower bound).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from divgan.figures._common import Check, finish, pyplot

NAME = "aae"
NUMBER = 10
TITLE = "Adversarial autoencoder: the digits' codes are driven onto the prior N(0, I)"
CLAIMS = "L21, L22, L23"
CAPTION = (
    "Codes of scikit-learn's 8×8 digits (coloured by digit) over samples of the prior "
    "p(z) = N(0, I), early and at the end of training.\n"
    "W(q(z), p(z)) over training: exact W₁ and sliced W₁ beside their two-prior-sample noise "
    "floors, and a discriminator's JS estimate."
)


N_DIRECTIONS = 256


@dataclass(frozen=True)
class AaeNumbers:
    """The numbers of figure 10 (distances in code units)."""

    steps: int
    n_eval: int
    labels: np.ndarray  # digit of each image
    prior: np.ndarray  # (n, 2) prior sample drawn once
    snap_steps: np.ndarray
    codes: tuple  # (n, 2) codes E(x) of all digits at each snapshot
    sw: np.ndarray  # divgan.sliced_wasserstein(codes, prior) at each snapshot
    js: np.ndarray  # (len(snaps), 3) discriminator JS value, ci_low, ci_high (full runs); or empty
    w_steps: np.ndarray
    w: np.ndarray  # exact W1(n_eval codes, n_eval prior) over training (history)
    sw_floor: float  # the same distances between two independent prior samples
    w_floor: float
    w_sub: float  # divgan.wasserstein_distance of 400 final codes and 400 prior points
    sub: np.ndarray  # which codes those are


def compute(*, quick: bool = False, device: str = "auto", seed: int = 0) -> AaeNumbers:
    """Train the AAE once and look at it at several steps (``quick``: 200 steps, 3
    snapshots, exact W₁ on 500 codes; full: the loop's default steps, 8 snapshots with a JS
    estimate each, exact W₁ on 1 000 codes). ``seed`` is the run's seed; ``device`` is
    where it trains."""
    import torch

    from divgan.figures.fig08_gan_vs_wgan import train_with_snapshots
    from divgan.gan import configure_threads
    from divgan.gan.data import load_digits_data
    from divgan.gan.estimators import estimate_js
    from divgan.gan.training import TrainConfig, train_aae
    from divgan.wasserstein import sliced_wasserstein, wasserstein_distance

    configure_threads(1)
    steps = 200 if quick else TrainConfig.for_model("aae").steps
    n_eval = 500 if quick else 1000
    cfg = TrainConfig.for_model("aae", steps=steps, seed=seed, device=device,
                                eval_every=max(1, steps // (5 if quick else 25)),
                                eval_samples=n_eval, log_every=max(1, steps // 100))
    marks = np.geomspace(max(5, steps // 40), steps, 3 if quick else 8)
    marks = np.unique(marks.round().astype(int))
    digits = load_digits_data()
    images, labels = digits.images, digits.labels.numpy()
    n = len(labels)
    rng = np.random.default_rng(seed)
    prior = rng.standard_normal((n, 2))
    snaps = []

    def snapshot(res):
        E = res.models["encoder"]
        with torch.no_grad():
            codes = E(images.to(next(E.parameters()).device)).double().cpu().numpy()
        sw = float(sliced_wasserstein(codes, prior, n_projections=N_DIRECTIONS, seed=seed))
        js = () if quick else estimate_js(prior, codes, steps=300, device=device, seed=seed)
        snaps.append((res.steps_done, codes, sw, js))

    res = train_with_snapshots(train_aae, cfg, marks.tolist(), snapshot)
    prior2 = rng.standard_normal((n, 2))
    s_w, w = res.column("w1_codes_prior")
    sub = np.random.default_rng(seed + 5).choice(n, 400, replace=False)
    return AaeNumbers(
        steps=steps, n_eval=n_eval, labels=labels, prior=prior,
        snap_steps=np.array([t for t, _, _, _ in snaps]), codes=tuple(c for _, c, _, _ in snaps),
        sw=np.array([v for _, _, v, _ in snaps]),
        js=np.array([(e.value, e.ci_low, e.ci_high) for *_, e in snaps if e != ()]),
        w_steps=s_w, w=w,
        sw_floor=float(sliced_wasserstein(prior, prior2, n_projections=N_DIRECTIONS, seed=seed)),
        w_floor=float(wasserstein_distance(rng.standard_normal((n_eval, 2)),
                                           rng.standard_normal((n_eval, 2)))),
        w_sub=float(wasserstein_distance(snaps[-1][1][sub], prior[:400])), sub=sub)


def panel_codes(ax, n: AaeNumbers, k: int) -> None:
    """(a, b) the codes of all digits at snapshot ``k`` over the prior sample."""
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    ax.scatter(n.prior[:, 0], n.prior[:, 1], s=4, color="0.8", label="prior samples z ~ N(0, I)")
    codes = n.codes[k]
    for d in range(10):
        sel = n.labels == d
        ax.scatter(codes[sel, 0], codes[sel, 1], s=5, color=cmap(d), label=f"digit {d}")
    lim = max(3.5, float(np.quantile(np.abs(codes), 0.995)) * 1.05)
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="code z₁", ylabel="code z₂")
    ax.set_aspect("equal")
    ax.set_title(f"codes E(x) of the {len(n.labels)} digits at step {n.snap_steps[k]}; "
                 f"sliced W₁ {n.sw[k]:.3f}", fontsize=10)


def panel_distances(ax, n: AaeNumbers) -> None:
    """(c) exact and sliced W1 of codes vs prior over training, their floors, and JS."""
    ax.semilogy(n.w_steps, n.w, "o-", color="k", ms=3,
                label=f"exact W₁(codes, prior), {n.n_eval} + {n.n_eval} points")
    ax.axhline(n.w_floor, color="k", ls=":", lw=1,
               label=f"its floor: two prior samples of {n.n_eval}: {n.w_floor:.3f}")
    m = len(n.labels)
    ax.semilogy(n.snap_steps, n.sw, "s-", color="tab:blue", ms=5,
                label=f"sliced W₁(codes, prior), {m} + {m} points, {N_DIRECTIONS} directions")
    ax.axhline(n.sw_floor, color="tab:blue", ls=":", lw=1, label=f"its floor: {n.sw_floor:.3f}")
    h, lab = ax.get_legend_handles_labels()
    if len(n.js):
        js, lo, hi = n.js.T
        ax_j = ax.twinx()
        ax_j.errorbar(n.snap_steps, js, yerr=[js - lo, hi - js], fmt="^--", color="tab:red", ms=5,
                      capsize=2, label="discriminator JS(p ‖ q) estimate [nats] (lower bound, "
                      "95% CI; right axis)")
        ax_j.axhline(0.0, color="tab:red", lw=0.6, label="JS = 0: q(z) = p(z) (right axis)")
        ax_j.set_ylabel("JS estimate [nats]", color="tab:red")
        ax_j.set_ylim(-0.02, 2.2 * max(float(hi.max()), 0.05))
        h2, lab2 = ax_j.get_legend_handles_labels()
        h, lab = h + h2, lab + lab2
    ax.set_xscale("symlog", linthresh=10)
    ax.set(xlabel="training step (linear to 10, then log)", ylabel="distance [code units]",
           title="L23: the aggregated posterior q(z) approaches p(z)", xlim=(0, 1.15 * n.steps))
    ax.legend(h, lab, loc="upper right", fontsize=7.5)
    top = max(float(n.w.max()), float(n.sw.max()))  # the legend sits in the decade above
    ax.set_ylim(0.5 * min(n.sw_floor, float(n.w.min())), 8 * top)
    ax.grid(alpha=0.3, which="both")


def checks(n: AaeNumbers, *, seed: int = 0) -> list[Check]:
    """divgan's exact and sliced W1 of the final codes against scipy computed here."""
    from scipy import stats
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial.distance import cdist

    final = n.codes[-1]
    a, b = final[n.sub], n.prior[:400]
    cost = cdist(a, b)
    rows, cols = linear_sum_assignment(cost)  # uniform weights, equal sizes: OT is an assignment
    # Sliced W1 with this check's own directions: scipy's 1-D W1 per direction, averaged.
    rng = np.random.default_rng(seed + 11)
    theta = rng.standard_normal((N_DIRECTIONS, 2))
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    per = np.array([stats.wasserstein_distance(final @ t, n.prior @ t) for t in theta])
    se = per.std(ddof=1) / np.sqrt(N_DIRECTIONS)
    return [
        Check(f"exact W₁(400 codes, 400 prior samples) at step {n.snap_steps[-1]}: scipy "
              "linear_sum_assignment vs divgan", float(cost[rows, cols].mean()), n.w_sub, 1e-9,
              "equal uniform weights: the optimal plan is a permutation (Birkhoff), so the "
              "assignment optimum is W₁; two exact solvers, rounding only"),
        Check(f"sliced W₁(codes, prior) at step {n.snap_steps[-1]}: scipy per-direction W₁ over "
              f"{N_DIRECTIONS} own directions vs divgan", float(per.mean()), float(n.sw[-1]),
              5 * np.sqrt(2) * se,
              f"two independent {N_DIRECTIONS}-direction Monte Carlo means: tol = 5 standard "
              f"errors of their difference (se of one {se:.2g})"),
    ]


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Compute, draw the three panels, check; returns the PNG, SVG and JSON paths."""
    n = compute(quick=quick, device=device, seed=seed)
    fig, (ax_a, ax_b, ax_c) = pyplot().subplots(1, 3, figsize=(18, 6.6))
    panel_codes(ax_a, n, 0)
    panel_codes(ax_b, n, len(n.codes) - 1)
    handles, labs = ax_b.get_legend_handles_labels()
    fig.legend(handles, labs, loc="lower center", ncol=11, fontsize=8, markerscale=2.5,
               bbox_to_anchor=(0.36, 0.0))
    panel_distances(ax_c, n)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return finish(fig, out_dir, sys.modules[__name__], checks(n, seed=seed), steps=n.steps)
