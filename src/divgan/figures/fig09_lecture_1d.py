r"""Figure 9 (L19, L20): the lecture's 1-D GAN: G maps z ~ U(0, 1) to samples of N(−1, 1).

Trained with the project's loop (``divgan.gan.training.train_gan``, its defaults: the
lecture's data N(−1, σ²) with σ = 1, z ~ U(0, 1), D learning on a real then a fake batch,
G through D's gradient). Top row, at several steps of one run: the data density, G's
density (histogram of 20 000 draws of G(z)), and D(x) with the optimal
D* = p_r/(p_r + p_g) for that G (p_g by a KDE of G's draws) on the right axis. Bottom
left: G's map z → x at the same steps, beside the exact optimal (monotone) map, the
normal quantile function F⁻¹(z) = −1 + σΦ⁻¹(z) (or F⁻¹(1 − z) if G learnt a decreasing
map, which is as good). Bottom right: the exact W₁ between G's samples and the data over
training, and, for a monotone G, W₁ = ∫₀¹ |G(z) − F⁻¹(z)| dz by quadrature.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from divgan.figures._common import Check, finish, pyplot

NAME = "lecture_1d"
NUMBER = 9
TITLE = "The lecture's 1-D GAN: G learns to map z ~ U(0, 1) onto N(−1, 1)"
CLAIMS = "L19, L20"
CAPTION = (
    "Data density N(−1, 1), G's density (histogram of G(z), z ~ U(0, 1)) and D(x) beside "
    "D* = p_r/(p_r + p_g) at several steps of one run.\n"
    "G's map z → x against the exact optimal map F⁻¹(z) = −1 + Φ⁻¹(z); exact W₁ of G's "
    "samples over training."
)

N_DRAW = 20000


def _quantile_map(z: np.ndarray, mean: float, std: float, decreasing: bool) -> np.ndarray:
    from scipy import stats

    return stats.norm(mean, std).ppf(1.0 - z if decreasing else z)


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Draw the figure into ``out_dir``; returns the PNG, SVG and JSON paths.

    ``quick``: 200 steps, snapshots at 0, 20, 60, 200; full: the loop's default steps
    (``TrainConfig.for_model("gan")``), snapshots at 0, 5%, 20% and 100% of them.
    ``seed`` is the run's seed; ``device`` is where it trains.
    """
    import torch
    from scipy import stats

    from divgan.figures.fig08_gan_vs_wgan import train_with_snapshots
    from divgan.gan import configure_threads
    from divgan.gan.data import sample_latent
    from divgan.gan.training import TrainConfig, train_gan
    from divgan.theory import optimal_discriminator
    from divgan.wasserstein import wasserstein_1d

    configure_threads(1)
    plt = pyplot()
    base = TrainConfig.for_model("gan")
    mean, std = float(base.data_params.get("mean", -1.0)), float(base.data_params.get("std", 1.0))
    steps = 200 if quick else base.steps
    marks = (
        [max(1, round(f * steps)) for f in (0.1, 0.3, 1.0)]
        if quick
        else [max(1, round(f * steps)) for f in (0.05, 0.2, 1.0)]
    )
    cfg = TrainConfig.for_model(
        "gan",
        steps=steps,
        seed=seed,
        device=device,
        eval_every=max(1, steps // 30),
        eval_samples=2000,
        log_every=max(1, steps // 100),
    )
    pr = stats.norm(mean, std)
    x = np.linspace(mean - 4.5 * std, mean + 4.5 * std, 601)
    zg = (np.arange(2000) + 0.5) / 2000  # midpoints of [0, 1]
    snaps = []

    def evaluate(step, G, D):
        dev = next(G.parameters()).device
        z = sample_latent(N_DRAW, cfg.latent_dim, seed + 7 + step, kind=cfg.latent).to(dev)
        with torch.no_grad():
            draws = G(z).double().cpu().numpy()[:, 0]
            gmap = G(torch.as_tensor(zg[:, None], dtype=torch.float32, device=dev))
            gmap = gmap.double().cpu().numpy()[:, 0]
            d = torch.sigmoid(D(torch.as_tensor(x[:, None], dtype=torch.float32, device=dev)))
            d = d.double().cpu().numpy()
        snaps.append({"step": step, "draws": draws, "map": gmap, "d": d})

    # Step 0: a 1-step run would already have moved; build the untrained pair as Run does.
    from divgan.gan.models import Discriminator, Generator

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        G0, D0 = Generator(cfg.latent_dim, 1, cfg.hidden), Discriminator(1, cfg.hidden)
    evaluate(0, G0, D0)
    res = train_with_snapshots(
        train_gan,
        cfg,
        marks,
        lambda r: evaluate(r.steps_done, r.models["generator"], r.models["discriminator"]),
    )

    fig, axd = plt.subplot_mosaic(
        [["s0", "s1", "s2", "s3"], ["map", "map", "w", "w"]], figsize=(18, 9.5)
    )
    for k, sn in enumerate(snaps):
        ax = axd[f"s{k}"]
        draws = sn["draws"]
        spread = float(draws.std())
        ax.hist(
            draws,
            bins=np.linspace(x[0], x[-1], 61),
            density=True,
            color="tab:orange",
            alpha=0.5,
            label="G's density (histogram of G(z))",
        )
        ax.plot(x, pr.pdf(x), "k-", lw=1.5, label=f"data N({mean:g}, {std:g}²)")
        ax.set_ylim(0, max(0.8, 1.15 * pr.pdf(mean)))
        ax.set_xlabel("x")
        ax.set_ylabel("density [1/x units]")
        ax.set_title(
            f"step {sn['step']}: G's draws mean {draws.mean():.2f}, sd {spread:.2f}", fontsize=10
        )
        ax2 = ax.twinx()
        ax2.plot(x, sn["d"], "-", color="tab:red", lw=1.6, label="D(x) (right axis)")
        if spread > 1e-3:
            kde = stats.gaussian_kde(draws[:4000])
            ax2.plot(
                x,
                optimal_discriminator(pr.pdf(x), kde(x)),
                "--",
                color="tab:purple",
                lw=1,
                label="D* = p_r/(p_r + p_g), p_g by KDE",
            )
        ax2.axhline(0.5, color="tab:red", lw=0.6, ls=":")
        ax2.set_ylim(0, 1.05)
        if k == len(snaps) - 1:
            ax2.set_ylabel("D(x) = P(real)")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        if k == 0:
            ax.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=7)

    # G's map and the exact optimal map.
    last = snaps[-1]["map"]
    decreasing = bool(np.corrcoef(zg, last)[0, 1] < 0)
    exact_map = _quantile_map(zg, mean, std, decreasing)
    ax_m = axd["map"]
    colours = plt.cm.viridis(np.linspace(0.0, 0.85, len(snaps)))
    for sn, c in zip(snaps, colours):
        ax_m.plot(zg, sn["map"], "-", color=c, lw=1.5, label=f"G(z) at step {sn['step']}")
    ax_m.plot(
        zg,
        exact_map,
        "k--",
        lw=2,
        label=(
            "exact optimal map F⁻¹(1 − z) (G learnt a decreasing map)"
            if decreasing
            else "exact optimal map F⁻¹(z) = −1 + σΦ⁻¹(z)"
        ),
    )
    ax_m.set_ylim(mean - 3.5 * std, mean + 3.5 * std)
    ax_m.set_xlabel("z ~ U(0, 1)")
    ax_m.set_ylabel("x = G(z)")
    ax_m.set_title("G's map from z to x")
    ax_m.legend(loc="upper left" if decreasing else "lower right", fontsize=8)
    ax_m.grid(alpha=0.3)

    # W1 over training.
    se, w = res.column("w1_exact")
    ax_w = axd["w"]
    ax_w.plot(
        se,
        w,
        "o-",
        color="k",
        ms=3,
        label="exact W₁(2000 generated, 2000 real samples) [x units]; biased up by sampling",
    )
    floor = float(
        wasserstein_1d(
            pr.rvs(2000, random_state=np.random.default_rng(seed)),
            pr.rvs(2000, random_state=np.random.default_rng(seed + 1)),
        )
    )
    ax_w.axhline(
        floor,
        color="0.5",
        ls=":",
        label=f"W₁ of two independent 2000-samples of the data: {floor:.3f}",
    )
    mono = []
    for sn in snaps:
        g = sn["map"]
        dg = np.diff(g)
        if (dg >= 0).all() or (dg <= 0).all():
            q = _quantile_map(zg, mean, std, bool(dg.sum() < 0))
            mono.append((sn["step"], float(np.mean(np.abs(g - q)))))
    if mono:
        ax_w.plot(
            *zip(*mono),
            "D",
            color="tab:blue",
            ms=7,
            mfc="none",
            label="monotone G: ∫₀¹|G(z) − F⁻¹(z)|dz (quadrature)",
        )
    ax_w.set_yscale("log")
    ax_w.set_xlabel("generator step")
    ax_w.set_ylabel("W₁(p_g, p_r) [x units]")
    ax_w.set_title("distance of G's samples from the data")
    ax_w.legend(loc="upper right", fontsize=8)
    ax_w.grid(alpha=0.3, which="both")
    fig.tight_layout()

    # Checked numbers.
    fin = snaps[-1]
    n_big = 200_000
    rng = np.random.default_rng(seed + 3)
    dev = next(res.models["generator"].parameters()).device
    with torch.no_grad():
        zz = torch.as_tensor(rng.uniform(size=(n_big, 1)), dtype=torch.float32, device=dev)
        g_big = res.models["generator"](zz).double().cpu().numpy()[:, 0]
    w_samples = float(wasserstein_1d(g_big, pr.rvs(n_big, random_state=rng)))
    floor_big = float(
        wasserstein_1d(pr.rvs(n_big, random_state=rng), pr.rvs(n_big, random_state=rng))
    )
    dg = np.diff(fin["map"])
    monotone = bool((dg >= 0).all() or (dg <= 0).all())
    quad = float(np.mean(np.abs(fin["map"] - exact_map)))
    checks = [
        Check(
            f"W₁(G#U(0,1), N({mean:g}, {std:g}²)) at step {fin['step']} [x units]: "
            f"{n_big} + {n_big} samples vs ∫|G − F⁻¹| (2000-point midpoint rule)",
            quad,
            w_samples,
            3 * floor_big + 0.01 * quad if monotone else None,
            (
                f"G is monotone, so the quantile coupling is optimal; tol = 3 × the W₁ of two "
                f"independent data samples of that size ({floor_big:.4f}) + 1% for the midpoint rule"
                if monotone
                else "G is not monotone: ∫|G − F⁻¹| is only an upper bound; shown only"
            ),
        ),
        Check(
            f"mean |D(x) − ½| over the data at step {fin['step']}",
            0.0,
            float(np.sum(np.abs(fin["d"] - 0.5) * pr.pdf(x)) / np.sum(pr.pdf(x))),
            None,
            "D* = ½ when p_g = p_r (L6); a trained GAN only gets near it; shown only",
        ),
        Check(
            f"G's map vs the exact optimal map at step {fin['step']}: max |G(z) − F⁻¹(z)| "
            "for z in [0.05, 0.95] [x units]",
            0.0,
            float(np.abs(fin["map"] - exact_map)[(zg >= 0.05) & (zg <= 0.95)].max()),
            None,
            "shown only",
        ),
    ]
    return finish(fig, out_dir, sys.modules[__name__], checks, steps=steps, marks=marks)
