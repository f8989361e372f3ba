r"""Figure 8 (L18): a GAN and a WGAN trained on the same data; only the critic's loss tracks W₁.

Both learn N(4, 0.5²) from z ~ U(0, 1) (data far from where an untrained G puts its
samples, so that the two losses can be seen at large distances too) with the project's
training loops
(``divgan.gan.training.train_gan`` with the non-saturating loss, ``train_wgan`` with the
one-sided gradient penalty). Every few steps the generator's samples are compared with the
data exactly: W₁ by the sorted formula on 2 000 + 2 000 samples (``w1_exact`` of the
training history), and JS between the known real density and a Gaussian KDE of 2 000
generated samples (quadrature; a KDE is a smoothed stand-in for p_g, so this JS is of the
smoothed density, labelled as such). At every logged step the loop also records the exact
W₁ between that step's own real and generated batches (256 + 256, ``w1_batch``, computed on
the training device): the very batches the critic's value (or D's loss) was read on.

(a) The GAN: its discriminator's loss (and the JS lower bound log 2 − loss_D/2 it implies)
against the exact W₁ and KDE-JS. While the generated samples hardly overlap the data the
discriminator separates them almost perfectly and its loss sits near 0, whatever W₁ is
(it falls from about 4 to 1 meanwhile); once they overlap the loss rises towards
2 log 2 (D fooled). (b) The WGAN: the critic's dual value on each batch beside the exact
W₁ of that same batch pair, and the exact W₁ of 2 000 + 2 000 samples. (c) Each run's loss
against the exact W₁ of the batches it was computed on: the critic's value lies along W₁
(at most W₁ while the critic is 1-Lipschitz, by duality, so a point above the diagonal
certifies a slope above 1 on that batch: the gradient penalty is a soft constraint); the
GAN's does not move with it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from divgan.figures._common import Check, finish, pyplot

NAME = "gan_vs_wgan"
NUMBER = 8
TITLE = (
    "GAN vs WGAN on the same data: the critic's loss tracks the true W₁, the GAN's loss does not"
)
CLAIMS = "L18"
CAPTION = (
    "GAN (non-saturating) and WGAN-GP learn N(4, 0.5²) from z ~ U(0, 1); exact W₁ of 2 000 "
    "generated vs 2 000 real samples, exact W₁ of each step's own 256 + 256 training batches, "
    "and JS(p_r ‖ KDE of p_g), over training.\n"
    "The critic's dual value follows the W₁ of its own batches; the GAN discriminator's loss "
    "falls to near 0 while the samples barely overlap the data (W₁ from 4 to 1), then rises "
    "to about 2 log 2."
)

LOG2 = math.log(2.0)
REAL = (4.0, 0.5)
EVAL_N = 2000


def train_with_snapshots(train, config, marks, snapshot):
    """Run ``train(config)`` to each step in ``marks`` in turn, calling ``snapshot(result)``.

    The figures need the models at several points of one run; the training loops return
    them only at the end, so the run is split into segments that resume from a checkpoint
    in a temporary folder (``TrainConfig.steps`` may change on resume; the rest of the run
    continues exactly). ``marks`` are increasing positive step counts; returns the last
    result. Learning-rate annealing depends on the total steps, so it must be off.
    """
    if getattr(config, "anneal_lr", False):
        raise ValueError("train_with_snapshots needs anneal_lr=False (it depends on steps)")
    with tempfile.TemporaryDirectory(prefix="divgan-fig-") as tmp:
        result = None
        for i, s in enumerate(marks):
            cfg = dataclasses.replace(
                config, steps=int(s), checkpoint_dir=tmp, checkpoint_every=10**9, progress=False
            )
            result = train(cfg, resume=i > 0)
            snapshot(result)
    return result


def _generated(result, n: int, seed: int) -> np.ndarray:
    """``n`` samples of the result's generator (float64, on the CPU)."""
    import torch

    from divgan.gan.data import sample_latent

    G = result.models["generator"]
    dev = next(G.parameters()).device
    z = sample_latent(n, result.config.latent_dim, seed, kind=result.config.latent).to(dev)
    with torch.no_grad():
        return G(z).double().cpu().numpy()[:, 0]


