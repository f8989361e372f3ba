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


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Draw the figure into ``out_dir``; returns the PNG, SVG and JSON paths.

    ``quick``: 200 steps, 3 snapshots, exact W₁ on 500 codes; full: the loop's default steps
    (``TrainConfig.for_model("aae")``), 8 snapshots with a JS estimate each, exact W₁ on
    1 000 codes. ``seed`` is the run's seed; ``device`` is where it trains.
    """
    import torch

    from divgan.figures.fig08_gan_vs_wgan import train_with_snapshots
    from divgan.gan import configure_threads
    from divgan.gan.data import load_digits_data
    from divgan.gan.estimators import estimate_js
    from divgan.gan.training import TrainConfig, train_aae
    from divgan.wasserstein import sliced_wasserstein, wasserstein_distance

    configure_threads(1)
    plt = pyplot()
    base = TrainConfig.for_model("aae")
    steps = 200 if quick else base.steps
    n_eval = 500 if quick else 1000
    cfg = TrainConfig.for_model(
        "aae",
        steps=steps,
        seed=seed,
        device=device,
        eval_every=max(1, steps // (5 if quick else 25)),
        eval_samples=n_eval,
        log_every=max(1, steps // 100),
    )
    marks = np.unique(
        np.geomspace(max(5, steps // 40), steps, 3 if quick else 8).round().astype(int)
    )
    digits = load_digits_data()
    images, labels = digits.images, digits.labels.numpy()
    n = len(labels)
    rng = np.random.default_rng(seed)
    prior = rng.standard_normal((n, 2))
    snaps = []

    def snapshot(res):
        E = res.models["encoder"]
        dev = next(E.parameters()).device
        with torch.no_grad():
            codes = E(images.to(dev)).double().cpu().numpy()
        row = {
            "step": res.steps_done,
            "codes": codes,
            "sw": float(sliced_wasserstein(codes, prior, n_projections=256, seed=seed)),
        }
        if not quick:
            row["js"] = estimate_js(prior, codes, steps=300, device=device, seed=seed)
        snaps.append(row)

    res = train_with_snapshots(train_aae, cfg, marks.tolist(), snapshot)

    # Noise floors: the same distances between two independent prior samples.
    prior2 = rng.standard_normal((n, 2))
    sw_floor = float(sliced_wasserstein(prior, prior2, n_projections=256, seed=seed))
    w_floor = float(
        wasserstein_distance(rng.standard_normal((n_eval, 2)), rng.standard_normal((n_eval, 2)))
    )

    fig, (ax_a, ax_b, ax_c) = plt.subplots(1, 3, figsize=(18, 5.8))
    cmap = plt.get_cmap("tab10")
    early = snaps[0]
    for ax, sn in ((ax_a, early), (ax_b, snaps[-1])):
        ax.scatter(prior[:, 0], prior[:, 1], s=4, color="0.8", label="prior samples z ~ N(0, I)")
        codes = sn["codes"]
        for d in range(10):
            sel = labels == d
            ax.scatter(codes[sel, 0], codes[sel, 1], s=5, color=cmap(d), label=f"digit {d}")
        lim = max(3.5, float(np.quantile(np.abs(codes), 0.995)) * 1.05)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_xlabel("code z₁")
        ax.set_ylabel("code z₂")
        ax.set_title(
            f"codes E(x) of the {n} digits at step {sn['step']}; sliced W₁ {sn['sw']:.3f}",
            fontsize=10,
        )
    handles, labs = ax_b.get_legend_handles_labels()
    fig.legend(
        handles,
        labs,
        loc="lower center",
        ncol=11,
        fontsize=8,
        markerscale=2.5,
        bbox_to_anchor=(0.36, 0.0),
    )

    s_w, w = res.column("w1_codes_prior")
    ax_c.semilogy(
        s_w, w, "o-", color="k", ms=3, label=f"exact W₁(codes, prior), {n_eval} + {n_eval} points"
    )
    ax_c.axhline(
        w_floor,
        color="k",
        ls=":",
        lw=1,
        label=f"its floor: two prior samples of {n_eval}: {w_floor:.3f}",
    )
    ss = [sn["step"] for sn in snaps]
    ax_c.semilogy(
        ss,
        [sn["sw"] for sn in snaps],
        "s-",
        color="tab:blue",
        ms=5,
        label=f"sliced W₁(codes, prior), {n} + {n} points, 256 directions",
    )
    ax_c.axhline(sw_floor, color="tab:blue", ls=":", lw=1, label=f"its floor: {sw_floor:.3f}")
    handles_js = []
    if not quick:
        js = np.array([sn["js"].value for sn in snaps])
        lo = np.array([sn["js"].ci_low for sn in snaps])
        hi = np.array([sn["js"].ci_high for sn in snaps])
        ax_j = ax_c.twinx()
        ax_j.errorbar(
            ss,
            js,
            yerr=[js - lo, hi - js],
            fmt="^--",
            color="tab:red",
            ms=5,
            capsize=2,
            label="discriminator JS(p ‖ q) estimate [nats] (lower bound, 95% CI; right axis)",
        )
        ax_j.axhline(0.0, color="tab:red", lw=0.6)
        ax_j.set_ylabel("JS estimate [nats]", color="tab:red")
        ax_j.set_ylim(-0.02, 2.2 * max(float(hi.max()), 0.05))
        handles_js = ax_j.get_legend_handles_labels()
    ax_c.set_xscale("symlog", linthresh=10)
    ax_c.set_xlabel("training step (linear to 10, then log)")
    ax_c.set_ylabel("distance [code units]")
    ax_c.set_title("L23: the aggregated posterior q(z) approaches p(z)")
    h, lab = ax_c.get_legend_handles_labels()
    if handles_js:
        h, lab = h + handles_js[0], lab + handles_js[1]
    ax_c.legend(h, lab, loc="upper right", fontsize=7.5)
    ax_c.set_xlim(0, 1.15 * steps)
    top = max(float(w.max()), max(sn["sw"] for sn in snaps))
    ax_c.set_ylim(0.5 * min(sw_floor, float(w.min())), 6 * top)
    ax_c.grid(alpha=0.3, which="both")
    fig.tight_layout(rect=(0, 0.06, 1, 1))

    # Checked numbers.
    import ot
    from scipy.spatial.distance import cdist

    fin = snaps[-1]["codes"]
    sub = np.random.default_rng(seed + 5).choice(n, 400, replace=False)
    a, b = fin[sub], prior[:400]
    ours = float(wasserstein_distance(a, b))
    ref = float(
        ot.emd2(np.full(400, 1 / 400), np.full(400, 1 / 400), cdist(a, b), numItermax=10**7)
    )
    checks = [
        Check(
            f"exact W₁(400 codes, 400 prior samples) at step {snaps[-1]['step']}: POT emd2 vs divgan",
            ref,
            ours,
            1e-9,
            "the same linear program solved by POT directly here (Euclidean costs from scipy)",
        ),
        Check(
            f"sliced W₁(codes, prior) at step {snaps[-1]['step']} vs its two-prior-sample floor",
            sw_floor,
            snaps[-1]["sw"],
            None,
            f"from {snaps[0]['sw']:.3f} at step {snaps[0]['step']}; shown only",
        ),
        Check(
            f"exact W₁(codes, prior) at step {int(s_w[-1])} vs its floor ({n_eval} points)",
            w_floor,
            float(w[-1]),
            None,
            f"from {float(w[0]):.3f} at step 0; shown only",
        ),
    ]
    if not quick:
        e = snaps[-1]["js"]
        checks.append(
            Check(
                f"JS(p(z) ‖ q(z)) discriminator estimate at step {snaps[-1]['step']} [nats]",
                0.0,
                e.value,
                None,
                f"95% CI [{e.ci_low:.4f}, {e.ci_high:.4f}]; a lower bound, 0 if q = p; shown only",
            )
        )
    return finish(fig, out_dir, sys.modules[__name__], checks, steps=steps)
