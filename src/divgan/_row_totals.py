"""Private Numba kernel of the validator (:mod:`divgan._validation`, the bottom layer): the
totals and minima of rows of masses in one pass, half the time of NumPy's two reductions.

The sum may be reordered (``fastmath={'reassoc'}``, nothing else: no assumptions about NaN
or inf), so LLVM vectorises it; a plain sum's error bound holds in any order.
``error_model='numpy'``, ``cache=True``, no threads.
"""
import numpy as np
from numba import njit

_SUMS = {"cache": True, "error_model": "numpy", "nogil": True, "fastmath": {"reassoc"}}


@njit(**_SUMS)
def row_totals(x, bits, total, low_bits, signs):
    """Per row of ``x`` (C-contiguous; ``bits`` its ``uint64`` view): ``total[r]`` the sum,
    ``low_bits[r]`` the smallest bit pattern and ``signs[r]`` the OR of all patterns.

    Without a sign bit (``signs >> 63 == 0``: no negative entry, no -0.0) the entries
    are ordered as their bit patterns, so ``low_bits`` is the minimum and an integer
    minimum vectorises where a float one would not; +NaN and +inf reach ``total``.
    """
    rows, n = x.shape
    for r in range(rows):
        xr = x[r]
        br = bits[r]
        s = 0.0
        lo = np.uint64(0xFFFFFFFFFFFFFFFF)
        sg = np.uint64(0)
        for i in range(n):
            s += xr[i]
            b = br[i]
            lo = min(lo, b)
            sg |= b
        total[r] = s
        low_bits[r] = lo
        signs[r] = sg


def sums_and_minima(rows):
    """``rows.sum(axis=-1)`` and ``rows.min(axis=-1)`` of 2-D float64 ``rows``: one Numba
    pass where the rows are C-contiguous and have no sign bit (half the time of the two
    NumPy reductions), else NumPy (-0.0 and negative entries, which the caller refuses)."""
    if rows.flags.c_contiguous and rows.size:
        total = np.empty(rows.shape[0])
        low = np.empty(rows.shape[0], dtype=np.uint64)
        signs = np.empty(rows.shape[0], dtype=np.uint64)
        row_totals(rows, rows.view(np.uint64), total, low, signs)
        if not (signs >> np.uint64(63)).any():
            return total, low.view(np.float64)
    with np.errstate(over="ignore"):
        total = rows.sum(axis=-1)
    return total, rows.min(axis=-1)
