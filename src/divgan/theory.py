r"""The lecture's reference families and identities, computed exactly.

* :func:`optimal_discriminator` and :func:`gan_value`: the optimal discriminator
  :math:`D^* = p_r / (p_r + p_g)` and the GAN value :math:`L(D, G)` by quadrature
  (lecture claims L4–L7).
* :func:`bilinear_game`: gradient dynamics on :math:`\min_x \max_y xy` (L8).
* :func:`piles`: the lecture's two piles of dirt and the earth mover's work (L11).
* :func:`parallel_lines`, :func:`parallel_lines_gradients`, :func:`sample_parallel_lines`:
  the two parallel segments on which only the Wasserstein distance is smooth (L13, L14).

Nothing here imports torch or matplotlib.
"""


import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from divgan._validation import (
    as_float_array,
    as_nonnegative,
    as_pmf,
    check_positive_int,
    check_real,
)

__all__ = [
    "BILINEAR_METHODS",
    "HyperplanesPair",
    "ParallelLines",
    "ParallelLinesGradients",
    "PileMove",
    "Piles",
    "ReferencePair",
    "ScaledPair",
    "ShiftedPair",
    "bilinear_game",
    "gan_value",
    "hyperplanes",
    "optimal_discriminator",
    "parallel_lines",
    "parallel_lines_gradients",
    "piles",
    "sample_parallel_lines",
    "scaled",
    "shifted",
]

LOG2 = math.log(2.0)


# --------------------------------------------------------------------------- L5–L7
def optimal_discriminator(p_r, p_g):
    r"""The optimal discriminator :math:`D^*(x)` from the two densities' values at ``x``.

    For a fixed generator, :math:`L(D, G) = \int p_r \log D + p_g \log(1 - D)\,dx` is
    maximised pointwise: :math:`a \log D + b \log(1 - D)` has its maximum at
    :math:`D = a / (a + b)` (lecture claim L5; the lecture's :math:`1/\ln 10` factor,
    from a base-10 log, scales the derivative and does not move the root).

    .. math::

        D^*(x) = \frac{p_r(x)}{p_r(x) + p_g(x)}

    Where both densities vanish the objective does not depend on :math:`D`; this
    function returns :math:`\tfrac12` there (the value at :math:`p_r = p_g`, L6).
    Where both are positive the result stays strictly inside (0, 1), as it is exactly:
    a ratio that rounds to 1 (``p_g < 2**-53 p_r``) or underflows to 0 is returned as
    the nearest float inside, so that :func:`gan_value` sees finite logarithms.

    Parameters
    ----------
    p_r, p_g : array_like
        Values of the real and generated densities (any broadcast-compatible shapes;
        finite and non-negative).

    Returns
    -------
    numpy.ndarray
        :math:`D^*` with the broadcast shape (a NumPy scalar for scalar input), in [0, 1].

    Raises
    ------
    ValueError
        Negative, NaN or infinite density values, or shapes that do not broadcast.

    References
    ----------
    Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, Proposition 1.

    Examples
    --------
    >>> from divgan.theory import optimal_discriminator
    >>> optimal_discriminator([0.3, 0.1, 0.0, 0.0], [0.1, 0.1, 0.2, 0.0]).round(3).tolist()
    [0.75, 0.5, 0.0, 0.5]
    """
    a = as_nonnegative(p_r, "p_r")
    b = as_nonnegative(p_g, "p_g")
    try:
        a, b = np.broadcast_arrays(a, b)
    except ValueError:
        raise ValueError(
            f"p_r with shape {np.shape(a)} and p_g with shape {np.shape(b)} do not broadcast"
        ) from None
    # Scale by the larger value so that a + b cannot overflow for huge finite inputs.
    scale = np.maximum(a, b)
    both = scale > 0
    out = np.full(scale.shape, 0.5)
    ra = np.divide(a, scale, out=np.zeros_like(out), where=both)
    rb = np.divide(b, scale, out=np.zeros_like(out), where=both)
    np.divide(ra, ra + rb, out=out, where=both)
    # Mathematically 0 < D* < 1 wherever both densities are positive. Keep that in floating
    # point (a ratio that rounds to 1 or underflows to 0 becomes the nearest float inside
    # (0, 1)), so that log D* and log(1 - D*) stay finite there, as they are exactly.
    inside = (a > 0) & (b > 0)
    out = np.where(inside & (out >= 1.0), np.nextafter(1.0, 0.0), out)
    out = np.where(inside & (out <= 0.0), np.nextafter(0.0, 1.0), out)
    return out[()]


