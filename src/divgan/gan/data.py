r"""Samplers for the training loops: the lecture's toy data, mixtures, lines, digits.

Every sampler takes the number of points and ``seed``: a :class:`torch.Generator` (whose
stream continues), or a seed of the package's convention (None, an int >= 0, a numpy
SeedSequence or Generator), and returns a float32 tensor of shape ``(n, d)`` on the CPU;
nothing here touches torch's global random state. The training loops draw on the CPU and move the batch to the
device, so a run's data stream is the same on every device and is fixed by the torch generator
state alone (which the checkpoints save).

* :func:`sample_normal`: the lecture's real data :math:`\mathcal N(-1, 1)` (L20).
* :func:`sample_latent`: the generator's noise, :math:`z \sim U(0, 1)` as in the lecture (L20)
  or :math:`\mathcal N(0, I)` (the AAE prior, L21).
* :func:`sample_ring`, :func:`sample_grid`: Gaussian mixtures with 8 modes on a circle and a
  5 x 5 grid of 25 modes (the usual mode-collapse tests).
* :func:`sample_lines`: points on the vertical segment :math:`\{\theta\} \times [0, 1]` (L13),
  through :func:`divgan.theory.sample_parallel_lines`.
* :func:`load_digits_data`, :func:`sample_digits`: scikit-learn's 8 x 8 digits (shipped with
  scikit-learn, nothing downloaded), scaled to :math:`[0, 1]` (the AAE's data, L21).
* :func:`make_sampler`: a :class:`DataSampler` by name, for :class:`~divgan.gan.training.TrainConfig`.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch

from divgan._validation import check_positive_int, check_real
from divgan.gan._runtime import torch_generator

__all__ = [
    "DATA_NAMES",
    "LATENT_KINDS",
    "DataSampler",
    "DigitsData",
    "array_sampler",
    "load_digits_data",
    "make_sampler",
    "sample_digits",
    "sample_grid",
    "sample_latent",
    "sample_lines",
    "sample_normal",
    "sample_ring",
]

LATENT_KINDS = ("uniform", "normal")


def _cpu_generator(seed) -> torch.Generator:
    """A CPU :class:`torch.Generator` from ``seed`` (:func:`~divgan.gan._runtime.torch_generator`)."""
    g = torch_generator(seed)
    if g.device.type != "cpu":
        raise ValueError(f"samplers draw on the CPU; got a torch.Generator on {g.device}")
    return g


def sample_normal(n: int, seed, *, mean: float = -1.0,
                  std: float = 1.0) -> torch.Tensor:
    r"""The lecture's real data: ``n`` draws of :math:`\mathcal N(\mu, \sigma^2)`, shape ``(n, 1)``.

    .. math::

        x = \mu + \sigma \varepsilon, \qquad \varepsilon \sim \mathcal N(0, 1),
        \quad \mu = -1,\ \sigma = 1 \text{ by default}.

    Serves L20 ("the network learns to generate normal :math:`\mathcal N(-1, 1)` variables").

    Parameters
    ----------
    n : int
        Number of samples (>= 1).
    seed : torch.Generator, int, numpy SeedSequence or Generator, or None
        The randomness (a CPU torch generator, used as is, or a seed).
    mean, std : float
        :math:`\mu` and :math:`\sigma > 0`.

    Returns
    -------
    torch.Tensor
        float32, shape ``(n, 1)``.

    Examples
    --------
    >>> from divgan.gan.data import sample_normal
    >>> x = sample_normal(100_000, 0)
    >>> x.shape, round(x.mean().item(), 1), round(x.std().item(), 1)
    (torch.Size([100000, 1]), -1.0, 1.0)
    """
    n = check_positive_int(n, "n")
    mean = check_real(mean, "mean")
    std = check_real(std, "std", positive=True)
    g = _cpu_generator(seed)
    return mean + std * torch.randn((n, 1), generator=g)


def sample_latent(n: int, dim: int, seed, *,
                  kind: str = "uniform") -> torch.Tensor:
    r"""Generator noise / AAE prior: ``(n, dim)`` draws of :math:`U(0, 1)^d` or :math:`\mathcal N(0, I_d)`.

    ``kind="uniform"`` is the lecture's :math:`z \sim \text{uniform}(0, 1)` (L20);
    ``kind="normal"`` is the standard Gaussian prior :math:`p(z)` of the AAE (L21).

    Examples
    --------
    >>> from divgan.gan.data import sample_latent
    >>> z = sample_latent(1000, 1, 0)
    >>> bool(z.min() >= 0), bool(z.max() < 1), z.shape
    (True, True, torch.Size([1000, 1]))
    """
    n = check_positive_int(n, "n")
    dim = check_positive_int(dim, "dim")
    g = _cpu_generator(seed)
    if kind == "uniform":
        return torch.rand((n, dim), generator=g)
    if kind == "normal":
        return torch.randn((n, dim), generator=g)
    raise ValueError(f"latent kind must be one of {LATENT_KINDS}, got {kind!r}")


def _mixture(n: int, centres: torch.Tensor, std: float, g: torch.Generator) -> torch.Tensor:
    idx = torch.randint(centres.shape[0], (n,), generator=g)
    return centres[idx] + std * torch.randn((n, centres.shape[1]), generator=g)


def sample_ring(n: int, seed, *, modes: int = 8, radius: float = 2.0,
                std: float = 0.02) -> torch.Tensor:
    r"""Equal-weight Gaussian mixture with ``modes`` modes on a circle, shape ``(n, 2)``.

    .. math::

        x \sim \frac1K \sum_{k=0}^{K-1} \mathcal N\big(r(\cos\tfrac{2\pi k}{K}, \sin\tfrac{2\pi k}{K}),
        \sigma^2 I\big), \qquad K = 8,\ r = 2,\ \sigma = 0.02 \text{ by default}

    (the ring of Metz et al., 2017). A GAN that collapses onto a few modes shows it at once.

    References
    ----------
    L. Metz, B. Poole, D. Pfau, J. Sohl-Dickstein, "Unrolled generative adversarial networks",
    ICLR 2017.

    Examples
    --------
    >>> from divgan.gan.data import sample_ring
    >>> x = sample_ring(5, 0)
    >>> x.shape, [round(r) for r in x.norm(dim=1).tolist()]
    (torch.Size([5, 2]), [2, 2, 2, 2, 2])
    """
    n = check_positive_int(n, "n")
    modes = check_positive_int(modes, "modes")
    radius = check_real(radius, "radius", positive=True)
    std = check_real(std, "std", positive=True)
    angles = 2 * math.pi * torch.arange(modes, dtype=torch.float64) / modes
    centres = (radius * torch.stack([angles.cos(), angles.sin()], dim=1)).float()
    return _mixture(n, centres, std, _cpu_generator(seed))


def sample_grid(n: int, seed, *, side: int = 5, spacing: float = 2.0,
                std: float = 0.05) -> torch.Tensor:
    r"""Equal-weight Gaussian mixture on a ``side`` x ``side`` grid (25 modes), shape ``(n, 2)``.

    .. math::

        x \sim \frac{1}{s^2} \sum_{i,j} \mathcal N\big(h\,(i - \tfrac{s-1}{2},\ j - \tfrac{s-1}{2}),
        \sigma^2 I\big), \qquad s = 5,\ h = 2,\ \sigma = 0.05 \text{ by default},

    so the modes sit at :math:`\{-4, -2, 0, 2, 4\}^2` (the grid of VEEGAN and PacGAN).

    References
    ----------
    A. Srivastava, L. Valkov, C. Russell, M. Gutmann, C. Sutton, "VEEGAN: Reducing mode collapse
    in GANs using implicit variational learning", NeurIPS 2017.

    Examples
    --------
    >>> from divgan.gan.data import sample_grid
    >>> x = sample_grid(10_000, 0)
    >>> x.shape, round(x.abs().max().item())
    (torch.Size([10000, 2]), 4)
    """
    n = check_positive_int(n, "n")
    side = check_positive_int(side, "side")
    spacing = check_real(spacing, "spacing", positive=True)
    std = check_real(std, "std", positive=True)
    ticks = spacing * (torch.arange(side, dtype=torch.float64) - (side - 1) / 2)
    gx, gy = torch.meshgrid(ticks, ticks, indexing="ij")
    centres = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1).float()
    return _mixture(n, centres, std, _cpu_generator(seed))


def sample_lines(n: int, seed, *, theta: float = 0.0) -> torch.Tensor:
    r"""Points :math:`(\theta, y)`, :math:`y \sim U(0, 1)`, on the lecture's segment, shape ``(n, 2)``.

    At ``theta = 0`` this is the lecture's P; at :math:`\theta \neq 0` its Q (L13). The draw is
    :func:`divgan.theory.sample_parallel_lines` with a numpy seed drawn from ``seed`` (so a torch
    generator's state alone fixes the output).

    Examples
    --------
    >>> from divgan.gan.data import sample_lines
    >>> x = sample_lines(4, 0, theta=0.5)
    >>> x[:, 0].tolist(), bool(((x[:, 1] >= 0) & (x[:, 1] <= 1)).all())
    ([0.5, 0.5, 0.5, 0.5], True)
    """
    from divgan.theory import sample_parallel_lines

    n = check_positive_int(n, "n")
    theta = check_real(theta, "theta")
    g = _cpu_generator(seed)
    _, q = sample_parallel_lines(theta, n, seed=int(torch.randint(0, 2**62, (1,), generator=g)))
    return torch.from_numpy(q).float()


@dataclass(frozen=True)
class DigitsData:
    """scikit-learn's 8 x 8 digits: ``images`` float32 ``(1797, 64)`` in [0, 1], ``labels`` int64."""

    images: torch.Tensor
    labels: torch.Tensor


@functools.lru_cache(maxsize=1)
def _digits() -> DigitsData:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = torch.as_tensor(bunch.data, dtype=torch.float32) / 16.0  # pixel values 0..16
    labels = torch.as_tensor(bunch.target, dtype=torch.int64)
    return DigitsData(images=images, labels=labels)


def load_digits_data() -> DigitsData:
    r"""The 1797 8 x 8 handwritten digits shipped with scikit-learn, pixels scaled to :math:`[0, 1]`.

    .. math::  x = \text{pixel} / 16 \in [0, 1]^{64}

    The AAE's data (L21). Loaded once per process (from scikit-learn's package data; no download).
    The returned tensors are shared: clone before changing them.

    Examples
    --------
    >>> from divgan.gan.data import load_digits_data
    >>> d = load_digits_data()
    >>> tuple(d.images.shape), d.images.min().item(), d.images.max().item(), int(d.labels.max())
    ((1797, 64), 0.0, 1.0, 9)
    """
    return _digits()


def sample_digits(n: int, seed) -> torch.Tensor:
    """``n`` digits drawn uniformly with replacement, shape ``(n, 64)``, values in [0, 1].

    Examples
    --------
    >>> from divgan.gan.data import sample_digits
    >>> sample_digits(3, 0).shape
    torch.Size([3, 64])
    """
    n = check_positive_int(n, "n")
    images = _digits().images
    idx = torch.randint(images.shape[0], (n,), generator=_cpu_generator(seed))
    return images[idx]


def _sample_rows(n: int, seed, *, rows: torch.Tensor) -> torch.Tensor:
    idx = torch.randint(rows.shape[0], (n,), generator=_cpu_generator(seed))
    return rows[idx]


_SAMPLERS: dict[str, tuple[Callable[..., torch.Tensor], int]] = {
    "normal": (sample_normal, 1),
    "ring": (sample_ring, 2),
    "grid": (sample_grid, 2),
    "lines": (sample_lines, 2),
    "digits": (sample_digits, 64),
}
DATA_NAMES = tuple(_SAMPLERS)


@dataclass(frozen=True)
class DataSampler:
    """A named real-data sampler: ``sampler(n, seed)`` returns a float32 ``(n, dim)`` tensor.

    Build one with :func:`make_sampler`. ``params`` are the keyword arguments of the sampler
    function (e.g. ``{"mean": -1.0, "std": 1.0}`` for ``"normal"``).
    """

    name: str
    dim: int
    params: Mapping[str, object] = field(default_factory=dict)
    fn: Callable[..., torch.Tensor] = field(default=sample_normal, repr=False, compare=False)

    def __call__(self, n: int, seed) -> torch.Tensor:
        return self.fn(n, seed, **self.params)


def make_sampler(name: str, params: Mapping[str, object] | None = None) -> DataSampler:
    """A :class:`DataSampler` for one of :data:`DATA_NAMES`, its parameters checked now.

    Parameters
    ----------
    name : {"normal", "ring", "grid", "lines", "digits"}
        The data set: the lecture's N(-1, 1), the 8-mode ring, the 25-mode grid, the lecture's
        segment, scikit-learn's digits.
    params : mapping, optional
        Keyword arguments of the sampler function (``mean``/``std``; ``modes``/``radius``/``std``;
        ``side``/``spacing``/``std``; ``theta``; none for digits).

    Examples
    --------
    >>> from divgan.gan.data import make_sampler
    >>> s = make_sampler("ring", {"modes": 4})
    >>> s.dim, s(2, 0).shape
    (2, torch.Size([2, 2]))
    """
    if name not in _SAMPLERS:
        raise ValueError(f"data must be one of {DATA_NAMES}, got {name!r}")
    params = {} if params is None else dict(params)
    fn, dim = _SAMPLERS[name]
    try:
        fn(1, torch.Generator().manual_seed(0), **params)  # checks the parameters once
    except TypeError as exc:
        if "unexpected keyword" in str(exc):
            raise TypeError(f"data {name!r} got an unknown parameter: {exc}") from None
        raise
    return DataSampler(name=name, dim=dim, params=params, fn=fn)


def array_sampler(rows: torch.Tensor) -> DataSampler:
    """A :class:`DataSampler` drawing rows of a fixed ``(n, d)`` float32 tensor with replacement."""
    return DataSampler(name="array", dim=int(rows.shape[1]), params={"rows": rows}, fn=_sample_rows)
