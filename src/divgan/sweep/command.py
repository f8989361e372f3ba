"""``divgan sweep`` and ``divgan report``: run a grid on Dask into DuckDB, then tabulate it.

Everything the user typed is checked before any work (the spec, the store path, the
device): a bad spec or store is a ``ValueError`` (one line on stderr, exit code 2 from
:func:`divgan.cli.main`) and nothing is written.
"""
from __future__ import annotations

import sys

from divgan.sweep.report import write_report
from divgan.sweep.runner import run_sweep
from divgan.sweep.spec import load_spec
from divgan.sweep.store import check_store_path

__all__ = ["report_command", "sweep_command"]


def sweep_command(args) -> int:
    """Run the spec's cells not yet stored; exit code 1 when any cell failed."""
    spec = load_spec(args.spec)
    check_store_path(args.store)
    if args.device == "cuda" and args.scheduler is None:
        import torch

        if not torch.cuda.is_available():
            raise ValueError("--device cuda: no CUDA device is available here; use "
                             "--device cpu or auto, or --scheduler with GPU workers")
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
    result = write_report(args.store, args.out, parquet=args.parquet)
    written = [result.md_path, result.png_path] + ([result.parquet_path]
                                                   if result.parquet_path else [])
    print("wrote " + ", ".join(str(p) for p in written))
    return 0
