r"""Figure 4 (L9): a confident discriminator leaves the minimax generator with no gradient.

The generator is G(z) = μ + z, z ~ N(0, 1), so p_g = N(μ, 1); the data are the lecture's
p_r = N(−1, 1). G learns only through D: its loss is E log(1 − D(G(z))) (minimax, the
lecture's game) or −E log D(G(z)) (non-saturating), and ∂/∂μ of either is an average over
the fakes of D's slope times a weight: D(x) for the minimax loss, 1 − D(x) for the
non-saturating one. A discriminator that spots the fakes (D(G(z)) → 0) kills the first.

(a) A discriminator trained k steps against a fixed generator (μ = 2): |∂L_G/∂μ| for both
losses against k, by autograd on 8 192 fakes, with the values at the optimal D* (exact,
quadrature) as dashed lines. (b) D = D* for each generator mean μ (p_r stays at −1): as
the two densities separate the minimax gradient falls like E_{p_g} D* (faster than exponentially) while the
non-saturating one grows like the distance μ + 1; quadrature (lines) against autograd on
samples (markers).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
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
    "Left: D trained k steps against a fixed G (dashed: exact at D*); right: D = D* as G's "
    "mean μ moves away from −1 (lines: quadrature, markers: autograd on samples)."
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


@dataclass(frozen=True)
class VanishingNumbers:
    """The numbers of figure 4 (gradients in per-x-unit, |∂L_G/∂μ|)."""

    ks: np.ndarray  # discriminator steps of panel (a)
    g_mm: np.ndarray  # minimax gradient with the trained D after ks steps (autograd)
    g_ns: np.ndarray  # non-saturating gradient, same
    d_fake: np.ndarray  # mean D(G(z)), same
    star_mm: float  # both gradients at D* for mu = MU_FIXED, quadrature
    star_ns: float
    mus: np.ndarray  # generator means of panel (b), fine grid
    exact: np.ndarray  # (len(mus), 2): minimax, non-saturating at D*, quadrature
    mus_s: np.ndarray  # generator means with an autograd estimate
    samp: np.ndarray  # (len(mus_s), 4): minimax, non-saturating, and their standard errors
    n_s: int  # fakes per autograd estimate


def compute(*, quick: bool = False, device: str = "auto", seed: int = 0) -> VanishingNumbers:
    """Train D against the fixed G and evaluate both gradients (``quick``: 300 D steps,
    20 000 fakes; full: 3 000 steps, 200 000 fakes). ``seed`` initialises D and draws every
    sample; ``device`` is where D trains."""
    import torch

    from divgan.gan import configure_threads, resolve_device
    from divgan.gan.losses import discriminator_loss
    from divgan.gan.models import Discriminator

    configure_threads(1)
    dev = resolve_device(device)
    gen = torch.Generator().manual_seed(seed)
    z_eval = torch.randn(8192, generator=gen).to(dev)
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

    mus = np.linspace(-0.5, 7.0, 31)
    mus_s = np.arange(0.0, 7.5, 1.0)
    n_s = 20000 if quick else 200000
    z_s = torch.randn(n_s, generator=gen, dtype=torch.float64)
    return VanishingNumbers(
        ks=ks, g_mm=g_mm, g_ns=g_ns, d_fake=d_fake, star_mm=star_mm, star_ns=star_ns, mus=mus,
        exact=np.array([_exact_gradients(float(m)) for m in mus]), mus_s=mus_s,
        samp=np.array([_autograd_gradients(_OptimalLogit(float(m)), float(m), z_s, "cpu")
                       for m in mus_s]), n_s=n_s)


def panel_training(ax, n: VanishingNumbers) -> None:
    """(a) both gradients as D trains against G = N(MU_FIXED, 1); D's fooling on a twin axis."""
    kk = np.maximum(n.ks, 0.7)  # step 0 drawn at the left edge of the log axis
    ax.loglog(kk, n.g_mm, "o-", color="tab:red", ms=4, label="minimax: |∂/∂μ E log(1 − D(G(z)))|")
    ax.loglog(kk, n.g_ns, "s-", color="tab:blue", ms=4,
              label="non-saturating: |∂/∂μ E log D(G(z))|")
    ax.axhline(n.star_mm, color="tab:red", ls="--", lw=1,
               label=f"minimax at D* (quadrature): {n.star_mm:.3g}")
    ax.axhline(n.star_ns, color="tab:blue", ls="--", lw=1,
               label=f"non-saturating at D* (quadrature): {n.star_ns:.3g}")
    ax.set(xlabel="discriminator training steps k (fixed G; step 0 at the left edge)",
           ylabel="generator gradient |∂L_G/∂μ| [per x unit]",
           title=f"D trained against a fixed G = N({MU_FIXED:g}, 1); p_r = N(−1, 1)")
    ax.grid(alpha=0.3, which="both")
    ax2 = ax.twinx()
    ax2.semilogx(kk, n.d_fake, ":", color="0.3", lw=1.5, label="mean D(G(z)) (right axis)")
    e_dstar = n.star_mm / (MU_FIXED - REAL_MEAN)  # E_pg D*, from the minimax gradient
    ax2.axhline(e_dstar, color="0.3", lw=0.8, ls="-.",
                label=f"E D*(G(z)) = {e_dstar:.3g} (right axis)")
    ax2.set_ylim(0, 0.5)
    ax2.set_ylabel("mean D(G(z)): how much D is fooled")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2,
              fontsize=8)


