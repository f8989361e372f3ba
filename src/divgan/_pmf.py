r"""Private cores of the pmf divergences in :mod:`divgan.divergences`.

Each core takes a :class:`~divgan._validation.PmfPair` (made only by
:func:`~divgan._validation.as_pmf_pair`, so the inputs are validated, their rows
``(rows, n)`` with totals in ``[2**-1000, 2**1000]``) and checks nothing. Logarithms are
NumPy's vectorised ``np.log``; sums of products and the JS ratios are small Numba
kernels (:mod:`divgan._kl_kernels`).
"""
import math

import numpy as np

from . import _kl_kernels as _kk
from ._validation import _TOTAL_HI, _TOTAL_LO, PmfPair, as_pmf_pair

_LOG2 = math.log(2.0)
# A ratio is computed directly as p/q only where every ratio is a normal float with room
# for the power-of-two balancing below; else the log-difference form is used.
_RATIO_LO = 2.0**-1000
_RATIO_HI = 2.0**1000


# Work through the outcomes in blocks of about this many entries, in two reused scratch
# buffers that stay in cache: fresh full-length temporaries cost page faults and memory
# traffic (measured with benchmarks/bench_core.py --only kl).
_BLOCK = 2**16


def _blocks(rows: int, n: int):
    """(row slice, column slice) pairs covering ``(rows, n)`` in blocks of ~``_BLOCK``."""
    width = min(n, _BLOCK)
    height = max(1, _BLOCK // width)
    for r0 in range(0, rows, height):
        for c0 in range(0, n, width):
            yield slice(r0, min(r0 + height, rows)), slice(c0, min(c0 + width, n))


def _scratch(rows: int, n: int, count: int):
    width = min(n, _BLOCK)
    height = min(rows, max(1, _BLOCK // width))
    return [np.empty((height, width)) for _ in range(count)]


def _kl_log_difference(p, q, P, Q):
    r""":math:`\sum_i (p_i/P)(\log p_i - \log q_i) + \log(Q/P)` for rows with q > 0 where
    p > 0: any positive float has a finite logarithm, so no ratio can leave the range.
    Its rounding is about eps·(entropy + KL), so it serves only rows the ratio form
    cannot take (a ratio beyond the float range), where KL is large."""
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.log(p) - np.log(q)
    d[p == 0] = 0.0  # 0 log(0/q) = 0
    sums = np.zeros(p.shape[0])
    _kk.dot_rows(p, d, sums)
    return sums / P + (np.log(Q) - np.log(P))


def _kl_rows(pair: PmfPair) -> np.ndarray:
    r"""KL(p/P ‖ q/Q) per row, in nats.

    Ratio form: :math:`\mathrm{KL} = \sum_i (p_i/P) \log r_i + \log(Q/(2^k P))` with
    :math:`r_i = 2^k p_i / q_i` and :math:`2^k` the power of two nearest to :math:`Q/P`
    (an exact scaling), so the last term is at most :math:`\tfrac12\log 2` and cannot
    cancel the sum; each term carries about one rounding of its own size. Rows whose
    ratios (before or after the scaling) leave ``[2**-1000, 2**1000]`` take
    :func:`_kl_log_difference`; rows with p > 0 = q somewhere are ``inf``.
    """
    p, q, P, Q = pair.p, pair.q, pair.p_total, pair.q_total
    rows, n = p.shape
    k = np.rint(np.log2(Q) - np.log2(P))
    far = np.abs(k) > 900  # totals too far apart for the ratio form: log differences
    k[far] = 0.0
    scale = np.exp2(k)
    lo, hi = np.minimum(scale, 1.0), np.maximum(scale, 1.0)
    # A priori every ratio is a normal float when the extremes of p and q say so; else
    # (zeros, huge spans) the ratios themselves are looked at.
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        checked = ~((lo * pair.p_min / Q >= _RATIO_LO) & (hi * P / pair.q_min <= _RATIO_HI))
        checked |= far
    r_min = np.full(rows, np.inf)
    r_max = np.zeros(rows)
    infinite = np.zeros(rows, dtype=bool)
    sums = np.zeros(rows)
    any_checked, any_scaled = checked.any(), (k != 0).any()
    (buf,) = _scratch(rows, n, 1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        for rs, cs in _blocks(rows, n):
            pb, qb = p[rs, cs], q[rs, cs]
            r = np.divide(pb, qb, out=buf[: pb.shape[0], : pb.shape[1]])
            check = checked[rs] if any_checked else None
            if any_checked and check.any():
                pz, qz = pb[check], qb[check]
                infinite[rs] |= _scatter(check, ((qz == 0) & (pz > 0)).any(axis=-1))
                rr = np.where(pz == 0, 1.0, r[check])  # 0 log(0/q) = 0
                r[check] = rr
                r_min[rs] = np.minimum(r_min[rs], _scatter(check, rr.min(axis=-1), np.inf))
                r_max[rs] = np.maximum(r_max[rs], _scatter(check, rr.max(axis=-1), 0.0))
            if any_scaled:
                r *= scale[rs, None]
            np.log(r, out=r)
            _kk.dot_rows(pb, r, sums[rs])
        out = sums / P + np.log(Q / (scale * P))
        ratio_ok = ~checked | ((lo * r_min >= _RATIO_LO) & (hi * r_max <= _RATIO_HI) & ~far)
    rest = ~ratio_ok & ~infinite
    if rest.any():
        out[rest] = _kl_log_difference(p[rest], q[rest], P[rest], Q[rest])
    out[infinite] = np.inf
    return np.maximum(out, 0.0)  # KL >= 0 (Gibbs); removes rounding below zero


# The fast path takes 1-D float64 arrays of at least this many entries (below it the
# validator's passes cost little).
_FAST_MIN = 2**12


def kl_rows_any(p, q, axis):
    """``(KL per row, batch shape)`` of raw input: the validator and :func:`_kl_rows`, or for
    contiguous 1-D float64 arrays of normal, positive masses with totals within a factor
    of about 1.4 one pass of :func:`_kl_kernels.ratios_and_totals` that also validates:
    the ratio form with no scaling (:math:`k = 0`), the same terms and blocks as
    :func:`_kl_rows`. Input it does not take (zeros, negative or non-finite entries, spans
    that need checking or scaling) goes the validator's way, which raises the errors."""
    fast = None
    if (type(p) is np.ndarray and type(q) is np.ndarray and type(axis) is int
            and axis in (0, -1) and p.dtype == q.dtype == np.float64 and p.ndim == q.ndim == 1
            and p.size == q.size >= _FAST_MIN and p.flags.c_contiguous
            and q.flags.c_contiguous):
        fast = _kl_fast(p, q)
    if fast is not None:
        return fast, ()
    pair = as_pmf_pair(p, q, axis=axis)
    return _kl_rows(pair), pair.batch


def _kl_fast(p, q):
    """KL(p/P ‖ q/Q) of two 1-D arrays in one validating pass, or None (see
    :func:`kl_rows_any`)."""
    n = p.size
    p_bits, q_bits = p.view(np.uint64), q.view(np.uint64)
    totals, sums = np.zeros(2), np.zeros(1)
    bits = np.array([np.iinfo(np.uint64).max, np.iinfo(np.uint64).max, 0], dtype=np.uint64)
    (buf,) = _scratch(1, n, 1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        for _, cs in _blocks(1, n):
            r = buf[0, : cs.stop - cs.start]
            _kk.ratios_and_totals(p[cs], q[cs], p_bits[cs], q_bits[cs], r, totals, bits)
            np.log(r, out=r)
            _kk.dot_rows(p[None, cs], r[None], sums)
        P, Q = totals
        p_min, q_min = bits[:2].view(np.float64)
        ok = (not bits[2] >> np.uint64(63) and _TOTAL_LO <= P <= _TOTAL_HI
              and _TOTAL_LO <= Q <= _TOTAL_HI and np.rint(np.log2(Q) - np.log2(P)) == 0
              and p_min / Q >= _RATIO_LO and q_min > 0 and P / q_min <= _RATIO_HI)
    if not ok:
        return None
    return np.maximum(sums / P + np.log(Q / P), 0.0)  # as _kl_rows with scale 1


def _scatter(mask, values, fill=False):
    """``values`` (one per True of ``mask``) spread over ``mask``'s shape, ``fill`` elsewhere."""
    out = np.full(mask.shape, fill, dtype=np.asarray(values).dtype)
    out[mask] = values
    return out


def _js_rows(pair: PmfPair) -> np.ndarray:
    r"""JS(p/P ‖ q/Q) per row, in nats, clipped to [0, log 2].

    With :math:`c = P/Q` and :math:`\mu_i = p_i + c q_i` (2P times the mixture),
    :math:`\mathrm{JS} = \tfrac12\sum_i \frac{p_i}{P}\log\frac{2p_i}{\mu_i}
    + \tfrac12\sum_i \frac{q_i}{Q}\log\frac{2c\,q_i}{\mu_i}`. Every ratio lies in
    (0, 2] and :math:`c q_i \le P \le 2^{1000}`, so nothing overflows. Equal (or
    power-of-two proportional) inputs give ratios of exactly 1 and JS exactly 0. A
    ratio that is 0 or 0/0 (zero weight, or underflow below a weight of ~1e-300) is
    set to 1: its term is 0.
    """
    p, q, P, Q = pair.p, pair.q, pair.p_total, pair.q_total
    rows, n = p.shape
    far = np.abs(np.log2(P) - np.log2(Q)) > 900
    if far.any():  # bring both totals of those rows near 1 (exact but for weights < 1e-290)
        p, q = np.array(p), np.array(q)
        p[far] = np.ldexp(p[far], -np.frexp(P[far])[1][:, None])
        q[far] = np.ldexp(q[far], -np.frexp(Q[far])[1][:, None])
        P, Q = P.copy(), Q.copy()
        P[far], Q[far] = p[far].sum(axis=-1), q[far].sum(axis=-1)
    c = P / Q
    sa = np.zeros(rows)
    sb = np.zeros(rows)
    buf_a, buf_b = _scratch(rows, n, 2)
    for rs, cs in _blocks(rows, n):
        pb, qb = p[rs, cs], q[rs, cs]
        ra = buf_a[: pb.shape[0], : pb.shape[1]]
        rb = buf_b[: pb.shape[0], : pb.shape[1]]
        _kk.js_ratios(pb, qb, c[rs], ra, rb)  # no ratio is 0: no log warnings
        np.log(ra, out=ra)
        np.log(rb, out=rb)
        _kk.dot_rows(pb, ra, sa[rs])
        _kk.dot_rows(qb, rb, sb[rs])
    return np.clip(0.5 * (sa / P + sb / Q), 0.0, _LOG2)


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