def js_real_vs_kde(samples: np.ndarray) -> float:
    """JS(N(4, 0.5²) ‖ Gaussian KDE of ``samples``) in nats.

    Both densities are tabulated on one grid: 8 001 points over the real density's
    ±12σ and 2 001 points over the KDE's support (samples ± 8 bandwidths, scipy's Scott
    rule; the KDE is 0 beyond, below e^-32 of its peak), spacing well below the bandwidth.
    ``divgan.js_divergence`` of the masses p(x_i)·w_i (trapezoid weights w_i) is then a
    quadrature of the JS integral (checked against adaptive quadrature of the KDE itself).
    """
    from scipy import stats

    from divgan.divergences import js_divergence

    kde = stats.gaussian_kde(samples)
    bw = float(np.sqrt(kde.covariance[0, 0]))
    a, b = samples.min() - 8 * bw, samples.max() + 8 * bw
    grid = np.unique(
        np.concatenate(
            [
                np.linspace(REAL[0] - 12 * REAL[1], REAL[0] + 12 * REAL[1], 8001),
                np.linspace(a, b, 2001),
            ]
        )
    )
    w = np.zeros_like(grid)
    w[1:] += 0.5 * np.diff(grid)
    w[:-1] += 0.5 * np.diff(grid)
    q = np.zeros_like(grid)
    inside = (grid >= a) & (grid <= b)
    q[inside] = kde(grid[inside])
    return float(js_divergence(stats.norm(*REAL).pdf(grid) * w, q * w))


@dataclass(frozen=True)
class RunTrace:
    """One training run seen over its steps."""

    loss_steps: np.ndarray
    loss: np.ndarray  # GAN: log 2 − loss_D/2 (the JS bound); WGAN: the critic's batch dual value
    loss_d: np.ndarray  # GAN: the discriminator's loss BCE_r + BCE_g; WGAN: same as loss
    eval_steps: np.ndarray
    w1: np.ndarray  # exact W1(generated, real) on EVAL_N + EVAL_N samples
    batch_steps: np.ndarray
    batch_w1: np.ndarray  # exact W1 of the step's own real and generated training batches
    batch_size: int  # points in each of those batches
    snap_steps: np.ndarray
    snap_js: np.ndarray  # JS(p_r ‖ KDE of EVAL_N generated) at the snapshots
    last_samples: np.ndarray  # the generated samples of the last snapshot
    n_critic: int

    def loss_at_batches(self) -> tuple[np.ndarray, np.ndarray]:
        """(W1 of the step's batches, loss read on those batches) at the steps that have both."""
        idx = np.searchsorted(self.loss_steps, self.batch_steps)
        ok = idx < len(self.loss_steps)
        ok[ok] = self.loss_steps[idx[ok]] == self.batch_steps[ok]
        return self.batch_w1[ok], self.loss[idx[ok]]

    def max_slope_certified(self) -> float:
        r"""The largest ``loss / W1`` over the logged batches (WGAN: dual value over the batch
        W1). By duality, :math:`\overline{f(x_r)} - \overline{f(x_g)} \le \mathrm{Lip}(f)
        \, W_1` for the two empirical laws, so this is a lower bound on the critic's
        Lipschitz constant on those batches; above 1 the critic over-reads W1."""
        w, loss = self.loss_at_batches()
        pos = w > 0
        return float(np.max(loss[pos] / w[pos])) if pos.any() else 0.0


@dataclass(frozen=True)
class GanVsWganNumbers:
    gan: RunTrace
    wgan: RunTrace


