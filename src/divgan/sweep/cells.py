r"""What one cell computes: draw the samples, run one method, read the exact values.

:func:`compute_cell` is a pure function of the :class:`~divgan.sweep.spec.Cell` (and the
device): the samples come from a generator seeded by the cell's seed and a hash of its data
parameters (family, parameter, base, d, n), so every method of the same (data, seed) sees the
same draw, and whatever worker runs the cell, in whatever order, the numbers are bit-equal
(CPU, torch on one thread). torch is imported only by the cells that train a network.

A cell that raises is returned with its ``error`` and no value; the sweep goes on.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
import socket
import time

import numpy as np

from divgan.sweep.spec import Cell

__all__ = ["compute_cell", "draw_samples", "exact_values"]


def _data_seed(cell: Cell) -> np.random.SeedSequence:
    """The sample stream of (family, param, base, d, n, seed), shared by all methods."""
    text = json.dumps([cell.family, cell.param, cell.base, cell.d, cell.n])
    tag = int(hashlib.sha256(text.encode()).hexdigest()[:15], 16)
    return np.random.SeedSequence([cell.seed, tag])


def _pair(cell: Cell):
    """The family's exact pair (``lines``: hyperplanes(2, θ); ``gauss``: shifted(1, μ))."""
    from divgan import theory

    if cell.family == "shifted":
        return theory.shifted(cell.d, cell.param, base=cell.base)
    if cell.family == "scaled":
        return theory.scaled(cell.d, cell.param)
    if cell.family in ("hyperplanes", "lines"):
        return theory.hyperplanes(cell.d, cell.param)
    return theory.shifted(1, cell.param)  # gauss: N(0, 1) vs N(μ, 1)


def exact_values(cell: Cell) -> dict:
    """Exact W1, W2, KL(P‖Q), KL(Q‖P) and JS (nats) of the cell's pair of distributions."""
    pair = _pair(cell)
    return {"exact_w1": pair.w1, "exact_w2": pair.w2, "exact_kl_pq": pair.kl_pq,
            "exact_kl_qp": pair.kl_qp, "exact_js": pair.js}


def draw_samples(cell: Cell) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points of P and ``n`` of Q, each ``(n, d)`` float64, from the cell's stream."""
    gen = np.random.default_rng(_data_seed(cell))
    if cell.family == "lines":
        from divgan.theory import sample_parallel_lines

        return sample_parallel_lines(cell.param, cell.n, seed=gen)
    if cell.family == "gauss":
        return (gen.normal(0.0, 1.0, (cell.n, 1)), gen.normal(cell.param, 1.0, (cell.n, 1)))
    return _pair(cell).sample(cell.n, seed=gen)


def _json_safe(diag) -> str:
    """Diagnostics as JSON; non-finite floats as the strings "inf", "-inf", "nan"."""
    out = {}
    for k, v in dict(diag).items():
        if isinstance(v, (bool, np.bool_)):
            out[k] = bool(v)
        elif isinstance(v, (int, np.integer)):
            out[k] = int(v)
        elif isinstance(v, (float, np.floating)):
            v = float(v)
            out[k] = v if math.isfinite(v) else ("nan" if math.isnan(v) else
                                                 ("inf" if v > 0 else "-inf"))
        else:
            out[k] = str(v)
    return json.dumps(out, sort_keys=True)


#: above this many points per side, the lines' plug-in W1 uses the sorted matching (POT's
#: simplex needs ~41 bytes per pair of points: 2.6 GB at n = 8000)
LINES_SORTED_ABOVE = 2000
#: the held-out W1 of a critic cell is computed when no simplex above this size is needed
HELDOUT_POT_MAX = 2000


def _lines_sorted_w1(theta: float, x, y) -> float:
    r"""Exact W1 between equal-size samples of the two lines, by sorting the heights.

    The cost :math:`\sqrt{\theta^2 + \Delta y^2}` is convex in :math:`\Delta y`, so the
    monotone (sorted) matching is optimal (Santambrogio 2015, Thm 2.9).
    """
    dy = np.sort(x[:, 1]) - np.sort(y[:, 1])
    return float(np.mean(np.hypot(theta, dy)))


def _plugin_w1(cell: Cell, x, y, *, pot_max: int | None = None) -> tuple[float, str, dict]:
    """Exact W1 between two samples (equal weights), the solver used, and diagnostics.

    d = 1: the sorted (quantile) formula; the lines with more than
    :data:`LINES_SORTED_ABOVE` points a side: the sorted matching of heights; otherwise
    POT's network simplex (:func:`divgan.wasserstein_distance`),
    on the lines checked against the sorted matching (``sorted_gap``). With ``pot_max``, a
    simplex on more points than that is skipped (NaN, solver ``"skipped"``).
    """
    import divgan

    if cell.d == 1:
        return float(divgan.wasserstein_1d(x[:, 0], y[:, 0])), "sorted 1-D", {}
    lines = cell.family == "lines" and len(x) == len(y)
    if lines and len(x) > LINES_SORTED_ABOVE:
        return _lines_sorted_w1(cell.param, x, y), "sorted heights (lines)", {}
    if pot_max is not None and max(len(x), len(y)) > pot_max:
        return math.nan, "skipped", {}
    value = float(divgan.wasserstein_distance(x, y))
    diag = {"sorted_gap": abs(value - _lines_sorted_w1(cell.param, x, y))} if lines else {}
    return value, "network simplex", diag


