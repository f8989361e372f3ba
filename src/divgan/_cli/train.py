r"""``divgan train gan|wgan|aae``: train, checkpoint, and write ``history.csv`` and ``losses.png``.

The command builds ``TrainConfig.for_model(model)`` with the command line's seed, device and
steps, trains with checkpoints in ``--out`` (default ``runs/<model>-seed<S>``), and writes

* ``checkpoint.pt``: weights, optimiser and RNG states, history (``--resume`` continues from it
  up to ``--steps``, the run's total number of steps, not a number to add);
* ``history.csv``: one row per logged step (losses; the exact W1 on evaluation steps);
* ``losses.png``: the losses over the steps, and beside them the exact W1 between generated
  and real samples (GAN, WGAN, with the critic's dual estimate for the WGAN, L18) or between the
  AAE's codes and prior samples (L23).
"""
from __future__ import annotations

import csv
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["default_run_folder", "plot_losses", "train_command", "write_history_csv"]

# history columns drawn beside the losses (distances, in the data's units) rather than with them
_DISTANCE_COLUMNS = {
    "w1_exact": "exact W1(generated, real)",
    "w_dual": "critic's dual estimate",
    "w1_codes_prior": "exact W1(codes, prior)",
}
_NOT_LOSSES = {"step", "recon_mse", *_DISTANCE_COLUMNS}


def write_history_csv(history: Sequence[dict], path: str | os.PathLike) -> Path:
    """Write history rows to ``path`` as CSV: one column per key (first-seen order), blank
    where a row lacks the key (e.g. ``w1_exact`` between evaluations). Written atomically."""
    path = Path(path)
    columns: list[str] = []
    for row in history:
        columns.extend(k for k in row if k not in columns)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, restval="")
        writer.writeheader()
        for row in history:
            writer.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def plot_losses(history: Sequence[dict], path: str | os.PathLike, *, title: str = "") -> Path:
    """Draw the losses (left) and the exact W1 with any dual estimate (right) to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    columns: list[str] = []
    for row in history:
        columns.extend(k for k in row if k not in columns)
    losses = [c for c in columns if c not in _NOT_LOSSES]
    distances = [c for c in columns if c in _DISTANCE_COLUMNS]

    def series(name):
        pts = [(r["step"], r[name]) for r in history if name in r and math.isfinite(r[name])]
        return [p[0] for p in pts], [p[1] for p in pts]

    fig, (ax_loss, ax_w) = plt.subplots(1, 2, figsize=(11, 4))
    for name in losses:
        ax_loss.plot(*series(name), label=name, lw=1)
    ax_loss.set_xlabel("training step")
    ax_loss.set_ylabel("loss (nats; WGAN: critic score units)")
    ax_loss.set_title("losses")
    ax_loss.legend(fontsize=8)
    for name in distances:
        style = {"marker": "o", "ms": 3} if name != "w_dual" else {"lw": 0.8, "alpha": 0.7}
        ax_w.plot(*series(name), label=_DISTANCE_COLUMNS[name], **style)
    ax_w.set_xlabel("training step")
    ax_w.set_ylabel("W1 (code units)" if "w1_codes_prior" in distances else "W1 (data units)")
    ax_w.set_title("exact W1 on held-out draws")
    if distances:
        ax_w.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def default_run_folder(model: str, seed: int) -> Path:
    """Where ``divgan train`` writes when ``--out`` is not given: ``runs/<model>-seed<S>``."""
    return Path("runs") / f"{model}-seed{seed}"


def _resume_point(ckpt: Path, model: str, seed: int, steps: int | None) -> tuple[int, int]:
    """``(step the checkpoint is at, target total steps)``; the target defaults to the saved
    run's own ``steps``."""
    from divgan.gan.checkpoint import load_checkpoint

    saved = load_checkpoint(ckpt)
    if saved["model"] != model:
        raise ValueError(f"{ckpt} holds a {saved['model']} run, not {model}: resume it with "
                         f"`divgan train {saved['model']} --resume`, or choose another --out")
    if saved["config"].get("seed", seed) != seed:
        raise ValueError(f"{ckpt} was trained with --seed {saved['config']['seed']}; pass that "
                         f"seed to resume it (now --seed {seed})")
    target = int(saved["config"]["steps"]) if steps is None else steps
    return int(saved["step"]), target


def train_command(args) -> int:
    """Run ``divgan train`` from its parsed arguments; returns the exit code.

    ``args.out`` is the run folder, already checked to be writable (:func:`divgan.cli.main`).
    ``--steps`` is the total number of steps of the run: ``--resume`` continues from the
    checkpoint's step up to it (default: the saved run's own total) and says where it resumed;
    when the checkpoint is already there, it says so and trains nothing.

    0 on success, 1 when training diverged (NaN/inf loss: the message names the step and the
    loss; the last good checkpoint is kept). Bad arguments raise ``ValueError`` /
    ``FileNotFoundError``, which :func:`divgan.cli.main` turns into exit code 2.
    """
    from divgan._cli.common import check_device
    from divgan.gan.checkpoint import CHECKPOINT_NAME, TrainingDivergedError
    from divgan.gan.training import TrainConfig, train_aae, train_gan, train_wgan

    check_device(args.device)
    trainers = {"gan": train_gan, "wgan": train_wgan, "aae": train_aae}
    out = Path(args.out)
    ckpt = out / CHECKPOINT_NAME
    if args.resume and not ckpt.is_file():
        raise FileNotFoundError(f"--resume: no checkpoint in {out} (looked for {ckpt})")
    if not args.resume and ckpt.is_file():
        raise ValueError(f"{ckpt} already exists: pass --resume to continue that run, "
                         f"or choose another --out")
    steps = args.steps
    if args.resume:
        start, steps = _resume_point(ckpt, args.model, args.seed, steps)
        if start >= steps:
            where = "at" if start == steps else "past"
            print(f"resumed at step {start}; already {where} the target of {steps} steps, "
                  f"nothing to train (--steps is the total, counted from the run's start: "
                  f"pass --steps above {start} to train further)")
            return 0
        print(f"resumed at step {start}; training to step {steps}")
    overrides = {"seed": args.seed, "device": args.device, "checkpoint_dir": str(out)}
    if steps is not None:
        overrides["steps"] = steps
    if args.no_progress:
        overrides["progress"] = False
    config = TrainConfig.for_model(args.model, **overrides)
    out.mkdir(parents=True, exist_ok=True)
    try:
        result = trainers[args.model](config, resume=args.resume)
    except TrainingDivergedError as exc:
        print(f"divgan train: {exc}", file=sys.stderr)
        return 1
    csv_path = write_history_csv(result.history, out / "history.csv")
    png_path = plot_losses(result.history, out / "losses.png",
                           title=f"divgan train {args.model} (seed {args.seed}, {result.device})")
    last = result.history[-1] if result.history else {}
    summary = ", ".join(f"{k} = {v:.4g}" for k, v in last.items() if k != "step")
    print(f"trained {args.model} to step {result.steps_done} on {result.device}: {summary}")
    print(f"checkpoint: {result.checkpoint_path}")
    print(f"history:    {csv_path}")
    print(f"plot:       {png_path}")
    return 0
