"""Sorting along the last axis for the 1-D distances: NumPy's sort or a Numba radix sort.

``np.sort``'s speed depends on the processor by an order of magnitude (PERFORMANCE.md,
lesson 7): 1e6 float64 take about 6 ms where NumPy's AVX-512 quicksort runs, 50-60 ms on
an AMD EPYC machine where it does not; rows of at most 256 values go through a sorting
network everywhere and are fast. So the sort is chosen per process by measurement, not by
a vendor string: the first time a row of at least ``_SMALL`` values is sorted, both sorts
are timed on a fixed array of that size class and the faster is kept (:func:`sort_method`).
The environment variable ``DIVGAN_SORT`` = ``numpy`` | ``radix`` | ``auto`` (default),
read once per process, forces one (``radix`` then sorts rows of any length; the tests
use it); a forced sort also sends W1 of unweighted samples through the sort path rather
than the sort-free kernel of :mod:`divgan._w1_buckets`.

The radix sort works on keys: the float64 bits mapped to ``uint64`` so that unsigned
order is numeric order (negatives: all bits flipped; others: the sign bit flipped). It
finds the highest bit in which the keys of a row differ, sorts least-significant digit
first on the three ``w``-bit digits below it (digits constant over the row are skipped),
then finishes each run of keys equal in those bits by insertion sort (short runs) or an
8-bit LSD pass over the remaining bits; finally it maps the keys back. The sort is
exact: the output holds the same bits as ``np.sort``'s, except that ``-0.0`` always comes
before ``+0.0`` (their keys differ), where ``np.sort`` leaves equal values in any order.
The merge kernels see only ``|gap|`` of ``u_i - (v_j + shift)``, which does not depend
on the signs of zeros, so a distance is bit-identical whichever sort ran.

The weighted path argsorts (same choice, measured separately): the radix argsort moves an
index with each key and is stable. Sorts leave ties in different orders; the weighted
kernel adds the weights of a run of equal values in ascending order
(:func:`divgan._emd1d.gather_levels`), so that distance is bit-identical too.

A NaN or infinite value is found in the radix's first read pass, before anything moves;
``np.sort`` puts them at the ends (NaN last, -inf first), where the caller reads them.
"""
import math
import os
import threading
import time

import numpy as np
from numba import njit

from divgan._validation import as_samples

_OPTS = {"cache": True, "error_model": "numpy", "nogil": True}
_SIGN = np.uint64(1 << 63)
_EXP = np.uint64(0x7FF0000000000000)
_ZERO = np.uint64(0)
_ONE = np.uint64(1)
_M8 = np.uint64(255)

_SMALL = 512  # shorter rows: np.sort in "auto" (a sorting network up to 256 values)
_LONG = 1 << 14  # rows at least this long form the second size class
_RUN = 32  # runs up to this length are finished by insertion sort


# --------------------------------------------------------------------------- kernels
@njit(inline="always")
def _key(b):
    """float64 bits -> a uint64 key in numeric order (negative: flip all, else the sign)."""
    return b ^ ((_ZERO - (b >> np.uint64(63))) | _SIGN)


@njit(inline="always")
def _unkey(k):
    """Inverse of :func:`_key`."""
    return k ^ (((k >> np.uint64(63)) - _ONE) | _SIGN)


@njit(inline="always")
def _scatter(src, dst, offs, shift, mask, raw_in):
    """One counting-sort pass on the digit ``(key >> shift) & mask`` (stable)."""
    for i in range(src.shape[0]):
        k = src[i]
        if raw_in:
            k = _key(k)
        d = (k >> shift) & mask
        pos = offs[d]
        offs[d] = pos + 1
        dst[pos] = k


@njit(inline="always")
def _offsets(cnt, d, offs, nb):
    """Exclusive prefix sums of the counts of digit ``d``: where each bucket starts."""
    c = 0
    for b in range(nb):
        offs[b] = c
        c += cnt[d, b]


@njit(**_OPTS)
def _insertion(a, lo, hi):
    for i in range(lo + 1, hi):
        k = a[i]
        j = i - 1
        while j >= lo and a[j] > k:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = k


