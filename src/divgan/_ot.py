r"""Private machinery of :mod:`divgan.wasserstein`.

The 1-D path (W1 of unweighted samples by the sort-free kernel of
:mod:`divgan._w1_buckets` where it applies; otherwise sorted by :mod:`divgan._sort`, batched
in one kernel call), the point-cloud preparation, ground costs and the optimality
certificate of POT's plan, and the projections of the sliced distance. The Numba kernels
themselves are in :mod:`divgan._emd1d` and :mod:`divgan._w1_buckets`.
"""
import math
import warnings

import numpy as np

from divgan import _emd1d as _k
from divgan import _w1_buckets as _b
from divgan._sort import (
    argsort_rows,
    argsorted_samples,
    forced_sort,
    sort_last_axis,
    sorted_samples,
)
from divgan._validation import (
    as_points,
    as_samples,
    as_weights,
    broadcast_batch,
    check_p,
)

_EPS = np.finfo(np.float64).eps
# The merge kernels add up to n·m gaps (in units of 1/(n m)): keep span·n·m below this.
_SUM_LIMIT = 2.0**1000
_TINY_SPAN = 2.0**-900


def _root(power: float, p: float) -> float:
    if p == 1.0 or p == math.inf:
        return power
    if p == 2.0:
        return math.sqrt(power)
    return power ** (1.0 / p)


def _range_scale(lo: float, hi: float, count: float) -> float:
    """A power of two ``f`` such that values in ``[lo, hi]`` divided by ``f`` have gaps
    whose sum over ``count`` terms cannot overflow and whose span is not subnormal
    (1.0 for all ordinary inputs). Dividing by a power of two is exact, except for
    values below 2**-1022·f when scaling down."""
    half_span = hi / 2 - lo / 2  # cannot overflow
    if half_span == 0.0:
        return 1.0
    if half_span < _TINY_SPAN:
        return math.ldexp(1.0, math.frexp(half_span)[1] + 1)
    need = half_span * 2.0 * count
    if not need > _SUM_LIMIT:
        return 1.0
    if math.isfinite(need):
        return math.ldexp(1.0, math.frexp(need)[1] - 999)
    return math.ldexp(1.0, math.frexp(half_span)[1] + math.frexp(count)[1] - 998)


def _unscale(values, factor: float, what: str):
    """``values * factor``; a ValueError if that leaves the float64 range (IEEE would
    give inf for a true value beyond 1.8e308)."""
    if factor == 1.0:
        return values
    with np.errstate(over="ignore"):
        out = np.multiply(values, factor)
    if not np.isfinite(out).all():
        exponent = math.log10(float(np.max(values))) + math.log10(factor)
        size = f"{10 ** (exponent % 1):.2g}e+{int(exponent)}"
        raise ValueError(
            f"{what} is about {size}, beyond the largest float64 (about 1.8e+308); "
            f"rescale the samples (W_p(c x, c y) = c W_p(x, y))"
        )
    return out


def _batch_index(shape: tuple, batch: tuple) -> np.ndarray:
    n = math.prod(shape)
    return np.ascontiguousarray(np.broadcast_to(np.arange(n).reshape(shape), batch).ravel())


# ----------------------------------------------------------------------------- 1-D
_NAMES_1D = ("u_values", "v_values", "u_weights", "v_weights")


