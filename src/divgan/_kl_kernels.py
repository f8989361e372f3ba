"""Private Numba kernels of the pmf divergences (:mod:`divgan._pmf`): no logarithms here
(NumPy's vectorised ``np.log`` takes them), no checks (the inputs come from
:func:`divgan._validation.as_pmf_pair`).

* :func:`dot_rows`: row sums of products (faster than ``np.einsum``'s loop; BLAS's
  ``ddot`` may start threads, which stall when the other cores are busy).
* :func:`js_ratios`: the two ratios of the JS terms in one pass.
* :func:`ratios_and_totals`: KL's ratios with the validator's totals and minima in the same
  pass (the contiguous 1-D fast path of :func:`divgan._pmf.kl_rows_any`).

``error_model='numpy'``, ``cache=True``, no threads. The sums may be reordered
(``fastmath={'reassoc'}``, nothing else: no contraction, no assumptions about NaN or
inf): LLVM then vectorises them (x1.5 for the dot, measured at 1e6), and a plain sum's
error bound holds in any order.
"""
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
def ratios_and_totals(p, q, p_bits, q_bits, r, totals, bits):
    """``r = p / q`` for one block of 1-D masses (``p_bits``, ``q_bits``: their ``uint64``
    views), continuing across blocks: ``totals += (sum p, sum q)``; ``bits[0]``, ``bits[1]``
    the smallest bit patterns of p and q, ``bits[2]`` the OR of all patterns (a sign bit
    there: a negative entry or -0.0; see :func:`divgan._row_totals.row_totals`)."""
    sp = 0.0
    sq = 0.0
    lp, lq, sg = bits[0], bits[1], bits[2]
    for i in range(p.shape[0]):
        a = p[i]
        b = q[i]
        r[i] = a / b
        sp += a
        sq += b
        ba = p_bits[i]
        bb = q_bits[i]
        lp = min(lp, ba)
        lq = min(lq, bb)
        sg |= ba | bb
    totals[0] += sp
    totals[1] += sq
    bits[0], bits[1], bits[2] = lp, lq, sg
