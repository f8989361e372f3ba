"""Private Numba kernels for KL and JS on pmfs.

No checks here: the public functions in :mod:`divgan.divergences` hand in 2-D
C-contiguous float64 arrays ``(rows, n)`` and read the returned sums.

Design (measured, see ``/work/shared/PERFORMANCE.md``):

* ``math.log`` in Numba is a scalar libm call, so :func:`_vlog` is a branch-free
  logarithm (at most 2 ulp) that LLVM vectorises: exponent and mantissa are read
  through a bit cast (musl's range reduction to ``[sqrt(2)/2, sqrt(2))``) and
  ``log(1 + f)`` comes from fdlibm's degree-14 polynomial in ``s = f / (2 + f)``.
  It is exact for ``x == 1`` (returns 0). It is only valid for positive *normal*
  finite ``x``; the callers select a harmless argument elsewhere and flag
  ratios that leave the normal range, which then take the NumPy path.
* No fastmath (it would let LLVM reassociate sums and drop NaN handling), so a
  plain ``s += t`` reduction would not vectorise. Instead each block of
  ``_BLOCK`` elements (``_KL_BLOCK`` for KL) is folded pairwise into small
  buffers and summed by a halving tree (pairwise summation: error ``O(log n)``
  ulps, and the loops vectorise); block totals are added with Neumaier
  compensation.
* ``error_model='numpy'``, ``cache=True``, no threads.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

_BLOCK = 1024
_HALF = _BLOCK // 2
_KL_BLOCK = 2048
_KL_QUARTER = _KL_BLOCK // 4

# fdlibm e_log.c polynomial; musl's bit-level range reduction
_LN2 = 0.6931471805599453
_SQRT_HALF_BITS = 0x3FE6A09E00000000  # high bits of sqrt(2)/2
_REDUCE_OFFSET = 0x3FF0000000000000 - _SQRT_HALF_BITS
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_MANTISSA_MASK = 0x000FFFFFFFFFFFFF
_DBL_MAX = np.finfo(np.float64).max
_DBL_MIN = np.finfo(np.float64).tiny


@intrinsic
def _f2i(typingctx, x):
    """Reinterpret the bits of a float64 as an int64 (free in LLVM)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _i2f(typingctx, x):
    """Reinterpret the bits of an int64 as a float64."""
    if x != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _fma(typingctx, a, b, c):
    """Fused multiply-add ``a * b + c`` (one rounding), via ``llvm.fma.f64``."""
    if not (a == b == c == types.float64):
        return None

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return types.float64(types.float64, types.float64, types.float64), codegen


@njit(inline="always", error_model="numpy", cache=True)
def _vlog(x):
    """Natural log of a positive normal finite float64, branch-free (<= 2 ulp).

    musl's reduction: adding ``1 - 0x3FE6A09E…`` to the bits moves the mantissa
    into ``[sqrt(2)/2, sqrt(2))`` and carries into the exponent k without a
    select; then ``log(1 + f) = 2s + s·R(s²)`` with ``s = f / (2 + f)`` and fdlibm's
    degree-14 minimax R. Exactly 0 for ``x == 1``.
    """
    ix = _f2i(x) + _REDUCE_OFFSET
    k = np.float64((ix >> 52) - 1023)
    f = _i2f((ix & _MANTISSA_MASK) + _SQRT_HALF_BITS) - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * _fma(w, _fma(w, _LG6, _LG4), _LG2)
    t2 = z * _fma(w, _fma(w, _fma(w, _LG7, _LG5), _LG3), _LG1)
    return _fma(s, 2.0 + (t1 + t2), k * _LN2)


@njit(inline="always", error_model="numpy", cache=True)
def _kl_term(a, c):
    """``a * log(a / c)``: 0 for a == 0, +inf for a > 0 == c, and NaN as a flag
    when c < 0, a < 0, or a/c is below the normal range (the caller then
    validates and takes the NumPy path)."""
    x = a / c if a != 0.0 else 1.0
    t = a * _vlog(x)
    t = np.inf if x > _DBL_MAX else t
    return np.nan if (x < _DBL_MIN) | (c < 0.0) else t


@njit(inline="always", error_model="numpy", cache=True)
def _nz(v):
    """``v`` if non-zero else +inf (so a min finds the smallest non-zero entry)."""
    return v if v != 0.0 else np.inf


@njit(inline="always", error_model="numpy", cache=True)
def _tree_sum(buf, h):
    while h > 8:
        h //= 2
        for i in range(h):
            buf[i] += buf[i + h]
    s = 0.0
    for i in range(h):
        s += buf[i]
    return s


@njit(inline="always", error_model="numpy", cache=True)
def _tree_min(buf, h):
    while h > 8:
        h //= 2
        for i in range(h):
            buf[i] = min(buf[i], buf[i + h])
    s = np.inf
    for i in range(h):
        s = min(s, buf[i])
    return s


@njit(inline="always", error_model="numpy", cache=True)
def _neumaier(total, comp, x):
    t = total + x
    if abs(total) >= abs(x):
        comp += (total - t) + x
    else:
        comp += (x - t) + total
    return t, comp