def _wasserstein_1d(u_values, v_values, u_weights, v_weights, p, names=_NAMES_1D):
    """Validated W_p of (batches of) 1-D samples, rows indexed over the broadcast batch in
    one kernel call (``p`` already checked; ``names`` are the arguments' names for the
    errors). Samples spanning ~1e287 or more are divided by a power of two first, and the
    result multiplied back."""
    weighted = u_weights is not None or v_weights is not None
    if not weighted and p == 1.0:
        value = _w1_sort_free(u_values, v_values, names)
        if value is not None:
            return value
    if weighted:
        U, OU, batch_u = argsorted_samples(u_values, names[0])
        V, OV, batch_v = argsorted_samples(v_values, names[1])
        lo, hi = min(U.min(), V.min()), max(U.max(), V.max())
    else:
        U = sorted_samples(u_values, names[0])
        V = sorted_samples(v_values, names[1])
        if U.ndim == 1 and V.ndim == 1:  # floats: NumPy reductions cost microseconds each
            lo, hi = min(U[0], V[0]), max(U[-1], V[-1])
        else:
            lo = min(U[..., 0].min(), V[..., 0].min())
            hi = max(U[..., -1].max(), V[..., -1].max())
        batch_u, batch_v = U.shape[:-1], V.shape[:-1]
    n, m = U.shape[-1], V.shape[-1]
    batch = () if batch_u == batch_v == () else broadcast_batch(
        batch_u, batch_v,
        f"the batch shapes of {names[0]} {batch_u} and {names[1]} {batch_v} do not broadcast",
    )
    if weighted:
        WU = as_weights(u_weights, batch_u + (n,), names[2])
        WV = as_weights(v_weights, batch_v + (m,), names[3])
    f = _range_scale(float(lo), float(hi), float(n) * m)
    if f != 1.0:
        U, V = U / f, V / f
    if batch == () and not weighted:  # the common case, without index arrays
        return float(_unscale(_k.wp_sorted(U, V, p, 0.0), f, "W_p"))
    iu = _batch_index(batch_u, batch)
    iv = _batch_index(batch_v, batch)
    out = np.empty(iu.shape[0])
    if weighted:
        WU = np.ones_like(U) if WU is None else np.ascontiguousarray(WU).reshape(-1, n)
        WV = np.ones_like(V) if WV is None else np.ascontiguousarray(WV).reshape(-1, m)
        _k.wp_batch_weighted(U, WU, OU, V, WV, OV, iu, iu, iv, iv, p, out)
    else:
        _k.wp_batch(U.reshape(-1, n), V.reshape(-1, m), iu, iv, p, out)
    out = _unscale(out, f, "W_p")
    if batch == ():
        return float(out[0])
    return out.reshape(batch)


def _w1_sort_free(u_values, v_values, names):
    """W1 of unweighted samples through :mod:`divgan._w1_buckets`, pairs it cannot certify
    through the sort path (the same rows sorted and scaled as there: the same bits); None
    where the whole call must take the sort path (sizes, a sort forced by ``DIVGAN_SORT``,
    non-finite values or any input error after the first: that path raises its errors in
    its order)."""
    if forced_sort() != "auto":
        return None
    U = as_samples(u_values, names[0], check_finite=False)
    try:
        V = as_samples(v_values, names[1], check_finite=False)
        batch_u, batch_v = U.shape[:-1], V.shape[:-1]
        batch = () if batch_u == batch_v == () else broadcast_batch(batch_u, batch_v, "")
    except ValueError:
        return None
    n, m = U.shape[-1], V.shape[-1]
    if not _b.applies(n, m, batch == ()):
        return None
    if batch == ():
        value, status = _b.w1_pair(np.ascontiguousarray(U), np.ascontiguousarray(V))
        return value if status == _b.OK else None
    U = np.ascontiguousarray(U).reshape(-1, n)
    V = np.ascontiguousarray(V).reshape(-1, m)
    out = _w1_rows_sort_free(U, V, _batch_index(batch_u, batch), _batch_index(batch_v, batch))
    return None if out is None else out.reshape(batch)


def _w1_rows_sort_free(U, V, iu, iv):
    """W1 of the finite row pairs ``U[iu[k]]``, ``V[iv[k]]`` (C-contiguous ``(r, n)``,
    ``(s, m)``) by :func:`divgan._w1_buckets.w1_rows`, the pairs it cannot certify by the
    sort path; None where most pairs need the sort path."""
    n, m = U.shape[1], V.shape[1]
    got = _b.w1_rows(U, V, iu, iv)
    if got is None:
        return None
    out, status, lo, hi = got
    redo = np.flatnonzero(status != _b.OK)
    if redo.size:
        ru, ju = np.unique(iu[redo], return_inverse=True)
        rv, jv = np.unique(iv[redo], return_inverse=True)
        SU, SV = sort_last_axis(U[ru]), sort_last_axis(V[rv])
        f = _range_scale(float(lo.min()), float(hi.max()), float(n) * m)  # the whole batch's
        if f != 1.0:
            SU, SV = SU / f, SV / f
        part = np.empty(redo.size)
        _k.wp_batch(SU, SV, ju.ravel(), jv.ravel(), 1.0, part)
        out[redo] = _unscale(part, f, "W_p")
    return out


