r"""Validation study: trained critics and discriminators against the exact values.

A thin layer over :mod:`divgan.sweep`: the cells (``divgan.gan.estimate_wasserstein`` with
``gp``, ``sn``, ``clip``, ``divgan.gan.estimate_js``, the plug-in exact optimal transport
between the samples and the kNN KL estimator, on two families with known answers, several
sample sizes and seeds) run on Dask and land in a DuckDB store (a rerun computes only what
is missing); this script then writes the study's Markdown table (exact, estimate mean ± sd,
mean CI width, coverage, fraction at or below the truth, relative bias, paired gap to the
held-out samples' W1), its findings and a plot of estimate / exact against n. The grid is
``analysis/specs/critic_validation.toml``; ``divgan sweep`` runs the same cells.

Families (exact values):

* the parallel lines (lecture claim L13): P on x = 0, Q on x = θ, heights U(0, 1);
  :math:`W_1 = |\theta|`, :math:`\mathrm{JS} = \log 2`, :math:`\mathrm{KL} = +\infty`;
* 1-D Gaussians N(0, 1) vs N(μ, 1): :math:`W_1 = \mu`, :math:`\mathrm{KL} = \mu^2/2`, JS by
  quadrature.

``n`` is the number of points drawn from *each* distribution; the network estimators train on
half of them and are read (with their bootstrap CI) on the other half, the plug-in OT and kNN
use all of them.

Run from a checkout::

    python analysis/critic_validation.py            # the study (~10 min on 2 loaded cores)
    python analysis/critic_validation.py --quick    # smoke run (< 1 min), *_quick.md / .png

The default output folder is ``analysis/results`` next to this file; the store
``critic_validation[_quick].duckdb`` goes there too.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import datetime
import json
import math
import platform
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SPEC = HERE / "specs" / "critic_validation.toml"
FAMILIES = ("lines", "gauss")
FAMILY_NAMES = {"lines": "parallel lines", "gauss": "N(0,1) vs N(μ,1)"}
PARAM_NAMES = {"lines": "θ", "gauss": "μ"}
# (key, label, quantity): the rows of the table, in order
METHODS = (
    ("gp", "critic gp (de-biased)", "W1"),
    ("gp_raw", "critic gp, raw dual", "W1"),
    ("sn", "critic sn", "W1"),
    ("clip", "critic clip (rescaled)", "W1"),
    ("plugin", "plug-in exact OT", "W1"),
    ("js", "discriminator JS", "JS"),
    ("knn", "kNN KL (k=1)", "KL"),
)
LABELS = {k: lab for k, lab, _ in METHODS}
QUANTITY = {k: q for k, _, q in METHODS}
LOWER_BOUNDS = {"sn", "clip", "js"}  # kind says a lower bound: "≤ exact" is the check
EXACT_COLUMN = {"W1": "exact_w1", "JS": "exact_js", "KL": "exact_kl_pq"}
DEFAULT_SEEDS = 8  # 12 cells x 8 seeds x 6 methods: ~10-15 min on 2 shared cores
GP_WEIGHT = 10.0  # λ of the gp critic (the estimator's default, passed explicitly)


@dataclass(frozen=True)
class Settings:
    """What one run covers. ``steps=None`` keeps the estimators' defaults (the study)."""

    params: dict
    ns: tuple
    seeds: tuple
    steps: dict | None = None
    n_resamples: int = 1000
    quick: bool = False


@dataclass(frozen=True)
class StudyResult:
    """Rows of the table (one dict per family, parameter, n, method), files and wall time."""

    rows: list
    knn_lines: list
    md_path: Path
    png_path: Path
    store_path: Path
    wall_s: float
    settings: Settings = field(repr=False)