def compute(*, quick: bool = False, device: str = "auto", seed: int = 0) -> GanVsWganNumbers:
    """Train both runs (``quick``: GAN 200 steps, WGAN 100, 6 KDE snapshots each; full: the
    loops' default steps, 14 snapshots). Exact W₁ every 1% of the steps; the W₁ of the
    training batches at every logged step (0.5%). ``seed`` is the runs' seed; ``device`` is
    where they train."""
    from divgan.gan import configure_threads
    from divgan.gan.training import TrainConfig, train_gan, train_wgan

    configure_threads(1)
    traces = {}
    for model, train, quick_steps in (("gan", train_gan, 200), ("wgan", train_wgan, 100)):
        steps = quick_steps if quick else TrainConfig.for_model(model).steps
        # The KDE-JS at geometrically spaced snapshots (training moves fastest at the start).
        marks = np.unique(np.geomspace(5, steps, 6 if quick else 14).round().astype(int)).tolist()
        cfg = TrainConfig.for_model(
            model, steps=steps, data="normal", data_params={"mean": REAL[0], "std": REAL[1]},
            seed=seed, device=device, log_every=max(1, steps // 200),
            eval_every=max(1, steps // 100), eval_samples=EVAL_N,
            batch_w1_every=max(1, steps // 200))
        first = _generated_untrained(train, cfg)
        snaps = [(0, js_real_vs_kde(first), first)]

        def snapshot(res, snaps=snaps):
            x = _generated(res, EVAL_N, seed + 1 + res.steps_done)
            snaps.append((res.steps_done, js_real_vs_kde(x), x))

        res = train_with_snapshots(train, cfg, marks, snapshot)
        s, loss = res.column("js_bound" if model == "gan" else "w_dual")
        ld = res.column("loss_d")[1] if model == "gan" else loss
        se, w = res.column("w1_exact")
        sb, wb = res.column("w1_batch")
        traces[model] = RunTrace(
            loss_steps=s, loss=loss, loss_d=ld, eval_steps=se, w1=w, batch_steps=sb, batch_w1=wb,
            snap_steps=np.array([t for t, _, _ in snaps]),
            snap_js=np.array([j for _, j, _ in snaps]),
            last_samples=snaps[-1][2], n_critic=int(getattr(res.config, "n_critic", 1)),
            batch_size=res.config.batch_size)
    return GanVsWganNumbers(**traces)


def _legend_below(ax):
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=7.5)


def panel_gan(ax, n: GanVsWganNumbers) -> None:
    """(a) the GAN's discriminator loss and JS bound beside the exact W1 and KDE-JS."""
    g = n.gan
    ax.plot(g.loss_steps, g.loss_d, "-", color="tab:red", lw=0.8, alpha=0.8,
            label="discriminator loss BCE_r + BCE_g [nats]")
    ax.plot(g.loss_steps, g.loss, "-", color="tab:pink", lw=0.8, alpha=0.8,
            label="log 2 − loss_D / 2 (JS lower bound) [nats]")
    ax.axhline(2 * LOG2, color="tab:red", ls=":", lw=0.8, label="2 log 2 (D fooled: D = ½)")
    ax.plot(g.eval_steps, g.w1, "o-", color="k", ms=2.5,
            label="exact W₁(generated, real) [x units]")
    ax.plot(g.snap_steps, g.snap_js, "s--", color="tab:blue", ms=4, mfc="none",
            label=f"JS(p_r ‖ KDE of {EVAL_N} generated) [nats]")
    ax.set(xlabel="generator step (linear to 10, then log)", ylabel="loss [nats] · W₁ [x units]",
           title="GAN: the discriminator's loss says little about W₁")
    ax.set_xscale("symlog", linthresh=10)
    _legend_below(ax)
    ax.grid(alpha=0.3)


def panel_wgan(ax, n: GanVsWganNumbers) -> None:
    """(b) the WGAN critic's batch dual value beside the exact W1 of the same batches, the
    exact W1 of larger samples and the KDE-JS."""
    w = n.wgan
    ax.plot(w.loss_steps, w.loss, "-", color="tab:green", lw=0.8, alpha=0.8,
            label="critic's dual value E f(x_r) − E f(x_g) on the batch [x units]")
    ax.plot(w.batch_steps, w.batch_w1, "-", color="tab:gray", lw=0.8,
            label=f"exact W₁ of the same batches ({w.batch_size} + {w.batch_size}) [x units]")
    ax.plot(w.eval_steps, w.w1, "o", color="k", ms=2.5,
            label=f"exact W₁({EVAL_N} generated, {EVAL_N} real) [x units]")
    ax.plot(w.snap_steps, w.snap_js, "s--", color="tab:blue", ms=4, mfc="none",
            label=f"JS(p_r ‖ KDE of {EVAL_N} generated) [nats]")
    ax.set(xlabel=f"generator step ({w.n_critic} critic steps each; log beyond 10)",
           ylabel="W₁ [x units] · JS [nats]",
           title="WGAN-GP: the critic's value follows the exact W₁")
    ax.set_xscale("symlog", linthresh=10)
    _legend_below(ax)
    ax.grid(alpha=0.3)


def panel_scatter(ax, n: GanVsWganNumbers) -> None:
    """(c) each run's loss against the exact W1 of the batches it was read on."""
    wg, lg = n.gan.loss_at_batches()
    ww, lw = n.wgan.loss_at_batches()
    ax.plot(wg, lg, "o", color="tab:pink", ms=3, label="GAN: log 2 − loss_D/2 [nats]")
    ax.plot(ww, lw, "s", color="tab:green", ms=3, label="WGAN: critic's dual value [x units]")
    hi = max(n.gan.batch_w1.max(), n.wgan.batch_w1.max()) * 1.05
    ax.plot([0, hi], [0, hi], "k--", lw=1, label="loss = W₁")
    steep = n.wgan.max_slope_certified()
    if steep > 1:  # the dual value exceeds W1 of its own batches: Lip(f) > 1 there
        ax.text(0.02, 0.98, f"WGAN: dual value up to {steep:.2f} × W₁ of its own batches,\n"
                "so the critic's slope there is ≥ that (the penalty is soft)",
                transform=ax.transAxes, va="top", fontsize=8)
    ax.set(xlabel="exact W₁ of the step's own real and generated batches [x units]",
           ylabel="the run's loss on those batches", title="does the loss measure the distance?")
    _legend_below(ax)
    ax.grid(alpha=0.3)


def checks(n: GanVsWganNumbers, *, seed: int = 0) -> list[Check]:
    """The exact W1 and the KDE-JS of the WGAN's last samples against scipy."""
    from scipy import stats

    from divgan.wasserstein import wasserstein_1d

    t_last, js_last, x_last = n.wgan.snap_steps[-1], n.wgan.snap_js[-1], n.wgan.last_samples
    real = stats.norm(*REAL).rvs(EVAL_N, random_state=np.random.default_rng(seed))
    return [
        Check(f"W₁(WGAN generator at step {t_last}, real) [x units]: scipy vs divgan",
              float(stats.wasserstein_distance(x_last, real)), float(wasserstein_1d(x_last, real)),
              1e-10, "the exact sorted formula, two implementations; rounding only"),
        Check(f"JS(p_r ‖ KDE of WGAN's samples) at step {t_last} [nats]: scipy quad vs divgan",
              _js_quad_reference(stats.gaussian_kde(x_last)), float(js_last), 1e-4,
              "scipy quad of the KDE itself vs divgan.js_divergence of the tabulated densities "
              "(grid quadrature error)"),
    ]


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Compute, draw the three panels, check; returns the PNG, SVG and JSON paths."""
    n = compute(quick=quick, device=device, seed=seed)
    fig, axes = pyplot().subplots(1, 3, figsize=(18, 6.3))
    for panel, ax in zip((panel_gan, panel_wgan, panel_scatter), axes):
        panel(ax, n)
    fig.tight_layout()
    return finish(fig, out_dir, sys.modules[__name__], checks(n, seed=seed))


def _generated_untrained(train, cfg) -> np.ndarray:
    """Samples of the generator before any step (a 1-step run's initial weights are the same)."""
    import torch

    from divgan.gan.models import Generator

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        G = Generator(cfg.latent_dim, 1, cfg.hidden)
    from divgan.gan.data import sample_latent

    with torch.no_grad():
        return (
            G(sample_latent(EVAL_N, cfg.latent_dim, cfg.seed + 1, kind=cfg.latent))
            .double()
            .numpy()[:, 0]
        )


def _js_quad_reference(kde) -> float:
    """JS(N(4, 0.5²) ‖ kde) by scipy.integrate.quad on a log-domain integrand (code
    independent of divgan)."""
    from scipy import integrate, stats

    pr = stats.norm(*REAL)
    pts = np.sort(kde.dataset[0])
    bw = float(np.sqrt(kde.covariance[0, 0]))
    lo = min(pts[0] - 8 * bw, REAL[0] - 12 * REAL[1])
    hi = max(pts[-1] + 8 * bw, REAL[0] + 12 * REAL[1])

    def f(x):
        lp = float(pr.logpdf(x))
        q = float(kde(x)[0])
        lq = math.log(q) if q > 0 else -math.inf
        lm = np.logaddexp(lp, lq) - LOG2
        out = 0.5 * math.exp(lp) * (lp - lm)
        if q > 0:
            out += 0.5 * q * (lq - lm)
        return out

    edges = np.unique(
        np.concatenate(
            [
                [lo, hi],
                np.quantile(pts, [0.01, 0.25, 0.5, 0.75, 0.99]),
                [REAL[0] - 2 * REAL[1], REAL[0], REAL[0] + 2 * REAL[1]],
            ]
        )
    )
    return float(
        sum(
            integrate.quad(f, a, b, limit=400, epsabs=1e-12, epsrel=1e-10)[0]
            for a, b in itertools.pairwise(edges)
        )
    )