def gan_value(d, p_r, p_g, x) -> float:
    r"""The GAN value :math:`L(D, G)` by trapezoidal quadrature on a grid.

    .. math::

        L(D, G) = \int p_r(x) \log D(x) + p_g(x) \log\bigl(1 - D(x)\bigr)\,dx

    (lecture claim L4, written with the generator's density :math:`p_g` in place of
    :math:`\mathbb{E}_{z} \log(1 - D(G(z)))`). With :math:`D = D^*` it equals
    :math:`2\,\mathrm{JS}(p_r \| p_g) - 2 \log 2` (L7), and :math:`-2 \log 2` when
    :math:`p_g = p_r` (L6). Natural logarithms.

    The convention :math:`0 \log 0 = 0` applies where a density vanishes. Where
    :math:`D = 0` but :math:`p_r > 0` (or :math:`D = 1` but :math:`p_g > 0`) the value
    is honestly :math:`-\infty`.

    Parameters
    ----------
    d : array_like or float
        Discriminator values :math:`D(x)` in [0, 1] on the grid (a scalar means a
        constant discriminator).
    p_r, p_g : array_like
        Real and generated density values on the grid (finite, non-negative).
    x : array_like
        The grid: 1-D, strictly increasing, finite, at least two points.

    Returns
    -------
    float
        The value (:math:`\le 0`), possibly ``-inf``.

    Raises
    ------
    ValueError
        A grid that is not strictly increasing, arrays not of the grid's shape,
        ``d`` outside [0, 1], negative or non-finite densities.

    References
    ----------
    Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, Theorem 1.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> from scipy import stats
    >>> from divgan.theory import gan_value, optimal_discriminator
    >>> x = np.linspace(-10, 10, 4001)
    >>> p = stats.norm(0, 1).pdf(x)
    >>> round(gan_value(0.5, p, p, x), 6), round(-2 * math.log(2), 6)
    (-1.386294, -1.386294)
    """
    grid = as_float_array(x, "x")
    if grid.ndim != 1 or grid.size < 2:
        raise ValueError(f"x must be a 1-D grid of at least two points, got shape {grid.shape}")
    if not np.isfinite(grid).all():
        raise ValueError("x must hold finite grid points")
    steps = np.diff(grid)
    if not (steps > 0).all():
        i = int(np.argmax(~(steps > 0)))
        raise ValueError(
            f"x must be strictly increasing, but x[{i}] = {grid[i]!r} "
            f">= x[{i + 1}] = {grid[i + 1]!r}"
        )
    a = as_nonnegative(p_r, "p_r")
    b = as_nonnegative(p_g, "p_g")
    dd = as_float_array(d, "d")
    for name, arr in (("p_r", a), ("p_g", b)):
        if arr.shape != grid.shape:
            raise ValueError(
                f"{name} has shape {arr.shape}, expected {grid.shape} to match the grid x"
            )
    if dd.ndim == 0:
        dd = np.full(grid.shape, float(dd))
    elif dd.shape != grid.shape:
        raise ValueError(f"d has shape {dd.shape}, expected {grid.shape} (or a scalar) to match x")
    if not ((dd >= 0) & (dd <= 1)).all():  # also catches NaN
        bad = dd[~((dd >= 0) & (dd <= 1))][0]
        raise ValueError(f"d must lie in [0, 1] (a probability), found {bad!r}")
    # xlogy(0, 0) = 0 and xlogy(a > 0, 0) = -inf, without floating-point warnings.
    integrand = special.xlogy(a, dd) + special.xlogy(b, 1.0 - dd)
    if np.isneginf(integrand).any():
        return -math.inf
    return float(np.sum(0.5 * (integrand[1:] + integrand[:-1]) * steps))


# --------------------------------------------------------------------------- L13–L14
from divgan._parallel_lines import (  # noqa: E402
    ParallelLines,
    ParallelLinesGradients,
    parallel_lines,
    parallel_lines_gradients,
    sample_parallel_lines,
)