def gp_raw_theory(mu: float, gp_weight: float = GP_WEIGHT) -> float:
    r"""Dual value of the optimal *penalised* critic for N(0, 1) vs N(μ, 1) (1-D theory).

    .. math::

        V = W_1 + \frac{1}{2\lambda}\int \frac{(F_r - F_g)^2}{\rho}\,dx, \qquad
        \rho(x) = \int_0^1 \varphi\big(x;\,(1-\epsilon)\mu,\ \epsilon^2 + (1-\epsilon)^2\big)
        \,d\epsilon,

    ρ the density of the interpolates εx_r + (1 − ε)x_g of independent pairs: the optimum of
    the one-sided penalty has :math:`|f'| = 1 + |F_r - F_g|/(2\lambda\rho)`. Midpoint rule in
    ε (2000 nodes) and trapezoid in x (4001 nodes on [−10, μ + 10]).
    """
    from scipy import stats

    x = np.linspace(-10.0, mu + 10.0, 4001)
    eps = (np.arange(2000) + 0.5) / 2000
    rho = np.zeros_like(x)
    for chunk in np.array_split(eps, 8):
        rho += stats.norm.pdf(x[:, None], (1 - chunk) * mu,
                              np.sqrt(chunk ** 2 + (1 - chunk) ** 2)).sum(axis=1)
    rho /= len(eps)
    diff = stats.norm.cdf(x) - stats.norm.cdf(x - mu)
    return float(abs(mu) + np.trapezoid(diff ** 2 / rho, x) / (2 * gp_weight))


# --------------------------------------------------------------------------- the sweep
def build_spec(settings: Settings):
    """The study's grid as a :class:`divgan.sweep.SweepSpec` (six methods, one per cell)."""
    from divgan.sweep import parse_spec

    estimator = {"n_resamples": settings.n_resamples, "gp_weight": GP_WEIGHT}
    if settings.steps:
        estimator["steps"] = dict(settings.steps)
    families = {"lines": {"theta": list(settings.params["lines"])},
                "gauss": {"mu": list(settings.params["gauss"])}}
    name = "critic_validation" + ("_quick" if settings.quick else "")
    return parse_spec({"name": name, "n": list(settings.ns), "seeds": list(settings.seeds),
                       "methods": ["gp", "sn", "clip", "js", "plugin", "knn"],
                       "estimator": estimator, "families": families})


def _diag(row) -> dict:
    """A stored row's diagnostics, with "inf" / "nan" back as floats."""
    return {k: float(v) if isinstance(v, str) and v in ("inf", "-inf", "nan") else v
            for k, v in json.loads(row["diagnostics"]).items()}


def records_from_row(row) -> tuple[list, dict | None]:
    """The study's per-method records of one stored cell; the lines' kNN record apart."""
    d = _diag(row)
    ci = None if row["ci_low"] is None else (row["ci_low"], row["ci_high"])
    method, value = row["method"], row["value"]
    if method in ("gp", "sn", "clip"):
        rec = {"method": method, "value": value, "ci": ci,
               "heldout": d.get("heldout_w1", math.nan), "raw": d["raw_value"]}
        if method == "gp":
            return [rec, {"method": "gp_raw", "value": d["raw_value"], "ci": None,
                          "heldout": rec["heldout"]}], None
        return [rec], None
    if method == "plugin":
        return [{"method": "plugin", "value": value, "ci": None,
                 "pot_gap": d.get("sorted_gap", math.nan)}], None
    if method == "js":
        return [{"method": "js", "value": value, "ci": ci}], None
    if row["family"] == "gauss":  # knn
        return [{"method": "knn", "value": value, "ci": None}], None
    return [], {"estimate": d["estimate"], "value": value,
                "disjoint": bool(d["supports_look_disjoint"]),
                "growth": d["growth_per_doubling"]}


def summarise(records: list, exact: float) -> dict:
    """Mean, sd, CI width, coverage, fraction ≤ exact and relative bias over seeds."""
    from divgan.sweep.report import HELDOUT_RTOL

    v = np.array([r["value"] for r in records], dtype=float)
    cis = [r["ci"] for r in records if r["ci"] is not None]
    row = {"exact": exact, "mean": float(v.mean()),
           "sd": float(v.std(ddof=1)) if len(v) > 1 else math.nan,
           "below": float(np.mean(v <= exact)), "rel_bias": float((v.mean() - exact) / exact),
           "ratios": v / exact, "n_seeds": len(v)}
    if cis:
        lo, hi = np.array(cis).T
        row["ci_width"] = float(np.mean(hi - lo))
        row["coverage"] = float(np.mean((lo <= exact) & (exact <= hi)))
    else:
        row["ci_width"] = row["coverage"] = math.nan
    ho = np.array([r.get("heldout", math.nan) for r in records], dtype=float)
    row["heldout_gap"] = float(np.mean(v - ho) / exact)  # nan where not measured
    # at or below, to float64 rounding (a solved linear critic in 1-D can equal it to the bit)
    row["below_heldout"] = (float(np.mean(v <= ho * (1 + HELDOUT_RTOL)))
                            if not np.isnan(ho).any() else math.nan)
    raw = np.array([r.get("raw", math.nan) for r in records], dtype=float)
    row["raw_ratio"] = float(np.mean(raw) / exact)  # clip: the unknown scale K of K*W1
    gaps = [r.get("pot_gap", math.nan) for r in records]
    row["pot_gap"] = max((g for g in gaps if not math.isnan(g)), default=math.nan)
    return row


