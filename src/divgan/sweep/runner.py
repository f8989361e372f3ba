r"""Run a sweep's cells on Dask distributed and store each result as it finishes.

Engine: an embedded ``LocalCluster`` (one worker process per core, one thread each; Dask's
nanny sets ``OMP_NUM_THREADS=1`` in each worker and the estimators run torch on one thread),
or a running cluster at ``scheduler="tcp://host:8786"``. With ``device="cuda"`` the torch
cells ask for one unit of the worker resource ``GPU``, so only workers started with
``dask worker ... --resources GPU=1`` run them. ``workers=0`` runs the cells one after the
other in this process without Dask (the serial reference the tests compare against).

Only this (client) process writes to the store, one transaction per finished cell. A cell
that raises is stored with its error; a worker that dies mid-cell has its cell rerun by
Dask elsewhere, at most 3 tries in all (``distributed.scheduler.allowed-failures = 2`` on
the embedded cluster; a running cluster keeps its own setting), and the cell is stored once.

A cell's key covers its parameters and :func:`code_version` (divgan's version and a digest of
its source), so a store never hands back a cell computed by other code: after any change to
divgan the same spec recomputes every cell (into the same store, beside the old rows).
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from divgan.sweep.cells import compute_cell
from divgan.sweep.spec import Cell, SweepSpec, load_spec
from divgan.sweep.store import SweepStore, check_store_path

__all__ = ["SweepSummary", "run_sweep"]

DEVICES = ("auto", "cpu", "cuda")
MAX_TRIES = 3  # a cell whose worker dies is tried at most this many times


@dataclass(frozen=True)
class SweepSummary:
    """What a run did: cells in the grid, skipped (already stored), computed, failed."""

    total: int
    skipped: int
    computed: int
    failed: int
    wall_s: float
    store: Path


def _row(spec: SweepSpec, cell: Cell, key: str, version: str, result: dict) -> dict:
    return {"key": key, "spec": spec.name, "divgan_version": version, "family": cell.family,
            "param_name": cell.param_name, "param": cell.param, "base": cell.base,
            "d": cell.d, "n": cell.n, "method": cell.method, "seed": cell.seed,
            "steps": result.get("steps_run") or cell.steps, "settings": cell.settings,
            "quantity": cell.quantity, **result}


def _g(x) -> str:
    return "unknown" if x is None else f"{x:.6g}"


class _Progress:
    """A tqdm bar (done / running / failed, ETA) on a terminal, else one line per cell."""

    def __init__(self, total: int, name: str, mode):
        self.total, self.done, self.failed, self.mode = total, 0, 0, mode
        self.bar = None
        if mode == "bar":
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=f"sweep {name}", unit="cell", file=sys.stderr)

    def note(self, text: str) -> None:
        if self.mode:
            (self.bar.write if self.bar else print)(text, file=sys.stderr)

    def update(self, cell: Cell, row: dict, running: int) -> None:
        self.done += 1
        self.failed += row["error"] is not None
        if self.bar is not None:
            self.bar.set_postfix(running=running, failed=self.failed, refresh=False)
            self.bar.update()
        elif self.mode == "lines":
            what = (f"FAILED {row['error']}" if row["error"] else
                    f"{row['value']:.6g} (exact {_g(row['exact'])})")
            print(f"[{self.done}/{self.total}] {cell.family} {cell.param_name}={cell.param:g} "
                  f"d={cell.d} n={cell.n} {cell.method} seed={cell.seed}: {what}, "
                  f"{row['wall_s']:.1f} s on {row['worker']}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _check_device(device) -> str:
    if device not in DEVICES:
        raise ValueError(f"device: got {device!r}; expected one of {list(DEVICES)}")
    return device


def _check_workers(workers) -> int:
    """None: one per core; else an integer >= 0 (0: in this process, without Dask)."""
    from divgan._validation import check_positive_int

    if workers is None:
        return os.cpu_count() or 1
    return check_positive_int(workers, "workers", minimum=0)


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """divgan's version and the first 12 hex digits of the sha256 of its source files
    (``"0.1.0+src.1a2b3c4d5e6f"``): what a sweep cell's key and ``divgan_version`` record."""
    import divgan

    root = Path(divgan.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return f"{divgan.__version__}+src.{digest.hexdigest()[:12]}"


def run_sweep(spec, store, *, scheduler: str | None = None, workers: int | None = None,
              device: str = "auto", force: bool = False, progress="auto") -> SweepSummary:
    r"""Compute the cells of ``spec`` not yet in ``store`` and store each one as it finishes.

    Parameters
    ----------
    spec : SweepSpec or path
        The grid (a TOML path is loaded and validated by :func:`load_spec`).
    store : path
        The DuckDB file, created if missing; checked (a DuckDB file, writable) before any
        work.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); default: an embedded
        ``LocalCluster``.
    workers : int, optional
        Worker processes of the embedded cluster (default: one per core); 0 runs the cells
        in this process without Dask.
    device : {"auto", "cpu", "cuda"}
        Where the networks train; ``"cuda"`` makes torch cells request the ``GPU`` resource.
    force : bool
        Recompute (and replace) cells already stored.
    progress : {"auto", "bar", "lines"} or False
        ``"auto"``: a bar when stderr is a terminal, else one line per cell.

    Returns
    -------
    SweepSummary

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from divgan.sweep import parse_spec, run_sweep
    >>> spec = parse_spec({"n": [40], "seeds": [0, 1], "methods": ["plugin"],
    ...                    "families": {"gauss": {"mu": [1.0]}}})
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "doc.duckdb"
    >>> s = run_sweep(spec, path, workers=0, progress=False)
    >>> s.computed, run_sweep(spec, path, workers=0, progress=False).skipped
    (2, 2)
    """
    spec = spec if isinstance(spec, SweepSpec) else load_spec(spec)
    device = _check_device(device)
    workers = _check_workers(workers)
    if scheduler is not None and not isinstance(scheduler, str):
        raise TypeError(f"scheduler: expected an address string, got {type(scheduler).__name__}")
    check_store_path(store)
    if progress == "auto":
        progress = "bar" if sys.stderr.isatty() else "lines"
    t0 = time.perf_counter()
    version = code_version()
    keyed = [(cell.key(version), cell) for cell in spec.cells]
    with SweepStore(store) as db:
        stored = set() if force else db.stored_keys()
        pending = [(k, c) for k, c in keyed if k not in stored]
        bar = _Progress(len(pending), spec.name, progress)
        try:
            if pending and scheduler is None and workers == 0:
                for key, cell in pending:
                    row = _row(spec, cell, key, version, compute_cell(cell, device))
                    db.write(row)
                    bar.update(cell, row, running=1)
            elif pending:
                _run_dask(spec, pending, db, bar, version, scheduler=scheduler,
                          workers=workers, device=device)
        finally:
            bar.close()
    return SweepSummary(total=len(keyed), skipped=len(keyed) - len(pending),
                        computed=len(pending), failed=bar.failed,
                        wall_s=time.perf_counter() - t0, store=Path(store))


def _run_dask(spec, pending, db, bar, version, *, scheduler, workers, device) -> None:
    import dask
    from distributed import Client, LocalCluster, as_completed

    gpu = {"GPU": 1} if device == "cuda" else None
    with dask.config.set({"distributed.scheduler.allowed-failures": MAX_TRIES - 1}):
        if scheduler is None:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=":0", resources=gpu,
                                   silence_logs=logging.ERROR)
            client = Client(cluster)
        else:
            cluster, client = None, Client(scheduler)
        try:
            if client.dashboard_link:
                import importlib.util

                needs = ("" if importlib.util.find_spec("bokeh")
                         else " (pip install bokeh to see it)")
                bar.note(f"Dask dashboard: {client.dashboard_link}{needs}")
            slots = max(1, sum(client.nthreads().values()))
            cells = {}
            futures = []
            for key, cell in pending:
                fut = client.submit(compute_cell, cell, device, key=f"divgan-cell-{key}",
                                    resources=gpu if cell.uses_torch else None)
                cells[fut.key] = (key, cell)
                futures.append(fut)
            left = len(futures)
            for fut in as_completed(futures):
                key, cell = cells[fut.key]
                try:
                    result = fut.result()
                except Exception as exc:  # noqa: BLE001 - KilledWorker after MAX_TRIES deaths
                    result = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0],
                              "value": None, "wall_s": None}
                row = _row(spec, cell, key, version, result)
                db.write(row)
                left -= 1
                bar.update(cell, row, running=min(left, slots))
                fut.release()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
