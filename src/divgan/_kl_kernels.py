"""Private Numba kernels of the pmf divergences (:mod:`divgan._pmf`): no logarithms here
(NumPy's vectorised ``np.log`` takes them), no checks (the inputs come from
:func:`divgan._validation.as_pmf_pair`).

* :func:`dot_rows`: row sums of products in eight independent lanes, so that LLVM
  vectorises the loop without ``fastmath`` (faster than ``np.einsum``'s loop; BLAS's
  ``ddot`` may start threads, which stall when the other cores are busy).
* :func:`js_ratios`: the two ratios of the JS terms in one pass.

``error_model='numpy'``, ``cache=True``, no threads.
"""
from numba import njit

_OPTS = {"cache": True, "error_model": "numpy", "nogil": True}


@njit(**_OPTS)
def dot_rows(a, b, out):
    """``out[r] += sum_i a[r, i] * b[r, i]`` (eight lanes, then a fixed pairwise tree)."""
    rows, n = a.shape
    for r in range(rows):
        ar = a[r]
        br = b[r]
        s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
        i = 0
        while i + 8 <= n:
            s0 += ar[i] * br[i]
            s1 += ar[i + 1] * br[i + 1]
            s2 += ar[i + 2] * br[i + 2]
            s3 += ar[i + 3] * br[i + 3]
            s4 += ar[i + 4] * br[i + 4]
            s5 += ar[i + 5] * br[i + 5]
            s6 += ar[i + 6] * br[i + 6]
            s7 += ar[i + 7] * br[i + 7]
            i += 8
        while i < n:
            s0 += ar[i] * br[i]
            i += 1
        out[r] += ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


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