@njit(**_OPTS)
def _digit_counts(a, nd):
    """Histograms ``(nd, 256)`` of the ``nd`` low 8-bit digits of the keys ``a``."""
    cnt = np.zeros((nd, 256), np.int64)
    for i in range(a.shape[0]):
        k = a[i]
        for d in range(nd):
            cnt[d, (k >> np.uint64(8 * d)) & _M8] += 1
    return cnt


@njit(**_OPTS)
def _lsd_low(a, tmp, nbits):
    """Sort keys ``a`` that agree above bit ``nbits`` by their low ``nbits`` bits: LSD on
    8-bit digits, constant digits skipped; ``tmp`` is scratch of the same length."""
    n = a.shape[0]
    nd = (nbits + 7) // 8
    cnt = _digit_counts(a, nd)
    offs = np.empty(256, np.int64)
    k0 = a[0]
    passes = 0
    for d in range(nd):
        if cnt[d, (k0 >> np.uint64(8 * d)) & _M8] == n:
            continue
        _offsets(cnt, d, offs, 256)
        if passes % 2 == 0:
            _scatter(a, tmp, offs, np.uint64(8 * d), _M8, False)
        else:
            _scatter(tmp, a, offs, np.uint64(8 * d), _M8, False)
        passes += 1
    if passes % 2 == 1:
        a[:] = tmp


@njit(inline="always")
def _plan(x, w, cnt, todo):
    """First passes over the float64 bits ``x``: returns ``(s0, passes)``, the lowest
    sorted bit and the number of digits to sort (their indices in ``todo``, counts in
    ``cnt``), or ``passes`` -1 if a value is NaN or infinite, 0 if all are equal."""
    n = x.shape[0]
    k0 = _key(x[0])
    diff = _ZERO
    nonfinite = 0
    for i in range(n):
        b = x[i]
        nonfinite += (b & _EXP) == _EXP
        diff |= _key(b) ^ k0
    if nonfinite:
        return 0, -1
    if diff == _ZERO:
        return 0, 0
    hi = 63
    while (diff >> np.uint64(hi)) == _ZERO:
        hi -= 1
    s0 = max(0, hi + 1 - 3 * w)  # the three digits end at the highest differing bit
    mask = np.uint64((1 << w) - 1)
    sh0 = np.uint64(s0)
    sh1 = np.uint64(s0 + w)
    sh2 = np.uint64(s0 + 2 * w)
    cnt[:, : 1 << w] = 0
    c0 = cnt[0]
    c1 = cnt[1]
    c2 = cnt[2]
    for i in range(n):
        k = _key(x[i])
        c0[(k >> sh0) & mask] += 1
        c1[(k >> sh1) & mask] += 1
        c2[(k >> sh2) & mask] += 1
    passes = 0  # >= 1: the top digit holds the highest differing bit
    for d in range(3):
        if cnt[d, (k0 >> np.uint64(s0 + d * w)) & mask] != n:
            todo[passes] = d
            passes += 1
    return s0, passes


@njit(**_OPTS)
def _radix_row(x, out, buf, w, cnt, offs, todo):
    """Sort the float64 bits ``x`` into ``out`` (see the module docstring); ``buf`` is
    scratch of the same length, ``cnt`` (3, 2**w), ``offs`` (2**w,) and ``todo`` (3,)
    counters. Returns False, having moved nothing, if a value is NaN or infinite."""
    n = x.shape[0]
    s0, passes = _plan(x, w, cnt, todo)
    if passes < 0:
        return False
    if passes == 0:
        out[:] = x
        return True
    nb = 1 << w
    mask = np.uint64(nb - 1)
    sh0 = np.uint64(s0)
    for j in range(passes):
        d = todo[j]
        _offsets(cnt, d, offs, nb)
        shift = np.uint64(s0 + d * w)
        last_in_out = (passes - 1 - j) % 2 == 0  # the last pass writes into out
        if j == 0:
            _scatter(x, out if last_in_out else buf, offs, shift, mask, True)
        elif last_in_out:
            _scatter(buf, out, offs, shift, mask, False)
        else:
            _scatter(out, buf, offs, shift, mask, False)
    if s0 > 0:  # finish the runs of keys that agree in the sorted bits
        i = 0
        while i < n:
            top = out[i] >> sh0
            j = i + 1
            while j < n and (out[j] >> sh0) == top:
                j += 1
            if j - i > _RUN:
                _lsd_low(out[i:j], buf[i:j], s0)
            elif j - i > 1:
                _insertion(out, i, j)
            i = j
    for i in range(n):
        out[i] = _unkey(out[i])
    return True


