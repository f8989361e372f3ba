r"""Sort-free exact W1 of unweighted 1-D samples: bucket counts and one scan (private).

:math:`W_1(u, v) = \int |D(t)|\,dt`, :math:`D = F_u - F_v` the difference of the empirical
CDFs of ``u`` (``n`` points) and ``v`` (``m``): a step function rising by ``1/n`` at each
point of u and falling by ``1/m`` at each point of v. In units of ``1/(n m)`` its levels are
the integers :math:`m N_u - n N_v`, exact in float64 (``n + m <= 2**21``).

**Buckets.** ``w = 2**e`` is the power of two nearest ``(hi - lo) / B`` (the extremes of both
rows; ``B = (n + m) / 2``), so the pair spans at most ``sqrt(2) B + 2`` buckets ``[j w,
(j + 1) w)``. For a value ``x``, ``z = x / w`` is exact (a power of two), ``f = floor(z)``
names its bucket and ``y = z - f`` in ``[0, 1]`` is its position there in units of ``w``,
exact too (``z`` and ``f`` share the grid of ``z``'s last bit) except for ``-1 < z < 0``,
where ``y`` is rounded by at most ``eps/4``. Membership is exact and positions err relative
to ``w``, not to the range or to ``|x|`` (``1e9 + N(0, 1)`` loses nothing). One pass per row
counts the points of u and v in each bucket.

**Scan.** Left to right, ``d`` is D at the bucket's left edge. Inside the bucket D moves by
``+m`` at points of u and ``-n`` at points of v, so it keeps one sign ``s`` when
:math:`d \ge n c_v` (s = 1) or :math:`d + m c_u \le 0` (s = -1), and then no order is needed:

.. math::
    \int_{\text{bucket}} |D|\,dt = s \int D\,dt = w \Big( |d| + s \big( m \sum_u (1 - y_i)
    - n \sum_v (1 - y_j) \big) \Big).

A bucket with one point adds ``w (|d| + (|d + J| - |d|) (1 - y))`` (``J``: its jump). The
scan keeps ``sum |d|`` (an exact integer) and a coefficient per bucket (``s``, or the one
point's); a second pass over the points adds up ``coef (1 - y)`` and lists the points of
the other ("mixed") buckets, which are sorted by position (a sorting network up to 8 points,
insertion sort above; the lowest bit of ``y`` carries u or v: one ulp) and swept,
:math:`\sum_r |D_r| (y_{r+1} - y_r)`.

**Rounding.** With ``eps = 2**-52``: a term ``coef (1 - y)`` is off by at most ``1.5 eps``,
and the two sums of at most ``n`` and ``m`` such terms in [-1, 1] (plain blocks of 64 in two
lanes, folded with TwoSum) by ``18 eps n``, ``18 eps m``: ``37 eps n m`` once scaled by ``m``
and ``n``. A mixed bucket of ``c`` points and total jump ``J = m c_u + n c_v`` (``|D| <= 2
J`` there; positions moved by ``1.25 eps``; ``c + 1`` products summed plainly) is off by at
most ``eps (c + 5) J``. ``sum |d|`` (at most the value plus ``2 n m``) converted to float,
block sums of the sweeps and the final division add ``eps (18 value + n m)``. A pair goes
through the sort path instead (:mod:`divgan._emd1d`: bit for bit its value without this
module) when ``eps (20 value + 48 n m + sum_mixed (c + 5) J)`` exceeds ``1e-13`` of the
value (nearly identical samples, ``u == v`` -- exactly 0 there --, W1 tiny against ``w``),
when more than half its points lie in mixed buckets or one of those holds more than 64
(heavy tails, many ties), when a value is not finite (that path raises its errors), when
the span is one that path would rescale (:func:`divgan._ot._range_scale`), and whenever
``DIVGAN_SORT`` forces a sort. Pairs of ``2**14`` points or more are probed before the
counting pass (:func:`_crowded`: 256 evenly spaced points a side), so that heavy tails and
ties skip a pass they would waste (single rows of 1e6: Cauchy 33 ms down to 27 ms, the
integers 0..9 42 ms down to 35 ms, against 26 and 33 ms for the sort path alone; N(0, 1)
unchanged at about 20 ms).

**Measured** (AMD EPYC, one thread): 1000 pairs of 1000 N(0, 1) samples in about half the
time of the radix sort of both batches alone, the time flat for ``B`` from ``(n + m) / 1.5``
to ``(n + m) / 2.5``; none of those pairs handed on. Single pairs gain from ``n + m`` of 64;
batches whose rows are all at most 256 long stay with NumPy's sort (a sorting network there,
2.7x faster than these buckets); beyond ``n + m = 2**21`` the bucket arrays outgrow the
caches (at ``n = m = 1e6`` still about 0.85x the time of the radix path).

**Callers** (:mod:`divgan._ot`): ``wasserstein_1d`` of unweighted samples with ``p = 1``
(single pairs and batches), and ``sliced_wasserstein`` with ``p = 1`` (its default) and no
weights, on each direction's projections: 2-D, 100 directions, ``n = 1e5`` took 90 ms
against 260 ms sorting them (``benchmarks/RESULTS.md``).
"""
import math
import threading

