r"""The run loop shared by the three training loops, built explicitly in three stages.

1. :func:`prepare_run` fixes what a run is before any network exists: the validated config,
   torch's threads, the device, the data sampler (and the fingerprint of a ``data=`` array)
   and the run's CPU :class:`torch.Generator` (``rng``), which draws the data, the latent
   noise and the penalty's mixing weights. It returns a :class:`RunSetup`.
2. :func:`build_models` initialises the networks from ``config.seed`` inside
   :func:`torch.random.fork_rng` (torch's global state is left alone) and puts them on the
   device; the training function makes their optimisers.
3. :class:`TrainingLoop` takes the setup, the models, the optimisers and the evaluation and
   owns the rest: the resume (restoring a checkpoint into those models and optimisers), the
   steps still to run, the finiteness checks, the history, the exact evaluation, the
   checkpoints (written only when every tensor is finite) and the progress bar.

Each stage needs the previous one's result, so the order of construction is the order of the
arguments. The evaluation draws use a torch.Generator seeded from ``(seed, step)``, so evaluating
never changes the training stream.
"""
from __future__ import annotations

import dataclasses
import hashlib
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from divgan._validation import as_points
from divgan.gan import metrics
from divgan.gan._runtime import configure_threads, exact_w1, resolve_device
from divgan.gan.checkpoint import (
    CHECKPOINT_NAME,
    TrainingDivergedError,
    atomic_save,
    check_resumable,
    first_nonfinite,
    load_checkpoint,
    make_checkpoint,
    restore_checkpoint,
)
from divgan.gan.data import DataSampler, array_sampler, make_sampler, sample_latent

__all__ = ["BATCH_SLICED_PROJECTIONS", "RunSetup", "TrainResult", "TrainingLoop", "batch_w1",
           "build_models", "check_finite", "eval_generated", "finite_samples", "prepare_run"]

Evaluate = Callable[[torch.Generator, int], dict[str, float]]

#: Directions of the sliced W1 logged between d-dimensional batches (d > 1).
BATCH_SLICED_PROJECTIONS = 128


@dataclass(frozen=True)
class RunSetup:
    """What a run is before its networks: see :func:`prepare_run`."""

    model: str
    config: object  # a validated divgan.gan.training.TrainConfig
    device: torch.device
    sampler: DataSampler
    fingerprint: str | None
    rng: torch.Generator

    @property
    def dim(self) -> int:
        """Dimension of the real data."""
        return self.sampler.dim

    def real(self) -> torch.Tensor:
        """A training batch of real data, drawn on the CPU from the run's ``rng``."""
        return self.sampler(self.config.batch_size, self.rng).to(self.device)

    def latent(self, n: int | None = None, rng: torch.Generator | None = None) -> torch.Tensor:
        """``n`` (default: a batch) latent draws from ``rng`` (default: the run's)."""
        z = sample_latent(n or self.config.batch_size, self.config.latent_dim,
                          self.rng if rng is None else rng, kind=self.config.latent)
        return z.to(self.device)


def prepare_run(model: str, config, data) -> RunSetup:
    """Threads, device, data sampler and the run's random stream ``rng`` for a validated
    ``config``."""
    configure_threads(config.num_threads)
    device = resolve_device(config.device)
    sampler, fingerprint = _data_sampler(config, data)
    return RunSetup(model=model, config=config, device=device, sampler=sampler,
                    fingerprint=fingerprint, rng=torch.Generator().manual_seed(config.seed))


