"""Sweeps end to end: serial vs Dask equality, resume after SIGKILL, a worker killed
mid-cell, bad specs and stores (exit 2, nothing written), failed cells, the report.

Oracles: the serial in-process run is the reference the Dask runs must match bit for bit
(a cell is a pure function of its parameters); the set of keys a complete store must hold
is computed from the spec; the report's means are recomputed here with numpy from the raw
rows, its exact column from the closed forms.
"""
from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("distributed")
pytest.importorskip("torch")

import divgan  # noqa: E402
from divgan.cli import main  # noqa: E402
from divgan.sweep import code_version, load_spec, parse_spec, run_sweep, write_report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "analysis" / "specs" / "smoke.toml"
# what a cell computes, compared bit for bit; times, worker and wall time vary by design
RESULT = ("key", "family", "param", "d", "n", "method", "seed", "steps", "value", "ci_low",
          "ci_high", "exact", "diagnostics", "kind", "error")
TINY = """
name = "tiny"
n = [64]
seeds = [0, 1]
methods = ["gp", "plugin"]
[estimator]
steps = {gp = %d}
n_resamples = 50
[families.gauss]
mu = [1.0]
"""


def _write_spec(tmp_path, steps=40, name="tiny.toml") -> Path:
    path = tmp_path / name
    path.write_text(TINY % steps, encoding="utf-8")
    return path


def _rows(store) -> list[dict]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        cur = con.execute("SELECT * FROM cells ORDER BY key")
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()


def _results(store) -> list[tuple]:
    return [tuple(r[k] for k in RESULT) for r in _rows(store)]


def _expected_keys(spec_path) -> set[str]:
    return {c.key(code_version()) for c in load_spec(spec_path).cells}


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    env["OMP_NUM_THREADS"] = "1"
    return env


def _divgan(*args) -> list[str]:
    return [sys.executable, "-c", "import sys; from divgan.cli import main; "
            "sys.exit(main(sys.argv[1:]))", *args]


@pytest.fixture(scope="module")
def serial_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serial")
    spec = _write_spec(tmp)
    summary = run_sweep(spec, tmp / "serial.duckdb", workers=0, progress=False)
    assert summary.computed == 4 and summary.failed == 0
    return spec, tmp / "serial.duckdb"


def test_two_dask_workers_give_the_serial_rows_bit_for_bit(serial_store, tmp_path):
    """About 15 s: a 2-worker LocalCluster, 4 cells (2 train a critic)."""
    spec, serial = serial_store
    summary = run_sweep(spec, tmp_path / "dask.duckdb", workers=2, progress=False)
    assert (summary.computed, summary.failed) == (4, 0)
    assert _results(tmp_path / "dask.duckdb") == _results(serial)
    assert {r["key"] for r in _rows(serial)} == _expected_keys(spec)


