r"""Figure 8 (L18): a GAN and a WGAN trained on the same data; only the critic's loss tracks W₁.

Both learn N(4, 0.5²) from z ~ U(0, 1) (data far from where an untrained G puts its
samples, so that the two losses can be seen at large distances too) with the project's training loops
(``divgan.gan.training.train_gan`` with the non-saturating loss, ``train_wgan`` with the
one-sided gradient penalty). Every few steps the generator's samples are compared with the
data exactly: W₁ by the sorted formula on 2 000 + 2 000 samples (``w1_exact`` of the
training history), and JS between the known real density and a Gaussian KDE of 2 000
generated samples (quadrature; a KDE is a smoothed stand-in for p_g, so this JS is of the
smoothed density, labelled as such).

(a) The GAN: its discriminator's loss (and the JS lower bound log 2 − loss_D/2 it implies)
against the exact W₁ and KDE-JS. (b) The WGAN: the critic's dual value on each batch
against the exact W₁. (c) Each run's loss against the exact W₁ at the same step: the
critic's value lies along W₁; the GAN's does not move with it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import sys
import tempfile
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
    "generated vs 2 000 real samples, and JS(p_r ‖ KDE of p_g), over training.\n"
    "The critic's dual value follows W₁ down; the GAN discriminator's loss hovers near "
    "2 log 2 whatever W₁ is."
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


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Draw the figure into ``out_dir``; returns the PNG, SVG and JSON paths.

    ``quick``: GAN 200 steps, WGAN 100 steps, 6 KDE snapshots each; full: the loops'
    default steps (``TrainConfig.for_model``), 14 snapshots each. Exact W₁ every 1% of
    the steps. ``seed`` is the runs' seed;
    ``device`` is where they train.
    """
    from scipy import stats

    from divgan.gan import configure_threads
    from divgan.gan.training import TrainConfig, train_gan, train_wgan

    configure_threads(1)
    plt = pyplot()
    runs = {}
    for model, train, quick_steps in (("gan", train_gan, 200), ("wgan", train_wgan, 100)):
        steps = quick_steps if quick else TrainConfig.for_model(model).steps
        # Exact W1 every ~1% of the run; the KDE-JS at geometrically spaced snapshots
        # (training moves fastest at the start).
        every = max(1, steps // 100)
        marks = np.unique(np.geomspace(5, steps, 6 if quick else 14).round().astype(int)).tolist()
        cfg = TrainConfig.for_model(
            model,
            steps=steps,
            data="normal",
            data_params={"mean": REAL[0], "std": REAL[1]},
            seed=seed,
            device=device,
            log_every=max(1, steps // 200),
            eval_every=every,
            eval_samples=EVAL_N,
        )
        snaps = []

        def snapshot(res, snaps=snaps):
            x = _generated(res, EVAL_N, seed + 1 + res.steps_done)
            snaps.append((res.steps_done, js_real_vs_kde(x), x))

        first = _generated_untrained(train, cfg)
        snaps.append((0, js_real_vs_kde(first), first))
        res = train_with_snapshots(train, cfg, marks, snapshot)
        runs[model] = (res, snaps)

    fig, (ax_a, ax_b, ax_c) = plt.subplots(1, 3, figsize=(18, 5.2))
    gan, gan_snaps = runs["gan"]
    wgan, wgan_snaps = runs["wgan"]

    # (a) GAN.
    s, ld = gan.column("loss_d")
    _, jb = gan.column("js_bound")
    se, w_gan = gan.column("w1_exact")
    ax_a.plot(
        s,
        ld,
        "-",
        color="tab:red",
        lw=0.8,
        alpha=0.8,
        label="discriminator loss BCE_r + BCE_g [nats]",
    )
    ax_a.plot(
        s,
        jb,
        "-",
        color="tab:pink",
        lw=0.8,
        alpha=0.8,
        label="log 2 − loss_D / 2 (JS lower bound) [nats]",
    )
    ax_a.axhline(2 * LOG2, color="tab:red", ls=":", lw=0.8, label="2 log 2 (D fooled: D = ½)")
    ax_a.plot(se, w_gan, "o-", color="k", ms=2.5, label="exact W₁(generated, real) [x units]")
    ax_a.plot(
        [t for t, _, _ in gan_snaps],
        [j for _, j, _ in gan_snaps],
        "s--",
        color="tab:blue",
        ms=4,
        mfc="none",
        label="JS(p_r ‖ KDE of 2000 generated) [nats]",
    )
    ax_a.set_xlabel("generator step (linear to 10, then log)")
    ax_a.set_ylabel("loss [nats] · W₁ [x units]")
    ax_a.set_title("GAN: the discriminator's loss says little about W₁")
    ax_a.legend(loc="upper right", fontsize=7.5)
    ax_a.set_xscale("symlog", linthresh=10)
    ax_a.grid(alpha=0.3)

    # (b) WGAN.
    s2, wd = wgan.column("w_dual")
    se2, w_wgan = wgan.column("w1_exact")
    ax_b.plot(
        s2,
        wd,
        "-",
        color="tab:green",
        lw=0.8,
        alpha=0.8,
        label="critic's dual value E f(x_r) − E f(x_g) on the batch",
    )
    ax_b.plot(se2, w_wgan, "o-", color="k", ms=2.5, label="exact W₁(generated, real) [x units]")
    ax_b.plot(
        [t for t, _, _ in wgan_snaps],
        [j for _, j, _ in wgan_snaps],
        "s--",
        color="tab:blue",
        ms=4,
        mfc="none",
        label="JS(p_r ‖ KDE of 2000 generated) [nats]",
    )
    ax_b.set_xlabel(f"generator step ({wgan.config.n_critic} critic steps each; log beyond 10)")
    ax_b.set_ylabel("W₁ [x units] · JS [nats]")
    ax_b.set_title("WGAN-GP: the critic's value follows the exact W₁")
    ax_b.legend(loc="upper right", fontsize=7.5)
    ax_b.set_xscale("symlog", linthresh=10)
    ax_b.grid(alpha=0.3)

    # (c) each run's loss against the exact W1 at the same step.
    def at(steps_loss, loss, steps_eval):
        idx = np.searchsorted(steps_loss, steps_eval)
        ok = (idx < len(steps_loss)) & (
            steps_loss[np.minimum(idx, len(steps_loss) - 1)] == steps_eval
        )
        return idx[ok], ok

    i_g, ok_g = at(s, jb, se)
    i_w, ok_w = at(s2, wd, se2)
    ax_c.plot(w_gan[ok_g], jb[i_g], "o", color="tab:pink", label="GAN: log 2 − loss_D/2 [nats]")
    ax_c.plot(
        w_wgan[ok_w], wd[i_w], "s", color="tab:green", label="WGAN: critic's dual value [x units]"
    )
    hi = max(w_gan.max(), w_wgan.max()) * 1.05
    ax_c.plot([0, hi], [0, hi], "k--", lw=1, label="loss = W₁")
    ax_c.set_xlabel("exact W₁(generated, real) at that step [x units]")
    ax_c.set_ylabel("the run's loss at that step")
    ax_c.set_title("does the loss measure the distance?")
    ax_c.legend(loc="upper left", fontsize=8)
    ax_c.grid(alpha=0.3)
    fig.tight_layout()

    # Checked numbers.
    r_gan = float(np.corrcoef(w_gan[ok_g], jb[i_g])[0, 1]) if ok_g.sum() > 2 else float("nan")
    r_wgan = float(np.corrcoef(w_wgan[ok_w], wd[i_w])[0, 1]) if ok_w.sum() > 2 else float("nan")
    t_last, js_last, x_last = wgan_snaps[-1]
    real = stats.norm(*REAL).rvs(EVAL_N, random_state=np.random.default_rng(seed))
    from divgan.wasserstein import wasserstein_1d

    kde = stats.gaussian_kde(x_last)
    checks = [
        Check(
            f"W₁(WGAN generator at step {t_last}, real) [x units]: scipy vs divgan",
            float(stats.wasserstein_distance(x_last, real)),
            float(wasserstein_1d(x_last, real)),
            1e-10,
            "the exact sorted formula, two implementations",
        ),
        Check(
            f"JS(p_r ‖ KDE of WGAN's samples) at step {t_last} [nats]: scipy quad here vs divgan",
            _js_quad_reference(kde),
            js_last,
            1e-4,
            "scipy quad of the KDE itself vs divgan.js_divergence of the tabulated densities "
            "(midpoint-rule error)",
        ),
        Check(
            "WGAN: correlation of the critic's dual value with the exact W₁ over training",
            1.0,
            r_wgan,
            None,
            "near 1 when the critic tracks W₁ (L18); shown only",
        ),
        Check(
            "GAN: correlation of log 2 − loss_D/2 with the exact W₁ over training",
            1.0,
            r_gan,
            None,
            "the GAN loss is not a distance; shown only",
        ),
        Check(
            "WGAN, last 10% of the steps: mean exact W₁ vs mean critic batch value [x units]",
            float(w_wgan[se2 >= 0.9 * wgan.steps_done].mean()),
            float(wd[s2 >= 0.9 * wgan.steps_done].mean()),
            None,
            "near the end both are small; the critic chases G and its batch value is noisy; "
            "shown only",
        ),
    ]
    return finish(fig, out_dir, sys.modules[__name__], checks)


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
    """JS(N(4, 0.5²) ‖ kde) by scipy.integrate.quad on a log-domain integrand (independent code)."""
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
