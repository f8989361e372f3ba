"""divgan.sweep: validation grids on Dask distributed, results in DuckDB.

* :func:`load_spec` / :func:`parse_spec`: a TOML grid, validated, expanded into :class:`Cell` s;
* :func:`compute_cell`: one cell, a pure function of its parameters;
* :func:`run_sweep`: the cells not yet stored (keyed by their parameters and
  :func:`code_version`), on an embedded ``LocalCluster``, a running Dask cluster, or in this
  process; one DuckDB transaction per finished cell;
* :func:`write_report`: the Markdown table and figure, from the store alone.

Importing this package imports neither torch, Dask nor DuckDB; they load when used.
"""
from __future__ import annotations

from divgan.sweep.cells import compute_cell, draw_samples, exact_values
from divgan.sweep.report import ReportResult, write_report
from divgan.sweep.runner import SweepSummary, code_version, run_sweep
from divgan.sweep.spec import FAMILIES, METHODS, Cell, SweepSpec, load_spec, parse_spec
from divgan.sweep.store import SweepStore, check_store_path

__all__ = [
    "Cell",
    "FAMILIES",
    "METHODS",
    "ReportResult",
    "SweepSpec",
    "SweepStore",
    "SweepSummary",
    "check_store_path",
    "code_version",
    "compute_cell",
    "draw_samples",
    "exact_values",
    "load_spec",
    "parse_spec",
    "run_sweep",
    "write_report",
]