def _hidden(settings: dict):
    """The spec's ``hidden``: "auto" (also when absent) or a tuple of widths."""
    hidden = settings.get("hidden", "auto")
    return hidden if hidden == "auto" else tuple(hidden)


def _run_method(cell: Cell, x, y, device: str) -> dict:
    """value, CI, kind, actual device and diagnostics of the cell's method on (x, y)."""
    settings = json.loads(cell.settings)
    steps = cell.steps or None
    if cell.method in ("gp", "sn", "clip", "ctransform", "js"):
        from divgan import gan

        common = {"steps": steps, "device": device, "seed": cell.seed, "num_threads": 1,
                  "n_resamples": settings.get("n_resamples", 1000),
                  "folds": settings.get("folds"), "hidden": _hidden(settings)}
        if cell.method == "js":
            est = gan.estimate_js(x, y, **common)
        else:
            extra = {"gp_weight": settings["gp_weight"]} if "gp_weight" in settings else {}
            est = gan.estimate_wasserstein(x, y, method=cell.method, **common, **extra)
        diag = dict(est.diagnostics)
        if cell.method != "js" and est.fold_values is None:
            # the most a 1-Lipschitz critic can score on the held-out halves (cross-fitted
            # values are means over folds: no one held-out sample to compare with)
            (r_idx, g_idx) = est.held_out
            diag["heldout_w1"] = _plugin_w1(cell, x[r_idx], y[g_idx],
                                            pot_max=HELDOUT_POT_MAX)[0]
        return {"value": est.value, "ci_low": est.ci_low, "ci_high": est.ci_high,
                "kind": est.kind, "device": est.device, "steps_run": est.steps,
                "diagnostics": _json_safe(diag)}
    import divgan

    out = {"ci_low": None, "ci_high": None, "device": "cpu", "steps_run": 0}
    if cell.method == "plugin":
        value, solver, diag = _plugin_w1(cell, x, y)
        return {**out, "value": value, "kind": "plugin",
                "diagnostics": _json_safe({"solver": solver, **diag})}
    if cell.method == "sliced":
        value = divgan.sliced_wasserstein(x, y, seed=cell.seed,
                                          n_projections=settings.get("n_projections", 128))
        return {**out, "value": float(value), "kind": "sliced (a different quantity)",
                "diagnostics": "{}"}
    res = divgan.kl_divergence_knn(x, y, k=settings.get("k", 1), seed=cell.seed)
    diag = {"estimate": res.estimate, "supports_look_disjoint": res.supports_look_disjoint,
            "growth_per_doubling": res.growth_per_doubling,
            "neighbour_locality": res.neighbour_locality}
    return {**out, "value": float(res.value), "kind": "knn", "diagnostics": _json_safe(diag)}


def compute_cell(cell: Cell, device: str = "cpu") -> dict:
    """Run one cell: its samples, its method, the exact values, timing and where it ran.

    Returns a dict with the store's result columns (``value``, ``ci_low``, ``ci_high``,
    ``kind``, ``exact``, ``exact_*``, ``diagnostics``, ``wall_s``, ``device``, ``worker``,
    ``started``, ``finished``, ``error``). An exception inside the method is caught and
    returned as ``error`` (type and message) with ``value`` None.

    Examples
    --------
    >>> from divgan.sweep import parse_spec, compute_cell
    >>> cell = parse_spec({"n": [50], "seeds": [0], "methods": ["plugin"],
    ...                    "families": {"gauss": {"mu": [2.0]}}}).cells[0]
    >>> row = compute_cell(cell)
    >>> row["exact"], row["error"], abs(row["value"] - 2.0) < 0.5
    (2.0, None, True)
    """
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.perf_counter()
    row = {"value": None, "ci_low": None, "ci_high": None, "kind": None, "device": device,
           "steps_run": 0, "diagnostics": "{}", "error": None, "exact": None}
    try:
        exact = exact_values(cell)
        row.update(exact)
        key = {"W1": "exact_w1", "JS": "exact_js", "KL": "exact_kl_pq"}.get(cell.quantity)
        row["exact"] = exact[key] if key else None  # SW1: no closed form here
        x, y = draw_samples(cell)
        row.update(_run_method(cell, x, y, device))
    except Exception as exc:  # noqa: BLE001 - a failed cell is stored with its error
        row["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    row["wall_s"] = time.perf_counter() - t0
    row["started"] = started
    row["finished"] = datetime.datetime.now(datetime.timezone.utc)
    row["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    return row
