r"""Private machinery of the pmf divergences in :mod:`divgan.divergences`.

Input pairing and broadcasting, the calls to the fused Numba kernels
(:mod:`divgan._kl_kernels`), the checks of what they report, and the NumPy fall-back
for masses whose range the kernels cannot take.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
from scipy import special

from . import _kl_kernels as _kk
from ._validation import as_float_array, as_pmf, broadcast_batch

_LOG2 = math.log(2.0)
# The Numba kernels need every ratio p/q (KL) and product p·Q (JS) in the normal
# float range; rows whose masses span more than this factor take the NumPy path.
_RANGE = 1e290
_TINY = np.finfo(np.float64).tiny
_SMALL_TOTAL = 1e-280  # below: the kernel's products p·log(p/q) could be subnormal
_HUGE = np.finfo(np.float64).max


def _pair(p, q, axis):
    """Float64 views of p and q as C-contiguous ``(rows, n)`` plus the batch shape."""
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
    p2 = np.ascontiguousarray(np.broadcast_to(pm, batch + (n,))).reshape(-1, n)
    q2 = np.ascontiguousarray(np.broadcast_to(qm, batch + (n,))).reshape(-1, n)
    return pa, qa, p2, q2, batch


def _validate(pa, qa, axis):
    """Full validation through ``as_pmf`` (raises its standard messages); used only
    when the fused kernel pass reports something unusual, so the common case reads
    the data once."""
    with np.errstate(over="ignore"):  # huge finite masses may overflow as_pmf's sum
        as_pmf(pa, "p", axis=axis)
        as_pmf(qa, "q", axis=axis)


def _check_rows(P, Q, M, pa, qa, axis):
    """Rows the kernels flagged (NaN/inf, negative, all-zero) go through as_pmf,
    which raises the standard message. Returns the mask of rows that need the
    NumPy path (finite masses whose range the kernels cannot take)."""
    bad = ~np.isfinite(P) | ~np.isfinite(Q) | (M < 0) | (P <= 0) | (Q <= 0)
    if bad.any():
        _validate(pa, qa, axis)
    moderate = (P < 1e100) & (Q < 1e100) & (P > 1e-100) & (Q > 1e-100)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        ok = ~bad & (np.maximum(P, Q) / _RANGE < M) & moderate
    return ~ok


def _scaled_rows(x):
    """Rows scaled by a power of two (exact) so that each row's maximum lies in
    [0.5, 1), the row totals, and the exponents used."""
    e = np.frexp(x.max(axis=-1))[1]
    xs = np.ldexp(x, -e[:, None])
    return xs, xs.sum(axis=-1), e


def _normalise_rows(x):
    """Rows divided by their totals, after an exact power-of-two rescaling, so huge
    or subnormal masses neither overflow nor lose digits."""
    xs, total, _ = _scaled_rows(x)
    return xs / total[:, None]


def _kl_numpy(p2, q2):
    """KL row by row, for masses whose range the kernel cannot take.

    Σ (p'/P') log(p'/q') + log(Q'/P') on power-of-two rescaled rows (|log(Q'/P')| is
    at most log n, so nothing cancels); ratios that leave the normal range use
    log p − log q − (e_p − e_q) log 2 on the raw masses. +inf where p > 0 = q."""
    ps, P, ep = _scaled_rows(p2)
    qs, Q, eq = _scaled_rows(q2)
    both = (p2 > 0) & (q2 > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ratio = ps / qs
        good = both & (ps > 0) & (qs > 0) & (ratio >= _TINY) & (ratio <= _HUGE)
        raw = np.log(p2) - np.log(q2) - ((ep - eq) * _LOG2)[:, None]
        log_ratio = np.where(good, np.log(ratio), np.where(both, raw, 0.0))
    values = ((ps / P[:, None]) * log_ratio).sum(axis=-1) + np.log(Q / P)
    return np.where(((p2 > 0) & (q2 == 0)).any(axis=-1), np.inf, values)


def _js_numpy(p2, q2):
    a = _normalise_rows(p2)
    b = _normalise_rows(q2)
    m = (a + b) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ta = special.xlogy(a, a) - special.xlogy(a, m)
        tb = special.xlogy(b, b) - special.xlogy(b, m)
    return 0.5 * ta.sum(axis=-1) + 0.5 * tb.sum(axis=-1)


def _finish(values, batch, base, *, root=False):
    """Values in the unit of ``base`` (square-rooted for a distance), shaped as the batch:
    a Python float for 1-D inputs."""
    if base is not None:
        values = values / math.log(base)
    if root:
        values = np.sqrt(values)
    if batch == ():
        return float(values[0])
    return values.reshape(batch)


def _kl_values(p, q, axis):
    """KL(p/P ‖ q/Q) row by row (fused kernel pass, checked fall-backs) and the batch shape."""
    pa, qa, p2, q2, batch = _pair(p, q, axis)
    out = np.empty((p2.shape[0], 3))
    _kk.kl_rows(p2, q2, out)
    P, Q, S = out.T
    if not (np.isfinite(P).all() and np.isfinite(Q).all() and (P > 0).all() and (Q > 0).all()):
        _validate(pa, qa, axis)  # raises the standard message for NaN/inf/all-zero
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        values = S / P + np.log(Q / P)
        # S/P and log(Q/P) cancel to ~eps·|log(Q/P)|: when the totals differ by more
        # than a factor e, scale the smaller one up by a power of two (exact: no
        # underflow, and no overflow as its new total is about the larger one's)
        # and redo those rows.
        far = np.isfinite(values) & (np.abs(np.log(Q / P)) > 1.0)
        if far.any():
            shift = np.rint(np.log2(Q[far] / P[far])).astype(np.int64)[:, None]
            p_far = np.ldexp(p2[far], np.maximum(shift, 0))
            q_far = np.ldexp(q2[far], np.maximum(-shift, 0))
            redo = np.empty((p_far.shape[0], 3))
            _kk.kl_rows(p_far, q_far, redo)
            values[far] = redo[:, 2] / redo[:, 0] + np.log(redo[:, 1] / redo[:, 0])
    # S = +inf: p > 0 = q somewhere (checked), or a ratio overflowed; S = NaN: a
    # negative entry or a ratio below the normal range; totals near the subnormal
    # range make p·log(p/q) lose digits. All go to the checked path.
    suspect = ~np.isfinite(values) | ~np.isfinite(P) | ~np.isfinite(Q)
    suspect |= (P < _SMALL_TOTAL) | (Q < _SMALL_TOTAL)
    if suspect.any():
        _validate(pa, qa, axis)
        values[suspect] = _kl_numpy(p2[suspect], q2[suspect])
    values = np.maximum(values, 0.0)  # KL >= 0; removes rounding below zero
    return values, batch


def _js_values(p, q, axis):
    """JS(p/P ‖ q/Q) row by row in nats, clipped to [0, log 2], and the batch shape."""
    pa, qa, p2, q2, batch = _pair(p, q, axis)
    sums = np.empty((p2.shape[0], 3))
    _kk.sums_rows(p2, q2, sums)
    P, Q, M = sums.T
    slow = _check_rows(P, Q, M, pa, qa, axis)
    out = np.zeros((p2.shape[0], 2))
    fast = ~slow
    if fast.all():
        _kk.js_rows(p2, q2, np.ascontiguousarray(sums[:, :2]), out)
    elif fast.any():
        sub = np.empty((int(fast.sum()), 2))
        _kk.js_rows(p2[fast], q2[fast], np.ascontiguousarray(sums[fast, :2]), sub)
        out[fast] = sub
    values = 0.5 * (out[:, 0] / P + out[:, 1] / Q)
    if slow.any():
        values[slow] = _js_numpy(p2[slow], q2[slow])
    return np.clip(values, 0.0, _LOG2), batch
