r"""The one registry of WGAN critic methods: ``gp``, ``sn``, ``clip``, ``ctransform``.

Each :class:`CriticMethod` says everything that differs between the methods, for the training
loop (:func:`divgan.gan.training.train_wgan`) and the estimators
(:func:`divgan.gan.estimators.fit_critic`, :func:`~divgan.gan.estimators.estimate_wasserstein`)
alike:

* how the critic network is built (``spectral_norm`` for ``sn``);
* the optimiser (Adam with the caller's betas; RMSProp for ``clip``, WGAN's Algorithm 1);
* the training loss: :math:`-(\mathbb E_{p_r} f - \mathbb E_{p_g} f)` plus the penalty term
  (``gp``: :math:`\lambda\,\mathbb E(\|\nabla f(\hat x)\| - 1)^2`, one-sided by default);
* the hook after each optimiser step (``clip``: weights clamped to :math:`[-c, c]`, L17);
* the critic's score of a fake point: :math:`f(y)` itself, or for ``ctransform`` minus the
  c-transform over the real points, :math:`-f^c(y) = \max_i (f(x_i) - \|x_i - y\|)`, which
  replaces any Lipschitz constraint (Mallasto et al.);
* how a W1 value is read from the trained critic on held-out samples, and what it is
  (``kind``, ``is_lower_bound``, ``caveat``);
* the estimators' defaults (steps, learning rate, cosine learning-rate decay).

Adding a method is one :class:`CriticMethod` in :data:`CRITIC_METHODS` plus its tests. An
unknown name gives a ``ValueError`` listing the registered ones (:func:`get_critic_method`).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import torch
from torch import nn

from divgan._validation import check_real
from divgan.gan.losses import clip_weights_, critic_loss, gradient_penalty
from divgan.gan.models import Critic

__all__ = ["CRITIC_METHODS", "CriticMethod", "CriticSettings", "get_critic_method"]


@dataclass(frozen=True)
class CriticSettings:
    """The methods' own settings (each method reads the ones it needs).

    Attributes
    ----------
    gp_weight : float
        :math:`\\lambda` of the gradient penalty (``gp``). The estimators apply it to the
        standardised data (divided by their pooled spread :math:`s`), i.e. with weight
        :math:`s\\lambda` in the data's units, so it means the same for data in any units;
        ``train_wgan`` applies it to the data as given.
    gp_one_sided : bool
        Penalise only slopes above 1 (``gp``).
    clip_value : float
        :math:`c` of the weight clipping (``clip``).
    """

    gp_weight: float = 10.0
    gp_one_sided: bool = True
    clip_value: float = 0.01

    def __post_init__(self) -> None:
        object.__setattr__(self, "gp_weight", check_real(self.gp_weight, "gp_weight",
                                                         positive=True))
        object.__setattr__(self, "clip_value", check_real(self.clip_value, "clip_value",
                                                          positive=True))
        if not isinstance(self.gp_one_sided, (bool, np.bool_)):
            raise TypeError(f"gp_one_sided must be True or False, got {self.gp_one_sided!r}")
        object.__setattr__(self, "gp_one_sided", bool(self.gp_one_sided))


@dataclass(frozen=True)
class HeldOut:
    r"""A trained critic measured on held-out samples (float64), input of ``CriticMethod.read``.

    ``scores_real``, ``scores_fake``: the critic's scores of each held-out sample
    (:meth:`CriticMethod.fake_scores` for the fakes); ``grad_norms``: gradient norms
    on interpolates, shape ``(repeats, pairs)``; ``slope``: the largest pairwise slope;
    ``sigma_product``: the product of the layers' exact spectral norms; ``scale``: the spread
    :math:`s` of the standardisation the critic was trained on (the penalty's weight in the
    data's units is :math:`s\lambda`).
    """

    scores_real: np.ndarray
    scores_fake: np.ndarray
    grad_norms: np.ndarray
    slope: float
    sigma_product: float
    scale: float = 1.0


# A value read from a critic: value = sum_k coef_k * mean(part_k), each part resampled on its
# own by the bootstrap, and the diagnostics.
Reading = tuple[list[np.ndarray], list[float], dict[str, float]]


@dataclass(frozen=True)
class CriticMethod:
    """One critic method: training pieces, reading of the value, and the estimators' defaults."""

    name: str
    kind: str
    is_lower_bound: bool
    caveat: str
    spectral_norm: bool
    make_optimizer: Callable[..., torch.optim.Optimizer]
    # penalty(critic, real, fake, settings, seed, reduction="mean" | "none") -> tensor
    penalty: Callable[..., torch.Tensor] | None
    penalty_weight: Callable[[CriticSettings], float] | None
    after_step: Callable[[nn.Module, CriticSettings], None] | None
    read: Callable[[HeldOut, CriticSettings], Reading]
    default_steps: int
    default_lr: float
    lr_decay: bool
    c_transform: bool = False
    activation: str = "relu"  # the estimators' networks (train_wgan keeps the lecture's ReLU)

    def fake_scores(self, critic: nn.Module, fake: torch.Tensor, real: torch.Tensor, *,
                    scale: float = 1.0) -> torch.Tensor:
        r"""The critic's scores of the fakes, so that the dual value is
        :math:`\overline{f(x_r)} - \overline{\text{score}(y)}`: :math:`f(y)`, or with
        ``c_transform`` :math:`\max_i (f(x_i) - s\|x_i - y\|)` over the rows ``x_i`` of
        ``real`` (``s`` = ``scale``: distances in the data's units when ``f`` sees standardised
        points)."""
        if not self.c_transform:
            return critic(fake)
        return _neg_c_transform(critic(real), real, fake, scale)

    def build(self, data_dim: int, hidden, activation: str = "relu") -> Critic:
        """A fresh critic ``(n, data_dim) -> (n,)`` for this method."""
        return Critic(data_dim, hidden, activation=activation, spectral_norm=self.spectral_norm)

    def loss(self, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor,
             settings: CriticSettings, *, seed: torch.Generator | None = None,
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        r"""``(loss, dual, penalty)``: the loss minimised,
        :math:`-(\overline{f(x_r)} - \overline{\text{score}(x_g)}) + w\,P` (see
        :meth:`fake_scores`), the batch dual value and the
        unweighted penalty ``P`` (``None`` without one); ``w`` is the method's weight."""
        f_real = critic(real)
        f_fake = (_neg_c_transform(f_real, real, fake, 1.0) if self.c_transform
                  else critic(fake))
        loss = critic_loss(f_real, f_fake)
        dual = -loss.detach()
        pen = None
        if self.penalty is not None:
            pen = self.penalty(critic, real, fake, settings, seed)
            loss = loss + self.penalty_weight(settings) * pen
        return loss, dual, pen


_CDIST_BYTES = 64 * 2**20  # pairwise distances: at most this many bytes at a time


def _neg_c_transform(f_real: torch.Tensor, real: torch.Tensor, fake: torch.Tensor,
                     scale: float) -> torch.Tensor:
    """``max_i (f(x_i) - scale * |x_i - y|)`` for every fake ``y``, in chunks of fakes so that
    the distance matrix stays within ``_CDIST_BYTES``."""
    rows = max(1, _CDIST_BYTES // (real.element_size() * max(1, len(real))))
    out = [torch.max(f_real[None, :] - scale * torch.cdist(fake[i:i + rows], real), dim=1).values
           for i in range(0, len(fake), rows)]
    return torch.cat(out)


def _adam(params, *, lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=lr, betas=betas)


def _rmsprop(params, *, lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
    return torch.optim.RMSprop(params, lr=lr)  # WGAN's Algorithm 1 (momentum-free)


def _gp_penalty(critic, real, fake, settings, seed, reduction="mean"):
    return gradient_penalty(critic, real, fake, gp_one_sided=settings.gp_one_sided, seed=seed,
                            reduction=reduction)


def _clip(critic, settings):
    clip_weights_(critic, settings.clip_value)


def _base_diagnostics(h: HeldOut) -> dict[str, float]:
    return {"raw_value": float(h.scores_real.mean() - h.scores_fake.mean()),
            "lipschitz_gradient": float(h.grad_norms.max()), "lipschitz_pairs": h.slope,
            "mean_gradient_norm": float(h.grad_norms.mean())}


def _read_gp(h: HeldOut, s: CriticSettings) -> Reading:
    """Dual value minus 2 lambda times the penalty, both held out (first-order de-biasing)."""
    gap = h.grad_norms - 1.0
    pen = (np.maximum(gap, 0.0) if s.gp_one_sided else gap) ** 2
    pen_terms = pen.mean(axis=0)  # one term per held-out (real, fake) pair
    diag = _base_diagnostics(h)
    weight = s.gp_weight * h.scale  # the penalty's weight in the data's units
    diag.update(penalty=float(pen_terms.mean()), gp_weight=s.gp_weight, penalty_weight=weight)
    return ([h.scores_real, h.scores_fake, pen_terms], [1.0, -1.0, -2.0 * weight], diag)


def _divided(h: HeldOut, denom: float, what: str) -> Reading:
    if not (np.isfinite(denom) and denom > 0):
        raise ValueError(f"the trained critic is constant on the held-out samples ({what} = "
                         f"{denom!r}): no W1 value can be read from it; train longer or with "
                         f"another seed")
    return [h.scores_real, h.scores_fake], [1.0 / denom, -1.0 / denom], _base_diagnostics(h)


def _read_ctransform(h: HeldOut, s: CriticSettings) -> Reading:
    """The held-out dual value itself: a feasible dual of the held-out samples' OT problem."""
    return [h.scores_real, h.scores_fake], [1.0, -1.0], _base_diagnostics(h)


def _read_sn(h: HeldOut, s: CriticSettings) -> Reading:
    """Dual value divided by the product of the layers' exact spectral norms."""
    parts, coefs, diag = _divided(h, h.sigma_product, "product of spectral norms")
    diag["sigma_product"] = h.sigma_product
    return parts, coefs, diag


def _read_clip(h: HeldOut, s: CriticSettings) -> Reading:
    """Dual value divided by the largest measured slope (gradient norms and point pairs)."""
    lip = max(float(h.grad_norms.max()), h.slope)
    parts, coefs, diag = _divided(h, lip, "largest slope")
    diag["lipschitz"] = lip
    return parts, coefs, diag


CRITIC_METHODS: Mapping[str, CriticMethod] = MappingProxyType({
    "gp": CriticMethod(
        name="gp", kind="debiased", is_lower_bound=False,
        caveat=("de-biased: the penalised critic's dual value overestimates W1 (see the "
                "documentation); value = dual value - 2 * gp_weight * penalty, both on held-out "
                "samples; at the penalised optimum that is the cost of a transport flow, so at "
                "least W1, and W1 itself in 1-D; a trained critic can read on either side; the "
                "raw dual value is kept in the diagnostics"),
        spectral_norm=False, make_optimizer=_adam, penalty=_gp_penalty,
        penalty_weight=lambda s: s.gp_weight, after_step=None, read=_read_gp,
        default_steps=2000, default_lr=1e-3, lr_decay=True, activation="elu"),
    "sn": CriticMethod(
        name="sn", kind="lower_bound", is_lower_bound=True,
        caveat=("dual value of a spectrally normalised critic divided by the product of its "
                "layers' exact spectral norms: a 1-Lipschitz critic, so a lower bound on W1 in "
                "expectation"),
        spectral_norm=True, make_optimizer=_adam, penalty=None, penalty_weight=None,
        after_step=None, read=_read_sn, default_steps=2000, default_lr=1e-3, lr_decay=True),
    "clip": CriticMethod(
        name="clip", kind="rescaled_lower_bound", is_lower_bound=True,
        caveat=("weight clipping gives K*W1 for an unknown K (the raw dual value, kept in the "
                "diagnostics); value = raw value / the critic's largest measured slope: a valid "
                "but loose lower bound on the held-out samples' exact W1"),
        spectral_norm=False, make_optimizer=_rmsprop, penalty=None, penalty_weight=None,
        after_step=_clip, read=_read_clip, default_steps=1500, default_lr=5e-5,
        lr_decay=False),
    "ctransform": CriticMethod(
        name="ctransform", kind="certified_lower_bound", is_lower_bound=True,
        caveat=("c-transform critic: on the held-out samples f(x_i) - max_k (f(x_k) - "
                "|x_k - y_j|) <= |x_i - y_j| for every pair, a feasible dual of their exact "
                "optimal transport, so the value is at most their exact W1 (a certified lower "
                "bound, up to float64 rounding)"),
        spectral_norm=False, make_optimizer=_adam, penalty=None, penalty_weight=None,
        after_step=None, read=_read_ctransform, default_steps=2000, default_lr=1e-3,
        lr_decay=True, c_transform=True, activation="elu"),
})
"""The registered critic methods by name."""


def get_critic_method(name, argument: str = "method") -> CriticMethod:
    """The registered method ``name``; a ``ValueError`` naming ``argument`` and listing the
    registered names otherwise.

    Examples
    --------
    >>> from divgan.gan.critics import get_critic_method
    >>> get_critic_method("sn").kind
    'lower_bound'
    >>> get_critic_method("wgan")
    Traceback (most recent call last):
    ...
    ValueError: method must be one of ('gp', 'sn', 'clip', 'ctransform'), got 'wgan'
    """
    if not isinstance(name, str) or name not in CRITIC_METHODS:
        raise ValueError(f"{argument} must be one of {tuple(CRITIC_METHODS)}, got {name!r}")
    return CRITIC_METHODS[name]