import numpy as np
from numba import njit

from divgan._emd1d import _two_sum  # compensated (TwoSum) accumulation
from divgan._sort import _key, _unkey  # float64 bits <-> uint64 keys in numeric order

_OPTS = {"cache": True, "error_model": "numpy", "nogil": True}
_EPS = 2.0**-52
_REL = 1e-13  # the sort path takes a pair whose rounding bound exceeds this share of W1,
_MIXED = 0.5  # or with more than this share of its points in mixed buckets,
_LARGEST = 64  # or with a mixed bucket of more points than this
_MIN_POINTS = 64  # single pairs of fewer points (n + m) take the sort path (faster there),
_SORTING_NETWORK = 256  # and batches whose rows are all this short (NumPy sorts them fast),
_MAX_POINTS = 1 << 21  # and pairs of more points (n + m)
_PER_BUCKET = 2  # points per bucket wanted: B = (n + m) / 2 (measured: module docstring)
_GIVE_UP = 32  # a batch goes to the sort path when more than half its pairs so far did
_PROBE = 256  # pairs of at least _PROBE_MIN points are probed at this many points a side
_PROBE_MIN = 1 << 14  # first; _CROWD probed points of both samples in one bucket: sort path
_CROWD = 8
_BLOCK = 32  # sweeps summed plainly before folding into the compensated total
_V = 1 << 32  # packed counts: a point of u adds 1, a point of v adds 2**32
_LOW = (1 << 32) - 1
_ZERO = np.uint64(0)
_ONE = np.uint64(1)
_NOT1 = ~np.uint64(1)
_EXP = np.uint64(0x7FF0000000000000)
_PAD = np.uint64(0x4000000000000000)  # the bits of 2.0: above every key

OK, FALLBACK = 0, 1


def applies(n: int, m: int, single: bool) -> bool:
    """Whether pairs of ``n`` and ``m`` points go through the bucket kernel at all (a
    ``single`` pair, or rows of a batch; thresholds measured, see the module docstring)."""
    if single:
        return _MIN_POINTS <= n + m <= _MAX_POINTS
    return max(n, m) > _SORTING_NETWORK and n + m <= _MAX_POINTS


@njit(inline="always")
def _extent(bits):
    """Order keys of the least and largest of the float64 bits ``bits`` and the number of
    NaN or infinite values: integer reductions, which vectorise (float min/max do not)."""
    lo = hi = _key(bits[0])
    bad = 0
    for i in range(bits.shape[0]):
        k = _key(bits[i])
        lo, hi = min(lo, k), max(hi, k)
        bad += (bits[i] & _EXP) == _EXP
    return lo, hi, bad


@njit(inline="always")
def _locate(x, inv, flo, inc, kk, yy, cnt):
    """Bucket ``kk[i]`` and position ``yy[i]`` (units of w) of each value, then the packed
    counts per bucket (the first loop vectorises, the second is the one scattered write)."""
    for i in range(x.shape[0]):
        z = x[i] * inv
        f = np.floor(z)
        kk[i] = np.int32(f - flo)
        yy[i] = z - f
    for i in range(x.shape[0]):
        cnt[kk[i]] += inc


