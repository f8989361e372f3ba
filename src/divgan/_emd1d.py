"""Private Numba kernels behind :mod:`divgan.wasserstein`.

Every kernel takes sorted (where it says so), C-contiguous float64 arrays and
checks nothing (except :func:`piles_unit_grid`, which returns the totals and a sign
flag for its caller to check, saving passes over memory): the public wrappers in
:mod:`divgan.wasserstein` validate once through :mod:`divgan._validation` and sort
outside the kernels (:mod:`divgan._sort`: NumPy's sort or a radix sort, whichever this
machine runs faster; Numba's own sort is slower than either). No ``fastmath`` (except
``reassoc`` in the plain sums of :func:`_pile_totals`): results are exact up to the
rounding of each term, and sums are compensated (Knuth's TwoSum; in the equal-length
case over plain sums of blocks of 256); the accuracy against a ``math.fsum`` reference
is measured in ``benchmarks/bench_core.py``.

The 1-D merge kernels return the *power mean* ``W_p**p`` of the gaps multiplied by
``inv`` (for ``p = inf``: the largest gap over positive-mass quantile intervals);
:func:`wp_sorted` and :func:`wp_levels` give ``W_p`` itself, scaled as ``hypot`` does:
the largest coupled gap ``D = W_inf`` is found first and the power mean of
``gap / D`` taken, so ``D**p`` never overflows or underflows (any ``p``).
"""
import math

import numpy as np
from numba import njit

_OPTS = {"cache": True, "error_model": "numpy", "nogil": True}


@njit(inline="always")
def _cost(d, p):
    """|d|**p with the common orders special-cased (no libm ``pow`` for p = 1, 2)."""
    a = abs(d)
    if p == 1.0:
        return a
    if p == 2.0:
        return a * a
    return a**p


@njit(inline="always")
def _two_sum(s, c, x):
    """Add ``x`` to the compensated sum ``(s, c)`` (Knuth's TwoSum, branch-free)."""
    t = s + x
    z = t - s
    c += (s - (t - z)) + (x - z)
    return t, c


@njit(inline="always")
def _block_sum(u, v, shift, p, inv, start, stop):
    """Plain four-lane sum of ``|(u_i - (v_i + shift)) inv|**p`` over ``start <= i < stop``."""
    b0 = 0.0
    b1 = 0.0
    b2 = 0.0
    b3 = 0.0
    i = start
    if p == 1.0:
        while i + 4 <= stop:
            b0 += abs(u[i] - (v[i] + shift))
            b1 += abs(u[i + 1] - (v[i + 1] + shift))
            b2 += abs(u[i + 2] - (v[i + 2] + shift))
            b3 += abs(u[i + 3] - (v[i + 3] + shift))
            i += 4
        while i < stop:
            b0 += abs(u[i] - (v[i] + shift))
            i += 1
        return ((b0 + b1) + (b2 + b3)) * inv
    elif p == 2.0:
        while i + 4 <= stop:
            d0 = (u[i] - (v[i] + shift)) * inv
            d1 = (u[i + 1] - (v[i + 1] + shift)) * inv
            d2 = (u[i + 2] - (v[i + 2] + shift)) * inv
            d3 = (u[i + 3] - (v[i + 3] + shift)) * inv
            b0 += d0 * d0
            b1 += d1 * d1
            b2 += d2 * d2
            b3 += d3 * d3
            i += 4
    while i < stop:
        b0 += _cost((u[i] - (v[i] + shift)) * inv, p)
        i += 1
    return (b0 + b1) + (b2 + b3)


