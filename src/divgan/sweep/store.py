r"""The sweep store: one DuckDB file, one row per cell.

Columns: the cell key (sha256 of the cell's parameters and divgan's code version), the
parameters, the estimate and its CI, the exact values, diagnostics (JSON text), wall time,
device, worker, start and end times (UTC), and an error column. Only the client process
writes, one transaction per finished cell, so a crash loses at most the cells in flight.
Reading a store needs DuckDB alone::

    import duckdb
    duckdb.connect("results.duckdb", read_only=True).sql("SELECT * FROM cells").df()
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["COLUMNS", "SweepStore", "check_store_path"]

TABLE = "cells"
#: (name, DuckDB type) in table order
COLUMNS = (
    ("key", "VARCHAR PRIMARY KEY"),
    ("spec", "VARCHAR"),
    ("divgan_version", "VARCHAR"),
    ("family", "VARCHAR"),
    ("param_name", "VARCHAR"),
    ("param", "DOUBLE"),
    ("base", "VARCHAR"),
    ("d", "INTEGER"),
    ("n", "INTEGER"),
    ("method", "VARCHAR"),
    ("seed", "BIGINT"),
    ("steps", "INTEGER"),
    ("settings", "VARCHAR"),
    ("quantity", "VARCHAR"),
    ("kind", "VARCHAR"),
    ("value", "DOUBLE"),
    ("ci_low", "DOUBLE"),
    ("ci_high", "DOUBLE"),
    ("exact", "DOUBLE"),
    ("exact_w1", "DOUBLE"),
    ("exact_w2", "DOUBLE"),
    ("exact_kl_pq", "DOUBLE"),
    ("exact_kl_qp", "DOUBLE"),
    ("exact_js", "DOUBLE"),
    ("diagnostics", "VARCHAR"),
    ("wall_s", "DOUBLE"),
    ("device", "VARCHAR"),
    ("worker", "VARCHAR"),
    ("started", "TIMESTAMPTZ"),
    ("finished", "TIMESTAMPTZ"),
    ("error", "VARCHAR"),
)
_NAMES = tuple(name for name, _ in COLUMNS)
# DuckDB's file header: an 8-byte checksum, then the magic bytes "DUCK"
_MAGIC_OFFSET, _MAGIC = 8, b"DUCK"


def check_store_path(path, *, must_exist: bool = False, writable: bool = True) -> Path:
    """The store path, checked before any work; nothing is created or written.

    A ``ValueError`` (one line) when the path is a folder, an existing file that is not a
    DuckDB database, a missing file where one must exist, or (``writable``) a file or
    folder this process cannot write.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"--store: {path} is a folder; expected a DuckDB file such as "
                         f"results.duckdb")
    if path.exists():
        with open(path, "rb") as fh:
            head = fh.read(_MAGIC_OFFSET + len(_MAGIC))
        if head[_MAGIC_OFFSET:] != _MAGIC:
            raise ValueError(f"--store: {path} exists and is not a DuckDB database; give a "
                             f"new path or a store written by divgan sweep")
        if writable and not _writable(path):
            raise ValueError(f"--store: {path} is read-only; expected a writable DuckDB file")
    elif must_exist:
        raise ValueError(f"STORE: no such file: {path}")
    folder = path.parent if str(path.parent) else Path(".")
    if writable and not (folder.is_dir() and _writable(folder)):
        raise ValueError(f"--store: cannot write in the folder {folder} (missing or "
                         f"read-only); DuckDB keeps a write-ahead log next to the file")
    return path


def _writable(path: Path) -> bool:
    """Writable by this process and not marked read-only (no write bit; root ignores modes)."""
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)


class SweepStore:
    """An open store. ``read_only=True`` only reads (the report); else the table is created.

    Use as a context manager; :meth:`write` commits one cell per transaction.
    """

    def __init__(self, path, *, read_only: bool = False):
        import duckdb

        self.path = check_store_path(path, must_exist=read_only, writable=not read_only)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise ValueError(f"--store: DuckDB cannot open {self.path}: "
                             f"{str(exc).splitlines()[0]}") from None
        if not read_only:
            cols = ", ".join(f"{n} {t}" for n, t in COLUMNS)
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ({cols})")
        elif not self.con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                [TABLE]).fetchone()[0]:
            self.con.close()
            raise ValueError(f"STORE: {self.path} holds no table {TABLE!r}; expected a "
                             f"store written by divgan sweep")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.con.close()

    def stored_keys(self) -> set[str]:
        """Keys of the cells already stored (failed ones included)."""
        return {k for (k,) in self.con.execute(f"SELECT key FROM {TABLE}").fetchall()}

    def failed_keys(self) -> set[str]:
        return {k for (k,) in self.con.execute(
            f"SELECT key FROM {TABLE} WHERE error IS NOT NULL").fetchall()}

    def write(self, row: dict) -> None:
        """Insert (or, for ``--force``, replace) one cell's row in one transaction."""
        marks = ", ".join("?" for _ in _NAMES)
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(f"INSERT OR REPLACE INTO {TABLE} VALUES ({marks})",
                             [row.get(name) for name in _NAMES])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def rows(self) -> list[dict]:
        """Every stored row as a dict, ordered by key."""
        cur = self.con.execute(f"SELECT * FROM {TABLE} ORDER BY key")
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def export_parquet(self, path) -> Path:
        """The whole table as one Parquet file (DuckDB's COPY ... (FORMAT parquet))."""
        path = Path(path)
        self.con.execute(f"COPY {TABLE} TO '{_quote(path)}' (FORMAT parquet)")
        return path


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