@njit(inline="always")
def _crowded(u, v, inv, flo):
    """Whether ``_PROBE`` evenly spaced points of each row put ``_CROWD`` or more, of both
    rows, in one bucket: that bucket then holds about ``(n + m) / 64`` points, far more than
    a mixed bucket may (heavy tails, ties), and the counting pass would be wasted (Cauchy
    rows of 1e6: 33 ms against 26 ms sorting them). A bucket of one row alone is left to
    the pass (an atom of u where v has none can still be integrated in closed form)."""
    keys = np.empty(2 * _PROBE, np.int64)
    for side, x in enumerate((u, v)):
        step = x.shape[0] / _PROBE
        for i in range(_PROBE):
            k = np.int64(np.floor(x[int(i * step)] * inv) - flo)
            keys[side * _PROBE + i] = 2 * k + side
    keys.sort()
    run, sides = 1, 1 << (keys[0] & 1)
    for i in range(1, keys.shape[0]):
        if keys[i] >> 1 == keys[i - 1] >> 1:
            run += 1
            sides |= 1 << (keys[i] & 1)
            if run >= _CROWD and sides == 3:
                return True
        else:
            run, sides = 1, 1 << (keys[i] & 1)
    return False


@njit(inline="always")
def _points(kk, yy, label, coef, cnt, idx, cur, g):
    """``sum coef[k] (1 - y)`` over the points (plain blocks of 64 in two lanes, folded with
    TwoSum), and the keys of the points in mixed buckets (``coef[k] == 0``, ``cnt[k] = -1 -
    j`` for the j-th) into ``g``, grouped by bucket at the cursors ``cur``: the bits of ``y``
    with the lowest bit replaced by ``label`` (1 for u, 0 for v; ``y`` moves by one ulp at
    most). A single point whose ``coef`` is 0 is listed too, then skipped."""
    n = kk.shape[0]
    s, c, p = 0.0, 0.0, 0
    for i0 in range(0, n, 64):
        b0, b1, i, stop = 0.0, 0.0, i0, min(i0 + 64, n)
        while i + 2 <= stop:
            c0, c1 = coef[kk[i]], coef[kk[i + 1]]
            b0 += c0 * (1.0 - yy[i])
            b1 += c1 * (1.0 - yy[i + 1])
            idx[p] = i
            p += c0 == 0.0
            idx[p] = i + 1
            p += c1 == 0.0
            i += 2
        if i < stop:
            c0 = coef[kk[i]]
            b0 += c0 * (1.0 - yy[i])
            idx[p] = i
            p += c0 == 0.0
        s, c = _two_sum(s, c, b0 + b1)
    bits = yy.view(np.uint64)
    for q in range(p):
        i = idx[q]
        j = -1 - cnt[kk[i]]
        if j >= 0:
            g[cur[j]] = (bits[i] & _NOT1) | label
            cur[j] += 1
    return s, c


@njit(inline="always")
def _ce(a, b):
    return min(a, b), max(a, b)


@njit(inline="always")
def _order(g, a, c, s):
    """The keys ``g[a:a+c]`` in ascending order into ``s[:c]``: a sorting network (19
    comparators, padded with 2.0) up to 8 keys, insertion sort above."""
    if c > 8:
        for i in range(c):
            t = g[a + i]
            j = i - 1
            while j >= 0 and s[j] > t:
                s[j + 1] = s[j]
                j -= 1
            s[j + 1] = t
        return
    x0, x1, x2, x3 = g[a], g[a + 1], _PAD, _PAD
    x4, x5, x6, x7 = _PAD, _PAD, _PAD, _PAD
    if c > 2:
        x2, x3 = g[a + 2], g[a + 3] if c > 3 else _PAD
    if c > 4:
        x4, x5 = g[a + 4], g[a + 5] if c > 5 else _PAD
        x6, x7 = g[a + 6] if c > 6 else _PAD, g[a + 7] if c > 7 else _PAD
    (x0, x1), (x2, x3), (x4, x5), (x6, x7) = _ce(x0, x1), _ce(x2, x3), _ce(x4, x5), _ce(x6, x7)
    (x0, x2), (x1, x3), (x4, x6), (x5, x7) = _ce(x0, x2), _ce(x1, x3), _ce(x4, x6), _ce(x5, x7)
    (x1, x2), (x5, x6), (x0, x4), (x3, x7) = _ce(x1, x2), _ce(x5, x6), _ce(x0, x4), _ce(x3, x7)
    (x1, x5), (x2, x6) = _ce(x1, x5), _ce(x2, x6)
    (x1, x4), (x3, x6) = _ce(x1, x4), _ce(x3, x6)
    (x2, x4), (x3, x5) = _ce(x2, x4), _ce(x3, x5)
    x3, x4 = _ce(x3, x4)
    s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7] = x0, x1, x2, x3, x4, x5, x6, x7


