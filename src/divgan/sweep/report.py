r"""``divgan report``: the Markdown table and the figure of a sweep, from its store alone.

One SQL query (DuckDB) groups the stored cells by (family, parameter, base, d, n, method)
over seeds; the table has the columns of analysis/results/critic_validation.md: exact value,
estimate mean ± sd over seeds, mean CI width, coverage (fraction of seeds whose CI holds the
exact value), ≤ exact (the check of a lower bound) and relative bias
:math:`(\bar v - v^*)/v^*`. The figure plots estimate / exact against n, one panel per
family, parameter and d, or against d (one panel per family, parameter and n) when the grid
has more dimensions than sample sizes.
"""
from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from pathlib import Path

from divgan.sweep.spec import METHODS
from divgan.sweep.store import SweepStore

__all__ = ["HELDOUT_RTOL", "SUMMARY_SQL", "ReportResult", "write_report"]

#: "at or below the held-out W1" allows this much float64 rounding (relative): a critic that is
#: optimal on the held-out points (a solved linear one in 1-D) can equal it to the last bit
HELDOUT_RTOL = 1e-12

#: the aggregate the table shows; reading it needs DuckDB only (docs/sweeps.md shows it)
SUMMARY_SQL = f"""
WITH latest AS (  -- each cell's newest row: older ones were computed by other divgan code
    SELECT * FROM cells
    QUALIFY row_number() OVER (PARTITION BY family, param_name, param, base, d, n, method,
                                            seed, steps, settings ORDER BY finished DESC) = 1
), c AS (
    SELECT *, TRY_CAST(json_extract_string(diagnostics, '$.heldout_w1') AS DOUBLE) AS h
    FROM latest
)
SELECT family, param_name, param, base, d, n, method, quantity,
       any_value(exact) AS exact,
       count(value) AS runs,
       count(error) AS failed,
       avg(value) AS mean,
       stddev_samp(value) AS sd,
       avg(ci_high - ci_low) AS ci_width,
       avg(CASE WHEN ci_low IS NULL OR exact IS NULL THEN NULL
                WHEN ci_low <= exact AND exact <= ci_high THEN 1.0 ELSE 0.0 END) AS coverage,
       avg(CASE WHEN value IS NULL OR exact IS NULL THEN NULL
                WHEN value <= exact THEN 1.0 ELSE 0.0 END) AS below,
       avg(CASE WHEN isfinite(h) THEN value - h END) AS heldout_gap,
       avg(CASE WHEN isfinite(h) AND value IS NOT NULL
                THEN CASE WHEN value <= h * (1 + {HELDOUT_RTOL}) THEN 1.0 ELSE 0.0 END END)
           AS below_heldout,
       sum(wall_s) AS cpu_s,
       max(TRY_CAST(json_extract_string(settings, '$.folds') AS INTEGER)) AS folds,
       string_agg(DISTINCT divgan_version, ', ' ORDER BY divgan_version) AS versions
FROM c
GROUP BY ALL
ORDER BY family, param, base, d, n, method
"""
_LOWER_BOUNDS = {"sn", "clip", "ctransform", "js"}
_LABELS = {"gp": "critic gp (de-biased)", "sn": "critic sn (lower bound)",
           "clip": "critic clip (rescaled, lower bound)",
           "ctransform": "critic c-transform (lower bound of the held-out exact W1)",
           "js": "discriminator JS (lower bound)",
           "plugin": "plug-in exact OT", "sliced": "sliced W1 (a different quantity)",
           "knn": "kNN KL"}


@dataclass(frozen=True)
class ReportResult:
    """The summary rows (dicts, one per family, parameter, base, d, n, method) and files."""

    rows: list
    md_path: Path
    png_path: Path
    parquet_path: Path | None


def _none(x) -> float:
    return math.nan if x is None else float(x)


def _fmt(x, digits=4) -> str:
    if math.isnan(x):
        return "—"
    return "∞" if math.isinf(x) else f"{x:.{digits}g}"


def _folds(r) -> str:
    return f" [{r['folds']} folds]" if r.get("folds") else ""


def _pct(x) -> str:
    return "—" if math.isnan(x) else f"{100 * x:.0f}%"


