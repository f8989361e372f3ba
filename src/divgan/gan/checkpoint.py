r"""Checkpoints and run plumbing for the training loops: atomic writes, exact resumption,
the divergence error, and :class:`Run` (device, seeds, data stream, history, evaluation).

A checkpoint holds everything that fixes the rest of a run: the model weights, the optimiser
states (Adam's moments and step counts), the state of the run's random generator (which
draws the data, the latent noise and the gradient-penalty mixing weights), the history so
far and the configuration. Restoring all of it makes a resumed run bitwise equal, on the
CPU, to one that never stopped.

Writes are atomic: the checkpoint goes to a temporary file in the same folder, is flushed and
``fsync``-ed, and then :func:`os.replace` puts it in place, so a crash at any moment leaves
either the previous checkpoint or the new one, never a torn file.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import math
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from divgan._validation import as_points
from divgan.gan._runtime import configure_threads, resolve_device
from divgan.gan.data import DataSampler, array_sampler, make_sampler, sample_latent

__all__ = ["CHECKPOINT_NAME", "Run", "TrainingDivergedError", "atomic_save", "load_checkpoint"]

CHECKPOINT_NAME = "checkpoint.pt"
_FORMAT = 1
# TrainConfig fields that do not change a run's numbers: a resume may change them.
RUN_ONLY_FIELDS = frozenset({"steps", "device", "num_threads", "progress", "checkpoint_dir",
                             "checkpoint_every", "log_every", "eval_every", "eval_samples"})


class TrainingDivergedError(FloatingPointError):
    """A loss became NaN or infinite; training stopped before the bad update was applied.

    Attributes
    ----------
    step : int
        The step (1-based) whose loss was not finite.
    loss : str
        The loss's name (a column of the history, e.g. ``"loss_d"``).
    value : float
        The offending value (``nan``, ``inf`` or ``-inf``).
    checkpoint_path : pathlib.Path or None
        The last good checkpoint, left untouched on disk (``None`` without a checkpoint folder
        or before the first checkpoint was written).
    """

    def __init__(self, step: int, loss: str, value: float, checkpoint_path: Path | None) -> None:
        self.step, self.loss, self.value, self.checkpoint_path = step, loss, value, checkpoint_path
        where = (f"the last good checkpoint is {checkpoint_path}" if checkpoint_path is not None
                 else "no checkpoint was written")
        super().__init__(
            f"training diverged at step {step}: {loss} = {value!r} (not finite); "
            f"stopped before applying that update; {where}. Try a smaller learning rate "
            f"or check the data for NaN/inf."
        )


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
                    generator: torch.Generator, history: list, data_fingerprint: str | None) -> dict:
    """The checkpoint dictionary (plain containers and CPU tensors; loadable with ``weights_only``)."""
    return {
        "format": _FORMAT,
        "model": model,
        "step": int(step),
        "config": config,
        "models": {k: m.state_dict() for k, m in models.items()},
        "optimizers": {k: o.state_dict() for k, o in optimizers.items()},
        "rng": {"data": generator.get_state()},
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


def restore_checkpoint(ckpt: dict, *, models: dict, optimizers: dict,
                       generator: torch.Generator) -> None:
    """Load weights, optimiser states and the generator state from ``ckpt`` in place."""
    for name, module in models.items():
        module.load_state_dict(ckpt["models"][name])
    for name, opt in optimizers.items():
        opt.load_state_dict(ckpt["optimizers"][name])
    generator.set_state(ckpt["rng"]["data"])


def check_finite(step: int, name: str, value: torch.Tensor,
                 checkpoint_path: Path | None) -> float:
    """``value.item()``, or :class:`TrainingDivergedError` naming ``step`` and ``name``."""
    v = float(value.detach().item())
    if not math.isfinite(v):
        raise TrainingDivergedError(step, name, v, checkpoint_path)
    return v


def exact_w1(x: np.ndarray, y: np.ndarray) -> float:
    """Exact W1 between two equal-weight samples ``(n, d)``: sorted formula in 1-D, else POT."""
    from divgan.wasserstein import wasserstein_1d, wasserstein_distance

    if x.shape[1] == 1:
        return float(wasserstein_1d(x[:, 0], y[:, 0]))
    return float(wasserstein_distance(x, y))


def finite_samples(step: int, name: str, t: torch.Tensor,
                   checkpoint_path: Path | None = None) -> np.ndarray:
    """float64 numpy copy of evaluation samples; non-finite ones stop the run like a NaN loss."""
    arr = t.detach().double().cpu().numpy()
    if not np.isfinite(arr).all():
        raise TrainingDivergedError(step, name, float(arr[~np.isfinite(arr)][0]), checkpoint_path)
    return arr


class Run:
    """The plumbing shared by the three training loops (the loops are the readable part).

    Holds the device, the run's generator, the data sampler, the models and optimisers, the
    history and the checkpoint path; restores a checkpoint, checks losses, logs, evaluates and
    saves. ``config`` is an already validated :class:`~divgan.gan.training.TrainConfig`.
    """

    def __init__(self, model: str, config, data, resume: bool) -> None:
        if not isinstance(resume, bool):
            raise TypeError(f"resume must be True or False, got {resume!r}")
        self.model, self.cfg, self.resume = model, config, resume
        configure_threads(config.num_threads)
        self.device = resolve_device(config.device)
        self.sampler, self.fingerprint = _data_sampler(config, data)
        self.dim = self.sampler.dim
        self.gen = torch.Generator().manual_seed(config.seed)
        self.history: list[dict] = []
        self.start = 0
        self.ckpt_path = (Path(config.checkpoint_dir) / CHECKPOINT_NAME
                          if config.checkpoint_dir is not None else None)
        self.last_good: Path | None = None
        if resume and self.ckpt_path is None:
            raise ValueError("resume=True needs config.checkpoint_dir (the folder to resume from)")
        self.models: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.bar = None
        self.done = 0

    # -- set-up --------------------------------------------------------------------------
    def build(self, **factories: Callable[[], nn.Module]) -> list[nn.Module]:
        """Build the models from ``seed`` without touching torch's global RNG, on the device."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.cfg.seed)
            self.models = {name: make() for name, make in factories.items()}
        for m in self.models.values():
            m.to(self.device)
        return list(self.models.values())

    def adam(self, name: str, params, lr: float) -> torch.optim.Adam:
        """An Adam optimiser with the config's betas, registered for checkpoints as ``name``."""
        opt = torch.optim.Adam(params, lr=lr, betas=self.cfg.betas)
        self.optimizers[name] = opt
        return opt

    def steps(self, evaluate: Callable[[torch.Generator, int], dict[str, float]]):
        """Restore a checkpoint if asked, then yield the steps still to run (1-based).

        ``evaluate(generator, step)`` returns the exact-evaluation columns; a fresh run records
        it at step 0 (the untrained models) before the first step.
        """
        self.evaluate = evaluate
        if self.resume:
            self._restore()
        if self.start == 0:
            self.history.append({"step": 0, **self._evaluate(0)})
        show = self.cfg.progress if self.cfg.progress is not None else sys.stderr.isatty()
        if show and self.start < self.cfg.steps:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.cfg.steps, initial=self.start, desc=f"train {self.model}",
                            file=sys.stderr, dynamic_ncols=True)
        try:
            yield from range(self.start + 1, self.cfg.steps + 1)
        finally:
            if self.bar is not None:
                self.bar.close()

    def _restore(self) -> None:
        ckpt = load_checkpoint(self.ckpt_path)
        if ckpt["model"] != self.model:
            raise ValueError(f"{self.ckpt_path} holds a {ckpt['model']!r} run, not {self.model!r}")
        mine = _config_dict(self.cfg)
        diffs = [f"{k}: saved {v!r}, now {mine.get(k)!r}" for k, v in ckpt["config"].items()
                 if k not in RUN_ONLY_FIELDS and mine.get(k) != v]
        if diffs:
            raise ValueError(f"the config differs from the checkpoint's in {'; '.join(diffs)}")
        if ckpt["data_fingerprint"] != self.fingerprint:
            raise ValueError("the data= array differs from the one the checkpoint was trained on")
        restore_checkpoint(ckpt, models=self.models, optimizers=self.optimizers, generator=self.gen)
        self.history = list(ckpt["history"])
        self.start = ckpt["step"]
        self.last_good = self.ckpt_path

    # -- per step ------------------------------------------------------------------------
    def real(self) -> torch.Tensor:
        """A training batch of real data, drawn on the CPU from the run's generator."""
        return self.sampler(self.cfg.batch_size, self.gen).to(self.device)

    def latent(self, n: int | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` (default: a batch) latent draws from ``generator`` (default: the run's)."""
        z = sample_latent(n or self.cfg.batch_size, self.cfg.latent_dim,
                          self.gen if generator is None else generator, kind=self.cfg.latent)
        return z.to(self.device)

    def check(self, step: int, name: str, loss: torch.Tensor) -> float:
        """The loss as a float; NaN/inf raises :class:`TrainingDivergedError` before the update."""
        return check_finite(step, name, loss, self.last_good)

    def _evaluate(self, step: int) -> dict[str, float]:
        g_eval = torch.Generator().manual_seed((self.cfg.seed * 1_000_003 + step) % 2**63)
        with torch.no_grad():
            return self.evaluate(g_eval, step)

    def end_step(self, step: int, losses: dict[str, float]) -> None:
        """History row, exact evaluation, checkpoint and progress bar for a finished step."""
        cfg = self.cfg
        last = step == cfg.steps
        if step % cfg.log_every == 0 or step % cfg.eval_every == 0 or last:
            row: dict = {"step": step, **losses}
            if step % cfg.eval_every == 0 or last:
                row.update(self._evaluate(step))
            self.history.append(row)
            if self.bar is not None:
                self.bar.set_postfix({k: f"{v:.3g}" for k, v in row.items() if k != "step"},
                                     refresh=False)
        if self.ckpt_path is not None and (step % cfg.checkpoint_every == 0 or last):
            ckpt = make_checkpoint(model=self.model, step=step, config=_config_dict(cfg),
                                   models=self.models, optimizers=self.optimizers,
                                   generator=self.gen, history=self.history,
                                   data_fingerprint=self.fingerprint)
            self.last_good = atomic_save(ckpt, self.ckpt_path)
        self.done = step
        if self.bar is not None:
            self.bar.update(1)

    def eval_generated(self, generator: nn.Module) -> Callable[[torch.Generator, int], dict]:
        """Exact W1 between ``eval_samples`` generated and as many real samples."""
        def evaluate(g: torch.Generator, step: int) -> dict:
            n = self.cfg.eval_samples
            real = finite_samples(step, "real eval samples", self.sampler(n, g), self.last_good)
            fake = finite_samples(step, "generated samples", generator(self.latent(n, g)),
                                  self.last_good)
            return {"w1_exact": exact_w1(fake, real)}
        return evaluate


def _config_dict(cfg) -> dict:
    return dataclasses.asdict(cfg)


def _data_sampler(cfg, data) -> tuple[DataSampler, str | None]:
    """The config's named sampler, or one over the rows of a user array (checked here)."""
    if data is None:
        return make_sampler(cfg.data, cfg.data_params), None
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    rows = as_points(data, "data")
    if rows.shape[0] < 2:
        raise ValueError(f"data needs at least 2 samples to train on, got shape {rows.shape}")
    fingerprint = hashlib.sha256(np.ascontiguousarray(rows).tobytes()).hexdigest() + str(rows.shape)
    return array_sampler(torch.from_numpy(rows).float()), fingerprint
