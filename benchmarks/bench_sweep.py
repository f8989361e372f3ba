"""Sweep throughput: cells per minute on a critic grid with 1 and 2 Dask workers (issue 9).

Writes ``benchmarks/RESULTS_SWEEP.md`` (CPU model, load average, cells per minute, speed-up,
and whether the two runs stored bit-equal estimates). Never run by the tests.

    python benchmarks/bench_sweep.py              # 12 gp-critic cells, 2 rounds (~2-3 min)
    python benchmarks/bench_sweep.py --smoke      # 4 tiny cells, 1 round, prints only

Method: for each worker count an embedded ``LocalCluster`` (one thread per worker) is
started and warmed (divgan.gan and torch imported on every worker) before the clock starts,
so the number is the steady throughput of :func:`divgan.sweep.run_sweep` against a running
cluster, store writes included; cluster start-up is timed separately. Rounds alternate 1 and
2 workers so that load from other jobs falls on both; the median over rounds is reported.
The target of the issue is a speed-up of at least 1.8x with 2 workers on 2 cores.
"""
from __future__ import annotations

import argparse
import datetime
import os
import statistics
import tempfile
import time
from pathlib import Path

import divgan
from divgan.sweep import parse_spec, run_sweep

from _machine import cpu_model  # benchmarks/_machine.py (scripts run from benchmarks/)

OUT = Path(__file__).resolve().parent / "RESULTS_SWEEP.md"
TARGET = 1.8




def _spin(_=None) -> float:
    """A fixed CPU-bound loop (pure Python, one thread); its wall time in seconds."""
    t0 = time.perf_counter()
    total = 0
    for i in range(15_000_000):
        total += i & 7
    return time.perf_counter() - t0


def _capacity() -> float:
    """How many cores this job gets now: 2 x (one loop alone) / (two loops side by side).

    2.0 on two idle cores; about 1 when other jobs keep one core busy. The sweep's speed-up
    cannot exceed it, so it is the yardstick for the measured one.
    """
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_spin, range(2)))  # start both processes
        alone = pool.submit(_spin).result()
        t0 = time.perf_counter()
        list(pool.map(_spin, range(2)))
        both = time.perf_counter() - t0
    return 2 * alone / both


def _grid(cells: int, steps: int, n: int):
    return parse_spec({"name": "bench", "n": [n], "seeds": list(range(cells)),
                       "methods": ["gp"], "estimator": {"steps": steps, "n_resamples": 200},
                       "families": {"gauss": {"mu": [1.0]}}})


def _warm() -> None:
    import divgan.gan  # noqa: F401 - imports torch on the worker


def _one_run(spec, workers: int, folder: Path, tag: str) -> tuple[float, float, Path]:
    """(start-up seconds, sweep seconds, store) for one run on a fresh warmed cluster."""
    from distributed import Client, LocalCluster

    store = folder / f"{tag}-w{workers}.duckdb"
    t0 = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(_warm)
        t1 = time.perf_counter()
        summary = run_sweep(spec, store, scheduler=cluster.scheduler_address, progress=False)
        t2 = time.perf_counter()
    if summary.failed:
        raise RuntimeError(f"{summary.failed} cells failed in the benchmark")
    return t1 - t0, t2 - t1, store


def _results(store: Path) -> list:
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute("SELECT key, value, ci_low, ci_high, diagnostics FROM cells "
                           "ORDER BY key").fetchall()
    finally:
        con.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny, one round, print only")
    parser.add_argument("--cells", type=int, default=12)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    cells, steps, rounds, n = args.cells, args.steps, args.rounds, 512
    if args.smoke:
        cells, steps, rounds, n = 4, 30, 1, 64
    spec = _grid(cells, steps, n)
    load0 = os.getloadavg()
    started = time.perf_counter()
    times = {1: [], 2: []}
    startup = {1: [], 2: []}
    stores = {}
    capacity = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            capacity.append(_capacity())
            print(f"round {r}: cores available now (2 spin loops vs 1): {capacity[-1]:.2f}")
            for workers in (1, 2):
                up, wall, store = _one_run(spec, workers, Path(tmp), f"r{r}")
                times[workers].append(wall)
                startup[workers].append(up)
                stores[workers] = store
                print(f"round {r}: {workers} worker(s): {cells} cells in {wall:.1f} s "
                      f"({60 * cells / wall:.1f} cells/min; start-up {up:.1f} s)")
        equal = _results(stores[1]) == _results(stores[2])
    load1 = os.getloadavg()
    rate = {w: 60 * cells / statistics.median(t) for w, t in times.items()}
    speedup = rate[2] / rate[1]
    capacity.append(_capacity())
    cap = statistics.median(capacity)
    print(f"speed-up with 2 workers: {speedup:.2f}x (target >= {TARGET}x; cores available "
          f"{cap:.2f}); bit-equal: {equal}")
    if args.smoke:
        return
    now = datetime.datetime.now(datetime.timezone.utc)
    lines = [
        "# Sweep throughput (benchmarks/bench_sweep.py)",
        "",
        f"Written on {now:%Y-%m-%d %H:%M} UTC in {time.perf_counter() - started:.0f} s; "
        f"divgan {divgan.__version__}.",
        "",
        f"- Machine: {cpu_model()}, {os.cpu_count()} cores, **shared with other jobs while "
        f"measured** (load average {load0[0]:.1f} at the start, {load1[0]:.1f} at the end: "
        f"the two cores were not ours alone, so these numbers understate what 2 idle cores "
        f"give).",
        f"- Grid: {cells} cells, each a gp critic (`estimate_wasserstein`, {steps} steps, "
        f"200 bootstrap resamples) on N(0, 1) vs N(1, 1) with n = {n}, seeds 0..{cells - 1}.",
        "- Method: `run_sweep` against a warmed `LocalCluster` (one thread per worker; torch "
        "imported before the clock starts), store writes included; rounds alternate 1 and 2 "
        f"workers; median of {rounds} rounds.",
        f"- Control: a fixed pure-Python loop run alone and as two processes side by side, "
        f"before each round and at the end, measured the cores this job got: "
        f"{', '.join(f'{c:.2f}' for c in capacity)} (2.0 = two idle cores; median "
        f"{cap:.2f}). The sweep's speed-up cannot exceed it.",
        "",
        "| workers | sweep time (median) | cells / min | cluster start-up (median) |",
        "|---:|---:|---:|---:|",
    ]
    for w in (1, 2):
        lines.append(f"| {w} | {statistics.median(times[w]):.1f} s | {rate[w]:.1f} | "
                     f"{statistics.median(startup[w]):.1f} s |")
    verdict = "met" if speedup >= TARGET else "NOT met"
    lines += [
        "",
        f"Speed-up with 2 workers: **{speedup:.2f}x** (target >= {TARGET}x: {verdict}; "
        f"{speedup / cap:.0%} of the {cap:.2f}x the machine offered at the time). "
        f"Per-round times: 1 worker {[round(t, 1) for t in times[1]]} s, 2 workers "
        f"{[round(t, 1) for t in times[2]]} s.",
        "",
        f"The 1-worker and 2-worker stores hold bit-equal estimates, CIs and diagnostics: "
        f"{'yes' if equal else 'NO'}.",
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
