"""The user documentation builds cleanly and every example on its prose pages runs.

* ``sphinx-build -W --keep-going -b html docs <tmp>``: warnings are errors, so a broken
  docstring (bad numpydoc section, unresolvable autodoc target, rst error) fails here.
* Every ``>>>`` example on the markdown pages (the traps page, the README tour, ...) is run
  with the standard-library doctest runner and its printed output compared with the page:
  the numbers shown to readers are the numbers scipy, POT and divgan really return.
* ``theory.md``'s table names divgan functions and tests; each one must exist.
"""
from __future__ import annotations

import doctest
import importlib
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# Pages whose examples must exist (so the doctest test cannot pass by finding nothing).
PAGES_WITH_EXAMPLES = ["traps.md", "_readme_tour.md", "getting_started.md"]


def _markdown_pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)


def _pages_with_examples() -> list[Path]:
    """Docs pages, and the README once the tour is pasted into it, that hold ``>>>`` examples."""
    pages = _markdown_pages() + [ROOT / "README.md"]
    return [p for p in pages if p.is_file() and ">>> " in p.read_text(encoding="utf-8")]


def test_sphinx_build_has_no_warnings(tmp_path):
    """The html build succeeds with warnings as errors; the log is printed on failure."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg", PYTHONWARNINGS="ignore")
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
           "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    elapsed = time.perf_counter() - start
    log = f"$ {' '.join(cmd)}\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    assert proc.returncode == 0, f"sphinx-build failed (rc={proc.returncode}):\n{log}"
    # Every page of the toctree was written (a silently empty build would pass rc == 0).
    for page in ["index", "getting_started", "theory", "traps", "notebooks", "api/index",
                 "api/divergences", "api/wasserstein", "api/gan_training"]:
        assert (tmp_path / "html" / f"{page}.html").is_file(), f"{page}.html missing\n{log}"
    print(f"sphinx html build: {elapsed:.1f} s")


def _run_markdown_doctests(path: Path) -> doctest.TestResults:
    """Run the page's ``>>>`` examples in one namespace, in order, like a reader would.

    Code fences become blank lines first, so a closing fence is never read as expected output.
    """
    lines = ["" if line.lstrip().startswith(("```", ":::")) else line
             for line in path.read_text(encoding="utf-8").splitlines()]
    test = doctest.DocTestParser().get_doctest(
        "\n".join(lines) + "\n", globs={"__name__": "__docs__"}, name=path.name,
        filename=str(path), lineno=0)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    runner = doctest.DocTestRunner(optionflags=flags)
    report: list[str] = []
    runner.run(test, out=report.append, clear_globs=True)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{path.relative_to(ROOT)}:\n" + "".join(report)
    return results


@pytest.mark.parametrize("page", _pages_with_examples(), ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_examples_run(page):
    """Each page's examples print exactly what the page says they print."""
    results = _run_markdown_doctests(page)
    assert results.attempted > 0


@pytest.mark.parametrize("name", PAGES_WITH_EXAMPLES)
def test_example_pages_have_examples(name):
    """The pages meant to carry runnable examples do (guards the parametrised test above)."""
    text = (DOCS / name).read_text(encoding="utf-8")
    if name == "getting_started.md":  # it includes the tour rather than repeating it
        assert "_readme_tour.md" in text
        return
    assert text.count(">>> ") >= 5, f"{name} lost its examples"


def _theory_rows() -> list[str]:
    text = (DOCS / "theory.md").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if re.match(r"\|\s*L\d+\s*\|", line)]


def test_theory_table_covers_every_claim():
    """theory.md has exactly one row per lecture claim L1..L23, in order."""
    rows = _theory_rows()
    labels = [re.match(r"\|\s*(L\d+)", row).group(1) for row in rows]
    assert labels == [f"L{i}" for i in range(1, 24)]
    for row in rows:  # claim, divgan, figure, checked by: an unescaped | would shift them
        assert len(row.split(" | ")) == 5, f"theory.md row has the wrong number of cells: {row}"


def _resolve(dotted: str):
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def test_theory_table_names_exist():
    """Every `divgan.…` name in the table resolves, and every test it cites exists."""
    names, tests = set(), set()
    for row in _theory_rows():
        names.update(re.findall(r"`(divgan(?:\.\w+)+)(?:\(\))?`", row))
        tests.update(re.findall(r"`(tests/test_\w+\.py)(?:::(\w+))?`", row))
    assert names and tests
    for dotted in sorted(names):
        try:
            _resolve(dotted)
        except (ImportError, AttributeError) as exc:
            pytest.fail(f"theory.md names {dotted}, which does not resolve: {exc}")
    for file, func in sorted(tests):
        path = ROOT / file
        assert path.is_file(), f"theory.md cites {file}, which does not exist"
        if func:
            assert re.search(rf"def {func}\b", path.read_text(encoding="utf-8")), (
                f"theory.md cites {file}::{func}, which is not defined there")


def test_theory_table_figures_exist():
    """Every figure the table names is one that `divgan figures --only` accepts."""
    figures = importlib.import_module("divgan.figures")
    available = set(getattr(figures, "FIGURES"))
    cited = set()
    for row in _theory_rows():
        figure_cell = row.split(" | ")[3]  # | # | claim | divgan | figure | checked by |
        cited.update(re.findall(r"`([\w-]+)`", figure_cell))
    assert cited
    missing = sorted(cited - available)
    assert not missing, f"theory.md cites figures {missing}; divgan figures has {sorted(available)}"


def _documented_commands() -> list[tuple[str, str]]:
    """Every ``divgan ...`` line inside a bash fence on the prose pages."""
    found = []
    for page in _markdown_pages():
        in_bash = False
        for line in page.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith("```"):
                in_bash = stripped in ("```bash", "```console", "```sh")
                continue
            if in_bash and stripped.startswith("divgan "):
                found.append((page.name, stripped.split("#")[0].strip()))
    return found


def test_documented_commands_parse():
    """Each command the pages show is accepted by divgan's own argument parser."""
    cli = importlib.import_module("divgan.cli")
    commands = _documented_commands()
    assert commands
    for page, command in commands:
        args = shlex.split(command)[1:]
        try:
            parsed = cli.build_parser().parse_args(args)
        except SystemExit as exc:
            pytest.fail(f"{page}: `{command}` is rejected by divgan's parser (exit {exc.code})")
        assert parsed.command == args[0]