# --------------------------------------------------------------------------- the study
def _newest_rows(db, spec) -> list[dict]:
    """The store's newest row of each cell of ``spec``, whatever divgan code computed it (a row
    belongs to a cell when its key is the cell's key under the row's own ``divgan_version``);
    a ``RuntimeError`` when some cell has none."""
    rows = db.rows()
    cell_of = {c.key(v): i for v in {r["divgan_version"] for r in rows}
               for i, c in enumerate(spec.cells)}
    newest: dict = {}
    for r in rows:
        i = cell_of.get(r["key"])
        if i is not None and (i not in newest or r["finished"] > newest[i]["finished"]):
            newest[i] = r
    if len(newest) < len(spec.cells):
        raise RuntimeError(f"{len(spec.cells) - len(newest)} of the study's {len(spec.cells)} "
                           f"cells are not in the store: run without --from-store to compute "
                           f"them")
    return list(newest.values())


def run_study(settings: Settings, out_dir: Path, *, progress: bool = True,
              workers: int | None = None, store: Path | None = None,
              from_store: bool = False) -> StudyResult:
    """Run the grid through :func:`divgan.sweep.run_sweep`, write the table and the plot.

    ``workers`` as in ``run_sweep`` (default one Dask worker per core, 0 in this process);
    ``store`` defaults to ``OUT_DIR/critic_validation[_quick].duckdb``. ``from_store``: compute
    nothing, write the outputs from the newest stored row of each cell (whatever divgan code
    computed it; the Markdown names the versions). A failed cell is a ``RuntimeError`` naming
    it: the study's table needs every cell.
    """
    from divgan.sweep import SweepStore, code_version, run_sweep

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = build_spec(settings)
    store = Path(store) if store is not None else out_dir / f"{spec.name}.duckdb"
    t0 = time.perf_counter()
    if not from_store:
        run_sweep(spec, store, workers=workers, progress="auto" if progress else False)
    with SweepStore(store, read_only=True) as db:
        if from_store:
            stored = _newest_rows(db, spec)
        else:
            keys = {c.key(code_version()) for c in spec.cells}
            stored = [r for r in db.rows() if r["key"] in keys]
    failed = [r for r in stored if r["error"] is not None]
    if failed:
        r = failed[0]
        raise RuntimeError(f"{len(failed)} cell(s) failed, e.g. {r['family']} {r['param']:g} "
                           f"n={r['n']} {r['method']} seed={r['seed']}: {r['error']}")
    rows, knn_lines = [], []
    for family in FAMILIES:
        for param in settings.params[family]:
            for n in settings.ns:
                cell_rows = sorted((r for r in stored if (r["family"], r["param"], r["n"])
                                    == (family, float(param), n)), key=lambda r: r["seed"])
                exact = {q: cell_rows[0][col] for q, col in EXACT_COLUMN.items()}
                per_method: dict = {}
                knn = []
                for r in cell_rows:
                    recs, knn_rec = records_from_row(r)
                    for rec in recs:
                        per_method.setdefault(rec["method"], []).append(rec)
                    if knn_rec is not None:
                        knn.append(knn_rec)
                for key, label, quantity in METHODS:
                    if key not in per_method:
                        continue
                    row = summarise(per_method[key], exact[quantity])
                    row.update(family=family, param=param, n=n, method=key, label=label,
                               quantity=quantity)
                    rows.append(row)
                if knn:
                    est = np.array([k["estimate"] for k in knn])
                    knn_lines.append({
                        "param": param, "n": n, "mean": float(est.mean()),
                        "sd": float(est.std(ddof=1)) if len(est) > 1 else math.nan,
                        "flagged": float(np.mean([k["disjoint"] for k in knn])),
                        "all_inf": all(math.isinf(k["value"]) for k in knn),
                        "growth": float(np.mean([k["growth"] for k in knn]))})
    suffix = "_quick" if settings.quick else ""
    png = out_dir / f"critic_validation{suffix}.png"
    md = out_dir / f"critic_validation{suffix}.md"
    plot(rows, png)
    wall = time.perf_counter() - t0
    cpu_s = sum(r["wall_s"] or 0.0 for r in stored)
    versions = sorted({r["divgan_version"] for r in stored})
    md.write_text(render_md(rows, knn_lines, settings, wall, png.name, cpu_s=cpu_s,
                            versions=versions, from_store=from_store), encoding="utf-8")
    return StudyResult(rows=rows, knn_lines=knn_lines, md_path=md, png_path=png,
                       store_path=store, wall_s=wall, settings=settings)


