"""What the sub-commands share, in the words a command-line user typed (REAL, FAKE, --out).

* :func:`load_samples`: a ``.npy`` sample file as an ``(n, d)`` float array, or a one-line
  ``ValueError`` saying what the file is and what was expected;
* :func:`check_out_dir`: refuse an output folder that cannot be written, before any work;
* argument types for argparse (:func:`positive_int`, :func:`seed_int`, :func:`order_p`,
  :func:`byte_size`);
* :func:`exact_ot_bytes` (the memory exact OT needs) and :func:`elapsed_line` (a running
  elapsed time on stderr while one long C call works).

:func:`divgan.cli.main` turns a ``ValueError`` into ``divgan CMD: error: ...`` and exit code 2.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"
_EXPECTED = ("expected a .npy file written by numpy.save from a numeric array of shape (n,) "
             "or (n, d)")

#: Peak memory of exact OT (``divgan.wasserstein_distance``) per pair of points, in bytes:
#: the cost matrix, the plan and POT's network-simplex arcs. Measured as the rise in peak
#: resident memory for n = m = 1000, 2000, 3000 points in 2-D: 40.4, 40.6, 41.0 bytes per pair
#: (docs/getting_started.md gives the command).
EXACT_OT_BYTES_PER_PAIR = 41


# ----------------------------------------------------------------------------- sample files
def load_samples(path: str | os.PathLike, name: str) -> np.ndarray:
    """The samples in the ``.npy`` file ``path`` as a finite ``(n, d)`` float64 array.

    ``name`` is the user's word for the file (``"REAL"``, ``"FAKE"``). A 1-D array of ``n``
    numbers reads as ``n`` points with ``d = 1``. Anything else (a missing file, a text file, a
    ``.npz`` archive, a pickle, text or object arrays, NaN) is a ``ValueError`` naming the file,
    what it holds and what was expected.
    """
    from divgan._validation import as_points

    path = Path(path)
    if not path.exists():
        raise ValueError(f"{name}: no such file: {path}")
    if path.is_dir():
        raise ValueError(f"{name}: {path} is a folder; {_EXPECTED}")
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head.startswith(_NPY_MAGIC):
        raise ValueError(f"{name}: {path} {_describe_non_npy(path, head)}; {_EXPECTED}")
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc):  # numpy's words for an object array
            raise ValueError(f"{name}: {path} holds Python objects (dtype object), not "
                             f"numbers; {_EXPECTED}") from None
        raise ValueError(f"{name}: {path} is a damaged .npy file ({exc}); write it again "
                         f"with numpy.save") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"{name}: {path} is a damaged .npy file ({exc}); write it again "
                         f"with numpy.save") from None
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name}: {path} holds {_describe_dtype(arr.dtype)}, not real "
                         f"numbers; {_EXPECTED}")
    try:
        return as_points(arr, name)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{exc} (in {path})") from None


def _describe_non_npy(path: Path, head: bytes) -> str:
    """What a file that lacks numpy's ``.npy`` header looks like, from its first bytes."""
    if not head:
        return "is empty (0 bytes)"
    if head.startswith(_ZIP_MAGIC):
        try:
            with np.load(path, allow_pickle=False) as archive:
                names = list(archive.files)
        except Exception:  # noqa: BLE001 - any zip numpy cannot read is just "a zip archive"
            return "is a zip archive, not a .npy file"
        return (f"is a .npz archive (numpy.savez) holding the arrays {names}; save the one "
                f"you mean with numpy.save")
    if head[:1] == b"\x80":
        return "is a Python pickle, not a .npy file"
    if b"\x00" not in head:
        text = head.decode("utf-8", errors="replace")
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
        if printable >= 0.95 * len(text):
            first = next((line for line in text.splitlines() if line.strip()), text)
            first = first if len(first) <= 40 else first[:40] + "..."
            return (f"is a text file (it starts with {first!r}), not a .npy file; to convert "
                    f"numbers in text, numpy.save('{path.stem}.npy', numpy.loadtxt('{path.name}'))")
    return "does not start with numpy's .npy header, so it is not a .npy file"


def _describe_dtype(dtype: np.dtype) -> str:
    kinds = {"U": "text", "S": "bytes", "c": "complex numbers", "V": "records (a structured "
             "array)", "M": "dates", "m": "time spans", "O": "Python objects"}
    return f"{kinds.get(dtype.kind, 'non-numeric data')} (dtype {dtype.str})"


def check_same_dimension(x: np.ndarray, y: np.ndarray) -> None:
    """REAL and FAKE must have as many coordinates per point."""
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"REAL has {x.shape[1]} coordinate(s) per point and FAKE has "
                         f"{y.shape[1]}; they must match")


def check_device(device: str) -> None:
    """``--device cuda`` needs a CUDA device (torch is imported only for that question)."""
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ValueError("--device cuda: no CUDA device is available here; use --device cpu "
                             "or --device auto")