# --------------------------------------------------------------------------- 1-D transport
@njit(**_OPTS)
def power_sorted(u, v, p, shift, inv):
    """``W_p(u inv, (v + shift) inv)**p`` for sorted unweighted samples (max gap if ``p = inf``).

    The wrappers keep every sum finite: ``|gap| * inv`` is at most 1, or (p = 1) the
    gaps are small enough that their sum of ``n m`` terms cannot overflow.

    The quantile functions step at ``k/n`` and ``l/m``; in units of ``1/(n m)``
    those levels are the integers ``k m`` and ``l n``, so the merge is exact.
    """
    n = u.shape[0]
    m = v.shape[0]
    inf = p == np.inf
    if n == m:
        if inf:
            best = 0.0
            for i in range(n):
                d = abs(u[i] - (v[i] + shift))
                best = max(best, d)
            return best
        # blocks of 256 summed plainly in four lanes (relative error <= 64 eps
        # per block), the block sums added with compensation
        s = 0.0
        c = 0.0
        for start in range(0, n, 256):
            s, c = _two_sum(s, c, _block_sum(u, v, shift, p, inv, start, min(start + 256, n)))
        return (s + c) / n
    total = np.int64(n) * np.int64(m)
    lu = np.int64(m)  # level (x n m) at which atom i of u ends
    lv = np.int64(n)
    prev = np.int64(0)
    i = 0
    j = 0
    s = 0.0
    c = 0.0
    blk = 0.0
    cnt = 0
    best = 0.0
    while prev < total:
        d = (u[i] - (v[j] + shift)) * inv
        nxt = min(lu, lv)
        if inf:
            a = abs(d)
            best = max(best, a)
        else:
            blk += _cost(d, p) * float(nxt - prev)
            cnt += 1
            if cnt == 256:  # fold a block of plain sums into the compensated total
                s, c = _two_sum(s, c, blk)
                blk = 0.0
                cnt = 0
        prev = nxt
        au = lu <= lv
        av = lv <= lu
        i += au
        j += av
        lu += m * au
        lv += n * av
    if inf:
        return best
    s, c = _two_sum(s, c, blk)
    return (s + c) / float(total)


@njit(**_OPTS)
def gather_levels(x, w, order, xs, levels):
    """Sorted values ``xs = x[order]`` and normalised cumulative weights ``levels``.

    Within a run of equal values the weights are added in ascending order, so the
    levels (and the distance, to the bit) do not depend on the order in which the sort
    left ties (NumPy's and the radix sort differ there). The last level is
    ``total / total == 1.0`` exactly (same running sum).
    """
    n = order.shape[0]
    for k in range(n):
        o = order[k]
        xs[k] = x[o]
        levels[k] = w[o]
    k = 0
    while k < n:
        j = k + 1
        while j < n and xs[j] == xs[k]:
            j += 1
        if j - k > 1:
            levels[k:j].sort()
        k = j
    c = 0.0
    for k in range(n):
        c += levels[k]
        levels[k] = c
    for k in range(n):
        levels[k] = levels[k] / c


@njit(**_OPTS)
def power_levels(xs, lu, ys, lv, p, shift, inv):
    """``W_p(xs inv, (ys + shift) inv)**p`` from sorted values and their cumulative levels.

    Merge of the two level sequences (equal levels advance both, selects
    instead of branches); zero-length segments (zero weights, ties) contribute
    nothing, also to W_inf.  The loop is bound by the latency of
    compare -> index -> load.
    """
    n = xs.shape[0]
    m = ys.shape[0]
    i = 0
    j = 0
    a = lu[0]
    b = lv[0]
    prev = 0.0
    s = 0.0
    c = 0.0
    best = 0.0
    if p == np.inf:
        while i < n and j < m:
            nxt = min(b, a)
            g = abs(xs[i] - (ys[j] + shift))
            if nxt > prev and g > best:
                best = g
            prev = nxt
            i += np.int64(a <= b)
            j += np.int64(b <= a)
            a = lu[i if i < n else n - 1]
            b = lv[j if j < m else m - 1]
        return best
    while i < n and j < m:
        nxt = min(b, a)
        if nxt > prev:  # a zero-mass segment adds nothing (and its gap may exceed 1/inv)
            d = (xs[i] - (ys[j] + shift)) * inv
            s, c = _two_sum(s, c, _cost(d, p) * (nxt - prev))
        prev = nxt
        i += np.int64(a <= b)
        j += np.int64(b <= a)
        a = lu[i if i < n else n - 1]
        b = lv[j if j < m else m - 1]
    return s + c


@njit(**_OPTS)
def _root(power, p):
    if p == 1.0 or p == np.inf:
        return power
    if p == 2.0:
        return math.sqrt(power)
    return power ** (1.0 / p)


@njit(**_OPTS)
def _inverse(gap):
    """``1 / gap``, or ``2**1021`` for a subnormal gap, whose inverse overflows (the
    wrappers scale tiny spans up first, so only gaps far below the span get here)."""
    if gap >= 2.0**-1021:
        return 1.0 / gap
    return 2.0**1021