# --------------------------------------------------------------------------- outputs
def _fmt(x, digits=4) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "—"
    if isinstance(x, float) and math.isinf(x):
        return "∞"
    return f"{x:.{digits}g}"


def _sci(x) -> str:
    return "— (not computed)" if math.isnan(x) else f"{x:.1e}"


def _pct(x) -> str:
    return "—" if math.isnan(x) else f"{100 * x:.0f}%"


def _signed_pct(x) -> str:
    return "—" if math.isnan(x) else f"{100 * x:+.2f}%"


def _git_commit() -> str:
    def git(*args):
        return subprocess.run(["git", *args], cwd=HERE, capture_output=True, text=True,
                              timeout=10, check=False).stdout.strip()

    try:
        head, dirty = git("rev-parse", "--short", "HEAD"), git("status", "--porcelain")
    except (OSError, subprocess.SubprocessError):
        return "unknown (git not available)"
    if not head:
        return "unknown (not a git checkout)"
    return head + (" with uncommitted changes in the working tree" if dirty else "")


def _span(vals, *, signed=True, pct=True) -> str:
    """'lo to hi' of the finite values, as signed percentages, percentages or numbers."""
    vals = [v for v in vals if not math.isnan(v)]
    if not vals:
        return "— (not measured in this run)"

    def f(v):
        return (f"{100 * v:+.1f}%" if signed else f"{100 * v:.0f}%") if pct else f"{v:.3g}"

    lo, hi = min(vals), max(vals)
    return f(lo) if f(lo) == f(hi) else f"{f(lo)} to {f(hi)}"


def _by_panel(rows, key) -> str:
    """'θ = 0.1: +1.2%, ...': the mean over n of ``key`` for each family and parameter."""
    panels = sorted({(r["family"], r["param"]) for r in rows},
                    key=lambda fp: (FAMILIES.index(fp[0]), fp[1]))
    return ", ".join(
        f"{PARAM_NAMES[f]} = {p:g}: "
        f"{100 * np.mean([r[key] for r in rows if (r['family'], r['param']) == (f, p)]):+.1f}%"
        for f, p in panels)


