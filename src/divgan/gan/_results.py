"""Result types of :mod:`divgan.gan.estimators` (re-exported there)."""
from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType

import numpy as np
from torch import nn

from divgan.gan._fitting import _without_parametrizations

__all__ = ["CriticCheck", "Estimate", "PotentialComparison"]


@dataclass(frozen=True)
class Estimate:
    """A trained-network estimate of JS or W1 on held-out samples.

    Attributes
    ----------
    value, ci_low, ci_high : float
        The estimate and its interval (see ``interval``), in the quantity's units (nats
        for JS, data units for W1).
    quantity : {"js", "wasserstein"}
    method : {"discriminator", "gp", "sn", "clip", "ctransform"}
    kind : {"lower_bound", "debiased", "rescaled_lower_bound", "certified_lower_bound"}
        What ``value`` is; ``is_lower_bound`` and ``caveat`` say it again, plainly.
    diagnostics : Mapping[str, float]
        Raw dual value, penalty, measured Lipschitz constants, BCEs and the like.
    steps, seed, device, n_train, n_test, confidence
        How it was obtained.
    network : torch.nn.Module
        The trained discriminator (logits) or critic, on raw inputs.
    held_out : (numpy.ndarray, numpy.ndarray)
        Indices of the held-out real and fake samples, to compare with the exact value on
        the very samples the estimate was read on (cross-fitted: those of the first fold,
        which ``network`` was read on).
    fold_values : tuple of float or None
        Cross-fitted (``folds=K``): the value read on each fold; ``value`` is their mean.
    interval : str
        How ``ci_low``, ``ci_high`` were obtained and what they leave out.

    Notes
    -----
    ``diagnostics`` is a read-only view of the estimate's own copy. An ``Estimate`` pickles
    (``diagnostics`` travels as a plain dict). A spectrally normalised critic's layers are
    pickled as the fixed weights they evaluate to: the loaded network gives the same scores,
    but is no longer re-normalised if trained further (``copy.deepcopy`` keeps them as they are).
    """

    value: float
    ci_low: float
    ci_high: float
    quantity: str
    method: str
    kind: str
    is_lower_bound: bool
    caveat: str
    diagnostics: Mapping[str, float]
    steps: int
    seed: int
    device: str
    n_train: int
    n_test: int
    confidence: float
    network: nn.Module | None = field(default=None, repr=False, compare=False)
    held_out: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False,
                                                           compare=False)
    fold_values: tuple[float, ...] | None = None
    interval: str = ""

    def __post_init__(self):
        object.__setattr__(self, "diagnostics", MappingProxyType(dict(self.diagnostics)))

    def __reduce__(self):  # neither a mappingproxy nor a parametrised layer pickles (Notes)
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(diagnostics=dict(self.diagnostics),
                      network=_without_parametrizations(self.network))
        return (type(self), tuple(values.values()))

    def __copy__(self):
        return type(self)(**{f.name: getattr(self, f.name) for f in fields(self)})

    def __deepcopy__(self, memo):
        values = {f.name: copy.deepcopy(getattr(self, f.name), memo) for f in fields(self)
                  if f.name != "diagnostics"}
        return type(self)(diagnostics=dict(self.diagnostics), **values)

    def summary(self) -> str:
        """One line: value, CI, method and kind."""
        name = "JS" if self.quantity == "js" else "W1"
        pct = round(100 * self.confidence)
        return (f"{name} ~ {self.value:.6g}  ({pct}% CI [{self.ci_low:.6g}, {self.ci_high:.6g}]; "
                f"{self.method}, {self.kind})")


@dataclass(frozen=True)
class CriticCheck:
    """A critic's dual value on two samples against the exact W1 of the same samples."""

    dual_value: float
    exact: float
    gap: float
    ratio: float
    lipschitz_gradient: float
    lipschitz_pairs: float
    rescaled_value: float


@dataclass(frozen=True)
class PotentialComparison:
    """A 1-D critic and the exact Kantorovich potential on a grid, both centred (mean zero)."""

    x: np.ndarray
    critic: np.ndarray
    potential: np.ndarray
    max_abs_error: float
    rms_error: float
