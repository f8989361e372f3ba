"""``divgan sweep`` and ``divgan report``: run a grid on Dask into DuckDB, then tabulate it.

Everything the user typed is checked before any work (the spec, the store path, the
device): a bad spec or store is one line on stderr and exit code 2, and nothing is written.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

_DEVICE_HELP = ("where networks train: auto = CUDA when available, else CPU (default: auto); "
                "cuda: torch cells request the Dask worker resource GPU")


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0 (0: in this process, "
                                         f"without Dask), got {text!r}")
    return value


def add_sweep_parsers(sub) -> None:
    """Register ``sweep`` and ``report`` on the ``divgan`` sub-parsers."""
    p = sub.add_parser(
        "sweep", help="run a validation grid (TOML spec) on Dask into a DuckDB store",
        description="Compute every cell of the grid in SPEC not yet in the store, on an "
                    "embedded Dask LocalCluster (one worker per core) or a running cluster, "
                    "one DuckDB row per cell. The exit code is 1 if any cell failed "
                    "(its error is stored) and 2 for a bad spec or store.")
    p.add_argument("spec", type=Path, metavar="SPEC", help="the grid, a TOML file "
                   "(e.g. analysis/specs/smoke.toml; see docs/sweeps.md)")
    p.add_argument("--store", type=Path, required=True, metavar="FILE",
                   help="the DuckDB file for the results, created if missing; cells already "
                        "in it are skipped (default: none, the option is required)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a running Dask scheduler, e.g. tcp://host:8786 (default: an "
                        "embedded LocalCluster)")
    p.add_argument("--workers", type=_workers, default=None, metavar="N",
                   help="worker processes of the embedded cluster, one thread each; 0 runs "
                        "the cells in this process without Dask (default: one per core)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                   help=_DEVICE_HELP)
    p.add_argument("--force", action="store_true",
                   help="recompute and replace cells already stored (default: skip them)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar or per-cell lines (default: a bar on a terminal, "
                        "else one line per cell)")
    p.set_defaults(func=sweep_command)

    p = sub.add_parser(
        "report", help="the Markdown table and figure of a sweep store",
        description="Read a store written by divgan sweep (DuckDB only) and write STEM.md "
                    "(estimate against exact, by family, parameter, d, n and method) and "
                    "STEM.png (estimate / exact against n).")
    p.add_argument("store", type=Path, metavar="STORE", help="the DuckDB file of a sweep")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="folder for the files, created if missing (default: the store's)")
    p.add_argument("--parquet", action="store_true",
                   help="also export every stored row to STEM.parquet (default: off)")
    p.set_defaults(func=report_command)


def sweep_command(args) -> int:
    """Run the spec's cells not yet stored; exit code 1 when any cell failed."""
    from divgan.sweep import check_store_path, load_spec, run_sweep

    spec = load_spec(args.spec)
    check_store_path(args.store)
    if args.device == "cuda" and args.scheduler is None:
        from divgan._cli.common import check_device

        check_device("cuda")
    summary = run_sweep(spec, args.store, scheduler=args.scheduler, workers=args.workers,
                        device=args.device, force=args.force,
                        progress=False if args.no_progress else "auto")
    print(f"sweep {spec.name}: {summary.total} cells, {summary.skipped} already stored, "
          f"{summary.computed} computed, {summary.failed} failed, {summary.wall_s:.1f} s; "
          f"store {summary.store}")
    if summary.failed:
        print(f"divgan sweep: {summary.failed} cell(s) failed; their errors are in the "
              f"store's error column", file=sys.stderr)
        return 1
    return 0


def report_command(args) -> int:
    """Write the Markdown table and the figure (and the Parquet export) of a store."""
    from divgan.sweep import write_report

    result = write_report(args.store, args.out, parquet=args.parquet)
    written = [result.md_path, result.png_path] + ([result.parquet_path]
                                                   if result.parquet_path else [])
    print("wrote " + ", ".join(str(p) for p in written))
    return 0
