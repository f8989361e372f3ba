r"""Figure 4 (L9): a confident discriminator leaves the minimax generator with no gradient.

The generator is G(z) = μ + z, z ~ N(0, 1), so p_g = N(μ, 1); the data are the lecture's
p_r = N(−1, 1). G learns only through D: its loss is E log(1 − D(G(z))) (minimax, the
lecture's game) or −E log D(G(z)) (non-saturating), and ∂/∂μ of either is an average over
the fakes of D's slope times a weight: D(x) for the minimax loss, 1 − D(x) for the
non-saturating one. A discriminator that spots the fakes (D(G(z)) → 0) kills the first.

(a) A discriminator trained k steps against a fixed generator (μ = 2): |∂L_G/∂μ| for both
losses against k, by autograd on 8 192 fakes, with the values at the optimal D* (exact,
quadrature) as dashed lines. (b) D = D* for each μ: as the two densities separate the
minimax gradient falls like E_{p_g} D* (faster than exponentially) while the
non-saturating one grows like the distance μ + 1; quadrature (lines) against autograd on
samples (markers).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

from divgan.figures._common import Check, finish, pyplot

NAME = "vanishing_gradient"
NUMBER = 4
TITLE = "Vanishing gradient: the minimax generator loss goes flat as the discriminator gets strong"
CLAIMS = "L9"
CAPTION = (
    "|∂L_G/∂μ| for G(z) = μ + z against p_r = N(−1, 1): minimax E log(1 − D(G(z))) vs "
    "non-saturating −E log D(G(z)), log scale.\n"
    "Left: D trained k steps against a fixed G (dashed: exact at D*); right: D = D* as the "
    "densities separate (lines: quadrature, markers: autograd on samples)."
)

REAL_MEAN = -1.0
MU_FIXED = 5.0


def _exact_gradients(mu: float) -> tuple[float, float]:
    """|∂/∂μ| of the minimax and non-saturating losses at D = D* (D held fixed), by quadrature.

    With p_r = N(−1, 1), p_g = N(μ, 1): logit l*(x) = log p_r/p_g = −(μ + 1)x + (μ² − 1)/2,
    so l*' = −(μ + 1) and ∂/∂μ E log(1 − σ(l*(μ + z))) = (μ + 1) E_{p_g} σ(l*),
    ∂/∂μ (−E log σ(l*(μ + z))) = (μ + 1) E_{p_g} (1 − σ(l*)).
    """
    from scipy import integrate

    a, b = -(mu - REAL_MEAN), (mu**2 - REAL_MEAN**2) / 2
    c = 1.0 / math.sqrt(2.0 * math.pi)

    def sig(t):  # the logistic function, without overflow
        return 1.0 / (1.0 + math.exp(-t)) if t >= 0 else math.exp(t) / (1.0 + math.exp(t))

    def e(f):  # E_{x ~ N(mu, 1)} f(l*(x)), adaptive quadrature over mu ± 12
        return integrate.quad(
            lambda x: c * math.exp(-0.5 * (x - mu) ** 2) * f(a * x + b),
            mu - 12,
            mu + 12,
            limit=200,
            epsabs=1e-300,
            epsrel=1e-10,
        )[0]

    slope = abs(a)
    return slope * e(sig), slope * e(lambda t: sig(-t))


def _autograd_gradients(disc, mu: float, z, device) -> tuple[float, float, float, float]:
    """|∂/∂μ| of both losses by autograd over the fakes μ + z, and their standard errors."""
    import torch

    from divgan.gan.losses import generator_loss

    out = []
    for kind in ("minimax", "non_saturating"):
        m = torch.tensor(float(mu), dtype=torch.float32, device=device, requires_grad=True)
        x = (m + z)[:, None]
        x.retain_grad()
        loss = generator_loss(disc(x), kind)
        loss.backward()
        # Per-sample derivative of the loss in μ is n · ∂loss/∂x_i (x_i = μ + z_i).
        per = (x.grad[:, 0] * len(z)).double().cpu().numpy()
        out += [abs(float(m.grad)), float(per.std(ddof=1) / math.sqrt(len(per)))]
    return out[0], out[2], out[1], out[3]


class _OptimalLogit:
    """D*'s logit for p_r = N(−1, 1) vs p_g = N(μ, 1), as a torch callable (held fixed)."""

    def __init__(self, mu: float):
        self.a, self.b = -(mu - REAL_MEAN), (mu**2 - REAL_MEAN**2) / 2

    def __call__(self, x):
        return (self.a * x + self.b).squeeze(-1)


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Draw the figure into ``out_dir``; returns the PNG, SVG and JSON paths.

    ``quick``: 300 discriminator steps; full: 3 000. ``seed`` initialises D and draws
    every sample; ``device`` is where D trains.
    """
    import torch

    from divgan.gan import configure_threads, resolve_device
    from divgan.gan.losses import discriminator_loss
    from divgan.gan.models import Discriminator

    configure_threads(1)
    dev = resolve_device(device)
    plt = pyplot()
    gen = torch.Generator().manual_seed(seed)
    n_eval = 8192
    z_eval = torch.randn(n_eval, generator=gen).to(dev)

    # (a) D trained k steps against the fixed generator N(MU_FIXED, 1).
    k_max = 300 if quick else 3000
    marks = sorted({0, *np.unique(np.geomspace(1, k_max, 16 if quick else 22).round().astype(int))})
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        disc = Discriminator(1).to(dev)
    opt = torch.optim.Adam(disc.parameters(), lr=1e-3, betas=(0.5, 0.999))
    rows = []
    for k in range(k_max + 1):
        if k in marks:
            g_mm, g_ns, _, _ = _autograd_gradients(disc, MU_FIXED, z_eval, dev)
            with torch.no_grad():
                d_fake = float(torch.sigmoid(disc((MU_FIXED + z_eval)[:, None])).mean())
            rows.append((k, g_mm, g_ns, d_fake))
        if k == k_max:
            break
        # D: maximise E log D(x_r) + E log(1 - D(x_g)) against the fixed generator.
        xr = (REAL_MEAN + torch.randn(256, 1, generator=gen)).to(dev)
        xg = (MU_FIXED + torch.randn(256, 1, generator=gen)).to(dev)
        loss = discriminator_loss(disc(xr), disc(xg))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    ks, g_mm, g_ns, d_fake = (np.array(c, dtype=float) for c in zip(*rows))
    star_mm, star_ns = _exact_gradients(MU_FIXED)
    d_star_fake = star_mm / (MU_FIXED - REAL_MEAN)  # E_pg D*(x), from the minimax gradient

    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(14, 5.2))
    kk = np.maximum(ks, 0.7)  # step 0 drawn at the left edge of the log axis
    ax_a.loglog(kk, g_mm, "o-", color="tab:red", ms=4, label="minimax: |∂/∂μ E log(1 − D(G(z)))|")
    ax_a.loglog(
        kk, g_ns, "s-", color="tab:blue", ms=4, label="non-saturating: |∂/∂μ E log D(G(z))|"
    )
    ax_a.axhline(
        star_mm, color="tab:red", ls="--", lw=1, label=f"at D* (quadrature): {star_mm:.3g}"
    )
    ax_a.axhline(
        star_ns, color="tab:blue", ls="--", lw=1, label=f"at D* (quadrature): {star_ns:.3g}"
    )
    ax_a.set_xlabel("discriminator training steps k (fixed G; step 0 at the left edge)")
    ax_a.set_ylabel("generator gradient |∂L_G/∂μ| [per x unit]")
    ax_a.set_title(f"D trained against a fixed G = N({MU_FIXED:g}, 1); p_r = N(−1, 1)")
    ax_a.grid(alpha=0.3, which="both")
    ax2 = ax_a.twinx()
    ax2.semilogx(kk, d_fake, ":", color="0.3", lw=1.5, label="mean D(G(z)) (right axis)")
    ax2.axhline(d_star_fake, color="0.3", lw=0.8, ls="-.", label=f"E D*(G(z)) = {d_star_fake:.3g}")
    ax2.set_ylim(0, 0.5)
    ax2.set_ylabel("mean D(G(z)): how much D is fooled")
    h1, l1 = ax_a.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax_a.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8)

    # (b) D = D* while the generator moves away from the data.
    mus = np.linspace(-0.5, 7.0, 31)
    exact = np.array([_exact_gradients(float(m)) for m in mus])
    mus_s = np.arange(0.0, 7.5, 1.0)
    n_s = 20000 if quick else 200000
    z_s = torch.randn(n_s, generator=gen, dtype=torch.float64)
    samp = np.array(
        [_autograd_gradients(_OptimalLogit(float(m)), float(m), z_s, "cpu") for m in mus_s]
    )
    dist = mus - REAL_MEAN
    ax_b.semilogy(
        dist, exact[:, 0], "-", color="tab:red", label="minimax, quadrature: (μ+1)·E_pg D*"
    )
    ax_b.semilogy(
        dist,
        exact[:, 1],
        "-",
        color="tab:blue",
        label="non-saturating, quadrature: (μ+1)·E_pg (1 − D*)",
    )
    ax_b.semilogy(
        mus_s - REAL_MEAN,
        samp[:, 0],
        "o",
        color="tab:red",
        mfc="none",
        label=f"minimax, autograd on {n_s} fakes",
    )
    ax_b.semilogy(
        mus_s - REAL_MEAN,
        samp[:, 1],
        "s",
        color="tab:blue",
        mfc="none",
        label=f"non-saturating, autograd on {n_s} fakes",
    )
    ax_b.set_xlabel("distance between the means μ − (−1) [x units]  (D = D*, the strongest D)")
    ax_b.set_ylabel("generator gradient |∂L_G/∂μ| at D* [per x unit]")
    ax_b.set_title("L9: the better D separates, the flatter log(1 − D(G(z)))")
    ax_b.grid(alpha=0.3, which="both")
    ax_b.legend(loc="lower left", fontsize=8)
    fig.tight_layout()

    # Checked numbers.
    checks = []
    for j in (1, 4, 7):
        m = float(mus_s[j])
        ex = _exact_gradients(m)
        for i, kind in enumerate(("minimax", "non-saturating")):
            se = samp[j, 2 + i]
            checks.append(
                Check(
                    f"{kind} |∂L_G/∂μ| at D*, μ = {m:g}: quadrature vs autograd on {n_s} fakes",
                    ex[i],
                    float(samp[j, i]),
                    5 * se + 1e-12,
                    f"Monte Carlo: tol = 5 standard errors ({se:.2g}) of the per-sample derivative",
                )
            )
    checks.append(
        Check(
            f"ratio minimax / non-saturating gradient at D*, μ = {mus[-1]:g}",
            0.0,
            float(exact[-1, 0] / exact[-1, 1]),
            1e-3,
            "vanishes: E D*(G(z)) → 0 as the densities separate (L9); quadrature",
        )
    )
    checks.append(
        Check(
            f"trained D after {k_max} steps: minimax |∂L_G/∂μ| vs its value at D*",
            star_mm,
            float(g_mm[-1]),
            None,
            "the trained D approaches D* only where the samples are; shown only",
        )
    )
    checks.append(
        Check(
            f"trained D after {k_max} steps: non-saturating |∂L_G/∂μ| vs its value at D*",
            star_ns,
            float(g_ns[-1]),
            None,
            "shown only",
        )
    )
    return finish(fig, out_dir, sys.modules[__name__], checks, k_max=k_max)
