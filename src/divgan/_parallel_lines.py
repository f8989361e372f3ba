r"""The lecture's parallel lines (claims L13, L14): exact divergences, their derivatives in
:math:`\theta`, and samples. Public through :mod:`divgan.theory`."""

import math
from dataclasses import dataclass

import numpy as np

from divgan._validation import as_generator, check_positive_int, check_real

LOG2 = math.log(2.0)


@dataclass(frozen=True)
class ParallelLines:
    """Exact divergences between the lecture's two parallel segments (claim L13).

    Attributes
    ----------
    theta : float
        The horizontal offset of Q from P.
    kl_pq, kl_qp : float
        KL(P‖Q) and KL(Q‖P): ``inf`` for θ ≠ 0, 0 at θ = 0.
    js : float
        JS(P‖Q) in nats: log 2 for θ ≠ 0, 0 at θ = 0.
    wasserstein : float
        W1(P, Q) = :math:`|\theta|`.
    """

    theta: float
    kl_pq: float
    kl_qp: float
    js: float
    wasserstein: float


@dataclass(frozen=True)
class ParallelLinesGradients:
    r"""Exact derivatives in θ of the parallel-lines divergences (claim L14), for θ ≠ 0.

    Attributes
    ----------
    theta : float
        Where they are taken (never 0: no derivative exists there).
    kl : float
        d KL / dθ = 0: KL is the constant +∞ on each side of 0, so it carries no signal.
    js : float
        d JS / dθ = 0: JS is the constant log 2 on each side of 0.
    wasserstein : float
        d W / dθ = sign(θ) = ±1: the only useful gradient.
    """

    theta: float
    kl: float
    js: float
    wasserstein: float


def parallel_lines(theta) -> ParallelLines:
    r"""KL, JS and W1 between P on the line x = 0 and Q on x = θ, heights y ~ U(0, 1).

    The supports are disjoint for θ ≠ 0, so the density ratio is 0 or ∞ everywhere
    (lecture claim L13):

    .. math::

        \mathrm{KL}(P\|Q) = \mathrm{KL}(Q\|P) = +\infty, \quad
        \mathrm{JS}(P\|Q) = \log 2, \quad W_1(P, Q) = |\theta| \qquad (\theta \ne 0),

    and all four are 0 at θ = 0. :math:`W_1 = |\theta|` because moving every point
    horizontally by θ costs :math:`|\theta|`, and no coupling does better (the
    x-coordinates alone differ by θ).

    Parameters
    ----------
    theta : float
        The offset (any finite real; the lecture takes 0 ≤ θ ≤ 1).

    Returns
    -------
    ParallelLines

    References
    ----------
    Arjovsky, Chintala, Bottou, "Wasserstein GAN", ICML 2017, Example 1.

    Examples
    --------
    >>> from divgan.theory import parallel_lines
    >>> r = parallel_lines(0.5)
    >>> r.kl_pq, r.kl_qp, round(r.js, 4), r.wasserstein
    (inf, inf, 0.6931, 0.5)
    >>> parallel_lines(0.0).js
    0.0
    """
    t = check_real(theta, "theta")
    if t == 0.0:
        return ParallelLines(theta=t, kl_pq=0.0, kl_qp=0.0, js=0.0, wasserstein=0.0)
    return ParallelLines(theta=t, kl_pq=math.inf, kl_qp=math.inf, js=LOG2, wasserstein=abs(t))


def parallel_lines_gradients(theta) -> ParallelLinesGradients:
    r"""Derivatives in θ of KL, JS and W1 on the parallel lines (lecture claim L14).

    .. math::

        \frac{d\,\mathrm{KL}}{d\theta} = \frac{d\,\mathrm{JS}}{d\theta} = 0, \qquad
        \frac{d W_1}{d\theta} = \operatorname{sign}\theta \qquad (\theta \ne 0).

    At θ = 0 none of them is differentiable (KL and JS jump, W1 has a kink), so
    θ = 0 raises rather than returning a made-up number.

    Parameters
    ----------
    theta : float
        A finite, non-zero offset.

    Returns
    -------
    ParallelLinesGradients

    Raises
    ------
    ValueError
        ``theta == 0``.

    Examples
    --------
    >>> from divgan.theory import parallel_lines_gradients
    >>> g = parallel_lines_gradients(-0.3)
    >>> g.kl, g.js, g.wasserstein
    (0.0, 0.0, -1.0)
    """
    t = check_real(theta, "theta")
    if t == 0.0:
        raise ValueError(
            "theta = 0: KL and JS jump and W1 = |theta| has a kink there, so no derivative exists"
        )
    return ParallelLinesGradients(theta=t, kl=0.0, js=0.0, wasserstein=math.copysign(1.0, t))


def sample_parallel_lines(theta, n, *, seed=None, rng=None) -> tuple[np.ndarray, np.ndarray]:
    r"""Draw ``n`` points from each of the parallel segments P (x = 0) and Q (x = θ).

    .. math::

        (0, y) \sim P, \quad (\theta, y') \sim Q, \qquad y, y' \sim U(0, 1)\ \text{independent}.

    Parameters
    ----------
    theta : float
        The offset of Q.
    n : int
        Points per distribution (>= 1).
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator, keyword-only
        The randomness (the package's convention; a Generator is used as is).
    rng : same types as ``seed``, keyword-only
        An alias of ``seed`` (the API contract's name); give one of the two.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Two ``(n, 2)`` arrays of (x, y): samples of P and of Q.

    Raises
    ------
    TypeError
        Both ``seed`` and ``rng`` given, or a seed of another type.

    Examples
    --------
    >>> from divgan.theory import sample_parallel_lines
    >>> p, q = sample_parallel_lines(0.5, 3, seed=0)
    >>> p.shape, q[:, 0].tolist()
    ((3, 2), [0.5, 0.5, 0.5])
    """
    t = check_real(theta, "theta")
    n = check_positive_int(n, "n")
    if rng is not None:
        if seed is not None:
            raise TypeError("give seed or its alias rng, not both")
        gen = as_generator(rng, "rng")
    else:
        gen = as_generator(seed)
    p = np.column_stack([np.zeros(n), gen.uniform(0.0, 1.0, n)])
    q = np.column_stack([np.full(n, t), gen.uniform(0.0, 1.0, n)])
    return p, q
