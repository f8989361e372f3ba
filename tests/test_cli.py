"""``divgan distance``: exact W_p between two .npy files, against scipy and POT in the test."""
import numpy as np
import ot
import pytest
import scipy.stats

from divgan.cli import main


def _save(tmp_path, name, arr):
    path = tmp_path / name
    np.save(path, arr)
    return path


def test_distance_1d_matches_scipy(tmp_path, capsys):
    rng = np.random.default_rng(0)
    u, v = rng.normal(0, 1, 300), rng.normal(1, 2, 200)
    a, b = _save(tmp_path, "a.npy", u), _save(tmp_path, "b.npy", v[:, None])  # (n,) and (m, 1)
    assert main(["distance", str(a), str(b)]) == 0
    printed = float(capsys.readouterr().out.split("=")[1].split()[0])
    # printed with 10 significant digits
    assert printed == pytest.approx(scipy.stats.wasserstein_distance(u, v), rel=1e-9)


def test_distance_2d_matches_pot(tmp_path, capsys):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(30, 2)) + 1
    a, b = _save(tmp_path, "x.npy", x), _save(tmp_path, "y.npy", y)
    assert main(["distance", str(a), str(b), "--p", "2"]) == 0
    printed = float(capsys.readouterr().out.split("=")[1].split()[0])
    exact = np.sqrt(ot.emd2(np.full(40, 1 / 40), np.full(30, 1 / 30), ot.dist(x, y)))
    assert printed == pytest.approx(exact, rel=1e-9)


def test_distance_bad_files_are_clear_errors(tmp_path, capsys):
    good = _save(tmp_path, "g.npy", np.zeros(3))
    assert main(["distance", str(tmp_path / "missing.npy"), str(good)]) == 2
    assert "no such file for REAL" in capsys.readouterr().err
    bad = tmp_path / "bad.npy"
    bad.write_text("not an array")
    assert main(["distance", str(good), str(bad)]) == 2
    assert "could not read" in capsys.readouterr().err
    nan = _save(tmp_path, "nan.npy", np.array([0.0, np.nan]))
    assert main(["distance", str(good), str(nan)]) == 2
    assert "FAKE must hold finite coordinates" in capsys.readouterr().err