def _piles_rtol(n: int) -> float:
    """Relative tolerance on the difference of two piles' totals (n rounding errors each)."""
    return max(1e-12, 4.0 * n * float(np.finfo(np.float64).eps))


# ----------------------------------------------------------------------------- point clouds
def _prepare_clouds(x, y, a, b, p):
    """Validated point clouds ``(n, d)``, ``(m, d)``, normalised weights (uniform for None), p."""
    xs = as_points(x, "x")
    ys = as_points(y, "y", dim=xs.shape[1])
    p = check_p(p)
    n, m = xs.shape[0], ys.shape[0]
    wa = as_weights(a, (n,), "a")
    wb = as_weights(b, (m,), "b")
    wa = np.full(n, 1.0 / n) if wa is None else wa / wa.sum()
    wb = np.full(m, 1.0 / m) if wb is None else wb / wb.sum()
    return xs, ys, wa, wb, p


def _cost_matrix(xs, ys, p):
    """Ground costs ``M[i, j] = (||x_i - y_j|| / unit)^p`` (Euclidean) and ``unit``.

    ``unit`` is a power of two (dividing by it is exact) near the largest distance, so
    that no power overflows or underflows for clouds of any scale (1e-200 or 1e200): the
    true cost is ``M * unit**p`` and ``W_p`` is ``unit`` times that of ``M``.
    """
    from scipy.spatial.distance import cdist

    lo = np.minimum(xs.min(axis=0), ys.min(axis=0))
    hi = np.maximum(xs.max(axis=0), ys.max(axis=0))
    half_spread = float((hi / 2 - lo / 2).max())  # cannot overflow
    if half_spread == 0.0:  # all points coincide
        return np.zeros((xs.shape[0], ys.shape[0])), 1.0
    # coordinates over 2**e: spreads within [0.5, 1], values within 2**54 of them
    unit = math.ldexp(1.0, math.frexp(half_spread)[1] + 1)
    xs, ys = xs / unit, ys / unit  # now every distance is at most 2 sqrt(d)
    if p == 1.0 or p == 2.0:
        return cdist(xs, ys, "euclidean" if p == 1.0 else "sqeuclidean"), unit
    M = cdist(xs, ys, "euclidean")
    top = math.ldexp(1.0, math.frexp(float(M.max()))[1])  # largest distance in (0.5, 1]
    M /= top  # so that any power p of it stays <= 1
    np.power(M, p, out=M)
    return M, unit * top


def _certified(G, log, M, wa, wb, p, pot_words, *, error):
    """The fields of a TransportResult from POT's ``ot.emd`` answer, once certified optimal:
    POT's result code, the marginals, dual feasibility and the duality gap; else ``error``."""
    n, m = M.shape
    code = int(log["result_code"])
    if code != 1:
        raise error(
            f"POT's network simplex did not reach optimality (result code {code}: "
            f"{log.get('warning') or pot_words}); no value is returned rather than a wrong one"
        )
    u = np.ascontiguousarray(log["u"], dtype=np.float64)
    v = np.ascontiguousarray(log["v"], dtype=np.float64)
    G = np.ascontiguousarray(G, dtype=np.float64)
    primal, row_err, col_err, min_red, max_cost = _k.plan_check(G, M, wa, wb, u, v)
    dual = math.fsum(wa * u) + math.fsum(wb * v)
    # Potentials and flows are sums along paths of the spanning tree (at most
    # n + m terms), each term's rounding below eps * max cost (resp. eps * 1).
    tol = 64.0 * (n + m) * _EPS * max(max_cost, 1e-300)
    tol_mass = 64.0 * (n + m) * _EPS
    marginal_error = max(row_err, col_err)
    violation = max(0.0, -min_red)
    gap = primal - dual
    if not (marginal_error <= tol_mass and violation <= tol and abs(gap) <= tol):
        raise error(
            f"POT's plan failed the optimality certificate: marginal error {marginal_error:.3g} "
            f"(tolerance {tol_mass:.3g}), dual violation {violation:.3g} and duality gap "
            f"{gap:.3g} (tolerance {tol:.3g}); POT said: {pot_words or 'nothing'}"
        )
    cost = max(primal, 0.0)
    return {"value": _root(cost, p), "cost": cost, "plan": G, "potentials": (u, v),
            "dual_gap": gap, "marginal_error": marginal_error, "dual_violation": violation,
            "tolerance": tol, "p": p, "a": wa, "b": wb}