# ----------------------------------------------------------------------------- output folder
def check_out_dir(path: str | os.PathLike, option: str = "--out") -> Path:
    """Refuse, before any work, an output folder that cannot be created or written.

    ``path`` may exist (a folder) or not (then the nearest existing folder above it must be
    writable). A file, a path under a file, or a read-only folder is a ``ValueError``. Write
    access is tested by ``os.access`` and by writing and removing a probe file (``os.access``
    says yes to root, and a read-only mount can say yes too). Nothing is created.
    """
    path = Path(path)
    try:
        existing = _nearest_existing(path)
    except OSError as exc:  # e.g. a folder above it that this user may not look into
        raise ValueError(f"{option} {path}: {exc.strerror or exc}") from None
    if existing == path and not path.is_dir():
        raise ValueError(f"{option} {path} is a file, not a folder")
    if not existing.is_dir():
        raise ValueError(f"{option} {path}: {existing} is a file, so no folder can be made "
                         f"under it")
    if not _writable(existing):
        where = "" if existing == path else f" {existing}, where it would be created,"
        raise ValueError(f"{option} {path}: the folder{where} is not writable")
    return path


def _nearest_existing(path: Path) -> Path:
    """``path`` itself when it exists, else the nearest folder (or file) above it that does."""
    existing = path
    while not (existing.exists() or existing.is_symlink()):
        existing = existing.parent
    return existing


def _writable(folder: Path) -> bool:
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    try:
        fd, probe = tempfile.mkstemp(prefix=".divgan-probe-", dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.unlink(probe)
    return True


# ----------------------------------------------------------------------------- argument types
def _whole_number(text: str, minimum: int) -> int:
    """``text`` as an integer >= ``minimum``, or argparse's error in the user's words."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number >= {minimum}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {value}")
    return value


def positive_int(text: str) -> int:
    """An integer >= 1 (argparse type).

    >>> positive_int("200")
    200
    """
    return _whole_number(text, 1)


def seed_int(text: str) -> int:
    """A seed: an integer >= 0 (argparse type).

    >>> seed_int("0")
    0
    """
    return _whole_number(text, 0)


def folds_int(text: str) -> int:
    """A number of cross-fitting folds: an integer >= 2 (argparse type).

    >>> folds_int("5")
    5
    """
    return _whole_number(text, 2)


def order_p(text: str) -> float:
    """The order p of W_p: a real number >= 1, or ``inf`` (argparse type).

    >>> order_p("2"), order_p("inf")
    (2.0, inf)
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 1 or inf, got {text!r}") from None
    if not value >= 1:  # also NaN
        raise argparse.ArgumentTypeError(f"expected a number >= 1 or inf, got {text!r}")
    return value


_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": 1024**2, "mb": 1000**2,
          "mib": 1024**2, "g": 1024**3, "gb": 1000**3, "gib": 1024**3, "t": 1024**4,
          "tb": 1000**4, "tib": 1024**4}


def byte_size(text: str) -> int:
    """A memory size such as ``4GiB``, ``500MB``, ``2G`` or ``1e9`` (bytes), as bytes.

    KB, MB, GB, TB are powers of 1000; KiB, MiB, GiB, TiB and the bare K, M, G, T are powers
    of 1024 (argparse type).

    >>> byte_size("4GiB"), byte_size("500MB"), byte_size("1e9")
    (4294967296, 500000000, 1000000000)
    """
    match = re.fullmatch(r"\s*([0-9.]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*", text)
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise argparse.ArgumentTypeError(
            f"expected a memory size such as 4GiB, 500MB or 2G, got {text!r}")
    value = float(match.group(1)) * _UNITS[unit]
    if not (math.isfinite(value) and value >= 1):
        raise argparse.ArgumentTypeError(f"expected a memory size of at least 1 byte, got {text!r}")
    return int(value)


def format_bytes(n: float) -> str:
    """``n`` bytes in GiB or MiB with three significant digits.

    >>> format_bytes(9.2e9), format_bytes(1.64e6)
    ('8.57 GiB', '1.56 MiB')
    """
    if n >= 1024**3:
        return f"{n / 1024**3:.3g} GiB"
    return f"{n / 1024**2:.3g} MiB"


# ----------------------------------------------------------------------------- long solves
def exact_ot_bytes(n: int, m: int) -> int:
    """Peak memory of exact OT between ``n`` and ``m`` points: ``41 n m`` bytes (measured)."""
    return EXACT_OT_BYTES_PER_PAIR * n * m


@contextmanager
def elapsed_line(label: str, *, stream=None, interval: float | None = None) -> Iterator[None]:
    """Show ``label`` and the time elapsed on ``stream`` (stderr) while the block runs.

    Meant for one long call into C (POT's network simplex releases the GIL, so a thread can
    write). On a terminal the line is rewritten every ``interval`` seconds (default 0.5);
    elsewhere (a log file) a line is added every ``interval`` seconds (default 10).
    """
    stream = sys.stderr if stream is None else stream
    tty = bool(getattr(stream, "isatty", lambda: False)())
    interval = (0.5 if tty else 10.0) if interval is None else interval
    start = time.perf_counter()
    stop = threading.Event()

    def write(text: str) -> None:
        stream.write(text)
        stream.flush()

    def tick() -> None:
        while not stop.wait(interval):
            seconds = time.perf_counter() - start
            write(f"\r{label}: {seconds:.0f} s" if tty else f"{label}: {seconds:.0f} s so far\n")

    write(f"{label}: 0 s" if tty else f"{label} ...\n")
    thread = threading.Thread(target=tick, name="divgan-elapsed", daemon=True)
    thread.start()
    outcome = "stopped by an error after"
    try:
        yield
        outcome = "done in"
    finally:
        stop.set()
        thread.join()
        seconds = time.perf_counter() - start
        write(f"{chr(13) if tty else ''}{label}: {outcome} {seconds:.1f} s\n")