def build_models(setup: RunSetup, **factories: Callable[[], nn.Module]) -> dict[str, nn.Module]:
    """The networks, initialised from ``config.seed`` without touching torch's global RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(setup.config.seed)
        models = {name: make() for name, make in factories.items()}
    return {name: m.to(setup.device) for name, m in models.items()}


def check_finite(step: int, name: str, value: torch.Tensor, checkpoint_path: Path | None) -> float:
    """``value.item()``, or :class:`TrainingDivergedError` naming ``step`` and ``name``."""
    v = float(value.detach().item())
    if not math.isfinite(v):
        raise TrainingDivergedError(step, name, v, checkpoint_path)
    return v


def finite_samples(step: int, name: str, t: torch.Tensor) -> np.ndarray:
    """float64 numpy copy of evaluation samples; non-finite ones stop the run like a NaN loss
    (:meth:`TrainingLoop._evaluate` adds the last good checkpoint to the error)."""
    arr = t.detach().double().cpu().numpy()
    if not np.isfinite(arr).all():
        raise TrainingDivergedError(step, name, float(arr[~np.isfinite(arr)][0]), None)
    return arr


@dataclass(frozen=True)
class TrainResult:
    """What a training loop returns.

    Attributes
    ----------
    model : {"gan", "wgan", "aae"}
    config : divgan.gan.training.TrainConfig
    models : mapping of str to nn.Module
        GAN: ``generator``, ``discriminator``; WGAN: ``generator``, ``critic``; AAE: ``encoder``,
        ``decoder``, ``discriminator``. On the run's device, in training mode.
    history : tuple of dict
        A row at step 0 with the untrained models' evaluation, then one every ``log_every``
        steps: ``step`` and that step's losses (python floats); every ``eval_every`` steps and
        at the last step also the exact evaluation: ``w1_exact`` (GAN/WGAN: exact W1 between
        ``eval_samples`` generated and as many real samples) or ``w1_codes_prior`` and
        ``recon_mse`` (AAE: exact W1 between codes and prior samples; held-out reconstruction);
        every ``batch_w1_every`` steps (when set) the distance between the step's two training
        batches (see :func:`batch_w1`): ``w1_batch`` (1-D, exact) or ``sw1_batch`` (d > 1,
        sliced), for the AAE ``w1_batch_codes_prior`` / ``sw1_batch_codes_prior``.
    checkpoint_path : pathlib.Path or None
    steps_done : int
    device : str
    """

    model: str
    config: object
    models: Mapping[str, nn.Module]
    history: tuple[dict, ...]
    checkpoint_path: Path | None
    steps_done: int
    device: str

    def column(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(steps, values)`` of one history column, over the rows that have it."""
        rows = [r for r in self.history if name in r]
        if not rows:
            keys = sorted({k for r in self.history for k in r})
            raise KeyError(f"no history column {name!r}; columns are {keys}")
        return (np.array([r["step"] for r in rows], dtype=np.int64),
                np.array([r[name] for r in rows], dtype=np.float64))


class TrainingLoop:
    """Resume, steps, checks, history, evaluation, checkpoints and progress of one run.

    ``evaluate(rng, step)`` returns the exact-evaluation columns; a fresh run records it at
    step 0 (the untrained models). With ``resume=True`` the checkpoint in
    ``config.checkpoint_dir`` is restored into ``models`` and ``optimizers`` here.
    """

    def __init__(self, setup: RunSetup, models: dict[str, nn.Module],
                 optimizers: dict[str, torch.optim.Optimizer], evaluate: Evaluate, *,
                 resume: bool) -> None:
        if not isinstance(resume, bool):
            raise TypeError(f"resume must be True or False, got {resume!r}")
        cfg = setup.config
        self.setup, self.cfg, self.models, self.optimizers = setup, cfg, models, optimizers
        self.evaluate = evaluate
        self.ckpt_path = (Path(cfg.checkpoint_dir) / CHECKPOINT_NAME
                          if cfg.checkpoint_dir is not None else None)
        self.history: list[dict] = []
        self.start = self.done = 0
        self.last_good: Path | None = None
        self.bar = None
        if resume:
            if self.ckpt_path is None:
                raise ValueError("resume=True needs config.checkpoint_dir (the folder to resume "
                                 "from)")
            self._restore()

    def _restore(self) -> None:
        ckpt = load_checkpoint(self.ckpt_path)
        check_resumable(ckpt, path=self.ckpt_path, model=self.setup.model,
                        config=dataclasses.asdict(self.cfg),
                        data_fingerprint=self.setup.fingerprint)
        restore_checkpoint(ckpt, models=self.models, optimizers=self.optimizers,
                           rng=self.setup.rng)
        self.history = list(ckpt["history"])
        self.start = self.done = ckpt["step"]
        self.last_good = self.ckpt_path

    def steps(self):
        """Yield the steps still to run (1-based), after the step-0 evaluation of a fresh run."""
        if self.start == 0:
            self.history.append({"step": 0, **self._evaluate(0)})
        show = self.cfg.progress if self.cfg.progress is not None else sys.stderr.isatty()
        bar = None
        if show and self.start < self.cfg.steps:
            from tqdm.auto import tqdm

            bar = tqdm(total=self.cfg.steps, initial=self.start, desc=f"train {self.setup.model}",
                       file=sys.stderr, dynamic_ncols=True)
        self.bar = bar
        try:
            yield from range(self.start + 1, self.cfg.steps + 1)
        finally:
            if bar is not None:
                bar.close()

    def check(self, step: int, name: str, loss: torch.Tensor) -> float:
        """The loss as a float; NaN/inf raises :class:`TrainingDivergedError` before the update."""
        return check_finite(step, name, loss, self.last_good)

    def _eval_seed(self, step: int) -> int:
        """The seed of step ``step``'s evaluation draws, apart from the training stream."""
        return (self.cfg.seed * 1_000_003 + step) % 2**63

    def _evaluate(self, step: int) -> dict[str, float]:
        g_eval = torch.Generator().manual_seed(self._eval_seed(step))
        try:
            with torch.no_grad():
                return self.evaluate(g_eval, step)
        except TrainingDivergedError as exc:  # name the last good checkpoint
            raise TrainingDivergedError(exc.step, exc.loss, exc.value, self.last_good) from None

    def end_step(self, step: int, losses: dict[str, float],
                 batches: tuple[torch.Tensor, torch.Tensor]) -> None:
        """History row, evaluations, checkpoint and progress bar for a finished step.

        ``batches`` are the step's ``(real, generated)`` training batches, measured by
        :func:`batch_w1` every ``batch_w1_every`` steps (only then is anything computed)."""
        cfg = self.cfg
        last = step == cfg.steps
        batch_due = cfg.batch_w1_every is not None and step % cfg.batch_w1_every == 0
        if step % cfg.log_every == 0 or step % cfg.eval_every == 0 or last or batch_due:
            row: dict = {"step": step, **losses}
            if batch_due:
                real, generated = batches
                name = ("w1" if real.shape[1] == 1 else "sw1") + (
                    "_batch_codes_prior" if self.setup.model == "aae" else "_batch")
                value = batch_w1(real, generated, seed=self._eval_seed(step))
                row[name] = check_finite(step, name, value, self.last_good)
            if step % cfg.eval_every == 0 or last:
                row.update(self._evaluate(step))
            self.history.append(row)
            if self.bar is not None:
                self.bar.set_postfix({k: f"{v:.3g}" for k, v in row.items() if k != "step"},
                                     refresh=False)
        if self.ckpt_path is not None and (step % cfg.checkpoint_every == 0 or last):
            self._save(step)
        self.done = step
        if self.bar is not None:
            self.bar.update(1)

    def result(self) -> TrainResult:
        """The run's :class:`TrainResult` (models, history, last checkpoint, steps done)."""
        return TrainResult(model=self.setup.model, config=self.cfg, models=dict(self.models),
                           history=tuple(self.history), checkpoint_path=self.last_good,
                           steps_done=self.done, device=str(self.setup.device))

    def _save(self, step: int) -> None:
        """Write the checkpoint, unless a tensor in it is not finite (then stop the run)."""
        ckpt = make_checkpoint(model=self.setup.model, step=step,
                               config=dataclasses.asdict(self.cfg), models=self.models,
                               optimizers=self.optimizers, rng=self.setup.rng,
                               history=self.history, data_fingerprint=self.setup.fingerprint)
        bad = first_nonfinite(ckpt)
        if bad is not None:
            raise TrainingDivergedError(step, bad[0], bad[1], self.last_good)
        self.last_good = atomic_save(ckpt, self.ckpt_path)