@pytest.mark.slow
def test_smoke_spec_serial_and_two_workers_are_bit_equal(tmp_path):
    """The shipped smoke grid (12 cells), in this process and on 2 Dask workers, then its
    report (~40 s)."""
    a = run_sweep(SMOKE, tmp_path / "a.duckdb", workers=0, progress=False)
    b = run_sweep(SMOKE, tmp_path / "b.duckdb", workers=2, progress=False)
    assert a.failed == b.failed == 0 and a.computed == b.computed == len(load_spec(SMOKE).cells)
    assert _results(tmp_path / "a.duckdb") == _results(tmp_path / "b.duckdb")
    # divgan report on the smoke store: the table (one line per family, parameter, d, n and
    # method: 2 data points x 3 methods in the shipped grid) and the figure
    assert main(["report", str(tmp_path / "b.duckdb"), "--out", str(tmp_path / "rep")]) == 0
    md = (tmp_path / "rep" / "b.md").read_text(encoding="utf-8")
    groups = {(c.family, c.param, c.d, c.n, c.method) for c in load_spec(SMOKE).cells}
    assert sum(ln.startswith(("| lines", "| shifted")) for ln in md.splitlines()) == len(groups)
    assert (tmp_path / "rep" / "b.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rerun_skips_stored_cells_and_force_recomputes(serial_store, tmp_path):
    spec, serial = serial_store
    store = tmp_path / "s.duckdb"
    first = run_sweep(spec, store, workers=0, progress=False)
    again = run_sweep(spec, store, workers=0, progress=False)
    assert (again.skipped, again.computed) == (4, 0)
    before = _rows(store)
    forced = run_sweep(spec, store, workers=0, force=True, progress=False)
    after = _rows(store)
    assert forced.computed == 4 and len(after) == 4 == first.computed
    # recomputed (new start times), same numbers
    assert [r["started"] for r in after] != [r["started"] for r in before]
    assert _results(store) == _results(serial)


def test_changed_divgan_code_recomputes_every_cell(serial_store, tmp_path, monkeypatch):
    from divgan.sweep import runner

    spec, serial = serial_store
    version = code_version()
    assert re.fullmatch(re.escape(divgan.__version__) + r"\+src\.[0-9a-f]{12}", version)
    assert {r["divgan_version"] for r in _rows(serial)} == {version}
    store = tmp_path / "s.duckdb"
    run_sweep(spec, store, workers=0, progress=False)
    monkeypatch.setattr(runner, "code_version", lambda: version + "-edited")
    rerun = run_sweep(spec, store, workers=0, progress=False)
    assert (rerun.skipped, rerun.computed) == (0, 4)  # old rows stay, keyed by the old code
    assert sorted(r["divgan_version"] for r in _rows(store)) == [version] * 4 + [
        version + "-edited"] * 4
    # the report counts each cell once, its newest row
    rep = write_report(store, tmp_path / "rep")
    assert sum(r["runs"] + r["failed"] for r in rep.rows) == 4
    assert {r["versions"] for r in rep.rows} == {version + "-edited"}
    assert f"Computed by divgan {version}-edited (" in rep.md_path.read_text(encoding="utf-8")


def test_resume_after_sigkill_stores_every_cell_once_and_keeps_stored_rows(tmp_path):
    """Kill the sweep (SIGKILL, in-process cells) after two cells are stored, run it again."""
    spec = tmp_path / "resume.toml"
    spec.write_text((TINY % 200).replace("seeds = [0, 1]", "seeds = [0, 1, 2]"),
                    encoding="utf-8")
    store = tmp_path / "resume.duckdb"
    proc = subprocess.Popen(_divgan("sweep", str(spec), "--store", str(store), "--workers", "0"),
                            stderr=subprocess.PIPE, text=True, env=_env())
    seen = 0
    for line in proc.stderr:
        seen += line.startswith("[")
        if seen == 2:  # two cells committed: each line is printed after its transaction
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    assert seen == 2 and proc.returncode == -signal.SIGKILL
    kept = {r["key"]: r for r in _rows(store)}
    assert 2 <= len(kept) < 6
    assert main(["sweep", str(spec), "--store", str(store), "--workers", "0",
                 "--no-progress"]) == 0
    rows = _rows(store)
    assert sorted(r["key"] for r in rows) == sorted(_expected_keys(spec))  # each exactly once
    for r in rows:
        if r["key"] in kept:
            assert r == kept[r["key"]]  # not recomputed: start time and values unchanged


@pytest.mark.slow
def test_worker_killed_mid_cell_is_retried_and_stored_once(serial_store, tmp_path):
    """A running cluster (2 workers behind nannies); SIGKILL the worker running a critic fit.
    Dask reruns that cell elsewhere; the sweep ends with every cell once, the same numbers
    (about 40 s on 2 loaded cores)."""
    from distributed import Client, LocalCluster

    spec = _write_spec(tmp_path, steps=2000, name="long.toml")
    store = tmp_path / "killed.duckdb"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        proc = subprocess.Popen(_divgan("sweep", str(spec), "--store", str(store),
                                        "--scheduler", cluster.scheduler_address),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=_env())
        victim, deadline = None, time.monotonic() + 120
        while victim is None and time.monotonic() < deadline:
            executing = client.run(lambda dask_worker: [
                str(ts.key) for ts in dask_worker.state.executing])
            for address, keys in executing.items():
                if keys:
                    victim, victim_key = address, keys[0]
            time.sleep(0.2)
        assert victim is not None, "no cell started within 2 minutes"
        time.sleep(0.5)  # well inside a 2000-step fit (several seconds)
        pid = client.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    rows = _rows(store)
    assert sorted(r["key"] for r in rows) == sorted(_expected_keys(spec))
    assert all(r["error"] is None for r in rows)
    # the cell that was running when its worker died was stored from another process
    retried = next(r for r in rows if victim_key == f"divgan-cell-{r['key']}")
    assert retried["worker"].rsplit(":", 1)[1] != str(pid)
    # the retried cell's numbers equal a serial run's (a cell is a pure function)
    serial = tmp_path / "long-serial.duckdb"
    run_sweep(spec, serial, workers=0, progress=False)
    assert _results(store) == _results(serial)


def _one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("text, words", [
    ("n = [1]\nseeds=[0]\nmethods=['plugin']\n[families.gauss]\nmu=[1.0]\n", ["spec n"]),
    ("n = [10]\nseeds=[0]\nmethods=['wgan']\n[families.gauss]\nmu=[1.0]\n", ["'wgan'"]),
    ("n = [10]\nseeds=[]\nmethods=['plugin']\n[families.gauss]\nmu=[1.0]\n", ["spec seeds"]),
    ("n = [10\n", ["not valid TOML"]),
])
def test_bad_spec_exit_2_one_line_nothing_written(tmp_path, capsys, text, words):
    spec = tmp_path / "bad.toml"
    spec.write_text(text, encoding="utf-8")
    store = tmp_path / "out.duckdb"
    assert main(["sweep", str(spec), "--store", str(store), "--workers", "0"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("divgan sweep: error:") and all(w in line for w in words)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_store_that_is_not_duckdb_exit_2_untouched(tmp_path, capsys):
    spec = _write_spec(tmp_path)
    store = tmp_path / "results.duckdb"
    store.write_text("family,value\nlines,0.5\n", encoding="utf-8")
    assert main(["sweep", str(spec), "--store", str(store), "--workers", "0"]) == 2
    assert "not a DuckDB database" in _one_line(capsys.readouterr().err)
    assert store.read_text(encoding="utf-8") == "family,value\nlines,0.5\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.duckdb", "tiny.toml"]


def test_read_only_store_and_folder_exit_2_nothing_written(serial_store, tmp_path, capsys):
    spec, serial = serial_store
    store = tmp_path / "ro.duckdb"
    store.write_bytes(serial.read_bytes())
    store.chmod(0o444)
    before = (store.read_bytes(), store.stat().st_mtime_ns)
    try:
        assert main(["sweep", str(spec), "--store", str(store), "--workers", "0",
                     "--force"]) == 2
        assert "read-only" in _one_line(capsys.readouterr().err)
        assert (store.read_bytes(), store.stat().st_mtime_ns) == before
    finally:
        store.chmod(0o644)
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert main(["sweep", str(spec), "--store", str(folder / "new.duckdb"),
                     "--workers", "0"]) == 2
        assert "read-only" in _one_line(capsys.readouterr().err)
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_failed_cells_are_stored_with_their_error_and_exit_1(tmp_path, capsys):
    """n = 2 is too few for a critic (>= 4 points each): the gp cells fail, plug-in runs."""
    spec = tmp_path / "fail.toml"
    spec.write_text("n = [2]\nseeds = [0]\nmethods = ['gp', 'plugin']\n"
                    "[estimator]\nsteps = 5\n[families.gauss]\nmu = [1.0]\n", encoding="utf-8")
    store = tmp_path / "fail.duckdb"
    assert main(["sweep", str(spec), "--store", str(store), "--workers", "0",
                 "--no-progress"]) == 1
    assert "1 cell(s) failed" in capsys.readouterr().err
    rows = {r["method"]: r for r in _rows(store)}
    assert rows["gp"]["value"] is None and rows["gp"]["error"].startswith("ValueError")
    assert rows["plugin"]["error"] is None and rows["plugin"]["value"] > 0


def test_report_writes_table_figure_and_parquet_from_the_store(serial_store, tmp_path, capsys):
    spec, serial = serial_store
    out = tmp_path / "rep"
    assert main(["report", str(serial), "--out", str(out), "--parquet"]) == 0
    md = (out / "serial.md").read_text(encoding="utf-8")
    assert (out / "serial.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    raw = _rows(serial)
    data = [ln for ln in md.splitlines() if ln.startswith("| gauss |")]
    assert len(data) == 2  # one line per (family, param, d, n, method)
    for ln in data:
        cells = [c.strip() for c in ln.strip("|").split("|")]
        method = "gp" if cells[4].startswith("critic gp") else "plugin"
        values = [r["value"] for r in raw if r["method"] == method]
        # mean over the 2 seeds, recomputed with numpy; 4 significant digits in the table
        mean = float(cells[6].split(" ± ")[0])
        assert math.isclose(mean, float(np.mean(values)), rel_tol=5e-4)
        # exact W1 of N(0,1) vs N(1,1) is the shift, 1 (the quantile functions differ by 1)
        assert float(cells[5]) == 1.0
        assert cells[-1] == "2 (0)"
        if method == "gp":  # paired gap: mean(estimate - held-out halves' W1) / exact (= 1)
            held = [json.loads(r["diagnostics"])["heldout_w1"] for r in raw
                    if r["method"] == "gp"]
            assert cells[11] == f"{100 * float(np.mean(np.subtract(values, held))):+.2f}%"
        else:
            assert cells[11] == cells[12] == "—"
    con = duckdb.connect()
    assert con.execute(f"SELECT count(*) FROM '{out / 'serial.parquet'}'").fetchone()[0] == 4


def test_report_on_missing_or_foreign_store_exit_2(tmp_path, capsys):
    assert main(["report", str(tmp_path / "none.duckdb")]) == 2
    assert "no such file" in _one_line(capsys.readouterr().err)
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    assert main(["report", str(other)]) == 2
    assert "no table 'cells'" in _one_line(capsys.readouterr().err)


def test_run_sweep_checks_its_arguments_before_any_work(tmp_path):
    spec = _write_spec(tmp_path)
    store = tmp_path / "x.duckdb"
    with pytest.raises(ValueError, match="workers must be >= 0, got -1"):
        run_sweep(spec, store, workers=-1)
    with pytest.raises(TypeError, match="workers must be an integer"):
        run_sweep(spec, store, workers=1.5)
    with pytest.raises(ValueError, match="device: got 'tpu'"):
        run_sweep(spec, store, device="tpu")
    assert not store.exists()


def test_device_cuda_without_a_gpu_is_exit_2(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    spec = _write_spec(tmp_path)
    assert main(["sweep", str(spec), "--store", str(tmp_path / "c.duckdb"),
                 "--device", "cuda"]) == 2
    assert "no CUDA device" in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "c.duckdb").exists()


def test_report_plots_against_d_when_the_grid_has_more_dimensions_than_sizes():
    from divgan.sweep import report

    rows = [dict(family="shifted", base="gaussian", param_name="shift", param=1.0, d=d, n=4000)
            for d in (1, 2, 4)]
    assert report._x_axis(rows) == "d"
    assert report._panel(rows[0], "d") == "shifted, gaussian, shift = 1, n = 4000"
    by_n = [dict(rows[0], n=n) for n in (500, 2000)]
    assert report._x_axis(by_n) == "n"
    assert report._panel(by_n[0], "n") == "shifted, gaussian, shift = 1, d = 1"
