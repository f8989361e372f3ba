"""The command line: values against scipy/POT/closed forms, and every error in the user's words.

Commands run in-process through ``divgan.cli.main([...])`` (exit code returned, output captured),
once through a real subprocess. Training runs are in tests/test_cli_train.py.
"""
import ast
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import ot
import pytest
import scipy.stats

from divgan._cli import common
from divgan._cli.common import byte_size, elapsed_line
from divgan.cli import build_parser, main

SRC = Path(__file__).resolve().parents[1] / "src" / "divgan"


def _save(tmp_path, name, arr):
    path = tmp_path / name
    np.save(path, arr)
    return path


def _value(out: str) -> float:
    """The number after the first '=' of a printed result line."""
    return float(out.split("=")[1].split()[0])


def _one_line_error(err: str, command: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"divgan {command}: error: "), err
    assert "Traceback" not in err
    return lines[0]


# --------------------------------------------------------------------------- values
def test_distance_1d_matches_scipy(tmp_path, capsys):
    rng = np.random.default_rng(0)
    u, v = rng.normal(0, 1, 300), rng.normal(1, 2, 200)
    a, b = _save(tmp_path, "a.npy", u), _save(tmp_path, "b.npy", v[:, None])  # (n,) and (m, 1)
    assert main(["distance", str(a), str(b)]) == 0
    # printed with 10 significant digits
    assert _value(capsys.readouterr().out) == pytest.approx(
        scipy.stats.wasserstein_distance(u, v), rel=1e-9)


def test_distance_2d_matches_pot(tmp_path, capsys):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(30, 2)) + 1
    a, b = _save(tmp_path, "x.npy", x), _save(tmp_path, "y.npy", y)
    assert main(["distance", str(a), str(b), "--p", "2"]) == 0
    exact = np.sqrt(ot.emd2(np.full(40, 1 / 40), np.full(30, 1 / 30), ot.dist(x, y)))
    assert _value(capsys.readouterr().out) == pytest.approx(exact, rel=1e-9)  # 10 digits


def test_distance_p_inf_in_1d_is_the_largest_quantile_gap(tmp_path, capsys):
    # Equal sample sizes: W_inf is the largest gap between the sorted samples (a closed form).
    rng = np.random.default_rng(2)
    u, v = rng.normal(size=50), rng.exponential(size=50)
    a, b = _save(tmp_path, "a.npy", u), _save(tmp_path, "b.npy", v)
    assert main(["distance", str(a), str(b), "--p", "inf"]) == 0
    assert _value(capsys.readouterr().out) == pytest.approx(
        np.max(np.abs(np.sort(u) - np.sort(v))), rel=1e-9)
    c, d = _save(tmp_path, "c.npy", rng.normal(size=(5, 2))), _save(tmp_path, "d.npy",
                                                                     rng.normal(size=(5, 2)))
    assert main(["distance", str(c), str(d), "--p", "inf"]) == 2
    assert "1-D samples only" in _one_line_error(capsys.readouterr().err, "distance")


