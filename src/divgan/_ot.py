r"""Private machinery of :mod:`divgan.wasserstein`.

Sorting with the finiteness check read off the sorted ends, the batched 1-D path, the
point-cloud preparation, ground costs and the optimality certificate of POT's plan, and the
projections of the sliced distance. The Numba kernels themselves are in :mod:`divgan._emd1d`.
"""
from __future__ import annotations

import math

import numpy as np

from divgan import _emd1d as _k
from divgan._validation import (
    as_points,
    as_samples,
    as_weights,
    broadcast_batch,
    check_p,
)

_EPS = np.finfo(np.float64).eps


def _root(power: float, p: float) -> float:
    if p == 1.0 or p == math.inf:
        return power
    if p == 2.0:
        return math.sqrt(power)
    return power ** (1.0 / p)


def _sorted_checked(x: np.ndarray, name: str) -> np.ndarray:
    """Sort along the last axis; NaN sorts last and -inf first, so the ends tell finiteness."""
    s = np.sort(x, axis=-1)
    if s.ndim == 1:
        if not (math.isfinite(s[0]) and math.isfinite(s[-1])):
            as_samples(x, name)  # raises with the index of the bad value
    elif not (np.isfinite(s[..., 0]).all() and np.isfinite(s[..., -1]).all()):
        as_samples(x, name)
    return s


def _argsort_checked(x: np.ndarray, original: np.ndarray, name: str) -> np.ndarray:
    """Argsort rows of ``x`` (``original`` as ``(rows, n)``); check the sorted ends for NaN / inf."""
    order = np.argsort(x, axis=-1)
    lo = np.take_along_axis(x, order[:, :1], axis=-1)
    hi = np.take_along_axis(x, order[:, -1:], axis=-1)
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        as_samples(original, name)
    return order


def _as_rows(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).reshape(-1, a.shape[-1])


def _batch_index(shape: tuple, batch: tuple) -> np.ndarray:
    n = math.prod(shape)
    return np.ascontiguousarray(np.broadcast_to(np.arange(n).reshape(shape), batch).ravel())


# ----------------------------------------------------------------------------- 1-D
def _wasserstein_1d_general(u, v, u_weights, v_weights, p):
    """W_p with weights or batch axes: rows indexed over the broadcast batch, one kernel call."""
    wu = as_weights(u_weights, u.shape, "u_weights")
    wv = as_weights(v_weights, v.shape, "v_weights")
    batch = broadcast_batch(
        u.shape[:-1], v.shape[:-1],
        f"the batch shapes of u_values {u.shape[:-1]} and v_values {v.shape[:-1]} "
        f"do not broadcast",
    )
    iu = _batch_index(u.shape[:-1], batch)
    iv = _batch_index(v.shape[:-1], batch)
    out = np.empty(iu.shape[0])
    if wu is None and wv is None:
        U = _as_rows(_sorted_checked(u, "u_values"))
        V = _as_rows(_sorted_checked(v, "v_values"))
        _k.power_batch(U, V, iu, iv, p, True, out)
    else:
        U, V = _as_rows(u), _as_rows(v)
        WU = _as_rows(np.ones_like(u) if wu is None else wu)
        WV = _as_rows(np.ones_like(v) if wv is None else wv)
        OU, OV = _argsort_checked(U, u, "u_values"), _argsort_checked(V, v, "v_values")
        _k.power_batch_weighted(U, WU, OU, V, WV, OV, iu, iu, iv, iv, p, True, out)
    if batch == ():
        return float(out[0])
    return out.reshape(batch)


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
    """Ground costs ``M[i, j] = ||x_i - y_j||^p`` (Euclidean)."""
    from scipy.spatial.distance import cdist

    M = cdist(xs, ys, "sqeuclidean" if p == 2.0 else "euclidean")
    if p != 1.0 and p != 2.0:
        np.power(M, p, out=M)
    return M


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


def _sliced(xs, ys, wa, wb, p, theta):
    """Sliced W for given unit directions ``theta`` (L, d)."""
    L = theta.shape[0]
    px = theta @ xs.T  # (L, n), C-contiguous
    py = theta @ ys.T
    out = np.empty(L)
    idx = np.arange(L)
    if wa is None and wb is None:
        px.sort(axis=1)
        py.sort(axis=1)
        _k.power_batch(px, py, idx, idx, p, False, out)
    else:
        wa = np.ones((1, xs.shape[0])) if wa is None else np.ascontiguousarray(wa)[None, :]
        wb = np.ones((1, ys.shape[0])) if wb is None else np.ascontiguousarray(wb)[None, :]
        zero = np.zeros(L, dtype=np.int64)
        _k.power_batch_weighted(px, wa, np.argsort(px, axis=1), py, wb, np.argsort(py, axis=1),
                                idx, zero, idx, zero, p, False, out)
    if p == math.inf:
        return float(out.max())
    return float(_root(float(np.mean(out)), p))
