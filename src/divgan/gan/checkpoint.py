r"""Checkpoints of the training loops: atomic save, load, restore, and the divergence error.

A checkpoint holds everything that fixes the rest of a run: the model weights, the optimiser
states (Adam's moments and step counts), the state of the run's random stream ``rng`` (which
draws the data, the latent noise and the gradient-penalty mixing weights), the history so
far and the configuration. Restoring all of it makes a resumed run bitwise equal, on the
CPU, to one that never stopped. A checkpoint is written only when every tensor in it is
finite (:func:`first_nonfinite`), so the last good checkpoint is always a good place to resume.
The run loop itself lives in :mod:`divgan.gan._loop`.

Writes are atomic: the checkpoint goes to a temporary file in the same folder, is flushed and
``fsync``-ed, and then :func:`os.replace` puts it in place, so a crash at any moment leaves
either the previous checkpoint or the new one, never a torn file.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

__all__ = ["CHECKPOINT_NAME", "TrainingDivergedError", "atomic_save", "check_resumable",
           "first_nonfinite",
           "load_checkpoint", "make_checkpoint", "restore_checkpoint"]

CHECKPOINT_NAME = "checkpoint.pt"
_FORMAT = 1
# TrainConfig fields that do not change a run's numbers: a resume may change them.
RUN_ONLY_FIELDS = frozenset({"steps", "device", "num_threads", "progress", "checkpoint_dir",
                             "checkpoint_every", "log_every", "eval_every", "eval_samples",
                             "batch_w1_every"})


class TrainingDivergedError(FloatingPointError):
    """A loss, the weights or the optimiser state became NaN or infinite; training stopped.

    Attributes
    ----------
    step : int
        The step (1-based) at which the non-finite value appeared.
    loss : str
        What was not finite: a loss's name (a column of the history, e.g. ``"loss_d"``), or a
        tensor of the state (e.g. ``"optimizer 'discriminator' exp_avg_sq"``).
    value : float
        The offending value (``nan``, ``inf`` or ``-inf``).
    checkpoint_path : pathlib.Path or None
        The last good checkpoint, left untouched on disk (``None`` without a checkpoint folder
        or before the first checkpoint was written).
    """

    def __init__(self, step: int, loss: str, value: float, checkpoint_path: Path | None, *,
                 checkpoints: bool = True, hint: str = "a smaller learning rate") -> None:
        self.step, self.loss, self.value, self.checkpoint_path = step, loss, value, checkpoint_path
        where = ""
        if checkpoints:
            where = (f"; the last good checkpoint is {checkpoint_path}" if checkpoint_path
                     is not None else "; no good checkpoint was written")
        super().__init__(f"training diverged at step {step}: {loss} = {value!r} (not finite), "
                         f"nothing after it was kept{where}. Try {hint} or check the data.")


def atomic_save(obj: Any, path: str | os.PathLike) -> Path:
    """Write ``obj`` with :func:`torch.save` to ``path`` atomically.

    The bytes go to a temporary file in the same folder, which is flushed and ``fsync``-ed and
    then renamed over ``path`` with :func:`os.replace` (atomic on POSIX and Windows). On any
    error the temporary file is removed and ``path`` is left as it was.

    Examples
    --------
    >>> import tempfile, pathlib, torch
    >>> from divgan.gan.checkpoint import atomic_save
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> p = atomic_save({"w": torch.ones(2)}, d / "c.pt")
    >>> torch.load(p)["w"].tolist(), sorted(f.name for f in d.iterdir())
    ([1.0, 1.0], ['c.pt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(obj, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)
    return path


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def make_checkpoint(*, model: str, step: int, config: dict, models: dict, optimizers: dict,
                    rng: torch.Generator, history: list, data_fingerprint: str | None) -> dict:
    """The checkpoint dictionary (plain containers and CPU tensors; loadable with
    ``weights_only``)."""
    return {
        "format": _FORMAT,
        "model": model,
        "step": int(step),
        "config": config,
        "models": {k: m.state_dict() for k, m in models.items()},
        "optimizers": {k: o.state_dict() for k, o in optimizers.items()},
        "rng": {"data": rng.get_state()},
        "history": [dict(row) for row in history],
        "data_fingerprint": data_fingerprint,
        "torch_version": str(torch.__version__),
    }


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint written by the training loops (tensors on the CPU, ``weights_only``).

    Raises ``FileNotFoundError`` when it is missing and ``ValueError`` when it is not a divgan
    checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch.load raises many kinds on a bad file
        raise ValueError(f"could not read the checkpoint {path}: {exc}") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != _FORMAT:
        raise ValueError(f"{path} is not a divgan training checkpoint (format {_FORMAT})")
    return ckpt


def check_resumable(ckpt: dict, *, path: Path, model: str, config: dict,
                    data_fingerprint: str | None) -> None:
    """``ValueError`` unless ``ckpt`` continues a ``model`` run with the same ``config`` (but for
    :data:`RUN_ONLY_FIELDS`) on the same data."""
    if ckpt["model"] != model:
        raise ValueError(f"{path} holds a {ckpt['model']!r} run, not {model!r}")
    diffs = [f"{k}: saved {v!r}, now {config.get(k)!r}" for k, v in ckpt["config"].items()
             if k not in RUN_ONLY_FIELDS and config.get(k) != v]
    if diffs:
        raise ValueError(f"the config differs from the checkpoint's in {'; '.join(diffs)}")
    if ckpt["data_fingerprint"] != data_fingerprint:
        raise ValueError("the data= array differs from the one the checkpoint was trained on")


def restore_checkpoint(ckpt: dict, *, models: dict, optimizers: dict,
                       rng: torch.Generator) -> None:
    """Load weights, optimiser states and the run's random-stream state from ``ckpt`` in place."""
    for name, module in models.items():
        module.load_state_dict(ckpt["models"][name])
    for name, opt in optimizers.items():
        opt.load_state_dict(ckpt["optimizers"][name])
    rng.set_state(ckpt["rng"]["data"])


def first_nonfinite(ckpt: dict) -> tuple[str, float] | None:
    """``(name, value)`` of the first tensor entry of ``ckpt``'s models or optimisers that holds
    NaN or inf, or ``None`` when all are finite.

    Examples
    --------
    >>> import torch
    >>> from divgan.gan.checkpoint import first_nonfinite
    >>> first_nonfinite({"models": {"g": {"w": torch.ones(2)}}, "optimizers": {}}) is None
    True
    >>> first_nonfinite({"models": {}, "optimizers": {"d": {"state": {0: {
    ...     "exp_avg_sq": torch.tensor([1.0, float("inf")])}}}}})
    ("optimizer 'd' exp_avg_sq", inf)
    """
    def walk(obj, label):
        if torch.is_tensor(obj):
            if obj.is_floating_point() and not torch.isfinite(obj).all():
                return label, float(obj[~torch.isfinite(obj)].flatten()[0])
            return None
        if isinstance(obj, dict):
            items = obj.items()
        elif isinstance(obj, (list, tuple)):
            items = enumerate(obj)
        else:
            return None
        for key, value in items:
            sub = label if isinstance(key, int) or key in ("state", "param_groups") \
                else f"{label} {key}"
            hit = walk(value, sub)
            if hit is not None:
                return hit
        return None

    for name, sd in ckpt["models"].items():
        hit = walk(dict(sd), f"model {name!r}")
        if hit is not None:
            return hit
    for name, sd in ckpt["optimizers"].items():
        hit = walk(sd, f"optimizer {name!r}")
        if hit is not None:
            return hit
    return None