def test_distance_sliced_is_labelled_and_matches_the_closed_form_of_a_shift(tmp_path, capsys):
    # FAKE = REAL moved by s: every projection is the same 1-D sample moved by <theta, s>, so its
    # W1 is exactly |<theta, s>| and SW1 = mean |<theta, s>| -> |s| E|cos phi| = 2|s|/pi for
    # directions uniform on the circle. Monte Carlo over 20000 directions: sd of |cos phi| is
    # 0.31, so the relative sd of the mean is 0.31 / 0.64 / sqrt(20000) = 0.34%; 2% is 6 sd.
    # The exact W1 of a shift is |s| (the mean moves by s; moving every point costs |s|).
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 2))
    s = np.array([3.0, 4.0])
    a, b = _save(tmp_path, "x.npy", x), _save(tmp_path, "y.npy", x + s)
    assert main(["distance", str(a), str(b), "--sliced", "--projections", "20000"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("SW_1 = ") and "a different quantity" in out
    sliced = _value(out)
    assert sliced == pytest.approx(2 * 5.0 / math.pi, rel=0.02)
    assert main(["distance", str(a), str(b)]) == 0
    exact = _value(capsys.readouterr().out)
    assert exact == pytest.approx(5.0, rel=1e-9)
    assert sliced <= exact


def test_distance_sliced_in_1d_is_w_p(tmp_path, capsys):
    # In 1-D the directions are +1 and -1, and W_p(-u, -v) = W_p(u, v): SW_p = W_p exactly.
    rng = np.random.default_rng(4)
    u, v = rng.normal(size=80), rng.normal(2, 1, size=70)
    a, b = _save(tmp_path, "a.npy", u), _save(tmp_path, "b.npy", v)
    assert main(["distance", str(a), str(b), "--sliced", "--seed", "1"]) == 0
    assert _value(capsys.readouterr().out) == pytest.approx(
        scipy.stats.wasserstein_distance(u, v), rel=1e-9)
    assert main(["distance", str(a), str(b), "--projections", "5"]) == 2  # without --sliced
    assert "--sliced" in _one_line_error(capsys.readouterr().err, "distance")


# --------------------------------------------------------------------------- memory, progress
def test_distance_refuses_exact_ot_over_the_memory_budget(tmp_path, capsys, monkeypatch):
    # 200 x 200 points need 41 * 200 * 200 = 1.64e6 bytes (the measured 41 bytes per pair):
    # refused under 1.6MB, solved under 1.7MB, and then equal to POT's value.
    solved = []
    import divgan.wasserstein

    real_solve = divgan.wasserstein.wasserstein_distance
    monkeypatch.setattr(divgan.wasserstein, "wasserstein_distance",
                        lambda *a, **k: solved.append(1) or real_solve(*a, **k))
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(200, 3)), rng.normal(size=(200, 3)) + 0.5
    a, b = _save(tmp_path, "x.npy", x), _save(tmp_path, "y.npy", y)
    assert main(["distance", str(a), str(b), "--max-memory", "1.6MB"]) == 2
    line = _one_line_error(capsys.readouterr().err, "distance")
    assert f"{41 * 200 * 200 / 2**20:.3g} MiB" in line
    assert "--sliced" in line and "subsample" in line and "--max-memory" in line
    assert not solved  # refused before solving
    assert main(["distance", str(a), str(b), "--max-memory", "1.7MB"]) == 0
    exact = ot.emd2(np.full(200, 1 / 200), np.full(200, 1 / 200), ot.dist(x, y, "euclidean"))
    assert _value(capsys.readouterr().out) == pytest.approx(exact, rel=1e-9)
    assert solved == [1]


def test_byte_sizes():
    # The units as documented: decimal KB/MB/GB, binary KiB/MiB/GiB and bare K/M/G.
    assert byte_size("4GiB") == 4 * 2**30 and byte_size("4G") == 4 * 2**30
    assert byte_size("1.5MB") == 1_500_000 and byte_size("2KiB") == 2048
    assert byte_size("123") == 123
    for bad in ("", "4 parsecs", "-1GB", "0", "nan"):
        with pytest.raises(Exception, match="memory size"):
            byte_size(bad)


def test_distance_shows_elapsed_time_on_a_large_problem(tmp_path, capsys, monkeypatch):
    # A "large" problem (threshold lowered to 1 pair) gets the elapsed-time line on stderr,
    # and stdout still holds the value alone.
    from divgan._cli import distance

    monkeypatch.setattr(distance, "LARGE_PROBLEM_PAIRS", 1)
    rng = np.random.default_rng(6)
    a = _save(tmp_path, "x.npy", rng.normal(size=(40, 2)))
    b = _save(tmp_path, "y.npy", rng.normal(size=(30, 2)))
    assert main(["distance", str(a), str(b)]) == 0
    captured = capsys.readouterr()
    assert "exact OT, 40 x 30 points" in captured.err and "done in" in captured.err
    assert captured.out.startswith("W_1 = ")


def test_elapsed_line_writes_while_the_block_runs():
    # The block waits until the indicator has written a tick: it can only finish if the
    # thread writes while the block is still running (10 s is a deadlock guard, not a timing).
    import threading

    class Stream:
        def __init__(self):
            self.parts, self.ticked = [], threading.Event()

        def write(self, text):
            self.parts.append(text)
            if "so far" in text:
                self.ticked.set()

        def flush(self):
            pass

    stream = Stream()
    with elapsed_line("solving", stream=stream, interval=0.01):
        assert stream.ticked.wait(10.0)
    assert stream.parts[0] == "solving ...\n" and "done in" in stream.parts[-1]
    with pytest.raises(KeyError), elapsed_line("failing", stream=stream, interval=5):
        raise KeyError("x")
    assert "stopped by an error" in stream.parts[-1]


# --------------------------------------------------------------------------- sample files
def test_sample_file_errors_say_what_was_found_and_what_is_expected(tmp_path, capsys):
    good = _save(tmp_path, "g.npy", np.zeros(3))
    text = tmp_path / "text.npy"
    text.write_text("1.0 2.0\n3.0 4.0\n")
    npz = tmp_path / "arrays.npz"
    np.savez(npz, first=np.zeros(3), second=np.ones(2))
    pickled = tmp_path / "obj.pkl"
    pickled.write_bytes(__import__("pickle").dumps([1.0, 2.0], protocol=4))
    objects = tmp_path / "objects.npy"
    np.save(objects, np.array([1.0, "a"], dtype=object), allow_pickle=True)
    strings = _save(tmp_path, "strings.npy", np.array(["a", "b"]))
    complex_ = _save(tmp_path, "complex.npy", np.array([1 + 2j]))
    damaged = tmp_path / "damaged.npy"
    damaged.write_bytes(_save(tmp_path, "whole.npy", np.arange(100.0)).read_bytes()[:200])
    empty = tmp_path / "empty.npy"
    empty.write_bytes(b"")
    nan = _save(tmp_path, "nan.npy", np.array([0.0, np.nan]))
    cases = [
        (tmp_path / "missing.npy", "no such file"),
        (tmp_path, "is a folder"),
        (text, "is a text file (it starts with '1.0 2.0')"),
        (npz, "is a .npz archive (numpy.savez) holding the arrays ['first', 'second']"),
        (pickled, "is a Python pickle"),
        (objects, "holds Python objects (dtype object)"),
        (strings, "holds text (dtype <U1), not real numbers"),
        (complex_, "holds complex numbers"),
        (damaged, "is a damaged .npy file"),
        (empty, "is empty (0 bytes)"),
        (nan, "FAKE must hold finite coordinates"),
    ]
    for bad, found in cases:
        assert main(["distance", str(good), str(bad)]) == 2, bad
        line = _one_line_error(capsys.readouterr().err, "distance")
        assert found in line, line
        assert "pickled (object) data" not in line, line  # numpy's words for any non-.npy
        if found not in ("no such file", "FAKE must hold finite coordinates"):
            assert line.startswith(f"divgan distance: error: FAKE: {bad}"), line
            assert "numpy.save" in line, line  # what is expected


# --------------------------------------------------------------------------- help and words
def _subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return parser, action.choices


def test_help_describes_every_argument_with_its_default():
    parser, commands = _subparsers()
    assert set(commands) == {"figures", "train", "estimate", "distance", "sweep", "report"}
    for name, sub in commands.items():
        for action in sub._actions:
            if action.dest == "help":
                continue
            assert action.help, f"divgan {name}: {action.dest} has no help"
            if action.option_strings and action.dest != "list":  # --list prints and exits
                assert "(default:" in action.help, f"divgan {name} {action.option_strings}"
        sub.format_help()  # formats without error
    for name in commands:  # each command's help is reachable from the command line
        with pytest.raises(SystemExit) as exc:
            parser.parse_args([name, "--help"])
        assert exc.value.code == 0


def test_help_defaults_are_the_library_defaults():
    # The step counts printed in --help must be the ones the library uses.
    from divgan.gan import _fitting
    from divgan.gan.critics import CRITIC_METHODS
    from divgan.gan.training import TrainConfig

    _, commands = _subparsers()
    steps = {a.dest: a.help for a in commands["train"]._actions}["steps"]
    for model in ("gan", "wgan", "aae"):
        assert f"{model} {TrainConfig.for_model(model).steps}" in steps
    steps = {a.dest: a.help for a in commands["estimate"]._actions}["steps"]
    assert f"js {_fitting._JS_STEPS}" in steps
    for name, method in CRITIC_METHODS.items():
        assert f"{name} {method.default_steps}" in steps


def test_method_choices_are_the_critic_registry():
    # --method is written out so --help needs no torch; it must list exactly the registered critics.
    from divgan.cli import CRITIC_METHOD_NAMES
    from divgan.gan.critics import CRITIC_METHODS

    _, commands = _subparsers()
    method = {a.dest: a for a in commands["estimate"]._actions}["method"]
    assert tuple(method.choices) == CRITIC_METHOD_NAMES
    assert set(CRITIC_METHOD_NAMES) == set(CRITIC_METHODS)


@pytest.mark.parametrize("argv, words", [
    (["train", "gan", "--steps", "0"], "argument --steps: expected a whole number >= 1, got 0"),
    (["train", "gan", "--seed", "-1"], "argument --seed: expected a whole number >= 0, got -1"),
    (["figures", "--seed", "abc"], "argument --seed: expected a whole number >= 0, got 'abc'"),
    (["distance", "a", "b", "--p", "0.5"], "argument --p: expected a number >= 1 or inf"),
    (["distance", "a", "b", "--max-memory", "lots"], "argument --max-memory: expected a memory"),
])
def test_bad_numbers_are_refused_by_the_parser_in_the_users_words(argv, words, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert words in capsys.readouterr().err


def test_estimate_checks_its_inputs_in_the_users_words(tmp_path, capsys):
    rng = np.random.default_rng(7)
    big, small = _save(tmp_path, "big.npy", rng.normal(size=50)), _save(tmp_path, "small.npy",
                                                                        rng.normal(size=3))
    flat = _save(tmp_path, "flat.npy", rng.normal(size=(50, 2)))
    cases = [
        (["estimate", str(big), str(small)], "FAKE has 3 point(s); divgan estimate needs at least 4"),
        (["estimate", str(small), str(big)], "REAL has 3 point(s)"),
        (["estimate", str(big), str(flat)],
         "REAL has 1 coordinate(s) per point and FAKE has 2; they must match"),
        (["estimate", str(big), str(big), "--quantity", "js", "--method", "sn"],
         "--quantity js trains a discriminator and has no --method"),
        (["estimate", str(big), str(big), "--folds", "40"],
         "REAL has 50 point(s); --folds 40 needs at least 80 (2 per fold)"),
    ]
    for argv, words in cases:
        assert main(argv + ["--device", "cpu", "--steps", "1"]) == 2
        line = _one_line_error(capsys.readouterr().err, "estimate")
        assert words in line
        for internal in ("x_real", "x_fake", "test_fraction", "raw_value", " y "):
            assert internal not in line


def test_estimate_cross_fits_with_folds(tmp_path, capsys):
    rng = np.random.default_rng(8)
    real = _save(tmp_path, "r.npy", rng.normal(size=(60, 2)))
    fake = _save(tmp_path, "f.npy", rng.normal(size=(60, 2)) + [2.0, 0.0])
    assert main(["estimate", str(real), str(fake), "--folds", "3", "--steps", "20",
                 "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "3 folds, every point read once" in out
    assert "interval: Student t over 3 cross-fitted folds" in out
    assert "on the held-out samples" not in out  # no one held-out sample to compare with


def test_failed_work_is_one_line_and_exit_code_1(tmp_path, capsys, monkeypatch):
    # A solver that stops short (divgan raises OptimalTransportError, a RuntimeError) is
    # reported in one line with exit code 1, not a traceback.
    import divgan.wasserstein

    def stops_short(*args, **kwargs):
        raise divgan.wasserstein.OptimalTransportError("POT's network simplex did not reach "
                                                       "optimality")

    monkeypatch.setattr(divgan.wasserstein, "wasserstein_distance", stops_short)
    a = _save(tmp_path, "x.npy", np.zeros((3, 2)))
    assert main(["distance", str(a), str(a)]) == 1
    assert "did not reach optimality" in _one_line_error(capsys.readouterr().err, "distance")


# --------------------------------------------------------------------------- output folder
def _read_only_folder(path: Path):
    """Make ``path`` unwritable; None when this user (root) can still write into it."""
    path.mkdir()
    path.chmod(0o555)
    if not common._writable(path):
        return lambda: path.chmod(0o755)
    # root ignores the mode; an immutable folder (chattr +i) stops root too, where allowed
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0:
        if not common._writable(path):
            return lambda: (subprocess.run(["chattr", "-i", str(path)]), path.chmod(0o755))
        subprocess.run(["chattr", "-i", str(path)])
    path.chmod(0o755)
    return None


def test_out_that_cannot_be_written_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    import divgan.figures
    import divgan.gan.training as training

    calls = []  # tripwires: drawing or training must not start
    monkeypatch.setattr(divgan.figures, "run_figures", lambda *a, **k: calls.append(1) or 0)
    monkeypatch.setattr(training, "train_gan", lambda *a, **k: calls.append(2))
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    cases = [(a_file, "is a file, not a folder"),
             (a_file / "sub", "file.txt is a file, so no folder can be made under it")]
    restore = _read_only_folder(tmp_path / "ro")
    if restore is not None:
        cases += [(tmp_path / "ro", "is not writable"),
                  (tmp_path / "ro" / "new", "ro, where it would be created, is not writable")]
    try:
        for out, words in cases:
            for argv in (["figures", "--quick"], ["train", "gan", "--steps", "1"]):
                assert main(argv + ["--out", str(out)]) == 2
                line = _one_line_error(capsys.readouterr().err, argv[0])
                assert f"--out {out}" in line and words in line, line
        assert not (tmp_path / "ro" / "new").exists()
    finally:
        if restore is not None:
            restore()
    assert calls == []  # nothing was drawn or trained
    assert main(["figures", "--list", "--out", str(a_file)]) == 0  # --list writes nothing
    if restore is None:
        pytest.skip("running as root where neither chmod nor chattr makes a folder read-only; "
                    "the file cases passed")


def test_a_good_out_folder_is_accepted_and_nothing_is_left_behind(tmp_path):
    # The probe file is removed, and a missing folder is not created by the check.
    target = tmp_path / "a" / "b"
    assert common.check_out_dir(target) == target
    assert not (tmp_path / "a").exists() and list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- layers
def _divgan_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("divgan")}


_LAYERS = (  # bottom up (DESIGN §1); a module may import its own layer and those below it
    ("_validation", "_row_totals"),
    ("divergences", "wasserstein", "estimators", "theory", "_pmf", "_density", "_parallel_lines",
     "_kl_kernels", "_emd1d", "_ot", "_sort", "_w1_buckets", "_reference", "__init__"),
    ("gan",),
    ("figures", "sweep"),
    ("cli", "_cli"),
)


def _layer(module: str) -> int:
    top = module.split(".")[1] if module.count(".") else "__init__"
    if not ((SRC / f"{top}.py").is_file() or (SRC / top).is_dir()):
        top = "__init__"  # a name imported from the package itself (from divgan import x)
    for level, names in enumerate(_LAYERS):
        if top in names:
            return level
    raise AssertionError(f"divgan module {module} is in no layer of _LAYERS")


def test_imports_flow_one_way_into_the_cli():
    # Imports flow one way: _validation <- numpy side <- gan <- figures, sweep <- cli. Every
    # divgan import in the sources is checked against the layer of the importing module.
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("").as_posix().replace("/", ".")
        own = _layer("divgan." + rel)
        for name in _divgan_imports(path):
            if name == "divgan":
                continue
            assert _layer(name) <= own, f"{rel} imports {name}, a layer above it"


# --------------------------------------------------------------------------- a real process
def test_console_command_in_a_subprocess(tmp_path):
    # The installed `divgan` script (or `python -m divgan.cli` where it is not installed):
    # --help loads neither torch nor matplotlib, and a bad file is one line and exit code 2.
    script = Path(sys.executable).with_name("divgan")
    cmd = [str(script)] if script.is_file() else [sys.executable, "-m", "divgan.cli"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    run = subprocess.run(cmd + ["distance", "--help"], capture_output=True, text=True, env=env,
                         timeout=120)
    assert run.returncode == 0 and "--max-memory SIZE" in run.stdout and "REAL" in run.stdout
    text = tmp_path / "real.npy"
    text.write_text("0.5\n1.5\n")
    run = subprocess.run(cmd + ["distance", str(text), str(text)], capture_output=True,
                         text=True, env=env, timeout=120)
    assert run.returncode == 2 and run.stdout == ""
    assert "is a text file" in _one_line_error(run.stderr, "distance")
    probe = ("import sys; from divgan.cli import main\n"
             "try: main(['train', '--help'])\nexcept SystemExit: pass\n"
             "print(sorted(m for m in ('torch', 'matplotlib', 'ot') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=env, timeout=120)
    assert run.returncode == 0 and run.stdout.strip().endswith("[]"), run.stdout + run.stderr


def test_python_beside_a_clone_named_divgan_imports_the_package(tmp_path):
    # `git clone` makes a folder named divgan; a Python started next to it must import the
    # package (src layout), not that folder as an empty namespace package.
    (tmp_path / "divgan" / "src").mkdir(parents=True)
    probe = "import divgan; print(divgan.kl_divergence([0.5, 0.5], [0.5, 0.5]))"
    run = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                         text=True, env=dict(os.environ, OMP_NUM_THREADS="1"), timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "0.0", run.stderr


@pytest.mark.slow
def test_exact_ot_memory_model_holds(tmp_path):
    # The budget check assumes 41 bytes per pair of points. Measure the rise of the peak
    # resident memory around one exact solve of 1500 x 1500 points (92 MB by the model) in a
    # fresh process: it must not exceed the model by more than 15% (else the budget would let
    # through problems that do not fit), nor fall below half of it (else the refusal is
    # needlessly strict). Allocator slack is a few MB against 92 MB.
    probe = (
        "import resource, numpy as np, divgan\n"
        "n = 1500; rng = np.random.default_rng(0)\n"
        "x, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + 0.5\n"
        "divgan.wasserstein_distance(x[:10], y[:10])\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024\n"
        "divgan.wasserstein_distance(x, y)\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before) / n**2)\n")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=dict(os.environ, OMP_NUM_THREADS="1"), timeout=300)
    assert run.returncode == 0, run.stderr
    per_pair = float(run.stdout.strip())
    assert 0.5 * common.EXACT_OT_BYTES_PER_PAIR <= per_pair <= 1.15 * common.EXACT_OT_BYTES_PER_PAIR


# --------------------------------------------------------------------------- the first hour
ROOT = SRC.parents[1]


def test_readme_and_makefile_tell_a_newcomer_how_to_get_going():
    # After `make figures`, `divgan` is not on PATH: the README gives both ways to reach it.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ".venv/bin/divgan --help" in readme and ". .venv/bin/activate" in readme
    assert "`--steps` is the run's **total**" in " ".join(readme.split())
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^docs: install\n\t\$\(PY\) -m sphinx -W ", makefile, re.M), makefile
    assert "pip install -q" not in makefile  # pip's progress stays visible


def test_docs_say_when_pot_and_torch_are_imported(tmp_path):
    # What README and getting_started say: `import divgan` loads neither POT nor torch; the
    # first exact-OT call imports POT, and POT imports torch (installed here).
    for page in (ROOT / "README.md", ROOT / "docs" / "getting_started.md"):
        text = " ".join(page.read_text(encoding="utf-8").split())
        assert "first exact optimal-transport call" in text and "imports POT" in text, page
        assert not re.search(r"never imports? (POT|torch)", text), page
    probe = ("import sys, divgan\n"
             "before = [m in sys.modules for m in ('ot', 'torch')]\n"
             "divgan.wasserstein_distance([[0.0, 0.0]], [[1.0, 1.0]])\n"
             "print(before, [m in sys.modules for m in ('ot', 'torch')])")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=dict(os.environ, OMP_NUM_THREADS="1"), timeout=120)
    assert run.stdout.strip() == "[False, False] [True, True]", run.stdout + run.stderr