# --------------------------------------------------------------------------- L11
@dataclass(frozen=True)
class PileMove:
    """One move of dirt to a neighbouring pile: ``amount`` shovels from ``source`` to ``target``.

    Pile indices are 0-based positions in ``Piles.p`` (the lecture's P_1 is index 0).
    """

    source: int
    target: int
    amount: float


@dataclass(frozen=True)
class Piles:
    r"""Two rows of piles on the grid 0, 1, 2, … and the least work to turn P into Q (claim L11).

    Attributes
    ----------
    p, q : numpy.ndarray
        Shovels in each pile (read-only).
    deltas : numpy.ndarray
        :math:`\delta_0 = 0,\ \delta_{i+1} = \delta_i + P_i - Q_i`: the net dirt that crosses
        from pile i to pile i + 1 (negative: from i + 1 to i); length ``len(p) + 1``,
        last entry 0 because the totals match.
    work : float
        :math:`W = \sum_i |\delta_i|`, in shovels × pile spacing.
    moves : tuple of PileMove
        One move per non-zero :math:`\delta_{i+1}`, left to right.
    """

    p: np.ndarray
    q: np.ndarray
    deltas: np.ndarray
    work: float
    moves: tuple[PileMove, ...]


def piles(p=(3, 2, 1, 4), q=(1, 2, 4, 3)) -> Piles:
    r"""The earth mover's work between two rows of piles, by the lecture's recursion.

    With piles on the unit-spaced grid, the dirt that must cross the gap between pile
    i and pile i + 1 is the running surplus (lecture claim L11):

    .. math::

        \delta_0 = 0, \qquad \delta_{i+1} = \delta_i + P_i - Q_i, \qquad W = \sum_i |\delta_i|.

    The defaults are the lecture's P = (3, 2, 1, 4), Q = (1, 2, 4, 3), which give
    δ = (0, 2, 2, −1, 0) and W = 5 shovels (0.5 per unit of mass, total mass 10).

    Parameters
    ----------
    p, q : array_like
        Non-negative pile sizes, 1-D, same length, same total.

    Returns
    -------
    Piles

    Raises
    ------
    ValueError
        Negative or non-finite sizes, different lengths, or different totals.

    References
    ----------
    Weng, "From GAN to WGAN", 2017, section "What is Wasserstein distance?".

    Examples
    --------
    >>> from divgan.theory import piles
    >>> r = piles()
    >>> r.deltas.tolist(), r.work
    ([0.0, 2.0, 2.0, -1.0, 0.0], 5.0)
    >>> [(m.source, m.target, m.amount) for m in r.moves]
    [(0, 1, 2.0), (1, 2, 2.0), (3, 2, 1.0)]
    """
    pp = np.array(as_pmf(p, "p"))  # own copies: they are frozen below
    qq = np.array(as_pmf(q, "q"))
    if pp.ndim != 1 or qq.ndim != 1:
        raise ValueError(f"p and q must be 1-D rows of piles, got shapes {pp.shape} and {qq.shape}")
    if pp.shape != qq.shape:
        raise ValueError(
            f"p has {pp.size} piles and q has {qq.size}; they must sit on the same grid"
        )
    tp, tq = math.fsum(pp), math.fsum(qq)
    if not math.isclose(tp, tq, rel_tol=1e-12, abs_tol=0.0):
        raise ValueError(
            f"p holds {tp!r} shovels and q holds {tq!r}; moving dirt cannot change the total"
        )
    deltas = np.zeros(pp.size + 1)
    for i in range(pp.size):
        deltas[i + 1] = deltas[i] + pp[i] - qq[i]
    deltas[-1] = 0.0 if abs(deltas[-1]) <= 1e-12 * max(tp, 1.0) else deltas[-1]
    moves = tuple(
        PileMove(source=i, target=i + 1, amount=float(d))
        if d > 0
        else PileMove(source=i + 1, target=i, amount=float(-d))
        for i, d in enumerate(deltas[1:-1])
        if d != 0
    )
    for arr in (pp, qq, deltas):
        arr.setflags(write=False)
    return Piles(
        p=pp,
        q=qq,
        deltas=deltas,
        work=math.fsum(np.abs(deltas)),
        moves=moves,
    )