@njit(**_OPTS)
def wp_sorted(u, v, p, shift):
    """``W_p(u, v + shift)`` for sorted unweighted samples, scaled by the largest gap
    for ``1 < p < inf`` (see the module docstring)."""
    if p == 1.0 or p == np.inf:
        return power_sorted(u, v, p, shift, 1.0)
    gap = power_sorted(u, v, np.inf, shift, 1.0)
    if gap == 0.0:
        return 0.0
    inv = _inverse(gap)
    return _root(power_sorted(u, v, p, shift, inv), p) / inv


@njit(**_OPTS)
def wp_levels(xs, lu, ys, lv, p, shift):
    """``W_p`` from sorted values and cumulative levels, scaled as :func:`wp_sorted`."""
    if p == 1.0 or p == np.inf:
        return power_levels(xs, lu, ys, lv, p, shift, 1.0)
    gap = power_levels(xs, lu, ys, lv, np.inf, shift, 1.0)
    if gap == 0.0:
        return 0.0
    inv = _inverse(gap)
    return _root(power_levels(xs, lu, ys, lv, p, shift, inv), p) / inv


@njit(**_OPTS)
def wp_batch(U, V, iu, iv, p, out):
    """Row ``k``: ``W_p(U[iu[k]], V[iv[k]])`` into ``out[k]`` (rows sorted)."""
    for k in range(out.shape[0]):
        out[k] = wp_sorted(U[iu[k]], V[iv[k]], p, 0.0)


@njit(**_OPTS)
def wp_batch_weighted(U, WU, OU, V, WV, OV, iu, iwu, iv, iwv, p, out):
    """Weighted :func:`wp_batch`: row ``k`` pairs values ``U[iu[k]]`` (argsort
    ``OU[iu[k]]``) with weights ``WU[iwu[k]]``, and likewise for ``V``."""
    n = U.shape[1]
    m = V.shape[1]
    xs = np.empty(n)
    lu = np.empty(n)
    ys = np.empty(m)
    lv = np.empty(m)
    for k in range(out.shape[0]):
        gather_levels(U[iu[k]], WU[iwu[k]], OU[iu[k]], xs, lu)
        gather_levels(V[iv[k]], WV[iwv[k]], OV[iv[k]], ys, lv)
        out[k] = wp_levels(xs, lu, ys, lv, p, 0.0)


@njit(**_OPTS)
def wp_shifts(u, v, shifts, p, out):
    """``out[k] = W_p(u, v + shifts[k])``; ``u``, ``v`` sorted (the coupling does not move)."""
    for k in range(shifts.shape[0]):
        out[k] = wp_sorted(u, v, p, shifts[k])


# --------------------------------------------------------------------------- piles on a grid
_CHAINS_L = 128  # elements per chain and block: 8 x 128 x 2 arrays = 16 KiB stay in L1; 512
# (a 4 KiB stride between the chains' loads) measured twice as slow on the AMD machine


@njit(cache=True, error_model="numpy", nogil=True, fastmath={"reassoc"})
def _pile_totals(a, b):
    """``(sum(a - b), sum(a), sum(b), any(a < 0 or b < 0))`` of two equal slices.

    The only kernel allowed to reorder its additions (``reassoc``, nothing else): LLVM
    then vectorises the sums, 3x faster than four scalar lanes here, and a plain sum's
    error bound holds in any order. NaN and inf need no test: they reach the totals.
    """
    t = 0.0
    sa = 0.0
    sb = 0.0
    neg = False
    for i in range(a.shape[0]):  # index from 0 on slices: no wraparound test, no gathers
        x = a[i]
        y = b[i]
        t += x - y
        sa += x
        sb += y
        neg |= (x < 0.0) | (y < 0.0)
    return t, sa, sb, neg


