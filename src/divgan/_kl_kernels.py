"""Private Numba kernels of the pmf divergences (:mod:`divgan._pmf`): no logarithms here
(NumPy's vectorised ``np.log`` takes them), no checks (the inputs come from
:func:`divgan._validation.as_pmf_pair`).

* :func:`dot_rows`: row sums of products (faster than ``np.einsum``'s loop; BLAS's
  ``ddot`` may start threads, which stall when the other cores are busy).
* :func:`js_ratios`: the two ratios of the JS terms in one pass.
* :func:`sums_and_minima`: the totals and minima of rows for the validation
  (:func:`divgan._validation.as_pmf_pair`), in one pass (:func:`row_totals`).

``error_model='numpy'``, ``cache=True``, no threads. The sums may be reordered
(``fastmath={'reassoc'}``, nothing else: no contraction, no assumptions about NaN or
inf): LLVM then vectorises them (x1.5 for the dot, x2 for the four reductions of the
validation, measured at 1e6), and a plain sum's error bound holds in any order.
"""
import numpy as np
from numba import njit

_OPTS = {"cache": True, "error_model": "numpy", "nogil": True}
_SUMS = dict(_OPTS, fastmath={"reassoc"})


@njit(**_SUMS)
def dot_rows(a, b, out):
    """``out[r] += sum_i a[r, i] * b[r, i]``, in the order LLVM's vectorised loop takes."""
    rows, n = a.shape
    for r in range(rows):
        ar = a[r]
        br = b[r]
        s = 0.0
        for i in range(n):
            s += ar[i] * br[i]
        out[r] += s


@njit(**_OPTS)
def js_ratios(p, q, c, ra, rb):
    """Per entry, with ``mu = p + c[r] q``: ``ra = 2p / mu`` and ``rb = 2 c[r] q / mu``.

    A ratio that is 0 or 0/0 (its weight is 0, or it underflowed, which needs a
    weight below ~1e-300 of the total) becomes 1, so that its term is 0 log 1 = 0.
    """
    rows, n = p.shape
    for r in range(rows):
        cr = c[r]
        for i in range(n):
            a = p[r, i]
            b = q[r, i] * cr
            m = a + b
            x = (a + a) / m
            y = (b + b) / m
            ra[r, i] = x if x > 0.0 else 1.0
            rb[r, i] = y if y > 0.0 else 1.0


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
