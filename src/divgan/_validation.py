"""The one validator.

Every public function turns its inputs into float64 arrays here, once, and gets
a clear ``ValueError`` / ``TypeError`` naming the bad value and what was
expected.  Private kernels never check anything.
"""

import math
import numbers
from typing import NamedTuple

import numpy as np

from divgan._row_totals import sums_and_minima

__all__ = [
    "as_float_array",
    "as_pmf",
    "as_pmf_pair",
    "PmfPair",
    "as_samples",
    "as_grid",
    "as_piles",
    "as_gaussian_pair",
    "as_interval",
    "as_points",
    "as_weights",
    "check_p",
    "check_positive_int",
    "check_base",
    "as_nonnegative",
    "check_real",
    "check_fraction",
    "broadcast_batch",
    "check_seed",
    "as_generator",
    "seed_to_int",
]


def as_float_array(x, name: str) -> np.ndarray:
    """Return ``x`` as a float64 ndarray (no copy when it already is one).

    Raises ``TypeError`` for inputs that are not real numbers (strings, objects,
    complex numbers, ``None``).
    """
    if isinstance(x, np.ndarray) and x.dtype == np.float64:
        return x
    if x is None:
        raise TypeError(f"{name} must be an array of real numbers, got None")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be turned into an array: {exc}") from None
    if arr.dtype == object:
        raise TypeError(
            f"{name} must be an array of real numbers, got an object array "
            f"(ragged nesting or non-numeric entries?)"
        )
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def _first_bad(arr: np.ndarray, mask: np.ndarray) -> str:
    idx = np.argwhere(mask)[0]
    where = tuple(int(i) for i in idx) if arr.ndim > 1 else int(idx[0])
    return f"{float(arr[tuple(idx)])!r} at index {where}"


def as_pmf(p, name: str = "p", *, axis: int = -1) -> np.ndarray:
    """Masses along ``axis``: finite, non-negative, not all zero; at least 1-D.

    The result is **not** normalised; callers normalise where the formula needs it.
    """
    arr = as_float_array(p, name)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be at least 1-D (a vector of masses), got a scalar")
    try:
        n = arr.shape[axis]
    except IndexError:
        raise ValueError(f"axis={axis} is out of range for {name} with shape {arr.shape}") from None
    if n == 0:
        raise ValueError(f"{name} is empty along axis {axis}: a pmf needs at least one entry")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite, found {_first_bad(arr, ~np.isfinite(arr))}")
    if (arr < 0).any():
        raise ValueError(f"{name} must be non-negative, found {_first_bad(arr, arr < 0)}")
    totals = arr.sum(axis=axis)
    if (totals <= 0).any():
        raise ValueError(
            f"{name} has all-zero mass along axis {axis}; a distribution needs positive total mass"
        )
    return arr


class PmfPair(NamedTuple):
    """Two validated batches of masses, as made by :func:`as_pmf_pair` (and only there).

    The private cores of the pmf divergences take this and nothing else, so a new
    divergence cannot skip validation. ``p`` and ``q`` are ``(rows, n)`` float64 arrays
    (read-only views where no copy was needed): finite, >= 0, each row with a positive
    total in ``[2**-1000, 2**1000]``: a row whose total is below is multiplied by a power
    of two (exact), a row whose sum overflows or exceeds ``2**1000`` is divided by the
    smallest power of two that brings it in (only entries below ~1e-290 of the total can
    lose digits; a pmf does not change otherwise). ``p_total``, ``q_total`` are those
    totals and ``p_min``, ``q_min`` the smallest entries of each row (0 where it has
    zeros); ``batch`` is the broadcast shape of the axes other than the outcome axis.
    """

    p: np.ndarray
    q: np.ndarray
    p_total: np.ndarray
    q_total: np.ndarray
    p_min: np.ndarray
    q_min: np.ndarray
    batch: tuple


