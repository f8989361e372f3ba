r"""Exact reference pairs (P, Q) in any dimension d: shifted, scaled and hyperplanes.

Each constructor returns a frozen :class:`ReferencePair` holding the exact W₁, W₂, KL both
ways and JS of the pair, a sampler, an optimal 1-Lipschitz critic and (where both densities
exist) the log density ratio. Q is P moved: X + s, cX, or the hyperplane at θ. Re-exported
by :mod:`divgan.theory`; nothing here imports torch or matplotlib.
"""

from __future__ import annotations

import abc
import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from divgan._validation import (
    as_float_array,
    as_generator,
    as_points,
    check_positive_int,
    check_real,
)
from divgan.divergences import js_divergence_density

__all__ = [
    "HyperplanesPair",
    "ReferencePair",
    "ScaledPair",
    "ShiftedPair",
    "hyperplanes",
    "scaled",
    "shifted",
]

LOG2 = math.log(2.0)
SHIFT_BASES = ("gaussian", "uniform")


@dataclass(frozen=True)
class ReferencePair(abc.ABC):
    r"""Two distributions P and Q on :math:`\mathbb{R}^d` with their exact distances.

    Built by :func:`shifted`, :func:`scaled` or :func:`hyperplanes` (one subclass each,
    which adds the family's parameters).

    Attributes
    ----------
    d : int
        The dimension.
    w1, w2 : float
        The Wasserstein distances :math:`W_1(P, Q)` and :math:`W_2(P, Q)` (Euclidean ground
        metric).
    kl_pq, kl_qp : float
        :math:`\mathrm{KL}(P\|Q)` and :math:`\mathrm{KL}(Q\|P)` in nats (``math.inf`` where
        infinite).
    js : float
        :math:`\mathrm{JS}(P\|Q)` in nats, at most :math:`\log 2`.

    Examples
    --------
    >>> from divgan.theory import scaled
    >>> pair = scaled(4, 0.5)
    >>> x_p, x_q = pair.sample(3, seed=0)
    >>> x_p.shape, x_q.shape, pair.critic(x_p).shape
    ((3, 4), (3, 4), (3,))
    >>> pair.critic([[3.0, 4.0, 0.0, 0.0]]).tolist()  # the cone |x|
    [5.0]
    >>> pair.log_density_ratio([[0.0, 0.0, 0.0, 0.0]]).round(4).tolist()  # d log c at 0
    [-2.7726]
    """

    d: int
    w1: float
    w2: float
    kl_pq: float
    kl_qp: float
    js: float

    def sample(self, n, *, seed=None, rng=None) -> tuple[np.ndarray, np.ndarray]:
        r"""Draw ``n`` points of P and, independently, ``n`` points of Q.

        Parameters
        ----------
        n : int
            Points per distribution (>= 1).
        seed : None, int, numpy.random.SeedSequence or numpy.random.Generator
            The randomness (a Generator is used as is, so its state advances).
        rng : same types as ``seed``
            An alias of ``seed`` (the name used by :func:`sample_parallel_lines`); give at
            most one of the two.

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            ``x_p`` and ``x_q``, float64 arrays of shape ``(n, d)``.

        Raises
        ------
        TypeError
            Both ``seed`` and ``rng`` given, or a seed of the wrong type.
        ValueError
            ``n < 1`` or a negative int seed.
        """
        n = check_positive_int(n, "n")
        if seed is not None and rng is not None:
            raise TypeError("give the randomness as seed= or as rng=, not both")
        gen = as_generator(rng, "rng") if rng is not None else as_generator(seed, "seed")
        return self._draw(n, gen)

    def critic(self, x) -> np.ndarray:
        r"""An optimal critic: a 1-Lipschitz :math:`f` with :math:`E_P f - E_Q f = W_1(P, Q)`.

        Parameters
        ----------
        x : array_like
            Points of shape ``(n, d)`` (for ``d = 1`` also a 1-D array of ``n`` points).

        Returns
        -------
        numpy.ndarray
            :math:`f(x)`, shape ``(n,)``.
        """
        return self._critic(self._points(x))

    def log_density_ratio(self, x) -> np.ndarray:
        r""":math:`\log p(x) - \log q(x)` at points ``x`` of shape ``(n, d)``, shape ``(n,)``.

        Raises ``NotImplementedError`` for families without densities (hyperplanes).
        """
        return self._log_ratio(self._points(x))

    def _points(self, x) -> np.ndarray:
        arr = as_float_array(x, "x")
        if arr.ndim == 1 and self.d == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[1] != self.d:
            raise ValueError(
                f"x must be points of shape (n, {self.d}) for this pair in d = {self.d}, "
                f"got shape {arr.shape}"
            )
        return as_points(arr, "x", dim=self.d)

    @abc.abstractmethod
    def _draw(self, n: int, gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` independent points of P and of Q."""

    @abc.abstractmethod
    def _critic(self, x: np.ndarray) -> np.ndarray:
        """The optimal critic on validated ``(n, d)`` points."""

    @abc.abstractmethod
    def _log_ratio(self, x: np.ndarray) -> np.ndarray:
        """log p − log q on validated ``(n, d)`` points."""


@dataclass(frozen=True)
class ShiftedPair(ReferencePair):
    """P = law of X, Q = law of X + s (see :func:`shifted`).

    Attributes
    ----------
    shift : tuple of float
        The vector s (length d).
    base : str
        ``"gaussian"`` (X ~ N(0, I_d)) or ``"uniform"`` (X ~ U[0, 1]^d).
    """

    shift: tuple[float, ...]
    base: str

    def _draw(self, n, gen):
        s = np.asarray(self.shift)
        if self.base == "gaussian":
            return gen.standard_normal((n, self.d)), gen.standard_normal((n, self.d)) + s
        return gen.uniform(0.0, 1.0, (n, self.d)), gen.uniform(0.0, 1.0, (n, self.d)) + s

    def _critic(self, x):
        s = np.asarray(self.shift)
        norm = float(np.linalg.norm(s))
        return -(x @ s) / norm if norm > 0 else np.zeros(x.shape[0])

    def _log_ratio(self, x):
        s = np.asarray(self.shift)
        if self.base == "gaussian":  # -|x|²/2 + |x - s|²/2
            return -(x @ s) + 0.5 * float(s @ s)
        in_p = ((x >= 0.0) & (x <= 1.0)).all(axis=1)
        in_q = ((x >= s) & (x <= s + 1.0)).all(axis=1)
        if not (in_p | in_q).all():
            i = int(np.argmin(in_p | in_q))
            raise ValueError(
                f"x[{i}] lies outside both supports, where p = q = 0 and the ratio is undefined"
            )
        return np.where(in_p & in_q, 0.0, np.where(in_p, math.inf, -math.inf))


@dataclass(frozen=True)
class ScaledPair(ReferencePair):
    """P = N(0, I_d), Q = N(0, c² I_d) (see :func:`scaled`).

    Attributes
    ----------
    scale : float
        The factor c > 0.
    """

    scale: float

    def _draw(self, n, gen):
        return gen.standard_normal((n, self.d)), self.scale * gen.standard_normal((n, self.d))

    def _critic(self, x):
        return float(np.sign(1.0 - self.scale)) * np.linalg.norm(x, axis=1)

    def _log_ratio(self, x):
        c = self.scale
        return 0.5 * (1.0 / c**2 - 1.0) * np.einsum("ij,ij->i", x, x) + self.d * math.log(c)


@dataclass(frozen=True)
class HyperplanesPair(ReferencePair):
    r"""P uniform on :math:`\{0\} \times [0, 1]^{d-1}`, Q on :math:`\{\theta\} \times [0, 1]^{d-1}`
    (see :func:`hyperplanes`).

    Attributes
    ----------
    theta : float
        The offset θ of Q along the first axis.
    """

    theta: float

    def _draw(self, n, gen):
        x_p = np.column_stack([np.zeros(n), gen.uniform(0.0, 1.0, (n, self.d - 1))])
        x_q = np.column_stack([np.full(n, self.theta), gen.uniform(0.0, 1.0, (n, self.d - 1))])
        return x_p, x_q

    def _critic(self, x):
        return -float(np.sign(self.theta)) * x[:, 0]

    def _log_ratio(self, x):
        raise NotImplementedError(
            "hyperplanes: P and Q live on (d-1)-dimensional hyperplanes, so neither has a "
            "density on R^d and the ratio p/q does not exist"
        )


def _shift_vector(shift, d: int) -> np.ndarray:
    """A float (then s = shift·e₁) or a finite vector of length d."""
    if np.ndim(shift) == 0:
        value = check_real(shift.item() if isinstance(shift, np.ndarray) else shift, "shift")
        s = np.zeros(d)
        s[0] = value
        return s
    s = as_float_array(shift, "shift")
    if s.shape != (d,):
        raise ValueError(
            f"shift must be a float or a vector of length d = {d}, got shape {s.shape}"
        )
    if not np.isfinite(s).all():
        i = int(np.argmin(np.isfinite(s)))
        raise ValueError(f"shift must be finite, found {float(s[i])!r} at index {i}")
    return s


def shifted(d, shift, *, base="gaussian") -> ShiftedPair:
    r"""P = law of X and Q = law of X + s in d dimensions, with exact W₁, W₂, KL and JS.

    X ~ N(0, I_d) (``base="gaussian"``) or X ~ U[0, 1]^d (``base="uniform"``); s = shift·e₁
    for a float shift, s = shift for a vector of length d. For both bases

    .. math::

        W_1(P, Q) = W_2(P, Q) = \|s\| :

    the coupling Y = X + s moves every point by exactly :math:`\|s\|` (upper bound), and the
    1-Lipschitz :math:`f(x) = -\langle x, s\rangle / \|s\|` has
    :math:`E_P f - E_Q f = \|s\|` (lower bound; also :math:`W_2 \ge W_1`). Gaussian base:

    .. math::

        \mathrm{KL}(P\|Q) = \mathrm{KL}(Q\|P) = \tfrac12\|s\|^2, \qquad
        \mathrm{JS}(P\|Q) = \mathrm{JS}\bigl(N(0, 1) \,\|\, N(\|s\|, 1)\bigr),

    the JS by quadrature in 1-D: the ratio :math:`p/q = e^{\|s\|^2/2 - \langle x, s\rangle}`
    depends on x only through :math:`\langle x, s\rangle / \|s\|`, which is N(0, 1) under P and
    N(‖s‖, 1) under Q. Uniform base: :math:`\mathrm{KL} = \infty` for s ≠ 0 (each box has
    mass outside the other) and

    .. math::

        \mathrm{JS}(P\|Q) = \log 2 \cdot \Bigl(1 - \prod_{i=1}^d \max(0, 1 - |s_i|)\Bigr),

    since the integrand vanishes on the overlap of the boxes and is :math:`\tfrac12 \log 2`
    per unit volume elsewhere. Lecture claims L12 (the coupling) and L15 (the critic) in
    d dimensions.

    Parameters
    ----------
    d : int
        Dimension (>= 1).
    shift : float or array_like
        A finite float (s = shift·e₁) or a finite vector of length d.
    base : {"gaussian", "uniform"}
        The law of X.

    Returns
    -------
    ShiftedPair
        A :class:`ReferencePair`; ``critic`` is :math:`-\langle x, s\rangle/\|s\|` (0 at s = 0)
        and ``log_density_ratio`` is :math:`\|s\|^2/2 - \langle x, s\rangle` (gaussian) or 0,
        +∞, −∞ on the overlap, P's box only, Q's box only (uniform; ``ValueError`` outside
        both boxes).

    Raises
    ------
    TypeError
        ``d`` not an integer, ``shift`` not real.
    ValueError
        ``d < 1``, a NaN or infinite shift, a shift vector of the wrong length, an unknown
        ``base``.

    References
    ----------
    Stanczuk et al., "Wasserstein GANs work because they fail (to approximate the
    Wasserstein distance)", 2021.

    Examples
    --------
    >>> from divgan.theory import shifted
    >>> pair = shifted(16, 2.0)
    >>> pair.w1, pair.w2, pair.kl_pq, round(pair.js, 4)
    (2.0, 2.0, 2.0, 0.3368)
    >>> x_p, x_q = pair.sample(100_000, seed=0)
    >>> round(float(pair.critic(x_p).mean() - pair.critic(x_q).mean()), 2)
    2.0
    >>> box = shifted(3, [0.5, 0.5, 0.0], base="uniform")
    >>> box.w1 == 0.5 ** 0.5, box.kl_pq, round(box.js, 4)
    (True, inf, 0.5199)
    """
    d = check_positive_int(d, "d")
    s = _shift_vector(shift, d)
    if base not in SHIFT_BASES:
        raise ValueError(f"base must be one of {', '.join(SHIFT_BASES)}; got {base!r}")
    norm = float(np.linalg.norm(s))
    if norm == 0.0:
        kl = js = 0.0
    elif base == "gaussian":
        kl = 0.5 * norm**2
        js = _js_gaussian_shift(norm)
    else:
        kl = math.inf
        overlap = float(np.prod(np.maximum(0.0, 1.0 - np.abs(s))))
        js = LOG2 * (1.0 - overlap)
    return ShiftedPair(
        d=d, w1=norm, w2=norm, kl_pq=kl, kl_qp=kl, js=js,
        shift=tuple(float(v) for v in s), base=base,
    )


@functools.lru_cache(maxsize=256)
def _js_gaussian_shift(norm: float) -> float:
    """JS(N(0, 1) ‖ N(norm, 1)) by quadrature (cached: a quadrature costs ~50 ms)."""
    return js_divergence_density(stats.norm(0.0, 1.0), stats.norm(norm, 1.0))


@functools.lru_cache(maxsize=256)
def _js_chi_scale(d: int, c: float) -> float:
    """JS(χ_d ‖ c·χ_d) by quadrature (cached)."""
    return js_divergence_density(stats.chi(d), stats.chi(d, scale=c))


def _mean_gaussian_norm(d: int) -> float:
    r"""E‖X‖ for X ~ N(0, I_d): the χ_d mean √2 Γ((d+1)/2) / Γ(d/2)."""
    return math.sqrt(2.0) * math.exp(special.gammaln((d + 1) / 2) - special.gammaln(d / 2))


def scaled(d, scale) -> ScaledPair:
    r"""P = N(0, I_d) and Q = N(0, c² I_d) (Q is the law of cX), with exact W₁, W₂, KL, JS.

    .. math::

        W_1 = |1 - c|\, E\|X\| = |1 - c| \sqrt2\, \frac{\Gamma((d+1)/2)}{\Gamma(d/2)}, \qquad
        W_2 = |1 - c| \sqrt d,

    :math:`W_1`: the coupling Y = cX costs :math:`|1 - c|\,E\|X\|` (upper bound) and the
    1-Lipschitz cone :math:`f(x) = \operatorname{sign}(1 - c)\,\|x\|` gains as much (lower
    bound); :math:`W_2` is the Bures distance :math:`\|I - cI\|_F`. The optimal critic is a
    cone, not a plane (lecture claims L12 and L15).

    .. math::

        \mathrm{KL}(P\|Q) = \tfrac d2\,(c^{-2} - 1 + 2\ln c), \qquad
        \mathrm{KL}(Q\|P) = \tfrac d2\,(c^2 - 1 - 2\ln c),

    and JS is the 1-D JS of the radii, :math:`\chi_d` against :math:`c\,\chi_d`, by quadrature:
    :math:`p/q` depends on x only through :math:`\|x\|`, and a statistic the ratio factors
    through loses no divergence.

    Parameters
    ----------
    d : int
        Dimension (>= 1).
    scale : float
        The factor c > 0 (finite).

    Returns
    -------
    ScaledPair
        A :class:`ReferencePair`; ``critic`` is :math:`\operatorname{sign}(1 - c)\|x\|` (0 at
        c = 1) and
        ``log_density_ratio`` is :math:`\tfrac12(c^{-2} - 1)\|x\|^2 + d \ln c`.

    Raises
    ------
    TypeError
        ``d`` not an integer, ``scale`` not real.
    ValueError
        ``d < 1``, ``scale <= 0``, NaN or infinite.

    Examples
    --------
    >>> import math
    >>> from divgan.theory import scaled
    >>> pair = scaled(1, 0.5)
    >>> math.isclose(pair.w1, 0.5 * math.sqrt(2 / math.pi)), pair.w2
    (True, 0.5)
    >>> round(scaled(128, 0.5).js, 4), round(scaled(32, 0.5).js, 4)
    (0.6931, 0.6836)
    """
    d = check_positive_int(d, "d")
    c = check_real(scale, "scale", positive=True)
    if c == 1.0:
        return ScaledPair(d=d, w1=0.0, w2=0.0, kl_pq=0.0, kl_qp=0.0, js=0.0, scale=c)
    return ScaledPair(
        d=d,
        w1=abs(1.0 - c) * _mean_gaussian_norm(d),
        w2=abs(1.0 - c) * math.sqrt(d),
        kl_pq=0.5 * d * (1.0 / c**2 - 1.0 + 2.0 * math.log(c)),
        kl_qp=0.5 * d * (c**2 - 1.0 - 2.0 * math.log(c)),
        js=_js_chi_scale(d, c),
        scale=c,
    )


def hyperplanes(d, theta) -> HyperplanesPair:
    r"""The lecture's parallel lines in d dimensions: P on :math:`\{0\} \times [0, 1]^{d-1}`,
    Q on :math:`\{\theta\} \times [0, 1]^{d-1}`, both uniform.

    .. math::

        W_1 = W_2 = |\theta|, \qquad \mathrm{KL}(P\|Q) = \mathrm{KL}(Q\|P) = \infty, \qquad
        \mathrm{JS} = \log 2 \qquad (\theta \ne 0),

    and all 0 at θ = 0. The first coordinates alone differ by θ, so no coupling moves less
    than :math:`|\theta|` (the 1-Lipschitz :math:`f(x) = -\operatorname{sign}(\theta)\, x_1`
    gains :math:`|\theta|`), and the shift by θe₁ achieves it. Disjoint supports give KL = ∞
    and JS = log 2 (lecture claim L13); ``hyperplanes(2, θ)`` is
    :func:`parallel_lines` ``(θ)``, and d = 1 gives two point masses at 0 and θ.

    Parameters
    ----------
    d : int
        Dimension (>= 1).
    theta : float
        The finite offset θ.

    Returns
    -------
    HyperplanesPair
        A :class:`ReferencePair`; ``critic`` is :math:`-\operatorname{sign}(\theta)\, x_1`
        (0 at θ = 0); ``log_density_ratio`` raises ``NotImplementedError`` (no densities).

    Raises
    ------
    TypeError
        ``d`` not an integer, ``theta`` not real.
    ValueError
        ``d < 1``, a NaN or infinite ``theta``.

    References
    ----------
    Arjovsky, Chintala, Bottou, "Wasserstein GAN", ICML 2017, Example 1.

    Examples
    --------
    >>> from divgan.theory import hyperplanes
    >>> pair = hyperplanes(128, 0.5)
    >>> pair.w1, pair.kl_pq, round(pair.js, 4)
    (0.5, inf, 0.6931)
    >>> x_p, x_q = pair.sample(3, seed=0)
    >>> x_p.shape, x_q[:, 0].tolist()
    ((3, 128), [0.5, 0.5, 0.5])
    """
    d = check_positive_int(d, "d")
    t = check_real(theta, "theta")
    if t == 0.0:
        return HyperplanesPair(d=d, w1=0.0, w2=0.0, kl_pq=0.0, kl_qp=0.0, js=0.0, theta=t)
    return HyperplanesPair(
        d=d, w1=abs(t), w2=abs(t), kl_pq=math.inf, kl_qp=math.inf, js=LOG2, theta=t
    )