def _max_iterations(n: int, m: int) -> int:
    """Iteration cap for the network simplex: POT's 100 000 stops short from n ~ 4000."""
    return max(100_000, 50 * n * m)


def _solve_clouds(x, y, a, b, p, *, error) -> dict:
    """POT's network simplex between two clouds, certified; the fields of a
    :class:`~divgan.wasserstein.TransportResult`, in the inputs' units."""
    xs, ys, wa, wb, p = _prepare_clouds(x, y, a, b, p)
    if p == math.inf:
        raise ValueError(
            "p = inf is not supported for point clouds in more than one dimension (W_inf is "
            "a bottleneck problem, not a linear program); 1-D samples are fine"
        )
    M, unit = _cost_matrix(xs, ys, p)
    import ot

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        G, log = ot.emd(wa, wb, M, numItermax=_max_iterations(len(xs), len(ys)), log=True)
    pot_words = "; ".join(str(w.message) for w in caught)
    fields = _certified(G, log, M, wa, wb, p, pot_words, error=error)
    # back to the inputs' units: W_p scales with unit, costs and potentials with unit**p
    value = _unscale(fields["value"], unit, f"W_{p:g}")
    with np.errstate(over="ignore", under="ignore"):
        cost_unit = float(np.power(unit, p))  # inf or 0 only for clouds ~1e±150 apart, p = 2
        fields.update(
            value=float(value), cost=fields["cost"] * cost_unit,
            potentials=tuple(u * cost_unit for u in fields["potentials"]),
            dual_gap=fields["dual_gap"] * cost_unit, tolerance=fields["tolerance"] * cost_unit,
        )
    return fields


def _sliced(xs, ys, wa, wb, p, theta):
    """Sliced W for given unit directions ``theta`` (L, d): W_p on each line (scaled as
    in the kernels), then their power mean, scaled by the largest (so no power overflows)."""
    L = theta.shape[0]
    px = theta @ xs.T  # (L, n), C-contiguous
    py = theta @ ys.T
    out = np.empty(L)
    idx = np.arange(L)
    sort_free = (wa is None and wb is None and p == 1.0 and forced_sort() == "auto"
                 and _b.applies(px.shape[1], py.shape[1], False))
    if sort_free and (got := _w1_rows_sort_free(px, py, idx, idx)) is not None:
        out = got  # W1 without sorting the projections (divgan._w1_buckets)
    elif wa is None and wb is None:
        _k.wp_batch(sort_last_axis(px), sort_last_axis(py), idx, idx, p, out)  # finite
    else:
        wa = np.ones((1, xs.shape[0])) if wa is None else np.ascontiguousarray(wa)[None, :]
        wb = np.ones((1, ys.shape[0])) if wb is None else np.ascontiguousarray(wb)[None, :]
        zero = np.zeros(L, dtype=np.int64)
        _k.wp_batch_weighted(px, wa, argsort_rows(px), py, wb, argsort_rows(py),
                             idx, zero, idx, zero, p, out)
    top = float(out.max())
    if p == math.inf or top == 0.0:
        return top
    return top * _root(float(np.mean((out / top) ** p)), p)