@njit(**_OPTS)
def piles_unit_grid(pm, qm):
    """Work between piles on positions 0, 1, 2, ... and the checks, in one pass over memory.

    Returns ``(work, sum(pm), sum(qm), negative)``: ``work = sum_{i<N-1} |delta_i|`` with
    ``delta_i = sum_{k<=i} (p_k - q_k)``, valid only if the caller accepts the totals
    (finite, positive, equal) and ``negative`` is false; -0.0 is not negative.

    The running sum is a serial chain of additions (one FP-add latency per element). Each
    block of 8 L elements is therefore read twice while it sits in L1: first the totals
    of its 8 runs of L (:func:`_pile_totals`, vectorised), which give each run's starting
    ``delta``; then 8 chains, one per run, interleaved so the CPU overlaps their latencies.
    Each run starts from the sum of the block totals, so the chains' rounding does not
    carry from block to block; the blocks' work is added with compensation.
    """
    n = pm.shape[0]
    last = n - 1  # no gap follows the last pile
    delta = 0.0
    ws = 0.0
    wc = 0.0
    sp = 0.0
    sq = 0.0
    neg = False
    start = 0
    offs = np.empty(8)  # each run's starting delta
    while last - start >= 8:
        L = min(_CHAINS_L, (last - start) // 8)
        P = pm[start:start + 8 * L]
        Q = qm[start:start + 8 * L]
        for c in range(8):
            offs[c] = delta
            t, a, b, g = _pile_totals(P[c * L:(c + 1) * L], Q[c * L:(c + 1) * L])
            delta += t
            sp += a
            sq += b
            neg |= g
        o0, o1, o2, o3 = offs[0], offs[1], offs[2], offs[3]
        o4, o5, o6, o7 = offs[4], offs[5], offs[6], offs[7]
        a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
        for j in range(L):
            o0 += P[j] - Q[j]
            a0 += abs(o0)
            o1 += P[j + L] - Q[j + L]
            a1 += abs(o1)
            o2 += P[j + 2 * L] - Q[j + 2 * L]
            a2 += abs(o2)
            o3 += P[j + 3 * L] - Q[j + 3 * L]
            a3 += abs(o3)
            o4 += P[j + 4 * L] - Q[j + 4 * L]
            a4 += abs(o4)
            o5 += P[j + 5 * L] - Q[j + 5 * L]
            a5 += abs(o5)
            o6 += P[j + 6 * L] - Q[j + 6 * L]
            a6 += abs(o6)
            o7 += P[j + 7 * L] - Q[j + 7 * L]
            a7 += abs(o7)
        ws, wc = _two_sum(ws, wc, ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)))
        start += 8 * L
    tail = 0.0
    for i in range(start, n):
        x = pm[i]
        y = qm[i]
        sp += x
        sq += y
        neg |= (x < 0.0) | (y < 0.0)
        if i < last:
            delta += x - y
            tail += abs(delta)
    return ws + (wc + tail), sp, sq, neg


@njit(**_OPTS)
def piles_on_grid(pm, qm, x):
    """The work of :func:`piles_unit_grid` with gaps ``x[i+1] - x[i]`` (validated:
    increasing, and scaled so that no gap overflows); one serial chain."""
    delta = 0.0
    w0 = 0.0
    for k in range(pm.shape[0] - 1):
        delta += pm[k] - qm[k]
        w0 += abs(delta) * (x[k + 1] - x[k])
    return w0


# --------------------------------------------------------------------------- N-D plan check
@njit(**_OPTS)
def plan_check(G, M, a, b, u, v):
    """One pass over the plan ``G`` and costs ``M``: certificate of optimality.

    Returns ``(primal, row_err, col_err, min_reduced, max_cost)``: ``<G, M>``,
    the largest marginal errors ``|G 1 - a|``, ``|G^T 1 - b|``, the smallest
    reduced cost ``M_ij - u_i - v_j`` (dual feasibility needs it >= -tol) and
    ``max M``.
    """
    n, m = G.shape
    col = np.zeros(m)
    primal = 0.0
    comp = 0.0
    row_err = 0.0
    min_red = np.inf
    max_cost = 0.0
    for i in range(n):
        rs = 0.0
        ui = u[i]
        for j in range(m):
            g = G[i, j]
            cij = M[i, j]
            rs += g
            col[j] += g
            if g != 0.0:
                primal, comp = _two_sum(primal, comp, g * cij)
            red = cij - ui - v[j]
            min_red = min(min_red, red)
            max_cost = max(max_cost, cij)
        row_err = max(row_err, abs(rs - a[i]))
    col_err = 0.0
    for j in range(m):
        col_err = max(col_err, abs(col[j] - b[j]))
    if not (math.isfinite(min_red)):
        min_red = -np.inf
    return primal + comp, row_err, col_err, min_red, max_cost