def batch_w1(real: torch.Tensor, generated: torch.Tensor, *, seed: int) -> torch.Tensor:
    r"""The W1 between two training batches ``(n, d)``, on their device, as a 0-dim float64 tensor.

    1-D (d = 1): the exact :math:`W_1` of the two empirical laws,
    :func:`divgan.gan.metrics.wasserstein_1d` (the sorted formula). d > 1: torch has no exact
    N-D optimal transport, so the sliced :math:`SW_1` over :data:`BATCH_SLICED_PROJECTIONS`
    directions drawn from ``seed`` (:func:`divgan.gan.metrics.sliced_wasserstein`; it is
    :math:`\le W_1`). The batches are widened to float64 on the device first (exact), so
    the value is that of the float32 samples the networks saw, to float64 rounding. Nothing
    is copied to the host but the metric's finiteness flags; the caller reads the float.

    Examples
    --------
    >>> import torch
    >>> from divgan.gan._loop import batch_w1
    >>> batch_w1(torch.tensor([[0.0], [1.0]]), torch.tensor([[3.0], [2.0]]), seed=0).item()
    2.0
    """
    real, generated = real.detach().double(), generated.detach().double()
    if real.shape[1] == 1:
        return metrics.wasserstein_1d(real[:, 0], generated[:, 0])
    return metrics.sliced_wasserstein(real, generated, n_projections=BATCH_SLICED_PROJECTIONS,
                                      generator=seed)


def eval_generated(setup: RunSetup, net: nn.Module) -> Evaluate:
    """Exact W1 between ``eval_samples`` samples of the generator network ``net`` and as many
    real samples."""
    def evaluate(rng: torch.Generator, step: int) -> dict:
        n = setup.config.eval_samples
        real = finite_samples(step, "real eval samples", setup.sampler(n, rng))
        fake = finite_samples(step, "generated samples", net(setup.latent(n, rng)))
        return {"w1_exact": exact_w1(fake, real)}
    return evaluate


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
