r"""Figure 9 (L19, L20): the lecture's 1-D GAN: G maps z ~ U(0, 1) to samples of N(−1, 1).

Trained with the project's loop (``divgan.gan.training.train_gan``, its defaults: the
lecture's data N(−1, σ²) with σ = 1, z ~ U(0, 1), D learning on a real then a fake batch,
G through D's gradient). Top row, at several steps of one run: the data density, G's
density (histogram of 20 000 draws of G(z)), and D(x) with the optimal
D* = p_r/(p_r + p_g) for that G (p_g by a KDE of G's draws) on the right axis. Bottom
left: G's map z → x at the same steps, beside the exact optimal monotone map in the
direction G took: the normal quantile function F⁻¹(z) = −1 + σΦ⁻¹(z) for an increasing G,
F⁻¹(1 − z) for a decreasing one (as good: both push U(0, 1) onto the data). Bottom right:
the exact W₁ between G's samples and the data over training, and at the snapshots the
quantile formula W₁ = ∫₀¹ |F_G⁻¹(u) − F⁻¹(u)| du with F_G⁻¹ the sorted values of G on a
midpoint grid of z (valid for any G, monotone or not).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
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
    "G's map z → x against the exact optimal monotone map in G's direction, F⁻¹(z) or "
    "F⁻¹(1 − z) with F⁻¹(z) = −1 + Φ⁻¹(z); exact W₁ of G's samples over training."
)

N_DRAW = 20000
N_MAP = 2000  # midpoints of [0, 1] on which G's map is tabulated
N_BIG = 200_000  # samples per side of the W1 check


@dataclass(frozen=True)
class Snapshot:
    """G and D at one step of the run."""

    step: int
    draws: np.ndarray  # N_DRAW samples G(z)
    gmap: np.ndarray  # G on the N_MAP midpoints of [0, 1]
    d: np.ndarray  # D on the x grid


@dataclass(frozen=True)
class Lecture1dNumbers:
    """The numbers of figure 9."""

    mean: float
    std: float
    x: np.ndarray  # grid of the density panels
    snaps: tuple  # Snapshot at step 0 and at each mark
    eval_steps: np.ndarray
    w1: np.ndarray  # exact W1(2000 generated, 2000 real) over training (history)
    floor: float  # W1 between two independent 2000-samples of the data
    w_big: float  # W1(N_BIG of the final G, N_BIG of the data), divgan.wasserstein_1d
    floor_big: float  # W1 between two independent N_BIG-samples of the data

    @property
    def zg(self) -> np.ndarray:
        return (np.arange(N_MAP) + 0.5) / N_MAP

    @property
    def decreasing(self) -> bool:
        """Whether the final G maps z to x decreasingly (then the exact map is F⁻¹(1 − z))."""
        return bool(np.corrcoef(self.zg, self.snaps[-1].gmap)[0, 1] < 0)

    def exact_map(self) -> np.ndarray:
        """The optimal monotone map in the final G's direction, on the z midpoints."""
        from scipy import stats

        z = 1.0 - self.zg if self.decreasing else self.zg
        return stats.norm(self.mean, self.std).ppf(z)

    def quantile_w1(self, snap: Snapshot) -> float:
        """∫₀¹ |F_G⁻¹(u) − F⁻¹(u)| du by the midpoint rule (F_G⁻¹ = sorted map values)."""
        from scipy import stats

        quantiles = stats.norm(self.mean, self.std).ppf(self.zg)
        return float(np.mean(np.abs(np.sort(snap.gmap) - quantiles)))