def findings(rows: list, knn_lines: list) -> list[str]:
    """Measured statements, every number filled in from the rows of this run."""
    out = []
    by = {m: [r for r in rows if r["method"] == m] for m, _, _ in METHODS}

    def gauss(sel):
        return [r for r in sel if r["family"] == "gauss"]

    def lines(sel):
        return [r for r in sel if r["family"] == "lines"]

    if by["gp"]:
        out.append(
            f"**Critic gp, de-biased** (value − 2λ·penalty): relative bias per cell "
            f"{_span([r['rel_bias'] for r in by['gp']])}, mean over n by panel "
            f"{_by_panel(by['gp'], 'rel_bias')}; paired gap to the held-out samples' exact W1 "
            f"per cell: Gaussians {_span([r['heldout_gap'] for r in gauss(by['gp'])])}, lines "
            f"{_span([r['heldout_gap'] for r in lines(by['gp'])])} (on the lines at small θ "
            f"and n the held-out samples' W1 carries the plug-in's own upward bias, see the "
            f"plug-in rows, which a critic trained on other points does not share).")
    if by["gp_raw"]:
        mus = sorted({r["param"] for r in by["gp_raw"] if r["family"] == "gauss"})
        theory = ", ".join(f"μ = {m:g}: {100 * (gp_raw_theory(m) / m - 1):+.1f}%"
                           for m in mus) or "— (no Gaussian cell)"
        out.append(
            f"**Critic gp, raw dual value**: relative bias by panel "
            f"{_by_panel(by['gp_raw'], 'rel_bias')} (per cell "
            f"{_span([r['rel_bias'] for r in by['gp_raw']])}); paired gap to the held-out W1 "
            f"by Gaussian panel {_by_panel(gauss(by['gp_raw']), 'heldout_gap')}. The 1-D "
            f"theory of the penalised optimum, W1 + (1/2λ)∫(F_r−F_g)²/ρ at λ = "
            f"{GP_WEIGHT:g}, predicts {theory}; the de-biasing V − 2λP removes that term.")
    if by["sn"]:
        out.append(
            f"**Critic sn** (divided by the exact spectral norms: 1-Lipschitz, a lower "
            f"bound): relative bias {_span([r['rel_bias'] for r in by['sn']])}, by panel "
            f"{_by_panel(by['sn'], 'rel_bias')}; paired gap "
            f"{_span([r['heldout_gap'] for r in by['sn']])}; at or below the held-out W1 in "
            f"{_span([r['below_heldout'] for r in by['sn']], signed=False)} of runs per cell.")
    if by["clip"]:
        out.append(
            f"**Critic clip** (raw value K·W1 with K = "
            f"{_span([r['raw_ratio'] for r in by['clip']], pct=False)}, divided by the "
            f"largest measured slope): "
            f"relative bias {_span([r['rel_bias'] for r in by['clip']])}, by panel "
            f"{_by_panel(by['clip'], 'rel_bias')}; at or below the held-out W1 in "
            f"{_span([r['below_heldout'] for r in by['clip']], signed=False)} and at or below "
            f"the exact W1 in {_span([r['below'] for r in by['clip']], signed=False)} of runs "
            f"per cell. A bound, not an estimate: read its ≤ columns, not its coverage.")
    if by["plugin"]:
        ns = sorted({r["n"] for r in by["plugin"]})
        per_n = "; ".join(
            f"n = {n}: {_span([r['rel_bias'] for r in by['plugin'] if r['n'] == n])}"
            for n in ns)
        above = [1 - r["below"] for r in by["plugin"]]
        sd_l = [r["sd"] / r["exact"] for r in by["plugin"] if r["family"] == "lines"]
        pl = [r for r in by["plugin"] if r["family"] == "lines"]
        lines_pred = "; ".join(
            f"θ = {r['param']:g}, n = {r['n']}: predicted "
            f"{100 / (6 * r['n'] * r['param'] ** 2):+.2f}%, measured {100 * r['rel_bias']:+.2f}%"
            for r in pl if r["param"] == min(q["param"] for q in pl)) or "no lines cell"
        sd_g = [r["sd"] / r["exact"] for r in by["plugin"] if r["family"] == "gauss"]
        out.append(
            f"**Plug-in exact OT** on all n points: relative bias {per_n}; above the truth in "
            f"{_span(above, signed=False)} of runs per cell; sd over seeds / exact: lines "
            f"{_span(sd_l, pct=False)}, Gaussians {_span(sd_g, pct=False)}. On the lines the "
            f"bias is clear and second order: sorted heights differ by Δ with E Δ² ≈ 1/(3n), "
            f"so the bias ≈ E Δ²/(2θ) = 1/(6nθ), falling like 1/n ({lines_pred}); the "
            f"O(n^-1/2) rate is for θ = 0. On the Gaussians the noise swamps it.")
    if by["js"]:
        js_l = [r for r in by["js"] if r["family"] == "lines"]
        js_g = [r for r in by["js"] if r["family"] == "gauss"]
        out.append(
            f"**Discriminator JS** (a lower bound in expectation): on the lines "
            f"{_span([r['rel_bias'] for r in js_l])} from log 2 for every θ (at or below log 2 "
            f"in {_span([r['below'] for r in js_l], signed=False)} of runs), so it carries no "
            f"information about θ while W1 does (L13); on the Gaussians "
            f"{_span([r['rel_bias'] for r in js_g])}, by panel "
            f"{_by_panel(js_g, 'rel_bias') if js_g else '—'}.")
    with_ci = [r for r in rows if not math.isnan(r["coverage"])]
    if with_ci:
        def cov(m, fam):
            return _span([r["coverage"] for r in by[m] if r["family"] == fam], signed=False)

        def width(fam):
            sel = [r for r in with_ci if r["family"] == fam and r["n_seeds"] > 2 and r["sd"] > 0]
            vals = [r["ci_width"] / (2 * 1.96 * r["sd"]) for r in sel]
            return (f"{_span(vals, pct=False)} (median {np.median(vals):.2g})" if vals
                    else _span(vals))

        out.append(
            f"**Coverage** of the 95% bootstrap CIs of the exact value, per cell: lines gp "
            f"{cov('gp', 'lines')}, sn {cov('sn', 'lines')}, clip {cov('clip', 'lines')}, JS "
            f"{cov('js', 'lines')}; Gaussians gp {cov('gp', 'gauss')}, sn {cov('sn', 'gauss')}, "
            f"clip {cov('clip', 'gauss')}, JS {cov('js', 'gauss')}. The bootstrap resamples "
            f"the held-out half with the trained network fixed: it covers that half's sampling "
            f"noise, not the spread between trainings nor the network's bias. CI width / "
            f"(2·1.96·sd over seeds): lines {width('lines')}, Gaussians {width('gauss')} (1: "
            f"the CI is as wide as the spread over seeds; below 1 it is too narrow). On the "
            f"lines a good critic is nearly constant along each line, so the held-out noise "
            f"and the CI are tiny and any training error shows as a miss.")
    if knn_lines:
        first = knn_lines[0]["param"]
        grow = ", ".join(f"{k['mean']:.1f}" for k in knn_lines if k["param"] == first)
        out.append(
            f"**kNN KL on the lines** (truth +∞): the raw k = 1 estimate is finite and grows "
            f"with n ({grow} at θ = {first:g}); the disjointness flag fired in "
            f"{_span([k['flagged'] for k in knn_lines], signed=False)} of runs per cell, "
            f"turning the reported value into ∞. On the Gaussians (exact μ²/2) its relative "
            f"bias was {_span([r['rel_bias'] for r in by['knn']])} per cell.")
    return out