_TOTAL_LO = 2.0**-1000
_TOTAL_HI = 2.0**1000  # so that sums of p log(ratio) (|log| < 1500) cannot overflow


def _pmf_rows(rows: np.ndarray, original, name: str, axis: int):
    """Totals and minima of validated rows, rescaling rows whose total is out of range."""
    total, low = sums_and_minima(rows)
    if not ((low >= 0).all() and np.isfinite(total).all() and (total > 0).all()):
        with np.errstate(over="ignore"):
            as_pmf(original, name, axis=axis)  # raises the message naming the bad entry
        # only finite masses whose sum overflows get here
    small = total < _TOTAL_LO
    large = ~(total <= _TOTAL_HI)  # also a sum that overflowed
    if small.any() or large.any():
        rows = np.array(rows)  # own copy: rows are rescaled in place
        # up: total into [0.5, 1), exact; down: by n (a bound of sum / max) times the
        # excess of the largest entry over 2**1000 / n
        up = -np.frexp(total[small])[1]
        rows[small] = np.ldexp(rows[small], up[:, None])
        n = rows.shape[-1]
        big = rows[large].max(axis=-1)
        down = np.frexp(big)[1] + int(np.frexp(float(n))[1]) - 1000
        rows[large] = np.ldexp(rows[large], -np.maximum(down, 1)[:, None])
        total, low = sums_and_minima(rows)
    return rows, total, low


def as_pmf_pair(p, q, *, axis=-1) -> PmfPair:
    """Validate two batches of masses for a divergence between pmfs.

    ``p`` and ``q`` hold non-negative finite masses along ``axis`` (not all zero), of
    the same length there; the other axes broadcast. Raises ``TypeError`` for a
    non-integer ``axis`` or non-numeric input and ``ValueError`` naming the bad entry,
    shape or axis otherwise. The masses are not normalised (scale is free: a pmf is
    the masses over their total).
    """
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    pa = as_float_array(p, "p")
    qa = as_float_array(q, "q")
    for arr, name in ((pa, "p"), (qa, "q")):
        # scalars, an out-of-range axis and empty inputs: as_pmf raises its message
        if arr.ndim == 0 or not -arr.ndim <= axis < arr.ndim or arr.shape[axis] == 0:
            as_pmf(arr, name, axis=axis)
    if pa.shape[axis] != qa.shape[axis]:
        raise ValueError(
            f"p and q must have the same length along axis {axis}: "
            f"p has shape {pa.shape}, q has shape {qa.shape}"
        )
    n = pa.shape[axis]
    pm = np.moveaxis(pa, axis, -1)
    qm = np.moveaxis(qa, axis, -1)
    batch = broadcast_batch(
        pm.shape[:-1], qm.shape[:-1],
        f"p and q do not broadcast over the axes other than axis {axis}: "
        f"p has shape {pa.shape}, q has shape {qa.shape}",
    )
    p2, p_total, p_min = _pmf_rows(np.broadcast_to(pm, batch + (n,)).reshape(-1, n), pa, "p", axis)
    q2, q_total, q_min = _pmf_rows(np.broadcast_to(qm, batch + (n,)).reshape(-1, n), qa, "q", axis)
    return PmfPair(p2, q2, p_total, q_total, p_min, q_min, batch)


def as_samples(x, name: str = "x", *, check_finite: bool = True) -> np.ndarray:
    """1-D samples, or ``(..., n)`` batches of them: non-empty, finite.

    ``check_finite=False`` lets a caller that sorts anyway check only the ends
    of the sorted array (NaN sorts last), which is much cheaper for large ``n``.
    """
    arr = as_float_array(x, name)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be a 1-D array of samples, got a scalar")
    if arr.shape[-1] == 0 or arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); at least one sample is needed")
    if check_finite and not np.isfinite(arr).all():
        raise ValueError(
            f"{name} must hold finite sample values, found {_first_bad(arr, ~np.isfinite(arr))}"
        )
    return arr


