r"""GAN and WGAN losses, gradient penalty and weight clipping.

All GAN losses take discriminator **logits** :math:`l` with :math:`D = \sigma(l)` and use the
stable identities :math:`\log D = -\operatorname{softplus}(-l)` and
:math:`\log(1 - D) = -\operatorname{softplus}(l)` (never ``LogSigmoid(1 - logit)``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from divgan._validation import check_real
from divgan.gan._runtime import torch_generator

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

    Examples
    --------
    A discriminator that cannot tell (logit 0, D = 1/2) scores :math:`-2\log 2` (L6):

    >>> import torch
    >>> from divgan.gan.losses import gan_value_from_logits
    >>> round(gan_value_from_logits(torch.zeros(3), torch.zeros(5)).item(), 4)
    -1.3863
    """
    return -F.softplus(-real_logits).mean() - F.softplus(fake_logits).mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r"""D's loss :math:`-L(D, G)`: binary cross-entropy on real (label 1) then fake (label 0).

    D maximises the lecture's value (L4); with logits this is
    :math:`\mathbb{E}\operatorname{softplus}(-l_r) + \mathbb{E}\operatorname{softplus}(l_g)`.

    Examples
    --------
    >>> import torch
    >>> from divgan.gan.losses import discriminator_loss
    >>> round(discriminator_loss(torch.zeros(2), torch.zeros(2)).item(), 4)   # 2 log 2
    1.3863
    """
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def generator_loss(fake_logits: torch.Tensor, kind: str = "non_saturating") -> torch.Tensor:
    r"""G's loss.

    ``"minimax"``: :math:`\mathbb{E}\log(1 - D(G(z)))` exactly as in the lecture's min-max game
    (saturates when D is confident: the vanishing gradient of L9).
    ``"non_saturating"``: :math:`-\mathbb{E}\log D(G(z))` (same fixed point, strong gradient early).

    Examples
    --------
    Against a confident discriminator (logit -10 on a fake) the minimax loss is flat (L9):

    >>> import torch
    >>> from divgan.gan.losses import generator_loss
    >>> l = torch.tensor([-10.0], requires_grad=True)
    >>> round(torch.autograd.grad(generator_loss(l, "minimax"), l)[0].item(), 6)
    -4.5e-05
    >>> round(torch.autograd.grad(generator_loss(l, "non_saturating"), l)[0].item(), 6)
    -0.999955
    """
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()
    if kind == "non_saturating":
        return F.softplus(-fake_logits).mean()
    raise ValueError(f"kind must be 'minimax' or 'non_saturating', got {kind!r}")


def critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    r"""WGAN critic loss :math:`-(\mathbb{E}_{p_r} f - \mathbb{E}_{p_g} f)` (L16): minimising it maximises the dual.

    Examples
    --------
    >>> import torch
    >>> from divgan.gan.losses import critic_loss
    >>> critic_loss(torch.tensor([1.0, 3.0]), torch.tensor([0.0])).item()
    -2.0
    """
    return fake_scores.mean() - real_scores.mean()


def gradient_penalty(
    critic: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    gp_one_sided: bool = False,
    seed=None,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Gradient penalty of Gulrajani et al. (2017), without the factor :math:`\lambda`.

    .. math::

        \mathbb{E}_{\hat x}\,(\|\nabla f(\hat x)\|_2 - 1)^2, \qquad
        \hat x = \epsilon x_r + (1 - \epsilon) x_g,\ \epsilon \sim U(0, 1) \text{ per sample}

    ``gp_one_sided=True`` penalises only slopes above 1, :math:`\max(0, \|\nabla f\| - 1)^2`
    (which keeps a 1-D critic from being trapped at slope -1). Norms are per sample and
    :math:`\sqrt{\cdot + 10^{-12}}` keeps the gradient finite at a zero gradient.
    The graph is kept (``create_graph=True``) so the penalty can be back-propagated.
    It is the WGAN-GP alternative to the lecture's weight clipping (L17). ``seed`` draws the
    :math:`\epsilon`: a :class:`torch.Generator` (on the batch's device, its stream continues)
    or a seed of the package's convention (None, an int >= 0, a numpy SeedSequence or Generator).
    ``reduction="none"`` returns one term per (real, fake) pair instead of their mean, as
    torch's losses do.

    Examples
    --------
    A linear critic :math:`f(x) = w \cdot x` has gradient norm :math:`\|w\|` everywhere:

    >>> import torch
    >>> from divgan.gan.losses import gradient_penalty
    >>> w = torch.tensor([3.0, 4.0])
    >>> x = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
    >>> gradient_penalty(lambda t: t @ w, x, x + 1).item()   # (5 - 1)^2
    16.0
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake batches must have the same shape, got {tuple(real.shape)} "
                         f"and {tuple(fake.shape)}")
    if not isinstance(gp_one_sided, bool):
        raise TypeError(f"gp_one_sided must be True or False, got {gp_one_sided!r}")
    if reduction not in ("mean", "none"):
        raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")
    gen = torch_generator(seed, device=real.device)
    n = real.shape[0]
    eps = torch.rand((n,) + (1,) * (real.dim() - 1), generator=gen, device=gen.device,
                     dtype=real.dtype).to(real.device)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    norms = torch.sqrt(grad.reshape(n, -1).pow(2).sum(dim=1) + 1e-12)
    gap = norms - 1.0
    if gp_one_sided:
        gap = torch.clamp(gap, min=0.0)
    return gap.pow(2).mean() if reduction == "mean" else gap.pow(2)


@torch.no_grad()
def clip_weights_(module: nn.Module, clip_value: float = 0.01) -> None:
    r"""Clip every parameter of ``module`` to :math:`[-c, c]`, :math:`c` = ``clip_value``, in
    place (the lecture's WGAN, L17, c = 0.01).

    This keeps the critic K-Lipschitz for some unknown K, so its dual value is K·W1, not W1.

    Examples
    --------
    >>> import torch
    >>> from divgan.gan.losses import clip_weights_
    >>> layer = torch.nn.Linear(2, 1)
    >>> clip_weights_(layer, 0.01)
    >>> bool(layer.weight.abs().max() <= 0.01)
    True
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    c = check_real(clip_value, "clip_value", positive=True)
    for param in module.parameters():
        param.clamp_(-c, c)