@njit(inline="always")
def _sweep(g, a, c, d, fn, fm, s):
    """Integral of ``|D|`` (units ``w / (n m)``) over a mixed bucket with the keys
    ``g[a:a+c]`` and ``D = d`` at its left edge."""
    _order(g, a, c, s)
    y = s.view(np.float64)
    tot, prev = 0.0, 0.0
    for r in range(c):
        tot += abs(d) * (y[r] - prev)
        prev = y[r]
        d += fm if s[r] & _ONE else -fn
    return tot + abs(d) * (1.0 - prev)


@njit(**_OPTS)
def _pair(u, v, nb_want, cnt, coef, kk, yy, idx, g, mix, s):
    """``(W1, status, lo, hi)`` of the rows ``u``, ``v`` (the value only where the status
    is OK; status -1: a value is not finite). ``cnt`` is zero and left so; the other arrays
    are scratch."""
    n, m = u.shape[0], v.shape[0]
    lo_u, hi_u, bad_u = _extent(u.view(np.uint64))
    lo_v, hi_v, bad_v = _extent(v.view(np.uint64))
    if bad_u + bad_v > 0:
        return 0.0, -1, 0.0, 0.0
    s[0] = _unkey(min(lo_u, lo_v))
    s[1] = _unkey(max(hi_u, hi_v))
    lo, hi = s.view(np.float64)[0], s.view(np.float64)[1]
    fn, fm = float(n), float(m)
    half = hi / 2 - lo / 2
    if half == 0.0:
        return 0.0, OK, lo, hi
    if half < 2.0**-900 or half * 2.0 * (fn * fm) > 2.0**1000:  # _range_scale would act
        return 0.0, FALLBACK, lo, hi
    mant, ex = math.frexp((hi - lo) / nb_want)
    ex -= mant < 0.7071067811865476  # w: the power of two nearest (hi - lo) / nb_want
    inv = math.ldexp(1.0, -ex)
    flo = np.floor(lo * inv)
    nb = int(np.floor(hi * inv) - flo) + 1
    if n + m >= _PROBE_MIN and _crowded(u, v, inv, flo):
        return 0.0, FALLBACK, lo, hi
    _locate(u, inv, flo, 1, kk[:n], yy[:n], cnt)
    _locate(v, inv, flo, _V, kk[n:], yy[n:], cnt)
    # scan: D = d at each left edge (units 1 / (n m)); see the module docstring
    d = const = errm = nmix = pm = big = 0
    cap, over = mix.shape[0] - 1, False
    for k in range(nb):
        a, b = cnt[k] & _LOW, cnt[k] >> 32  # the points of u and v in the bucket
        ju, jv = m * a, n * b
        if d >= jv or d + ju <= 0:  # D keeps one sign over the bucket
            coef[k] = 1.0 if d >= jv else -1.0
            const += abs(d)
        elif a + b == 1:  # one point: |d| y + |d + jump| (1 - y)
            jump = ju - jv
            coef[k] = float(abs(d + jump) - abs(d)) / float(jump)
            const += abs(d)
        else:
            coef[k] = 0.0
            over = over or nmix == cap
            if not over:
                mix[nmix, 0] = k
                mix[nmix, 1] = pm
                mix[nmix, 2] = d
                nmix += 1
                cnt[k] = -nmix
            pm += a + b
            big = max(big, a + b)
            errm += (a + b + 5) * (ju + jv)
            if pm > _MIXED * (n + m) or big > _LARGEST:
                break  # the sort path takes this pair
        d += ju - jv
    fits = pm <= _MIXED * (n + m) and big <= _LARGEST and not over
    sm, cm = 0.0, 0.0
    if fits:
        mix[nmix, 1] = pm
        cur = mix[:nmix, 3]
        cur[:] = mix[:nmix, 1]
        su, cu = _points(kk[:n], yy[:n], _ONE, coef, cnt, idx, cur, g)
        sv, cv = _points(kk[n:], yy[n:], _ZERO, coef, cnt, idx, cur, g)
        sm, cm = _two_sum(su * fm, (cu * fm) - (cv * fn), -(sv * fn))
    cnt[:nb] = 0
    if not fits:
        return 0.0, FALLBACK, lo, hi
    blk = 0.0
    for j in range(nmix):
        a = mix[j, 1]
        blk += _sweep(g, a, mix[j + 1, 1] - a, float(mix[j, 2]), fn, fm, s)
        if j % _BLOCK == _BLOCK - 1:
            sm, cm = _two_sum(sm, cm, blk)
            blk = 0.0
    sm, cm = _two_sum(sm, cm, blk)
    sm, cm = _two_sum(sm, cm, float(const))
    total = sm + cm
    bound = _EPS * (20.0 * total + 48.0 * fn * fm + float(errm))  # module docstring
    if not bound <= _REL * total:
        return 0.0, FALLBACK, lo, hi
    return total / (fn * fm) * math.ldexp(1.0, ex), OK, lo, hi