@njit(error_model="numpy", cache=True)
def kl_rows(p, q, out):
    """Per row: ``out[r] = (P, Q, S)`` with P = Σp, Q = Σq and S = Σ p·log(p/q)
    (0·log 0 = 0; +inf where p > 0 = q). S is NaN when an entry is negative or a
    ratio leaves the normal range; P or Q is NaN/inf for non-finite input.

    Blocks of ``_KL_BLOCK`` are folded four ways into quarter-size buffers (a first
    pairwise level), then summed by the halving tree."""
    rows, n = p.shape
    bp = np.empty(_KL_QUARTER)
    bq = np.empty(_KL_QUARTER)
    bs = np.empty(_KL_QUARTER)
    h = _KL_QUARTER
    nfull = n // _KL_BLOCK
    for r in range(rows):
        pr = p[r]
        qr = q[r]
        tp = 0.0
        cp = 0.0
        tq = 0.0
        cq = 0.0
        ts = 0.0
        cs = 0.0
        for blk in range(nfull):
            s0 = blk * _KL_BLOCK
            for i in range(h):
                a0 = pr[s0 + i]
                a1 = pr[s0 + h + i]
                a2 = pr[s0 + 2 * h + i]
                a3 = pr[s0 + 3 * h + i]
                c0 = qr[s0 + i]
                c1 = qr[s0 + h + i]
                c2 = qr[s0 + 2 * h + i]
                c3 = qr[s0 + 3 * h + i]
                bp[i] = (a0 + a1) + (a2 + a3)
                bq[i] = (c0 + c1) + (c2 + c3)
                t01 = _kl_term(a0, c0) + _kl_term(a1, c1)
                bs[i] = t01 + (_kl_term(a2, c2) + _kl_term(a3, c3))
            tp, cp = _neumaier(tp, cp, _tree_sum(bp, h))
            tq, cq = _neumaier(tq, cq, _tree_sum(bq, h))
            ts, cs = _neumaier(ts, cs, _tree_sum(bs, h))
        for i in range(nfull * _KL_BLOCK, n):
            a = pr[i]
            c = qr[i]
            tp, cp = _neumaier(tp, cp, a)
            tq, cq = _neumaier(tq, cq, c)
            ts, cs = _neumaier(ts, cs, _kl_term(a, c))
        out[r, 0] = tp + cp
        out[r, 1] = tq + cq
        out[r, 2] = ts + cs if np.isfinite(ts) else ts


@njit(error_model="numpy", cache=True)
def sums_rows(p, q, out):
    """Per row: ``out[r] = (P, Q, M)``, as in :func:`kl_rows` without S."""
    rows, n = p.shape
    bp = np.empty(_HALF)
    bq = np.empty(_HALF)
    bm = np.empty(_HALF)
    nfull = n // _BLOCK
    for r in range(rows):
        pr = p[r]
        qr = q[r]
        tp = 0.0
        cp = 0.0
        tq = 0.0
        cq = 0.0
        mn = np.inf
        for blk in range(nfull):
            s0 = blk * _BLOCK
            for i in range(_HALF):
                a = pr[s0 + i]
                b = pr[s0 + _HALF + i]
                c = qr[s0 + i]
                d = qr[s0 + _HALF + i]
                bp[i] = a + b
                bq[i] = c + d
                bm[i] = min(min(_nz(a), _nz(b)), min(_nz(c), _nz(d)))
            tp, cp = _neumaier(tp, cp, _tree_sum(bp, _HALF))
            tq, cq = _neumaier(tq, cq, _tree_sum(bq, _HALF))
            mn = min(mn, _tree_min(bm, _HALF))
        for i in range(nfull * _BLOCK, n):
            a = pr[i]
            c = qr[i]
            tp, cp = _neumaier(tp, cp, a)
            tq, cq = _neumaier(tq, cq, c)
            mn = min(mn, min(_nz(a), _nz(c)))
        out[r, 0] = tp + cp
        out[r, 1] = tq + cq
        out[r, 2] = mn


@njit(inline="always", error_model="numpy", cache=True)
def _js_terms(a, c, pt, qt):
    """``(a·log(2aQ/(aQ+cP)), c·log(2cP/(aQ+cP)))``, each 0 where its weight is 0.

    Equal normalised masses give ratios of exactly 1 and terms of exactly 0.
    """
    x = a * qt
    y = c * pt
    d = x + y
    u = (x + x) / d
    v = (y + y) / d
    tu = a * _vlog(u if a > 0.0 else 1.0)
    tv = c * _vlog(v if c > 0.0 else 1.0)
    return tu, tv


@njit(error_model="numpy", cache=True)
def js_rows(p, q, totals, out):
    """Per row: ``out[r] = (Sp, Sq)`` with m' = pQ + qP,
    Sp = Σ p·log(2pQ/m'), Sq = Σ q·log(2qP/m'), where ``totals[r] = (P, Q)``.

    Then JS = ½(Sp/P + Sq/Q). Needs P, Q, p·Q and q·P in the normal range."""
    rows, n = p.shape
    bu = np.empty(_HALF)
    bv = np.empty(_HALF)
    nfull = n // _BLOCK
    for r in range(rows):
        pr = p[r]
        qr = q[r]
        pt = totals[r, 0]
        qt = totals[r, 1]
        su = 0.0
        cu = 0.0
        sv = 0.0
        cv = 0.0
        for blk in range(nfull):
            s0 = blk * _BLOCK
            for i in range(_HALF):
                tu1, tv1 = _js_terms(pr[s0 + i], qr[s0 + i], pt, qt)
                tu2, tv2 = _js_terms(pr[s0 + _HALF + i], qr[s0 + _HALF + i], pt, qt)
                bu[i] = tu1 + tu2
                bv[i] = tv1 + tv2
            su, cu = _neumaier(su, cu, _tree_sum(bu, _HALF))
            sv, cv = _neumaier(sv, cv, _tree_sum(bv, _HALF))
        for i in range(nfull * _BLOCK, n):
            tu, tv = _js_terms(pr[i], qr[i], pt, qt)
            su, cu = _neumaier(su, cu, tu)
            sv, cv = _neumaier(sv, cv, tv)
        out[r, 0] = su + cu
        out[r, 1] = sv + cv
