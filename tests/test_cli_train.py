"""``divgan train`` from the command line: --resume says where it resumed; --steps is the total.

(An output folder that cannot be written is refused before training: tests/test_cli.py.)"""
import csv

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
    # another model's checkpoint: one line, exit 2
    assert main(["train", "wgan", "--out", str(out), "--resume"] + _FAST) == 2
    err = capsys.readouterr().err
    assert "holds a gan run, not wgan" in err and len(err.strip().splitlines()) == 1