def render_md(rows, knn_lines, settings: Settings, wall: float, png_name: str, *,
              cpu_s: float = math.nan, versions=(), from_store: bool = False) -> str:
    from divgan.sweep.cells import LINES_SORTED_ABOVE

    seeds = settings.seeds
    pot_gaps = max([r["pot_gap"] for r in rows if not math.isnan(r["pot_gap"])],
                   default=math.nan)
    cmd = "python analysis/critic_validation.py" + (" --quick" if settings.quick else "") \
        + ("" if settings.quick or len(seeds) == DEFAULT_SEEDS else f" --seeds {len(seeds)}")
    steps = "the estimators' defaults (gp 2000, sn 2000, clip 1500 steps; JS 1000)" \
        if settings.steps is None else f"reduced for a smoke run: {settings.steps}"
    title = "# Trained estimators against the exact values"
    if settings.quick:
        title += " (QUICK smoke run: short fits, not the study)"
    now = datetime.datetime.now(datetime.timezone.utc)
    cpu = platform.processor() or platform.machine()
    lines = [
        title,
        "",
        f"- Command: `{cmd}` ({len(seeds)} seeds: {list(seeds)})",
        f"- Date: {now:%Y-%m-%d %H:%M} UTC; git commit: {_git_commit()}",
        (f"- Written from the store (`--from-store`: no cell computed in this run); "
         f"{cpu_s:.0f} s of compute summed over its cells" if from_store else
         f"- Wall time: {wall:.0f} s on {os.cpu_count()} CPU cores shared with other jobs "
         f"({cpu}), torch on one thread, CPU only; cells run through `divgan.sweep`, "
         f"{cpu_s:.0f} s of compute summed over cells (cells already in the store from an "
         f"earlier run are read back, not recomputed)"),
        f"- Cells computed by divgan {', '.join(versions) or 'unknown'} (`divgan_version`)",
        (f"- Training steps: {steps}; 95% percentile bootstrap, "
         f"{settings.n_resamples} resamples"),
        ("- n = points drawn from each distribution. The networks train on n/2 of each and "
         "are read (value and CI) on the other n/2; plug-in OT and kNN use all n."),
        ("- Exact values: lines W1 = |θ|, JS = log 2, KL = ∞ "
         "(`divgan.theory.hyperplanes(2, θ)`); Gaussians W1 = μ, KL = μ²/2, JS by "
         "quadrature (`divgan.theory.shifted(1, μ)`)."),
        ("- Plug-in OT on the lines: POT's network simplex (`divgan.wasserstein."
         f"wasserstein_distance`) for n ≤ {LINES_SORTED_ABOVE}, the sorted matching of heights "
         "above (exact: the cost √(θ² + Δy²) is convex in Δy); where both ran the largest "
         f"difference was {_sci(pot_gaps)}."),
        "",
        ("Columns: estimate = mean ± sd over seeds; CI width = mean width of the 95% CI; "
         "coverage = fraction of seeds whose CI contains the exact value; ≤ exact = fraction "
         "of seeds whose value is at or below the exact value (the check for a lower bound: "
         "sn, clip, JS); rel. bias = (mean − exact) / exact. Paired columns (critic rows): "
         "gap to held-out W1 = mean over seeds of (estimate − exact W1 of the held-out halves "
         "the critic was read on) / exact, which removes most of the sampling noise shared by "
         "both (that W1 is the most any 1-Lipschitz critic can score on those points; it is "
         "itself biased upward like the plug-in rows, which matters on the lines at small θ "
         "and n); ≤ held-out W1 = fraction of seeds at or below it (the sample-level check "
         "of a lower bound: a 1-Lipschitz critic's held-out dual value cannot exceed it; "
         "compared to float64 rounding, 1e-12 relative). "
         "— = not applicable."),
        "",
        ("| family | param | n | method | exact | estimate (mean ± sd) | CI width | coverage "
         "| ≤ exact | rel. bias | gap to held-out W1 | ≤ held-out W1 |"),
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        kind = " (lower bound)" if r["method"] in LOWER_BOUNDS else ""
        lines.append(
            f"| {FAMILY_NAMES[r['family']]} | {PARAM_NAMES[r['family']]} = {r['param']:g} | "
            f"{r['n']} | {r['label']}{kind}, {r['quantity']} | {_fmt(r['exact'])} | "
            f"{_fmt(r['mean'])} ± {_fmt(r['sd'], 2)} | {_fmt(r['ci_width'], 2)} | "
            f"{_pct(r['coverage'])} | {_pct(r['below'])} | {100 * r['rel_bias']:+.2f}% | "
            f"{_signed_pct(r['heldout_gap'])} | {_pct(r['below_heldout'])} |")
    if knn_lines:
        lines += [
            "", "## kNN KL on the parallel lines (exact KL = ∞)", "",
            ("| θ | n | raw k=1 estimate (mean ± sd) | growth per doubling of n | flagged "
             "disjoint | reported value |"),
            "|---|---:|---:|---:|---:|---|",
        ]
        for k in knn_lines:
            lines.append(f"| {k['param']:g} | {k['n']} | {k['mean']:.2f} ± {_fmt(k['sd'], 2)} | "
                         f"{k['growth']:.2f} | {_pct(k['flagged'])} | "
                         f"{'∞ in every run' if k['all_inf'] else 'finite in some runs'} |")
    lines += ["", "## Findings (numbers from this run)", ""]
    lines += [f"- {s}" for s in findings(rows, knn_lines)]
    lines += ["", f"![estimate / exact against n]({png_name})", ""]
    return "\n".join(lines)


def plot(rows: list, path: Path) -> None:
    """Estimate / exact (mean ± sd over seeds) against n, one panel per family and parameter."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = sorted({(r["family"], r["param"]) for r in rows},
                    key=lambda fp: (FAMILIES.index(fp[0]), fp[1]))
    ncols = min(2, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.2 * ncols, 4.2 * nrows), squeeze=False)
    keys = [k for k, _, _ in METHODS]
    colours = dict(zip(keys, plt.get_cmap("tab10").colors))
    for ax, (family, param) in zip(axes.flat, panels):
        for j, key in enumerate(keys):
            sel = [r for r in rows if (r["family"], r["param"], r["method"]) == (family, param,
                                                                                   key)]
            if not sel:
                continue
            jitter = 1.0 + 0.035 * (j - (len(keys) - 1) / 2)
            ns = np.array([r["n"] for r in sel], dtype=float) * jitter
            mean = np.array([np.mean(r["ratios"]) for r in sel])
            sd = np.array([np.std(r["ratios"], ddof=1) if len(r["ratios"]) > 1 else 0.0
                           for r in sel])
            ax.errorbar(ns, mean, yerr=sd, marker="o", ms=4, capsize=3, color=colours[key],
                        label=f"{LABELS[key]} ({QUANTITY[key]})")
        ax.axhline(1.0, color="black", lw=1, ls="--", label="exact")
        ax.set_xscale("log")
        ticks = sorted({r["n"] for r in rows})
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.minorticks_off()
        ax.set_xlabel("n (points per distribution)")
        ax.set_ylabel("estimate / exact value")
        ax.set_title(f"{FAMILY_NAMES[family]}, {PARAM_NAMES[family]} = {param:g}")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    for ax in list(axes.flat)[1:len(panels)]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle("Trained estimators vs exact values (mean ± sd over seeds)")
    fig.tight_layout(rect=(0, 0.08 if nrows > 1 else 0.14, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)


# --------------------------------------------------------------------------- CLI
def settings_from_args(args) -> Settings:
    if args.quick:
        s = Settings(params={"lines": (0.5,), "gauss": (1.0,)}, ns=(500,), seeds=(0, 1),
                     steps={"gp": 500, "sn": 500, "clip": 400, "js": 300}, n_resamples=300,
                     quick=True)
    else:
        s = Settings(params={"lines": (0.1, 0.5), "gauss": (0.5, 2.0)},
                     ns=(500, 2000, 8000), seeds=tuple(range(DEFAULT_SEEDS)))
    if args.seeds is not None:
        s = Settings(s.params, s.ns, tuple(range(args.seeds)), s.steps, s.n_resamples, s.quick)
    if args.n is not None:
        s = Settings(s.params, tuple(args.n), s.seeds, s.steps, s.n_resamples, s.quick)
    if args.steps is not None:
        s = Settings(s.params, s.ns, s.seeds, dict.fromkeys(("gp", "sn", "clip", "js"),
                                                            args.steps), s.n_resamples, s.quick)
    return s


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def main(argv=None) -> StudyResult:
    """Command line: ``[--quick] [--seeds K] [--out DIR] [--workers N] [--store FILE]
    [--from-store]`` (``--n``, ``--steps`` for smoke runs)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: one parameter per family, n = 500, 2 seeds, short fits")
    parser.add_argument("--seeds", type=_positive, default=None,
                        help=f"number of seeds (0..K-1); default {DEFAULT_SEEDS} (quick: 2)")
    parser.add_argument("--out", type=Path, default=HERE / "results",
                        help="output folder (default: analysis/results next to this script)")
    parser.add_argument("--n", type=_positive, nargs="+", default=None,
                        help="sample sizes per distribution (default 500 2000 8000)")
    parser.add_argument("--steps", type=_positive, default=None,
                        help="training steps for every network (default: the estimators')")
    parser.add_argument("--workers", type=int, default=None,
                        help="Dask worker processes (default: one per core; 0: in this "
                             "process, without Dask)")
    parser.add_argument("--store", type=Path, default=None,
                        help="the DuckDB store (default: OUT/critic_validation[_quick].duckdb)"
                             "; cells already in it are not recomputed")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--from-store", action="store_true",
                        help="compute nothing: write the table and plot from the newest stored "
                             "row of each cell (e.g. after a change to divgan, whose cell keys "
                             "follow its code)")
    args = parser.parse_args(argv)
    result = run_study(settings_from_args(args), args.out, progress=not args.no_progress,
                       workers=args.workers, store=args.store, from_store=args.from_store)
    print(f"wrote {result.md_path} and {result.png_path}; wall time {result.wall_s:.1f} s")
    return result


if __name__ == "__main__":
    main()
