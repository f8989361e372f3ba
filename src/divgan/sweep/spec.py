r"""Sweep specs: a TOML file naming a grid, validated on load, expanded into cells.

A spec names the axes of the grid; every combination is one :class:`Cell`::

    name = "smoke"
    d = [1, 2]              # dimensions (families with a fixed d ignore this axis)
    n = [200]               # points drawn from each distribution
    seeds = [0, 1]
    methods = ["gp", "js", "plugin", "knn"]

    [estimator]             # optional; defaults are the estimators' own
    steps = 100             # or a table per method: steps = { gp = 100, js = 50 }
    n_resamples = 200
    gp_weight = 10.0
    folds = 5               # cross-fitted value and interval (default: one held-out half)
    hidden = "auto"         # the estimators' default; or widths, e.g. [64, 64], [] = linear
    max_n = { plugin = 8000 }  # leave out a method's cells with more points than this

    [families.shifted]      # one table per family, its parameter(s) as lists
    shift = [1.0]
    base = ["gaussian"]

Errors are one ``ValueError`` naming the key, the value and what is allowed.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - python 3.10
    import tomli as tomllib

__all__ = ["Cell", "FAMILIES", "METHODS", "SweepSpec", "load_spec", "parse_spec"]

#: family -> (its parameter, the fixed dimension or None when the ``d`` axis applies).
#: ``lines`` and ``gauss`` are the two 1-D families of analysis/critic_validation.py: the
#: lecture's parallel lines (P on x = 0, Q on x = θ, heights U(0, 1); points in the plane)
#: and N(0, 1) vs N(μ, 1).
FAMILIES = {
    "shifted": ("shift", None),
    "scaled": ("scale", None),
    "hyperplanes": ("theta", None),
    "lines": ("theta", 2),
    "gauss": ("mu", 1),
}
#: method -> (the quantity it estimates, whether it trains a torch network)
METHODS = {
    "gp": ("W1", True),
    "sn": ("W1", True),
    "clip": ("W1", True),
    "ctransform": ("W1", True),
    "js": ("JS", True),
    "plugin": ("W1", False),
    "sliced": ("SW1", False),
    "knn": ("KL", False),
}
SHIFT_BASES = ("gaussian", "uniform")
ESTIMATOR_KEYS = ("steps", "n_resamples", "gp_weight", "n_projections", "k", "folds", "hidden",
                  "max_n")
_TORCH = ("gp", "sn", "clip", "ctransform", "js")
TOP_KEYS = ("name", "d", "n", "seeds", "methods", "estimator", "families")


@dataclass(frozen=True)
class Cell:
    """One point of the grid: everything its result depends on besides divgan's code.

    ``param`` is the family's parameter (``param_name`` says which: shift, scale, theta, mu);
    ``base`` is ``"gaussian"`` or ``"uniform"`` for ``shifted`` and empty otherwise;
    ``steps`` is 0 for methods without training; ``settings`` is the JSON of the other
    estimator settings that apply to the method (sorted keys).
    """

    family: str
    param_name: str
    param: float
    base: str
    d: int
    n: int
    method: str
    seed: int
    steps: int
    settings: str

    @property
    def quantity(self) -> str:
        """What the method estimates: W1, JS, KL or SW1 (the sliced distance)."""
        return METHODS[self.method][0]

    @property
    def uses_torch(self) -> bool:
        return METHODS[self.method][1]

    def key(self, version: str) -> str:
        """sha256 of the cell's parameters and ``version`` (24 hex digits); the runner passes
        :func:`divgan.sweep.runner.code_version`, which changes with divgan's source."""
        text = json.dumps({**asdict(self), "version": version}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class SweepSpec:
    """A validated spec: its name, the expanded cells (in grid order) and its source path."""

    name: str
    cells: tuple[Cell, ...]
    source: str = ""


def _err(where: str, value, expected: str) -> ValueError:
    return ValueError(f"spec {where}: got {value!r}; expected {expected}")


def _axis(table: dict, key: str, where: str, kind, *, check=None, expected: str) -> list:
    """A non-empty list of distinct values of type ``kind`` (a bare value is a list of one)."""
    if key not in table:
        raise ValueError(f"spec {where}{key}: missing; expected {expected}")
    values = table[key]
    if not isinstance(values, list):
        values = [values]
    if not values:
        raise _err(where + key, table[key], f"a non-empty list of {expected}")
    for v in values:
        ok = isinstance(v, kind) and not isinstance(v, bool)
        if kind is float and isinstance(v, int) and not isinstance(v, bool):
            ok = True
        if not ok or (check is not None and not check(v)):
            raise _err(where + key, v, expected)
    values = [float(v) for v in values] if kind is float else values
    dup = sorted({v for v in values if values.count(v) > 1}, key=str)
    if dup:
        raise _err(where + key, table[key], f"distinct values (repeated: {dup})")
    return values


def _unknown(table: dict, allowed, where: str) -> None:
    extra = sorted(set(table) - set(allowed))
    if extra:
        raise ValueError(f"spec {where}: unknown key(s) {extra}; allowed keys are "
                         f"{sorted(allowed)}")


def _positive_int(v) -> bool:
    return v >= 1


def _estimator(table, methods: list) -> dict:
    """Per-method settings: {method: {setting: value}}; steps only for torch methods."""
    if not isinstance(table, dict):
        raise _err("estimator", table, "a table such as [estimator] steps = 100")
    _unknown(table, ESTIMATOR_KEYS, "[estimator]")
    out = {m: {} for m in methods}
    steps = table.get("steps")
    if isinstance(steps, dict):
        trained = [m for m in METHODS if METHODS[m][1]]
        for m, v in _per_method(steps, "steps", trained, 1).items():
            if m in out:
                out[m]["steps"] = v
    elif steps is not None:
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise _err("estimator.steps", steps, "a whole number >= 1 or a table per method")
        for m in methods:
            if METHODS[m][1]:
                out[m]["steps"] = steps
    checks = {"n_resamples": (int, lambda v: v >= 10, "a whole number >= 10", _TORCH),
              "folds": (int, lambda v: v >= 2, "a whole number >= 2", _TORCH),
              "gp_weight": (float, lambda v: math.isfinite(v) and v > 0, "a number > 0",
                            ("gp",)),
              "n_projections": (int, _positive_int, "a whole number >= 1", ("sliced",)),
              "k": (int, _positive_int, "a whole number >= 1", ("knn",))}
    for key, (kind, check, expected, applies) in checks.items():
        if key in table:
            v = table[key]
            good = isinstance(v, (int, float) if kind is float else int) and \
                not isinstance(v, bool) and check(v)
            if not good:
                raise _err(f"estimator.{key}", v, expected)
            for m in methods:
                if m in applies:
                    out[m][key] = float(v) if kind is float else v
    if "hidden" in table:
        v = table["hidden"]
        if v != "auto" and not (isinstance(v, list) and all(
                isinstance(w, int) and not isinstance(w, bool) and w >= 1 for w in v)):
            raise _err("estimator.hidden", v, '"auto" or a list of layer widths >= 1 '
                                              '([] for a linear network)')
        for m in methods:
            if m in _TORCH:
                out[m]["hidden"] = v
    return out


def _max_n(table: dict, methods: list) -> dict:
    """``{method: largest n}`` from ``[estimator] max_n = { plugin = 8000 }`` (may be absent);
    ``table`` is the [estimator] table, already checked to be a table by :func:`_estimator`."""
    if "max_n" not in table:
        return {}
    limits = table["max_n"]
    if not isinstance(limits, dict):
        raise _err("estimator.max_n", limits, "a table per method, e.g. { plugin = 8000 }")
    return {m: v for m, v in _per_method(limits, "max_n", list(METHODS), 2).items()
            if m in methods}


def _per_method(table: dict, key: str, allowed: list, minimum: int) -> dict:
    """``table`` checked: keys among ``allowed`` methods, values whole numbers >= minimum."""
    bad = sorted(set(table) - set(allowed))
    if bad:
        raise ValueError(f"spec estimator.{key}: unknown method(s) {bad}; allowed are {allowed}")
    for m, v in table.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise _err(f"estimator.{key}.{m}", v, f"a whole number >= {minimum}")
    return dict(table)


def _families(table, d_axis: list | None) -> list[tuple]:
    """(family, param_name, param, base, d) for every family, parameter, base and d."""
    if not isinstance(table, dict) or not table:
        raise _err("families", table, f"a table with one sub-table per family, from "
                                      f"{sorted(FAMILIES)}")
    out = []
    for family, sub in table.items():
        if family not in FAMILIES:
            raise _err("families", family, f"one of {sorted(FAMILIES)}")
        where = f"families.{family}."
        if not isinstance(sub, dict):
            raise _err(where[:-1], sub, "a table of the family's parameters")
        pname, fixed_d = FAMILIES[family]
        _unknown(sub, (pname, "base") if family == "shifted" else (pname,), where[:-1])
        params = _axis(sub, pname, where, float, check=math.isfinite,
                       expected="finite numbers")
        if family == "scaled" and any(v <= 0 for v in params):
            raise _err(where + pname, sub[pname], "numbers > 0 (the scale c of Q = law of cX)")
        bases = [""]
        if family == "shifted":
            bases = _axis(sub, "base", where, str, check=lambda b: b in SHIFT_BASES,
                          expected=f"one of {list(SHIFT_BASES)}") if "base" in sub \
                else ["gaussian"]
        if fixed_d is None and d_axis is None:
            raise ValueError(f"spec d: missing; family {family!r} needs a list of "
                             f"dimensions d (whole numbers >= 1)")
        dims = [fixed_d] if fixed_d is not None else d_axis
        out += [(family, pname, p, b, d) for b in bases for p in params for d in dims]
    return out


def parse_spec(data: dict, *, source: str = "") -> SweepSpec:
    """Validate a parsed TOML spec (a dict) and expand it into its cells.

    Raises ``ValueError`` naming the key, the value and the allowed values: unknown keys,
    families or methods, ``n < 2``, empty axes and repeated values. ``[estimator] max_n``
    leaves out a method's cells above that many points (they are not cells of the grid).
    """
    if not isinstance(data, dict):
        raise TypeError(f"spec: expected a table (dict), got {type(data).__name__}")
    _unknown(data, TOP_KEYS, "top level")
    name = data.get("name", Path(source).stem if source else "sweep")
    if not isinstance(name, str) or not name.strip():
        raise _err("name", name, "a non-empty string")
    ns = _axis(data, "n", "", int, check=lambda v: v >= 2, expected="whole numbers >= 2")
    seeds = _axis(data, "seeds", "", int, check=lambda v: v >= 0,
                  expected="whole numbers >= 0")
    methods = _axis(data, "methods", "", str, check=lambda m: m in METHODS,
                    expected=f"methods from {list(METHODS)}")
    d_axis = _axis(data, "d", "", int, check=_positive_int,
                   expected="whole numbers >= 1") if "d" in data else None
    settings = _estimator(data.get("estimator", {}), methods)
    max_n = _max_n(data.get("estimator", {}), methods)
    families = _families(data.get("families"), d_axis)
    cells = []
    for (family, pname, param, base, d), n, method, seed in itertools.product(
            families, ns, methods, seeds):
        if n > max_n.get(method, n):
            continue
        extra = dict(settings[method])
        steps = extra.pop("steps", 0)
        cells.append(Cell(family=family, param_name=pname, param=param, base=base, d=d, n=n,
                          method=method, seed=seed, steps=steps,
                          settings=json.dumps(extra, sort_keys=True)))
    return SweepSpec(name=name, cells=tuple(cells), source=source)


def load_spec(path) -> SweepSpec:
    """Read and validate the TOML spec at ``path`` (see :func:`parse_spec`).

    Examples
    --------
    >>> from divgan.sweep import parse_spec
    >>> spec = parse_spec({"n": [100], "seeds": [0, 1], "methods": ["plugin"],
    ...                    "families": {"gauss": {"mu": [1.0]}}})
    >>> len(spec.cells), spec.cells[0].family, spec.cells[0].d
    (2, 'gauss', 1)
    >>> parse_spec({"n": [1], "seeds": [0], "methods": ["plugin"],
    ...             "families": {"gauss": {"mu": [1.0]}}})
    Traceback (most recent call last):
    ...
    ValueError: spec n: got 1; expected whole numbers >= 2
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"SPEC: no such file: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"SPEC: {path} is not valid TOML ({exc})") from None
    try:
        return parse_spec(data, source=str(path))
    except ValueError as exc:
        raise ValueError(f"{exc} (in {path})") from None
