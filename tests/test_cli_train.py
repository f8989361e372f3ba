"""``divgan train`` from the command line: --resume says where it resumed; --steps is the total.

(An output folder that cannot be written is refused before training: tests/test_cli.py.)"""
import csv

import numpy as np
import pytest

from divgan.cli import main
from divgan.gan.checkpoint import CHECKPOINT_NAME, load_checkpoint

_FAST = ["--device", "cpu", "--no-progress", "--seed", "3"]


def _last_step(out):
    rows = list(csv.DictReader((out / "history.csv").read_text().splitlines()))
    return int(rows[-1]["step"])


def test_resume_reports_its_step_and_steps_is_the_total(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "gan", "--steps", "20", "--out", str(out)] + _FAST) == 0
    assert "trained gan to step 20" in capsys.readouterr().out
    ckpt = out / CHECKPOINT_NAME
    saved = ckpt.read_bytes()
    # same --steps: nothing to do, and it says so (the checkpoint is untouched)
    assert main(["train", "gan", "--steps", "20", "--out", str(out), "--resume"] + _FAST) == 0
    said = capsys.readouterr().out
    assert "resumed at step 20; already at the target of 20 steps" in said
    assert "--steps is the total" in said
    assert ckpt.read_bytes() == saved
    # a larger total continues from the checkpoint's step to it
    assert main(["train", "gan", "--steps", "30", "--out", str(out), "--resume"] + _FAST) == 0
    assert "resumed at step 20; training to step 30" in capsys.readouterr().out
    assert load_checkpoint(ckpt)["step"] == 30 and _last_step(out) == 30
    # without --steps the target is the saved run's own total, 30
    assert main(["train", "gan", "--out", str(out), "--resume"] + _FAST) == 0
    assert "resumed at step 30; already at the target of 30 steps" in capsys.readouterr().out
    # a smaller total: already past it
    assert main(["train", "gan", "--steps", "10", "--out", str(out), "--resume"] + _FAST) == 0
    assert "already past the target of 10 steps" in capsys.readouterr().out
    # another seed than the run's: one line naming both seeds, exit 2
    assert main(["train", "gan", "--out", str(out), "--resume", "--seed", "4"]) == 2
    assert "was trained with --seed 3" in capsys.readouterr().err
    # another model's checkpoint: one line, exit 2
    assert main(["train", "wgan", "--out", str(out), "--resume"] + _FAST) == 2
    err = capsys.readouterr().err
    assert "holds a gan run, not wgan" in err and len(err.strip().splitlines()) == 1



def test_device_cuda_without_a_gpu_is_refused_in_the_users_words(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    x = tmp_path / "x.npy"
    np.save(x, np.arange(10.0))
    for argv in (["train", "gan", "--steps", "1", "--out", str(tmp_path / "run")],
                 ["estimate", str(x), str(x), "--steps", "1"]):
        assert main(argv + ["--device", "cuda"]) == 2
        err = capsys.readouterr().err
        assert "--device cuda: no CUDA device is available here" in err, err
        assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()