def _x_axis(rows) -> str:
    """The figure's x axis: ``"d"`` when the grid has more dimensions than sample sizes."""
    return "d" if len({r["d"] for r in rows}) > len({r["n"] for r in rows}) else "n"


def _panel(r, x: str = "n") -> str:
    base = f", {r['base']}" if r["base"] else ""
    other = f"n = {r['n']}" if x == "d" else f"d = {r['d']}"
    return f"{r['family']}{base}, {r['param_name']} = {r['param']:g}, {other}"


def _panel_order(r, x: str = "n") -> tuple:
    """Panels by family, base, parameter and then the other axis by value (1000 before 16000)."""
    return (r["family"], r["base"] or "", r["param"], r["n"] if x == "d" else r["d"])


def summary_rows(store) -> list[dict]:
    """:data:`SUMMARY_SQL` on the store, with the relative bias added (NaN where undefined)."""
    with SweepStore(store, read_only=True) as db:
        cur = db.con.execute(SUMMARY_SQL)
        names = [c[0] for c in cur.description]
        rows = [dict(zip(names, r)) for r in cur.fetchall()]
    order = list(METHODS)
    for r in rows:
        for k in ("exact", "mean", "sd", "ci_width", "coverage", "below", "heldout_gap",
                  "below_heldout", "cpu_s"):  # (folds stays None or an int)
            r[k] = _none(r[k])
        ok = math.isfinite(r["exact"]) and r["exact"] != 0
        r["rel_bias"] = (r["mean"] - r["exact"]) / r["exact"] if ok else math.nan
        r["heldout_gap"] = r["heldout_gap"] / r["exact"] if ok else math.nan
    rows.sort(key=lambda r: (r["family"], r["base"], r["param"], r["d"], r["n"],
                             order.index(r["method"])))
    return rows