@njit(**_OPTS)
def _radix_rows(X, OUT, buf, w):
    """:func:`_radix_row` on every row of ``X`` (C-contiguous uint64 views of float64)."""
    cnt = np.empty((3, 1 << w), np.int64)
    offs = np.empty(1 << w, np.int64)
    todo = np.empty(3, np.int64)
    for r in range(X.shape[0]):
        if not _radix_row(X[r], OUT[r], buf, w, cnt, offs, todo):
            return False
    return True


# --------------------------------------------------------------------------- argsort
@njit(inline="always")
def _scatter_pairs(src, isrc, dst, idst, offs, shift, mask, raw_in):
    """:func:`_scatter` moving an index with each key (``raw_in``: the index is ``i``)."""
    for i in range(src.shape[0]):
        k = src[i]
        if raw_in:
            k = _key(k)
        d = (k >> shift) & mask
        pos = offs[d]
        offs[d] = pos + 1
        dst[pos] = k
        idst[pos] = i if raw_in else isrc[i]


@njit(**_OPTS)
def _insertion_pairs(a, ia, lo, hi):
    for i in range(lo + 1, hi):
        k = a[i]
        t = ia[i]
        j = i - 1
        while j >= lo and a[j] > k:
            a[j + 1] = a[j]
            ia[j + 1] = ia[j]
            j -= 1
        a[j + 1] = k
        ia[j + 1] = t


@njit(**_OPTS)
def _lsd_low_pairs(a, ia, tmp, itmp, nbits):
    """:func:`_lsd_low` moving the indices ``ia`` along (scratch ``itmp``)."""
    n = a.shape[0]
    nd = (nbits + 7) // 8
    cnt = _digit_counts(a, nd)
    offs = np.empty(256, np.int64)
    k0 = a[0]
    passes = 0
    for d in range(nd):
        if cnt[d, (k0 >> np.uint64(8 * d)) & _M8] == n:
            continue
        _offsets(cnt, d, offs, 256)
        if passes % 2 == 0:
            _scatter_pairs(a, ia, tmp, itmp, offs, np.uint64(8 * d), _M8, False)
        else:
            _scatter_pairs(tmp, itmp, a, ia, offs, np.uint64(8 * d), _M8, False)
        passes += 1
    if passes % 2 == 1:
        a[:] = tmp
        ia[:] = itmp


@njit(**_OPTS)
def _radix_arg_row(x, order, keys, kbuf, ibuf, w, cnt, offs, todo):
    """:func:`_radix_row` returning the permutation ``order`` (stable: ties keep their
    input order); ``keys``, ``kbuf``, ``ibuf`` are scratch of the row's length."""
    n = x.shape[0]
    s0, passes = _plan(x, w, cnt, todo)
    if passes < 0:
        return False
    if passes == 0:
        order[:] = np.arange(n)
        return True
    nb = 1 << w
    mask = np.uint64(nb - 1)
    sh0 = np.uint64(s0)
    for j in range(passes):
        d = todo[j]
        _offsets(cnt, d, offs, nb)
        shift = np.uint64(s0 + d * w)
        last_in_out = (passes - 1 - j) % 2 == 0  # the last pass writes keys, order
        if j == 0:
            if last_in_out:
                _scatter_pairs(x, order, keys, order, offs, shift, mask, True)
            else:
                _scatter_pairs(x, order, kbuf, ibuf, offs, shift, mask, True)
        elif last_in_out:
            _scatter_pairs(kbuf, ibuf, keys, order, offs, shift, mask, False)
        else:
            _scatter_pairs(keys, order, kbuf, ibuf, offs, shift, mask, False)
    if s0 > 0:
        i = 0
        while i < n:
            top = keys[i] >> sh0
            j = i + 1
            while j < n and (keys[j] >> sh0) == top:
                j += 1
            if j - i > _RUN:
                _lsd_low_pairs(keys[i:j], order[i:j], kbuf[i:j], ibuf[i:j], s0)
            elif j - i > 1:
                _insertion_pairs(keys, order, i, j)
            i = j
    return True