@njit(**_OPTS)
def _rows(U, V, iu, iv, nb_want, cnt, coef, kk, yy, idx, g, mix, s, out, status, lo, hi):
    """:func:`_pair` of ``U[iu[k]]``, ``V[iv[k]]`` for every k; False at the first
    non-finite pair (the sort path then raises), or once more than half of the first
    ``_GIVE_UP`` pairs or more went to the sort path (heavy tails, ties, equal samples:
    it is faster to sort them all)."""
    handed = 0
    for k in range(out.shape[0]):
        out[k], status[k], lo[k], hi[k] = _pair(U[iu[k]], V[iv[k]], nb_want, cnt, coef, kk,
                                                yy, idx, g, mix, s)
        handed += status[k] != OK
        if status[k] < 0 or (k >= _GIVE_UP and 2 * handed > k + 1):
            return False
    return True


_LOCAL = threading.local()
_KEEP = 1 << 18  # scratch for up to this many points (n + m, about 9 MB) is kept per thread


def _workspace(n: int, m: int, nb: int) -> tuple:
    """Scratch for rows of ``n`` and ``m`` points. The counts are left zeroed by every call,
    so the scratch of the last size is kept for the next call (PERFORMANCE.md, lesson 5)."""
    ws = getattr(_LOCAL, "ws", None)
    if ws is not None and ws[0] == (n, m):
        return ws[1:]
    size = nb + nb // 2 + 4  # at most sqrt(2) nb + 2 buckets (module docstring)
    ws = ((n, m), np.zeros(size, np.int64), np.empty(size), np.empty(n + m, np.int32),
          np.empty(n + m), np.empty(max(n, m) + 1, np.int32),
          np.empty(int(_MIXED * (n + m)) + 1, np.uint64), np.empty((nb // 4 + 3, 4), np.int64),
          np.empty(_LARGEST + 1, np.uint64))
    if n + m <= _KEEP:
        _LOCAL.ws = ws
    return ws[1:]


def w1_rows(U, V, iu, iv):
    """W1 of the row pairs ``U[iu[k]]``, ``V[iv[k]]`` (C-contiguous float64 rows ``(r, n)``,
    ``(s, m)``, ``n + m`` where :func:`applies`) as ``(out, status, lo, hi)``: ``out[k]`` is
    W1 (within ``1e-13`` relative) where ``status[k]`` is :data:`OK`, and must come from the
    sort path where it is :data:`FALLBACK`; ``lo``, ``hi`` are the extremes of each pair.
    None if a value is NaN or infinite or most pairs need the sort path."""
    n, m = U.shape[1], V.shape[1]
    nb = max(1, (n + m) // _PER_BUCKET)
    out, lo, hi = np.empty(iu.shape[0]), np.empty(iu.shape[0]), np.empty(iu.shape[0])
    status = np.empty(iu.shape[0], np.int8)
    if not _rows(U, V, iu, iv, nb, *_workspace(n, m, nb), out, status, lo, hi):
        return None
    return out, status, lo, hi


def w1_pair(u, v):
    """:func:`w1_rows` for two C-contiguous float64 rows: ``(W1, status)``, the status -1 if
    a value is NaN or infinite."""
    n, m = u.shape[0], v.shape[0]
    nb = max(1, (n + m) // _PER_BUCKET)
    value, status, _, _ = _pair(u, v, nb, *_workspace(n, m, nb))
    return value, status