def _markdown(rows, store: Path, png_name: str) -> str:
    now = datetime.datetime.now(datetime.timezone.utc)
    failed = sum(r["failed"] for r in rows)
    versions = sorted({v for r in rows for v in (r["versions"] or "").split(", ") if v})
    lines = [
        f"# Sweep report: {store.name}",
        "",
        f"- Store: `{store}` ({sum(r['runs'] + r['failed'] for r in rows)} cells, "
        f"{failed} failed); written {now:%Y-%m-%d %H:%M} UTC by `divgan report`",
        f"- Computed by divgan {', '.join(versions)} (of a cell computed by several versions, "
        f"the newest row counts)",
        f"- Compute time summed over cells: "
        f"{sum(r['cpu_s'] for r in rows if not math.isnan(r['cpu_s'])):.0f} s",
        "- n = points drawn from each distribution. The networks train on n/2 of each and are "
        "read (value and 95% bootstrap CI, the trained network fixed) on the other n/2; in rows "
        "marked [K folds] every point is read once by a network trained without it, the value "
        "is the mean of the K fold values and the CI Student's t over their spread (training "
        "variation included).",
        "",
        "Columns: estimate = mean ± sd over seeds; CI width = mean width of the CI; coverage "
        "= fraction of seeds whose CI contains the exact value; ≤ exact = fraction of seeds at "
        "or below the exact value (the check of a lower bound: sn, clip, JS); rel. bias = "
        "(mean − exact) / exact. Critic rows: gap to held-out W1 = mean over seeds of "
        "(estimate − exact W1 of the held-out halves the critic was read on) / exact, which "
        "removes most of the sampling noise; ≤ held-out W1 = fraction of seeds at or below it "
        "(a 1-Lipschitz critic cannot exceed it; to float64 rounding, 1e-12 relative; computed "
        "where no simplex above 2000 points a side is needed). — = not applicable or not "
        "known.",
        "",
        "| family | param | d | n | method | exact | estimate (mean ± sd) | CI width | "
        "coverage | ≤ exact | rel. bias | gap to held-out W1 | ≤ held-out W1 | "
        "seeds (failed) |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        fam = r["family"] + (f" ({r['base']})" if r["base"] else "")
        bias = "—" if math.isnan(r["rel_bias"]) else f"{100 * r['rel_bias']:+.2f}%"
        gap = "—" if math.isnan(r["heldout_gap"]) else f"{100 * r['heldout_gap']:+.2f}%"
        lines.append(
            f"| {fam} | {r['param_name']} = {r['param']:g} | {r['d']} | {r['n']} | "
            f"{_LABELS[r['method']]}{_folds(r)}, {r['quantity']} | {_fmt(r['exact'])} | "
            f"{_fmt(r['mean'])} ± {_fmt(r['sd'], 2)} | {_fmt(r['ci_width'], 2)} | "
            f"{_pct(r['coverage'])} | {_pct(r['below'])} | {bias} | {gap} | "
            f"{_pct(r['below_heldout'])} | {r['runs'] + r['failed']} ({r['failed']}) |")
    lines += ["", f"![estimate / exact against {_x_axis(rows)}]({png_name})", ""]
    return "\n".join(lines)


def _plot(rows, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if math.isfinite(r["exact"]) and r["exact"] != 0
            and not math.isnan(r["mean"])]
    x = _x_axis(rows)
    order = {_panel(r, x): _panel_order(r, x) for r in rows}
    panels = sorted(order, key=order.get) or ["(no cell with a finite exact value)"]
    ncols = min(2, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.2 * ncols, 4.2 * nrows), squeeze=False)
    colours = dict(zip(METHODS, plt.get_cmap("tab10").colors))
    for ax, panel in zip(axes.flat, panels):
        sel = [r for r in rows if _panel(r, x) == panel]
        for j, method in enumerate(METHODS):
            pts = [r for r in sel if r["method"] == method]
            if not pts:
                continue
            jitter = 1.0 + 0.015 * (j - 3)  # methods side by side at each n (or d)
            ax.errorbar([r[x] * jitter for r in pts], [r["mean"] / r["exact"] for r in pts],
                        yerr=[0.0 if math.isnan(r["sd"]) else r["sd"] / r["exact"]
                              for r in pts],
                        marker="o", ms=4, capsize=3, color=colours[method],
                        label=f"{_LABELS[method]} ({pts[0]['quantity']})")
        ax.axhline(1.0, color="black", lw=1, ls="--", label="exact")
        ax.set_xscale("log")
        ticks = sorted({r[x] for r in sel})
        if len(ticks) == 1:  # one d (or n): the methods side by side around it
            ax.set_xlim(ticks[0] / 1.15, ticks[0] * 1.15)
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.minorticks_off()
        ax.set_xlabel("d (dimension)" if x == "d" else "n (points per distribution)")
        ax.set_ylabel("estimate / exact value")
        ax.set_title(panel, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.suptitle("Sweep: estimates against exact values (mean ± sd over seeds)")
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / (4.2 * nrows)))  # room for the title
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(store, out_dir=None, *, parquet: bool = False) -> ReportResult:
    r"""Write ``STEM.md`` (the table) and ``STEM.png`` (the figure) for the store ``STEM.duckdb``.

    Parameters
    ----------
    store : path
        A DuckDB file written by :func:`~divgan.sweep.run_sweep` (opened read-only).
    out_dir : path, optional
        Output folder, created if missing (default: the store's folder).
    parquet : bool
        Also export every stored row to ``STEM.parquet``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from divgan.sweep import parse_spec, run_sweep, write_report
    >>> spec = parse_spec({"n": [40], "seeds": [0, 1], "methods": ["plugin"],
    ...                    "families": {"gauss": {"mu": [1.0]}}})
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "doc.duckdb"
    >>> _ = run_sweep(spec, path, workers=0, progress=False)
    >>> rep = write_report(path)
    >>> rep.md_path.name, rep.png_path.name, rep.rows[0]["runs"]
    ('doc.md', 'doc.png', 2)
    """
    store = Path(store)
    rows = summary_rows(store)
    out = Path(out_dir) if out_dir is not None else store.parent
    out.mkdir(parents=True, exist_ok=True)
    md, png = out / f"{store.stem}.md", out / f"{store.stem}.png"
    _plot(rows, png)
    md.write_text(_markdown(rows, store, png.name), encoding="utf-8")
    pq = None
    if parquet:
        with SweepStore(store, read_only=True) as db:
            pq = db.export_parquet(out / f"{store.stem}.parquet")
    return ReportResult(rows=rows, md_path=md, png_path=png, parquet_path=pq)