@njit(**_OPTS)
def _radix_arg_rows(X, ORDER, keys, kbuf, ibuf, w):
    """:func:`_radix_arg_row` on every row of ``X`` into the int64 rows of ``ORDER``."""
    cnt = np.empty((3, 1 << w), np.int64)
    offs = np.empty(1 << w, np.int64)
    todo = np.empty(3, np.int64)
    for r in range(X.shape[0]):
        if not _radix_arg_row(X[r], ORDER[r], keys, kbuf, ibuf, w, cnt, offs, todo):
            return False
    return True


# --------------------------------------------------------------------------- wrappers
_LOCAL = threading.local()
_KEEP = 1 << 21  # scratch buffers up to this many values (16 MiB) are kept for the next call


def _scratch(n: int, name: str = "buf", dtype=np.uint64) -> np.ndarray:
    buf = getattr(_LOCAL, name, None)
    if buf is None or buf.shape[0] < n:
        buf = np.empty(n, dtype)
        if n <= _KEEP:
            setattr(_LOCAL, name, buf)
    return buf[:n]


def _digit_bits(n: int) -> int:
    """Digit width for rows of ``n``: 8 bits near 1e3 values, 11 from about 1e5 (the
    counters of three digits are cleared per row, so short rows take narrow digits)."""
    return min(11, max(6, (n.bit_length() + 6) // 2))


def radix_sort(a: np.ndarray):
    """Radix sort of a float64 array along its last axis: a new C-contiguous array, or
    None if a value is NaN or infinite (checked before any value moves).

    >>> radix_sort(np.array([[2.5, -1.0, 0.0], [1e-310, -3.0, 7.0]])).tolist()
    [[-1.0, 0.0, 2.5], [-3.0, 1e-310, 7.0]]
    >>> radix_sort(np.array([1.0, np.nan])) is None
    True
    """
    n = a.shape[-1]
    rows = np.ascontiguousarray(a).reshape(-1, n)
    out = np.empty(rows.shape)
    if not _radix_rows(rows.view(np.uint64), out.view(np.uint64), _scratch(n), _digit_bits(n)):
        return None
    return out.reshape(a.shape)


def radix_argsort(rows: np.ndarray):
    """Stable radix argsort of each row of the C-contiguous float64 ``(r, n)`` array
    ``rows`` (int64), or None if a value is NaN or infinite.

    >>> radix_argsort(np.array([[2.5, -1.0, 2.5, 0.0]])).tolist()
    [[1, 3, 0, 2]]
    """
    n = rows.shape[-1]
    order = np.empty(rows.shape, np.int64)
    if not _radix_arg_rows(rows.view(np.uint64), order, _scratch(n, "keys"), _scratch(n),
                           _scratch(n, "index", np.int64), _digit_bits(n)):
        return None
    return order


def numpy_argsort(rows: np.ndarray):
    """``np.argsort`` of each row, or None if a value is NaN or infinite (read off the
    values at the ends of the order)."""
    order = np.argsort(rows, axis=-1)
    lo = np.take_along_axis(rows, order[:, :1], axis=-1)
    hi = np.take_along_axis(rows, order[:, -1:], axis=-1)
    return order if np.isfinite(lo).all() and np.isfinite(hi).all() else None


def numpy_sort(a: np.ndarray):
    """``np.sort`` along the last axis, or None if a value is NaN or infinite (read off
    the sorted ends: NaN sorts last, -inf first)."""
    s = np.sort(a, axis=-1)
    if s.ndim == 1:
        return s if math.isfinite(s[0]) and math.isfinite(s[-1]) else None
    if np.isfinite(s[..., 0]).all() and np.isfinite(s[..., -1]).all():
        return s
    return None


_CHOICE: dict = {}  # (kind, size class) -> "numpy" | "radix", measured once per process
_CLASSES = {"rows": (32, 1024), "long": (1 << 17,)}


def _measure(shape: tuple, kind: str = "sort") -> str:
    """Time both sorts (``kind`` "sort" or "argsort") on a fixed normal sample of
    ``shape`` (warm, alternated, best of 3)."""
    x = np.random.default_rng(0).standard_normal(shape)
    if kind == "argsort":
        x = x.reshape(-1, shape[-1])
        cands = (("numpy", numpy_argsort), ("radix", radix_argsort))
    else:
        cands = (("numpy", numpy_sort), ("radix", radix_sort))
    cands[1][1](np.ascontiguousarray(x[..., :8]))  # compile, or load Numba's cache
    best = {"numpy": np.inf, "radix": np.inf}
    for _ in range(3):
        for name, fn in cands:
            t0 = time.perf_counter()
            fn(x)
            best[name] = min(best[name], time.perf_counter() - t0)
    return "radix" if best["radix"] < best["numpy"] else "numpy"


_FORCED = [None]  # DIVGAN_SORT as read on first use (None: not read yet)


def forced_sort() -> str:
    """``DIVGAN_SORT`` (``numpy``, ``radix`` or ``auto``), read once per process, on the
    first call (a lookup in ``os.environ`` costs about a microsecond, too much per call);
    :func:`reread_environment` reads it again."""
    forced = _FORCED[0]
    if forced is None:
        forced = os.environ.get("DIVGAN_SORT", "auto")
        if forced not in ("numpy", "radix", "auto"):
            raise ValueError(f"DIVGAN_SORT must be 'numpy', 'radix' or 'auto', got {forced!r}")
        _FORCED[0] = forced
    return forced


def reread_environment() -> None:
    """Read ``DIVGAN_SORT`` again on the next sort (measurements already made are kept)."""
    _FORCED[0] = None


def sort_method(n: int, kind: str = "sort") -> str:
    """The sort (``kind`` "sort") or argsort (``kind`` "argsort") used for rows of ``n``
    values: ``"numpy"`` or ``"radix"``.

    ``DIVGAN_SORT`` forces one; under ``auto`` (or unset) rows shorter than 512 values
    use NumPy and longer ones the sort measured faster for their size class (rows below
    2**14 values, or longer), timed the first time the class is needed.
    """
    forced = _FORCED[0] or forced_sort()
    if forced != "auto":
        return forced
    if n < _SMALL:
        return "numpy"
    key = (kind, "rows" if n < _LONG else "long")
    choice = _CHOICE.get(key)
    if choice is None:
        choice = _CHOICE[key] = _measure(_CLASSES[key[1]], kind)
    return choice


def sort_last_axis(a: np.ndarray):
    """Float64 ``a`` sorted along its last axis with the chosen sort (a new array), or
    None if a value is NaN or infinite."""
    if sort_method(a.shape[-1]) == "radix":
        return radix_sort(a)
    return numpy_sort(a)


def sorted_samples(x, name: str) -> np.ndarray:
    """Samples validated as :func:`divgan._validation.as_samples` does, sorted along the
    last axis (a new array); non-finite values raise its ``ValueError`` naming ``name``."""
    arr = as_samples(x, name, check_finite=False)
    s = sort_last_axis(arr)
    if s is None:
        as_samples(arr, name)  # raises with the index of the bad value
    return s


def argsort_rows(rows: np.ndarray):
    """Argsort of each row of the C-contiguous float64 ``(r, n)`` array ``rows`` with the
    chosen sort, or None if a value is NaN or infinite."""
    if sort_method(rows.shape[-1], "argsort") == "radix":
        return radix_argsort(rows)
    return numpy_argsort(rows)


def argsorted_samples(x, name: str) -> tuple:
    """Samples validated as :func:`divgan._validation.as_samples` does, as ``(rows, order,
    batch)``: the C-contiguous ``(r, n)`` rows, the argsort of each (chosen sort) and the
    batch shape (the leading axes); non-finite values raise its ``ValueError``."""
    arr = as_samples(x, name, check_finite=False)
    rows = np.ascontiguousarray(arr).reshape(-1, arr.shape[-1])
    order = argsort_rows(rows)
    if order is None:
        as_samples(arr, name)  # raises with the index of the bad value
    return rows, order, arr.shape[:-1]
