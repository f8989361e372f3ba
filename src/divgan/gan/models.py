r"""Plain ``nn.Module`` networks with explicit arguments.

Discriminators return **logits** (use ``*_with_logits`` losses, never Sigmoid + BCELoss);
critics return an unbounded real score. No BatchNorm anywhere a gradient penalty may be
applied: the penalty is per sample and BatchNorm couples the samples of a batch.
"""
from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

import torch
from torch import nn

from divgan._validation import check_positive_int

__all__ = ["ACTIVATIONS", "MLP", "Generator", "Discriminator", "Critic", "Encoder", "Decoder",
           "check_hidden"]

#: The activations an :class:`MLP` takes, by name.
ACTIVATIONS = MappingProxyType({
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
})


def check_hidden(hidden, name: str = "hidden", *, allow_empty: bool = False) -> tuple[int, ...]:
    """Hidden-layer widths: a non-empty sequence of ints >= 1, returned as a tuple
    (``allow_empty=True`` also accepts ``()``, a linear network).

    Examples
    --------
    >>> from divgan.gan.models import check_hidden
    >>> check_hidden([64, 32])
    (64, 32)
    >>> check_hidden(5)
    Traceback (most recent call last):
    ...
    TypeError: hidden must be a non-empty sequence of layer widths (ints >= 1), e.g. (64, 64); got 5
    """
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise TypeError(f"{name} must be a {'' if allow_empty else 'non-empty '}sequence of "
                        f"layer widths (ints >= 1), e.g. (64, 64); got {hidden!r}")
    if len(hidden) == 0 and not allow_empty:
        raise ValueError(f"{name} must name at least one layer width, e.g. (64, 64); got {hidden!r}")
    return tuple(check_positive_int(h, f"{name} width") for h in hidden)


class MLP(nn.Module):
    r"""Fully connected network ``in_dim -> hidden... -> out_dim``.

    Parameters
    ----------
    in_dim, out_dim : int
        Input and output widths.
    hidden : sequence of int
        Widths of the hidden layers (default two layers of 64); ``()`` is one linear layer.
    activation : {"relu", "leaky_relu", "tanh", "elu"}
        Non-linearity between layers (none after the last layer).
    spectral_norm : bool
        Wrap every linear layer in :func:`torch.nn.utils.parametrizations.spectral_norm`,
        which makes each layer (and so, with 1-Lipschitz activations, the network)
        at most 1-Lipschitz up to the power-iteration error of :math:`\sigma`.
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        hidden: Sequence[int] = (64, 64),
        *,
        activation: str = "relu",
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        check_positive_int(in_dim, "in_dim")
        check_positive_int(out_dim, "out_dim")
        hidden = check_hidden(hidden, allow_empty=True)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        widths = [in_dim, *hidden, out_dim]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            linear = nn.Linear(a, b)
            if spectral_norm:
                linear = nn.utils.parametrizations.spectral_norm(linear)
            layers.append(linear)
            if i < len(widths) - 2:
                layers.append(ACTIVATIONS[activation]())
        self.net = nn.Sequential(*layers)
        self.in_dim, self.out_dim = in_dim, out_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Generator(nn.Module):
    """G: latent ``z`` of shape ``(n, latent_dim)`` -> sample ``x`` of shape ``(n, data_dim)`` (L3, L20).

    Examples
    --------
    >>> import torch
    >>> from divgan.gan.models import Generator
    >>> _ = torch.manual_seed(0)
    >>> Generator(1, 1)(torch.rand(4, 1)).shape   # the lecture's z ~ U(0, 1) -> x
    torch.Size([4, 1])
    """

    def __init__(self, latent_dim: int, data_dim: int, hidden: Sequence[int] = (64, 64),
                 *, activation: str = "relu") -> None:
        super().__init__()
        self.latent_dim, self.data_dim = latent_dim, data_dim
        self.net = MLP(latent_dim, data_dim, hidden, activation=activation)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class Discriminator(nn.Module):
    """D: ``(n, data_dim)`` -> logits ``(n,)``; D(x) = sigmoid(logit) is P(x is real) (L3, L5).

    Examples
    --------
    >>> import torch
    >>> from divgan.gan.models import Discriminator
    >>> _ = torch.manual_seed(0)
    >>> Discriminator(2)(torch.zeros(5, 2)).shape
    torch.Size([5])
    """

    def __init__(self, data_dim: int, hidden: Sequence[int] = (64, 64),
                 *, activation: str = "leaky_relu") -> None:
        super().__init__()
        self.data_dim = data_dim
        self.net = MLP(data_dim, 1, hidden, activation=activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


class Critic(nn.Module):
    """WGAN critic f: ``(n, data_dim)`` -> real scores ``(n,)`` (no sigmoid, no BatchNorm; L16).

    ``spectral_norm=True`` makes every layer at most 1-Lipschitz (up to power iteration),
    an alternative to the lecture's weight clipping (L17).

    Examples
    --------
    >>> import torch
    >>> from divgan.gan.models import Critic
    >>> _ = torch.manual_seed(0)
    >>> Critic(1, hidden=(8,), spectral_norm=True)(torch.zeros(3, 1)).shape
    torch.Size([3])
    """

    def __init__(self, data_dim: int, hidden: Sequence[int] = (64, 64),
                 *, activation: str = "relu", spectral_norm: bool = False) -> None:
        super().__init__()
        self.data_dim = data_dim
        self.net = MLP(data_dim, 1, hidden, activation=activation, spectral_norm=spectral_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


class Encoder(nn.Module):
    """Deterministic AAE encoder q(z|x): ``(n, data_dim)`` -> codes ``(n, latent_dim)``."""

    def __init__(self, data_dim: int, latent_dim: int, hidden: Sequence[int] = (128, 128),
                 *, activation: str = "relu") -> None:
        super().__init__()
        self.data_dim, self.latent_dim = data_dim, latent_dim
        self.net = MLP(data_dim, latent_dim, hidden, activation=activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Decoder(nn.Module):
    """AAE decoder p(x|z): ``(n, latent_dim)`` -> reconstructions ``(n, data_dim)``."""

    def __init__(self, latent_dim: int, data_dim: int, hidden: Sequence[int] = (128, 128),
                 *, activation: str = "relu") -> None:
        super().__init__()
        self.latent_dim, self.data_dim = latent_dim, data_dim
        self.net = MLP(latent_dim, data_dim, hidden, activation=activation)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)
