"""The parsers of ``divgan sweep`` and ``divgan report``.

The commands themselves live in :mod:`divgan.sweep.command` (imported by :mod:`divgan.cli`
only when they run, so ``divgan --help`` loads neither Dask, DuckDB nor torch).
"""
from __future__ import annotations

import argparse
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


def add_sweep_parser(sub) -> argparse.ArgumentParser:
    """The ``sweep`` sub-parser (its handler is set by :mod:`divgan.cli`)."""
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
    return p


def add_report_parser(sub) -> argparse.ArgumentParser:
    """The ``report`` sub-parser (its handler is set by :mod:`divgan.cli`)."""
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
    return p