def compute(*, quick: bool = False, device: str = "auto", seed: int = 0) -> Lecture1dNumbers:
    """Train the lecture's GAN once and look at it at several steps (``quick``: 200 steps,
    snapshots at 0, 20, 60, 200; full: the loop's default steps, snapshots at 0, 5%, 20% and
    100%). ``seed`` is the run's seed; ``device`` is where it trains."""
    import torch
    from scipy import stats

    from divgan.figures.fig08_gan_vs_wgan import train_with_snapshots
    from divgan.gan import configure_threads
    from divgan.gan.data import sample_latent
    from divgan.gan.models import Discriminator, Generator
    from divgan.gan.training import TrainConfig, train_gan
    from divgan.wasserstein import wasserstein_1d

    configure_threads(1)
    base = TrainConfig.for_model("gan")
    mean, std = float(base.data_params.get("mean", -1.0)), float(base.data_params.get("std", 1.0))
    steps = 200 if quick else base.steps
    fractions = (0.1, 0.3, 1.0) if quick else (0.05, 0.2, 1.0)
    marks = [max(1, round(f * steps)) for f in fractions]
    cfg = TrainConfig.for_model("gan", steps=steps, seed=seed, device=device,
                                eval_every=max(1, steps // 30), eval_samples=2000,
                                log_every=max(1, steps // 100))
    x = np.linspace(mean - 4.5 * std, mean + 4.5 * std, 601)
    zg = (np.arange(N_MAP) + 0.5) / N_MAP
    snaps = []

    def evaluate(step, G, D):
        dev = next(G.parameters()).device
        z = sample_latent(N_DRAW, cfg.latent_dim, seed + 7 + step, kind=cfg.latent).to(dev)
        with torch.no_grad():
            draws = G(z).double().cpu().numpy()[:, 0]
            gmap = G(torch.as_tensor(zg[:, None], dtype=torch.float32, device=dev))
            d = torch.sigmoid(D(torch.as_tensor(x[:, None], dtype=torch.float32, device=dev)))
        snaps.append(Snapshot(step, draws, gmap.double().cpu().numpy()[:, 0],
                              d.double().cpu().numpy().reshape(-1)))

    # Step 0: a 1-step run would already have moved; build the untrained pair as the loop does.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        G0, D0 = Generator(cfg.latent_dim, 1, cfg.hidden), Discriminator(1, cfg.hidden)
    evaluate(0, G0, D0)
    res = train_with_snapshots(train_gan, cfg, marks, lambda r: evaluate(
        r.steps_done, r.models["generator"], r.models["discriminator"]))
    se, w = res.column("w1_exact")
    pr = stats.norm(mean, std)
    rng = np.random.default_rng(seed + 3)
    G = res.models["generator"]
    with torch.no_grad():
        zz = torch.as_tensor(rng.uniform(size=(N_BIG, 1)), dtype=torch.float32,
                             device=next(G.parameters()).device)
        g_big = G(zz).double().cpu().numpy()[:, 0]
    return Lecture1dNumbers(
        mean=mean, std=std, x=x, snaps=tuple(snaps), eval_steps=se, w1=w,
        floor=float(wasserstein_1d(pr.rvs(2000, random_state=np.random.default_rng(seed)),
                                   pr.rvs(2000, random_state=np.random.default_rng(seed + 1)))),
        w_big=float(wasserstein_1d(g_big, pr.rvs(N_BIG, random_state=rng))),
        floor_big=float(wasserstein_1d(pr.rvs(N_BIG, random_state=rng),
                                       pr.rvs(N_BIG, random_state=rng))))


def panel_snapshot(ax, n: Lecture1dNumbers, k: int) -> None:
    """Top row: data density, G's histogram (peak marked when off scale), D and D*."""
    from scipy import stats

    from divgan.theory import optimal_discriminator

    sn = n.snaps[k]
    pr = stats.norm(n.mean, n.std)
    top = max(0.8, 1.15 * float(pr.pdf(n.mean)))
    h, edges, _ = ax.hist(sn.draws, bins=np.linspace(n.x[0], n.x[-1], 61), density=True,
                          color="tab:orange", alpha=0.5, label="G's density (histogram of G(z))")
    ax.plot(n.x, pr.pdf(n.x), "k-", lw=1.5, label=f"data N({n.mean:g}, {n.std:g}²)")
    ax.set_ylim(0, top)
    if h.max() > top:  # a narrow G: say where its histogram goes off the scale
        i = int(np.argmax(h))
        ax.annotate(f"histogram peak {h.max():.1f}\n(off scale)",
                    xy=(0.5 * (edges[i] + edges[i + 1]), top), xytext=(0.98, 0.8),
                    textcoords="axes fraction", ha="right", fontsize=8, color="tab:orange",
                    arrowprops={"arrowstyle": "->", "color": "tab:orange"})
    ax.set(xlabel="x", ylabel="density [1/x units]")
    ax.set_title(f"step {sn.step}: G's draws mean {sn.draws.mean():.2f}, sd {sn.draws.std():.2f}",
                 fontsize=10)
    ax2 = ax.twinx()
    ax2.plot(n.x, sn.d, "-", color="tab:red", lw=1.6, label="D(x) (right axis)")
    if sn.draws.std() > 1e-3:
        kde = stats.gaussian_kde(sn.draws[:4000])
        ax2.plot(n.x, optimal_discriminator(pr.pdf(n.x), kde(n.x)), "--", color="tab:purple",
                 lw=1, label="D* = p_r/(p_r + p_g), p_g by KDE (right axis)")
    ax2.axhline(0.5, color="tab:red", lw=0.6, ls=":", label="D = ½ (right axis)")
    ax2.set_ylim(0, 1.05)
    if k == len(n.snaps) - 1:
        ax2.set_ylabel("D(x) = P(real)")


def panel_map(ax, n: Lecture1dNumbers) -> None:
    """Bottom left: G's map at each snapshot beside the exact monotone map."""
    import matplotlib

    colours = matplotlib.colormaps["viridis"](np.linspace(0.0, 0.85, len(n.snaps)))
    for sn, c in zip(n.snaps, colours):
        ax.plot(n.zg, sn.gmap, "-", color=c, lw=1.5, label=f"G(z) at step {sn.step}")
    label = ("exact optimal map F⁻¹(1 − z) (G learnt a decreasing map)" if n.decreasing
             else "exact optimal map F⁻¹(z) = −1 + σΦ⁻¹(z)")
    ax.plot(n.zg, n.exact_map(), "k--", lw=2, label=label)
    ax.set(ylim=(n.mean - 3.5 * n.std, n.mean + 3.5 * n.std), xlabel="z ~ U(0, 1)",
           ylabel="x = G(z)", title="G's map from z to x")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=8)
    ax.grid(alpha=0.3)


def panel_w1(ax, n: Lecture1dNumbers) -> None:
    """Bottom right: exact W1 over training, the quantile formula at the snapshots."""
    ax.plot(n.eval_steps, n.w1, "o-", color="k", ms=3,
            label="exact W₁(2000 generated, 2000 real samples) [x units]; biased up by sampling")
    ax.axhline(n.floor, color="0.5", ls=":",
               label=f"W₁ of two independent 2000-samples of the data: {n.floor:.3f}")
    ax.plot([s.step for s in n.snaps], [n.quantile_w1(s) for s in n.snaps], "D", color="tab:blue",
            ms=7, mfc="none", label="∫₀¹|F_G⁻¹(u) − F⁻¹(u)|du (quantile formula, midpoint rule)")
    ax.set_yscale("log")
    ax.set(xlabel="generator step", ylabel="W₁(p_g, p_r) [x units]",
           title="distance of G's samples from the data")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8)
    ax.grid(alpha=0.3, which="both")


def checks(n: Lecture1dNumbers) -> list[Check]:
    """The final G's W1 from samples against the quantile formula (scipy's normal ppf)."""
    quad = n.quantile_w1(n.snaps[-1])
    return [Check(
        f"W₁(G#U(0,1), N({n.mean:g}, {n.std:g}²)) at step {n.snaps[-1].step} [x units]: "
        f"∫|F_G⁻¹ − F⁻¹| ({N_MAP}-point midpoint rule) vs {N_BIG} + {N_BIG} samples",
        quad, n.w_big, 3 * n.floor_big + 0.01 * quad,
        f"tol = 3 × the W₁ of two independent data samples of that size ({n.floor_big:.4f}), "
        "the sampling noise, + 1% for the midpoint rule")]


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Compute, draw the panels, check; returns the PNG, SVG and JSON paths."""
    n = compute(quick=quick, device=device, seed=seed)
    fig, axd = pyplot().subplot_mosaic(
        [["s0", "s1", "s2", "s3"], ["key"] * 4, ["map", "map", "w", "w"]], figsize=(18, 11.5),
        gridspec_kw={"height_ratios": [1, 0.1, 1]})
    for k in range(len(n.snaps)):
        panel_snapshot(axd[f"s{k}"], n, k)
    handles, labels = [], []
    for a in (axd["s3"], *axd["s3"].get_shared_x_axes().get_siblings(axd["s3"])):
        for h, lab in zip(*a.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    axd["key"].axis("off")
    axd["key"].legend(handles, labels, loc="center", ncol=5, fontsize=8.5)
    panel_map(axd["map"], n)
    panel_w1(axd["w"], n)
    fig.tight_layout()
    return finish(fig, out_dir, sys.modules[__name__], checks(n), steps=int(n.snaps[-1].step),
                  marks=[int(s.step) for s in n.snaps[1:]])