def panel_separation(ax, n: VanishingNumbers) -> None:
    """(b) both gradients at D = D* against the generator's mean μ."""
    ax.semilogy(n.mus, n.exact[:, 0], "-", color="tab:red",
                label="minimax, quadrature: (μ+1)·E_pg D*")
    ax.semilogy(n.mus, n.exact[:, 1], "-", color="tab:blue",
                label="non-saturating, quadrature: (μ+1)·E_pg (1 − D*)")
    ax.semilogy(n.mus_s, n.samp[:, 0], "o", color="tab:red", mfc="none",
                label=f"minimax, autograd on {n.n_s} fakes")
    ax.semilogy(n.mus_s, n.samp[:, 1], "s", color="tab:blue", mfc="none",
                label=f"non-saturating, autograd on {n.n_s} fakes")
    ax.axvline(REAL_MEAN, color="0.5", ls=":", lw=1)
    ax.text(REAL_MEAN + 0.05, 0.98, "p_r's mean −1", transform=ax.get_xaxis_transform(),
            va="top", fontsize=8, color="0.4")
    ax.set(xlabel="generator mean μ, p_g = N(μ, 1) [x units]  (D = D*, the strongest D)",
           ylabel="generator gradient |∂L_G/∂μ| at D* [per x unit]",
           title="L9: the better D separates, the flatter log(1 − D(G(z)))")
    ax.set_xlim(-1.2, 7.3)
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=8)


def checks(n: VanishingNumbers) -> list[Check]:
    """Autograd on samples against the quadrature; the L9 ratio against 0."""
    out = []
    for j in (1, 4, 7):
        m = float(n.mus_s[j])
        ex = _exact_gradients(m)
        for i, kind in enumerate(("minimax", "non-saturating")):
            se = float(n.samp[j, 2 + i])
            out.append(Check(
                f"{kind} |∂L_G/∂μ| at D*, μ = {m:g}: quadrature vs autograd on {n.n_s} fakes",
                ex[i], float(n.samp[j, i]), 5 * se + 1e-12,
                f"Monte Carlo: tol = 5 standard errors ({se:.2g}) of the per-sample derivative"))
    out.append(Check(
        f"ratio minimax / non-saturating gradient at D*, μ = {n.mus[-1]:g}", 0.0,
        float(n.exact[-1, 0] / n.exact[-1, 1]), 1e-3,
        "vanishes: E D*(G(z)) → 0 as the densities separate (L9); the ratio is "
        "E D* / (1 − E D*) < 1e-3 at this distance"))
    return out


def draw(out_dir: Path, *, quick: bool = False, device: str = "auto", seed: int = 0) -> list[Path]:
    """Compute, draw the two panels, check; returns the PNG, SVG and JSON paths."""
    n = compute(quick=quick, device=device, seed=seed)
    fig, (ax_a, ax_b) = pyplot().subplots(1, 2, figsize=(14, 6.3))
    panel_training(ax_a, n)
    panel_separation(ax_b, n)
    fig.tight_layout()
    return finish(fig, out_dir, sys.modules[__name__], checks(n), k_max=int(n.ks[-1]))