def as_points(x, name: str = "x", *, dim: int | None = None) -> np.ndarray:
    """A point cloud ``(n, d)``; a 1-D array is read as ``n`` points in 1-D."""
    arr = as_float_array(x, name)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a point cloud of shape (n, d), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); at least one point is needed")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has zero coordinates per point (shape {arr.shape})")
    if dim is not None and arr.shape[1] != dim:
        raise ValueError(
            f"{name} has {arr.shape[1]} coordinates per point, expected {dim} "
            f"to match the other cloud"
        )
    if not np.isfinite(arr).all():
        bad = _first_bad(arr, ~np.isfinite(arr))
        raise ValueError(f"{name} must hold finite coordinates, found {bad}")
    return arr


def as_weights(w, shape: tuple[int, ...], name: str = "weights") -> np.ndarray | None:
    """Sample weights of exactly ``shape`` (or ``None``): finite, >= 0, positive total.

    Batched weights are checked per batch: each row along the last axis must have
    positive total. Returned divided by each row's largest weight (so the largest is
    1 and no running sum of weights can overflow, whatever their scale); weights are
    normalised by the callers, so their scale never matters.
    """
    if w is None:
        return None
    arr = as_float_array(w, name)
    if arr.shape != tuple(shape):
        raise ValueError(
            f"{name} has shape {arr.shape}, expected {tuple(shape)} to match the values"
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite, found {_first_bad(arr, ~np.isfinite(arr))}")
    if (arr < 0).any():
        raise ValueError(f"{name} must be non-negative, found {_first_bad(arr, arr < 0)}")
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array of weights, got a scalar")
    top = arr.max(axis=-1, keepdims=True)
    if (top <= 0).any():
        raise ValueError(f"{name} must have positive total weight, got all zeros")
    return arr / top


def as_piles(p, q) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Two rows of piles: 1-D, same non-zero length, finite, >= 0, positive finite totals.

    Returns C-contiguous float64 ``p``, ``q`` and their totals. Two NumPy reductions
    per row (sum and min; NaN propagates through both), full checks only to word the
    error."""
    pm = np.ascontiguousarray(as_float_array(p, "p"))
    qm = np.ascontiguousarray(as_float_array(q, "q"))
    if pm.ndim != 1 or qm.ndim != 1:
        raise ValueError(f"p and q must be 1-D piles, got shapes {pm.shape} and {qm.shape}")
    if pm.shape[0] == 0 or qm.shape[0] == 0:
        raise ValueError(f"p and q must be non-empty, got lengths {pm.shape[0]} and {qm.shape[0]}")
    if qm.shape[0] != pm.shape[0]:
        raise ValueError(f"p and q must have the same length, got {pm.shape[0]} and {qm.shape[0]}")
    totals = []
    for arr, name in ((pm, "p"), (qm, "q")):
        with np.errstate(over="ignore"):
            total = float(arr.sum())
        if not (arr.min() >= 0 and math.isfinite(total) and total > 0):
            with np.errstate(over="ignore"):
                as_pmf(arr, name)  # raises with the offending value (a -0.0 entry passes)
            raise ValueError(
                f"the total mass of {name} overflows float64 ({total!r}); rescale the piles"
            )
        totals.append(total)
    return pm, qm, totals[0], totals[1]


def as_grid(x, n: int, name: str = "positions") -> np.ndarray:
    """A 1-D grid of ``n`` finite, strictly increasing positions."""
    arr = np.ascontiguousarray(as_float_array(x, name))
    if arr.shape != (n,):
        raise ValueError(f"{name} has shape {arr.shape}, expected ({n},)")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite, found {_first_bad(arr, ~np.isfinite(arr))}")
    with np.errstate(over="ignore"):
        steps = np.diff(arr)
    if not (steps > 0).all():
        k = int(np.flatnonzero(~(steps > 0))[0])
        raise ValueError(
            f"{name} must be strictly increasing, got {arr[k]!r} then {arr[k + 1]!r} "
            f"at indices {k}, {k + 1}"
        )
    return arr


def check_p(p) -> float:
    """The order ``p`` of a Wasserstein distance: a real number >= 1, or ``inf``."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"p must be a real number >= 1 or inf, got {p!r}")
    p = float(p)
    if math.isnan(p) or p < 1:
        raise ValueError(f"p must be >= 1 (or inf), got {p!r}")
    return p


def check_positive_int(n, name: str, *, minimum: int = 1) -> int:
    """An integer ``>= minimum`` (booleans refused)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {n!r}")
    n = int(n)
    if n < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {n}")
    return n


def check_base(base) -> float | None:
    """Logarithm base: ``None`` (natural log) or a finite real number > 1.

    A base in (0, 1) would flip the sign of every divergence (and make a JS
    distance the root of a negative number), so it is refused too.
    """
    if base is None:
        return None
    if isinstance(base, bool) or not isinstance(base, numbers.Real):
        raise TypeError(f"base must be a real number > 1, or None; got {base!r}")
    base = float(base)
    if not (base > 1) or math.isinf(base):
        raise ValueError(
            f"base must be a finite number > 1 (0 < base < 1 would flip a divergence's sign), "
            f"got {base!r}"
        )
    return base


def as_nonnegative(x, name: str) -> np.ndarray:
    """Values of any shape (scalars too) that are finite and >= 0; zeros allowed everywhere.

    For density values on a grid, where an all-zero stretch is legitimate (unlike a pmf).
    """
    arr = as_float_array(x, name)
    if not np.isfinite(arr).all():
        if arr.ndim == 0:
            raise ValueError(f"{name} must be finite, got {float(arr)!r}")
        raise ValueError(f"{name} must be finite, found {_first_bad(arr, ~np.isfinite(arr))}")
    if (arr < 0).any():
        if arr.ndim == 0:
            raise ValueError(f"{name} must be non-negative, got {float(arr)!r}")
        raise ValueError(f"{name} must be non-negative, found {_first_bad(arr, arr < 0)}")
    return arr


def check_real(x, name: str, *, positive: bool = False) -> float:
    """A finite real scalar (booleans refused); ``positive=True`` also requires ``x > 0``."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        kind = "a positive finite real number" if positive else "a finite real number"
        raise TypeError(f"{name} must be {kind}, got {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x!r}")
    if positive and not x > 0:
        raise ValueError(f"{name} must be > 0, got {x!r}")
    return x


def broadcast_batch(a_shape: tuple, b_shape: tuple, message: str) -> tuple:
    """The broadcast of two batch shapes, or ``ValueError(message)`` when they do not broadcast
    (the caller's message names both inputs and their shapes)."""
    try:
        return np.broadcast_shapes(a_shape, b_shape)
    except ValueError:
        raise ValueError(message) from None


def check_fraction(x, name: str) -> float:
    """A real number strictly between 0 and 1 (a confidence level, a held-out fraction)."""
    x = check_real(x, name, positive=True)
    if not x < 1:
        raise ValueError(f"{name} must be in (0, 1), got {x!r}")
    return x


# --- Gaussians and intervals ---------------------------------------------------------------
def _gaussian(mean, cov, which, *, strict):
    """Validated (mean, cov) of one Gaussian: scalars (mean, variance) in 1-D, or a
    (d,) mean and a symmetric (d, d) covariance; positive definite when ``strict``,
    else positive semi-definite."""
    m = as_float_array(mean, f"mean_{which}")
    c = as_float_array(cov, f"cov_{which}")
    if not np.isfinite(m).all():
        raise ValueError(f"mean_{which} must be finite, got {mean!r}")
    if not np.isfinite(c).all():
        raise ValueError(f"cov_{which} must be finite, got {cov!r}")
    if m.ndim == 0:
        if c.ndim != 0:
            raise ValueError(
                f"mean_{which} is a scalar, so cov_{which} must be a scalar variance; "
                f"got shape {c.shape}"
            )
        v = float(c)
        if v < 0 or (strict and v == 0):
            need = "> 0" if strict else ">= 0"
            raise ValueError(f"the variance cov_{which} must be {need}, got {v!r}")
        return float(m), v
    if m.ndim != 1 or m.size == 0:
        raise ValueError(
            f"mean_{which} must be a scalar or a non-empty 1-D vector, got shape {m.shape}"
        )
    d = m.size
    if c.shape != (d, d):
        raise ValueError(
            f"cov_{which} must have shape ({d}, {d}) to match mean_{which}, got shape {c.shape}"
        )
    scale = float(np.abs(c).max()) or 1.0
    if np.abs(c - c.T).max() > 1e-10 * scale:
        raise ValueError(f"cov_{which} must be symmetric, got {c.tolist()!r}")
    c = (c + c.T) / 2
    if strict:
        try:
            np.linalg.cholesky(c)
        except np.linalg.LinAlgError:
            raise ValueError(f"cov_{which} must be positive definite, got {c.tolist()!r}") from None
    elif np.linalg.eigvalsh(c).min() < -1e-12 * scale:
        raise ValueError(f"cov_{which} must be positive semi-definite, got {c.tolist()!r}")
    return m, c


def as_gaussian_pair(mean_p, cov_p, mean_q, cov_q, *, strict):
    """Two validated Gaussians ``(mean_p, cov_p, mean_q, cov_q)`` of the same dimension:
    scalar means and variances in 1-D, else ``(d,)`` means and symmetric ``(d, d)``
    covariances (positive definite when ``strict``, else semi-definite)."""
    mp, cp = _gaussian(mean_p, cov_p, "p", strict=strict)
    mq, cq = _gaussian(mean_q, cov_q, "q", strict=strict)
    dp = np.size(mp) if np.ndim(mp) else 0
    dq = np.size(mq) if np.ndim(mq) else 0
    if dp != dq:
        raise ValueError(
            f"p and q must have the same dimension: mean_p has shape {np.shape(mp)}, "
            f"mean_q has shape {np.shape(mq)}"
        )
    return mp, cp, mq, cq


def as_interval(support, name: str = "support"):
    """``None``, or a pair ``(a, b)`` of finite numbers with ``a < b``."""
    if support is None:
        return None
    try:
        a, b = (float(v) for v in support)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (a, b) of numbers, got {support!r}") from None
    if not (math.isfinite(a) and math.isfinite(b) and a < b):
        raise ValueError(f"{name} must be finite with a < b, got {support!r}")
    return (a, b)


# --- randomness: one convention for the whole package -------------------------------------
# Every function that draws random numbers takes a keyword ``seed`` accepting the same types:
# None (fresh entropy, not reproducible), an int >= 0, a numpy.random.SeedSequence, or a
# numpy.random.Generator (used as is, so its state advances).

_SEED_TYPES = "None, an int >= 0, a numpy.random.SeedSequence or a numpy.random.Generator"


def check_seed(seed, name: str = "seed"):
    """Validate a seed (see the convention above) and return it, ints as plain ``int``."""
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be {_SEED_TYPES}; got {seed!r}")
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"{name} must be >= 0 when it is an int, got {seed}")
    return seed


def as_generator(seed, name: str = "seed") -> np.random.Generator:
    """A numpy Generator from a seed of any accepted type (a Generator is returned as is)."""
    seed = check_seed(seed, name)
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def seed_to_int(seed, name: str = "seed") -> int:
    """An int in [0, 2**63) from a seed of any accepted type, for torch.manual_seed and for
    deriving child streams as ``default_rng([seed, k])``. An int seed is returned unchanged."""
    seed = check_seed(seed, name)
    if isinstance(seed, int):
        return seed
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if seed is None:
        seed = np.random.SeedSequence()
    return int(seed.generate_state(1, np.uint64)[0] >> np.uint64(1))
