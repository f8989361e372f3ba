"""The narrative notebooks run from top to bottom, and are stored clean.

Each notebook is executed with nbclient in a kernel that runs *this* interpreter (a kernelspec
written into a temporary folder whose argv is ``sys.executable``), so the notebooks test the
divgan installed in the current environment and nothing is registered globally. The first cell
run is an injected check that the kernel's ``sys.prefix`` is the test's own.

Stored notebooks carry no outputs and no execution counts (diffs stay readable, and a stale
output can never pass for a result), and define no library code: they import divgan.
"""
from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXPECTED = [
    "01_divergences_and_parallel_lines.ipynb",
    "02_gan_and_wgan_critics.ipynb",
    "03_adversarial_autoencoder.ipynb",
]
CELL_TIMEOUT_S = 300


def test_the_three_notebooks_exist():
    found = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert found == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_stored_without_outputs(name):
    """No outputs, no execution counts, valid nbformat, imports divgan, defines nothing."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{name} has no code"
    for i, cell in enumerate(code):
        assert cell.outputs == [], f"{name}: code cell {i} has stored outputs"
        assert cell.execution_count is None, f"{name}: code cell {i} has an execution count"
        tree = ast.parse(cell.source)
        defined = [n.name for n in ast.walk(tree)
                   if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        assert not defined, f"{name}: cell {i} defines {defined}; library code belongs in divgan"
    assert any("divgan" in c.source for c in code), f"{name} does not use divgan"


@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory):
    """A kernelspec named python3 whose argv is this interpreter, in a private folder."""
    from ipykernel.kernelspec import write_kernel_spec

    base = tmp_path_factory.mktemp("kernels")
    write_kernel_spec(path=str(base / "python3"))
    spec = json.loads((base / "python3" / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    return base


def _execute(name: str, kernel_dir: Path, workdir: Path):
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    check = nbformat.v4.new_code_cell(
        "import sys\n"
        f"assert sys.prefix == {sys.prefix!r}, sys.prefix\n"
        "import os\n"
        "assert os.environ.get('OMP_NUM_THREADS') == '1'\n"
        "import matplotlib\n"
        "matplotlib.use('Agg')\n"
    )
    nb.cells.insert(0, check)
    ksm = KernelSpecManager(kernel_dirs=[str(kernel_dir)], ensure_native_kernel=False)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=ksm)
    client = nbclient.NotebookClient(
        nb, km=km, kernel_name="python3", timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(workdir)}},
    )
    # The kernel gets this environment (jupyter_client replaces, not extends, it): one thread.
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               NUMBA_NUM_THREADS="1", MPLBACKEND="Agg")
    try:
        client.execute(env=env)
    finally:  # nbclient leaves a kernel it was handed running: shut it down here
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return nb


def _text(nb) -> str:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                out.append(o.get("text", ""))
            elif "data" in o and "text/plain" in o["data"]:
                out.append(o["data"]["text/plain"])
    return "\n".join(out)


def test_notebook_1_divergences_and_parallel_lines(kernel_dir, tmp_path):
    nb = _execute(EXPECTED[0], kernel_dir, tmp_path)
    text = _text(nb)
    # The notebook prints its own checks; these are the lecture's values (L11, L13).
    assert "W = 5 shovels" in text
    assert "all checks passed" in text


def test_notebook_2_gan_and_wgan_critics(kernel_dir, tmp_path):
    nb = _execute(EXPECTED[1], kernel_dir, tmp_path)
    assert "all checks passed" in _text(nb)


def test_notebook_3_adversarial_autoencoder(kernel_dir, tmp_path):
    nb = _execute(EXPECTED[2], kernel_dir, tmp_path)
    assert "all checks passed" in _text(nb)
