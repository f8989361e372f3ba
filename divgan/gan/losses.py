r"""GAN and WGAN losses, gradient penalty and weight clipping.

All GAN losses take discriminator **logits** :math:`l` with :math:`D = \sigma(l)` and use the
stable identities :math:`\log D = -\operatorname{softplus}(-l)` and
:math:`\log(1 - D) = -\operatorname{softplus}(l)` (never ``LogSigmoid(1 - logit)``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "gan_value_from_logits",
    "discriminator_loss",
    "generator_loss",
    "critic_loss",
    "gradient_penalty",
    "clip_weights_",
]


def gan_value_from_logits(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r"""The lecture's value :math:`L(D, G) = \mathbb{E}_{p_r}\log D(x) + \mathbb{E}_{p_g}\log(1 - D(x))` (L4).

    At the optimal discriminator it equals :math:`2\,\mathrm{JS}(p_r\|p_g) - 2\log 2` (L7).
    """
    return -F.softplus(-real_logits).mean() - F.softplus(fake_logits).mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r"""D's loss :math:`-L(D, G)`: binary cross-entropy on real (label 1) then fake (label 0)."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def generator_loss(fake_logits: torch.Tensor, kind: str = "non_saturating") -> torch.Tensor:
    r"""G's loss.

    ``"minimax"``: :math:`\mathbb{E}\log(1 - D(G(z)))` exactly as in the lecture's min-max game
    (saturates when D is confident: the vanishing gradient of L9).
    ``"non_saturating"``: :math:`-\mathbb{E}\log D(G(z))` (same fixed point, strong gradient early).
    """
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()
    if kind == "non_saturating":
        return F.softplus(-fake_logits).mean()
    raise ValueError(f"kind must be 'minimax' or 'non_saturating', got {kind!r}")


def critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    r"""WGAN critic loss :math:`-(\mathbb{E}_{p_r} f - \mathbb{E}_{p_g} f)` (L16): minimising it maximises the dual."""
    return fake_scores.mean() - real_scores.mean()


def gradient_penalty(
    critic: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    one_sided: bool = False,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Gradient penalty of Gulrajani et al. (2017), without the factor :math:`\lambda`.

    .. math::

        \mathbb{E}_{\hat x}\,(\|\nabla f(\hat x)\|_2 - 1)^2, \qquad
        \hat x = \epsilon x_r + (1 - \epsilon) x_g,\ \epsilon \sim U(0, 1) \text{ per sample}

    ``one_sided=True`` penalises only slopes above 1, :math:`\max(0, \|\nabla f\| - 1)^2`
    (measured here to avoid a 1-D critic trapped at slope -1). Norms are per sample and
    :math:`\sqrt{\cdot + 10^{-12}}` keeps the gradient finite at a zero gradient.
    The graph is kept (``create_graph=True``) so the penalty can be back-propagated.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake batches must have the same shape, got {tuple(real.shape)} "
                         f"and {tuple(fake.shape)}")
    n = real.shape[0]
    eps = torch.rand((n,) + (1,) * (real.dim() - 1), generator=generator,
                     device=real.device if generator is None else generator.device,
                     dtype=real.dtype).to(real.device)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    norms = torch.sqrt(grad.reshape(n, -1).pow(2).sum(dim=1) + 1e-12)
    gap = norms - 1.0
    if one_sided:
        gap = torch.clamp(gap, min=0.0)
    return gap.pow(2).mean()


@torch.no_grad()
def clip_weights_(module: nn.Module, c: float = 0.01) -> None:
    r"""Clip every parameter of ``module`` to :math:`[-c, c]` in place (the lecture's WGAN, L17, c = 0.01).

    This keeps the critic K-Lipschitz for some unknown K, so its dual value is K·W1, not W1.
    """
    if not (c > 0):
        raise ValueError(f"clip value c must be > 0, got {c!r}")
    for param in module.parameters():
        param.clamp_(-c, c)