# --------------------------------------------------------------------------- L8
BILINEAR_METHODS = ("simultaneous", "alternating", "extragradient", "optimistic")


def bilinear_game(x0, y0, *, lr, steps, method="simultaneous") -> np.ndarray:
    r"""Gradient play on :math:`\min_x \max_y\, xy`: x minimises xy, y maximises it.

    The unique Nash equilibrium is (0, 0). The lecture's simultaneous steps (claim L8)

    .. math::

        x_{t+1} = x_t - \eta y_t, \qquad y_{t+1} = y_t + \eta x_t

    multiply the radius by exactly :math:`\sqrt{1 + \eta^2}` each step: they spiral
    outward. The fixes:

    * ``alternating``: :math:`y_{t+1} = y_t + \eta x_{t+1}`; the step matrix has
      determinant 1, so the iterates circle forever (bounded, no convergence).
    * ``extragradient``: a look-ahead :math:`\tilde x = x_t - \eta y_t`,
      :math:`\tilde y = y_t + \eta x_t`, then :math:`x_{t+1} = x_t - \eta \tilde y`,
      :math:`y_{t+1} = y_t + \eta \tilde x`; radius factor
      :math:`\sqrt{1 - \eta^2 + \eta^4} < 1` for :math:`0 < \eta < 1`.
    * ``optimistic`` (OGDA): :math:`x_{t+1} = x_t - 2\eta y_t + \eta y_{t-1}`,
      :math:`y_{t+1} = y_t + 2\eta x_t - \eta x_{t-1}`, with :math:`(x_{-1}, y_{-1}) = (x_0, y_0)`;
      converges for small η.

    Parameters
    ----------
    x0, y0 : float
        Start point.
    lr : float
        Step size η > 0.
    steps : int
        Number of steps (>= 0).
    method : {"simultaneous", "alternating", "extragradient", "optimistic"}

    Returns
    -------
    numpy.ndarray
        ``(steps + 1, 2)`` array of (x, y), starting with (x0, y0).

    References
    ----------
    Daskalakis, Ilyas, Syrgkanis, Zeng, "Training GANs with Optimism", ICLR 2018;
    Gidel et al., "A Variational Inequality Perspective on GANs", ICLR 2019.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> from divgan.theory import bilinear_game
    >>> z = bilinear_game(1.0, 0.0, lr=0.1, steps=2, method="simultaneous")
    >>> z.round(3).tolist()
    [[1.0, 0.0], [1.0, 0.1], [0.99, 0.2]]
    >>> r = np.hypot(z[:, 0], z[:, 1])
    >>> round(float(r[1] / r[0]), 6), round(math.sqrt(1 + 0.1 ** 2), 6)
    (1.004988, 1.004988)
    """
    x = check_real(x0, "x0")
    y = check_real(y0, "y0")
    eta = check_real(lr, "lr", positive=True)
    n = check_positive_int(steps, "steps", minimum=0)
    if method not in BILINEAR_METHODS:
        raise ValueError(f"method must be one of {', '.join(BILINEAR_METHODS)}; got {method!r}")
    out = np.empty((n + 1, 2))
    out[0] = x, y
    x_prev, y_prev = x, y
    for t in range(1, n + 1):
        if method == "simultaneous":
            x, y = x - eta * y, y + eta * x
        elif method == "alternating":
            x = x - eta * y
            y = y + eta * x
        elif method == "extragradient":
            xh, yh = x - eta * y, y + eta * x
            x, y = x - eta * yh, y + eta * xh
        else:  # optimistic
            x_new = x - 2.0 * eta * y + eta * y_prev
            y_new = y + 2.0 * eta * x - eta * x_prev
            x_prev, y_prev = x, y
            x, y = x_new, y_new
        out[t] = x, y
    if not np.isfinite(out).all():
        raise ValueError(
            f"the {method} iterates overflowed within {n} steps (lr = {eta!r}); use fewer steps"
        )
    return out


# --------------------------------------------------------------------------- in d dimensions
from divgan._reference import (  # noqa: E402
    HyperplanesPair,
    ReferencePair,
    ScaledPair,
    ShiftedPair,
    hyperplanes,
    scaled,
    shifted,
)
