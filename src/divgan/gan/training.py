r"""Training loops: :func:`train_gan`, :func:`train_wgan`, :func:`train_aae`, one readable loop each.

Every block in a loop is headed by the objective it optimises. The shared plumbing (device,
threads, seeds, data stream, NaN checks, history, exact-W1 evaluation, the batches' W1 on
the device, checkpoints, progress bar) lives in :mod:`divgan.gan._loop`, and what differs
between WGAN critic methods in :mod:`divgan.gan.critics`, so each loop reads like the lecture:

* GAN (L3, L4, L19): D learns on real samples, then on fakes; G learns through D's gradient.
* WGAN (L15-L18): the critic maximises the Kantorovich-Rubinstein dual under a Lipschitz
  constraint (weight clipping at c = 0.01 as in the lecture, a gradient penalty, or spectral
  normalisation); G minimises the critic's score on fakes, with no logarithm.
* AAE (L21-L23): three phases per minibatch: reconstruction; the discriminator separating
  prior samples from codes (binary cross-entropy); the encoder, as the generator, fooling it.

Randomness: one CPU :class:`torch.Generator` seeded from ``config.seed`` (an int; any seed of
the package's convention is turned into one by :func:`divgan._validation.seed_to_int`, which
keeps int seeds as they are) draws the data, the
latent noise and the penalty's mixing weights; model weights are initialised from the same
seed inside :func:`torch.random.fork_rng`, so torch's global state is left alone. The
evaluation draws use a separate torch.Generator seeded from ``(seed, step)``, so evaluating never
changes the training stream.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from divgan._validation import check_positive_int, check_real, seed_to_int
from divgan.gan._loop import (
    RunSetup,
    TrainingLoop,
    TrainResult,
    build_models,
    check_finite,
    eval_generated,
    finite_samples,
    prepare_run,
)
from divgan.gan._runtime import exact_w1, resolve_device
from divgan.gan.critics import CriticSettings, get_critic_method
from divgan.gan.data import LATENT_KINDS, make_sampler
from divgan.gan.losses import discriminator_loss, generator_loss
from divgan.gan.models import Decoder, Discriminator, Encoder, Generator, check_hidden

__all__ = [
    "MODELS",
    "TrainConfig",
    "TrainResult",
    "train_aae",
    "train_gan",
    "train_wgan",
]

MODELS = ("gan", "wgan", "aae")
_GENERATOR_LOSSES = ("minimax", "non_saturating")
_LOG2 = math.log(2.0)


@dataclass(frozen=True)
class TrainConfig:
    r"""Everything that defines a training run (one class for the three models).

    The field defaults are the GAN's on the lecture's data; :meth:`for_model` gives each model's
    documented defaults. Values are checked on construction (``ValueError`` / ``TypeError``
    naming the field).
    """

    steps: int = 1500
    """Training steps: generator updates (GAN, WGAN) or minibatches with three phases (AAE).
    Defaults: GAN 1500, WGAN 1000, AAE 2000."""
    batch_size: int = 256
    """Samples per minibatch, real and fake alike. Defaults: 256 (GAN, WGAN), 128 (AAE)."""
    lr_g: float = 5e-4
    """Adam learning rate of the generator (AAE: encoder+decoder, and the encoder as generator).
    Defaults: GAN 5e-4, WGAN 1e-3 (5e-4 with clipping), AAE 1e-3."""
    lr_d: float = 2e-3
    """Learning rate of the discriminator or critic (Adam; RMSProp for the clipped critic).
    Defaults: GAN 2e-3 (a discriminator kept ahead of G did better than equal rates in the runs
    measured for the docs), WGAN 1e-3 (5e-4 with clipping), AAE 1e-3."""
    betas: tuple[float, float] = (0.5, 0.9)
    """Adam's (beta1, beta2) for every Adam optimiser (the WGAN-GP paper's (0.5, 0.9))."""
    n_critic: int = 2
    """Discriminator/critic updates per generator update (GAN 2, WGAN 5; unused by the AAE)."""
    critic_method: str = "gp"
    """WGAN Lipschitz constraint, a method of :data:`divgan.gan.critics.CRITIC_METHODS`: "gp"
    (gradient penalty), "sn" (spectral normalisation) or "clip" (weights clipped to [-c, c]
    after each RMSProp step, the lecture's L17)."""
    clip_value: float = 0.01
    """c of the weight clipping (the lecture's 0.01)."""
    gp_weight: float = 10.0
    """lambda of the gradient penalty."""
    gp_one_sided: bool = True
    """Penalise only slopes above 1 (``max(0, |grad f| - 1)^2``); the two-sided penalty can trap a
    1-D critic at slope -1."""
    generator_loss: str = "non_saturating"
    """GAN generator loss: "minimax" (E log(1 - D(G(z))), the lecture's) or "non_saturating"
    (-E log D(G(z))). Also the AAE encoder's loss in phase 3."""
    latent: str = "uniform"
    """Latent law: "uniform" (z ~ U(0, 1)^d, the lecture's L20) or "normal" (N(0, I), the AAE
    prior p(z)). Defaults: uniform for GAN/WGAN, normal for the AAE."""
    latent_dim: int = 1
    """Dimension of z (GAN/WGAN 1, AAE 2)."""
    hidden: tuple[int, ...] = (64, 64)
    """Hidden widths of every MLP (AAE default (128, 128))."""
    data: str = "normal"
    """Real data: "normal" (N(-1, 1), L20), "ring", "grid", "lines" or "digits" (AAE default);
    see :func:`divgan.gan.data.make_sampler`. Ignored when a ``data=`` array is passed."""
    data_params: dict = field(default_factory=dict)
    """Keyword arguments of the data sampler, e.g. {"mean": -1.0, "std": 1.0}."""
    seed: int = 0
    """Seed of the weights' initialisation and of the run's random stream: None, an int >= 0, a
    numpy SeedSequence or Generator, stored as the int :func:`~divgan._validation.seed_to_int`
    gives (an int seed is kept as it is)."""
    device: str = "auto"
    """"auto" (CUDA when present, else CPU), "cpu" or "cuda"."""
    num_threads: int | None = 1
    """torch intra-op threads (1 for these small MLPs; None leaves torch's setting)."""
    progress: bool | None = None
    """tqdm bar on stderr; None shows it only when stderr is a terminal."""
    checkpoint_dir: str | None = None
    """Folder for ``checkpoint.pt`` (None: no checkpoints)."""
    checkpoint_every: int = 500
    """Steps between checkpoints (one is also written at the last step)."""
    log_every: int = 10
    """Steps between history rows (the last step always gets one)."""
    eval_every: int = 100
    """Steps between exact-W1 evaluations (added to that step's history row)."""
    eval_samples: int = 1000
    """Points per side in each exact-W1 evaluation."""
    batch_w1_every: int | None = None
    """Steps between logs of the distance between the step's own training batches (None: never).
    The batches are the real and the generated batch (``batch_size`` each) of the step's last
    discriminator/critic update, the ones its ``loss_d`` / ``w_dual`` is computed on; for the AAE
    the prior batch and the codes of phase 2. Computed on the training device by
    :mod:`divgan.gan.metrics` in float64, only the float comes to the host; nothing is drawn
    from the run's random stream, so training is the same with or without it. Column
    ``w1_batch`` (1-D data: the exact W1, :func:`divgan.gan.metrics.wasserstein_1d`) or
    ``sw1_batch`` (d > 1: torch has no exact N-D transport, so the sliced W1 over 128
    directions, :func:`divgan.gan.metrics.sliced_wasserstein`); AAE ``w1_batch_codes_prior``
    / ``sw1_batch_codes_prior``. Logged at multiples of the value only."""

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "n_critic", "latent_dim", "checkpoint_every",
                     "log_every", "eval_every", "eval_samples"):
            check_positive_int(getattr(self, name), name)
        if self.batch_w1_every is not None:
            check_positive_int(self.batch_w1_every, "batch_w1_every")
        object.__setattr__(self, "seed", seed_to_int(self.seed))
        for name in ("lr_g", "lr_d"):
            check_real(getattr(self, name), name, positive=True)
        settings = CriticSettings(gp_weight=self.gp_weight, gp_one_sided=self.gp_one_sided,
                                  clip_value=self.clip_value)
        for name in ("gp_weight", "gp_one_sided", "clip_value"):
            object.__setattr__(self, name, getattr(settings, name))
        betas = tuple(self.betas) if isinstance(self.betas, (tuple, list)) else None
        if betas is None or len(betas) != 2 or not all(
                isinstance(b, (int, float)) and not isinstance(b, bool) and 0 <= b < 1 for b in betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas!r}")
        object.__setattr__(self, "betas", tuple(float(b) for b in betas))
        object.__setattr__(self, "hidden", check_hidden(self.hidden))
        get_critic_method(self.critic_method, "critic_method")
        _check_choice(self.generator_loss, "generator_loss", _GENERATOR_LOSSES)
        _check_choice(self.latent, "latent", LATENT_KINDS)
        if self.progress is not None and not isinstance(self.progress, bool):
            raise TypeError(f"progress must be True, False or None, got {self.progress!r}")
        if self.num_threads is not None:
            check_positive_int(self.num_threads, "num_threads")
        if not isinstance(self.data_params, Mapping):
            raise TypeError(f"data_params must be a mapping, got {self.data_params!r}")
        object.__setattr__(self, "data_params", dict(self.data_params))
        make_sampler(self.data, self.data_params)  # checks the data name and its parameters
        if self.checkpoint_dir is not None:
            object.__setattr__(self, "checkpoint_dir", str(self.checkpoint_dir))
        resolve_device(self.device)  # 'cuda' without a GPU fails here, early

    @classmethod
    def for_model(cls, model: str, **overrides) -> TrainConfig:
        """Each model's defaults, with ``overrides`` applied.

        * ``"gan"``: the class defaults: the lecture's N(-1, 1) from z ~ U(0, 1) (L20), 1500 steps,
          Adam 5e-4 (G) / 2e-3 (D), two D steps per G step.
        * ``"wgan"``: the same data, 1000 steps, ``n_critic=5``, Adam 1e-3, gradient penalty;
          with ``critic_method="clip"`` 5e-4 for both (RMSProp for the critic, as registered).
        * ``"aae"``: digits, 2-D prior N(0, I), hidden (128, 128), batch 128, 2000 steps, 1e-3.

        Examples
        --------
        >>> from divgan.gan.training import TrainConfig
        >>> c = TrainConfig.for_model("wgan", critic_method="clip")
        >>> c.n_critic, c.lr_d, c.clip_value
        (5, 0.0005, 0.01)
        """
        _check_choice(model, "model", MODELS)
        lr = 5e-4 if overrides.get("critic_method") == "clip" else 1e-3
        defaults: dict = {
            "gan": {},
            "wgan": {"steps": 1000, "n_critic": 5, "lr_g": lr, "lr_d": lr},
            "aae": {"data": "digits", "latent": "normal", "latent_dim": 2, "hidden": (128, 128),
                    "batch_size": 128, "steps": 2000, "lr_g": 1e-3, "lr_d": 1e-3},
        }[model]
        return cls(**{**defaults, **overrides})


def _check_choice(value, name: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def _config(model: str, config: TrainConfig | None) -> TrainConfig:
    if config is None:
        return TrainConfig.for_model(model)
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    return config


def _descend(opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    """One optimiser step on ``loss`` (old gradients dropped, not zeroed)."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def _adam(params, lr: float, cfg: TrainConfig) -> torch.optim.Adam:
    return torch.optim.Adam(params, lr=lr, betas=cfg.betas)


def train_gan(config: TrainConfig | None = None, *, data=None, resume: bool = False) -> TrainResult:
    r"""Train the lecture's GAN: D and G play :math:`\min_G \max_D L(D, G)` (L3, L4, L19).

    .. math::

        L(D, G) = \mathbb E_{x \sim p_r} \log D(x) + \mathbb E_{z \sim p_z} \log(1 - D(G(z)))

    Each step: D takes ``n_critic`` Adam steps up :math:`L` (binary cross-entropy on a real batch,
    label 1, then a fake batch, label 0: "D learns twice a step", L19); then G takes one step
    down ``config.generator_loss`` (minimax :math:`\mathbb E \log(1 - D(G(z)))` or non-saturating
    :math:`-\mathbb E \log D(G(z))`), learning only through D's gradient. History columns:
    ``loss_d``, ``loss_g``, ``js_bound`` :math:`= \log 2 - \text{loss}_D / 2` (a lower bound on
    JS at the optimal D, L7), every ``eval_every`` steps ``w1_exact`` and, every
    ``batch_w1_every`` steps (when set), ``w1_batch``: the exact W1 between the real and the fake
    batch of the last D update (``sw1_batch``, sliced, for d > 1).

    Parameters
    ----------
    config : TrainConfig, optional
        Defaults to ``TrainConfig.for_model("gan")``: the lecture's N(-1, 1) from z ~ U(0, 1) (L20).
    data : array_like (n, d), optional
        Train on these samples (drawn with replacement) instead of ``config.data``.
    resume : bool
        Continue from ``config.checkpoint_dir/checkpoint.pt``.

    Returns
    -------
    TrainResult

    Raises
    ------
    divgan.gan.checkpoint.TrainingDivergedError
        A loss, the weights or the optimiser state became NaN or infinite (the last good
        checkpoint stays on disk).

    References
    ----------
    I. Goodfellow et al., "Generative adversarial nets", NeurIPS 2014.

    Examples
    --------
    >>> from divgan.gan.training import TrainConfig, train_gan
    >>> res = train_gan(TrainConfig(steps=200, log_every=100, eval_every=100, device="cpu"))
    >>> steps, w1 = res.column("w1_exact")   # exact W1(generated, real) as training goes
    >>> steps.tolist(), bool(w1[-1] < 0.5 * w1[0]), sorted(res.models)
    ([0, 100, 200], True, ['discriminator', 'generator'])
    """
    run = prepare_run("gan", _config("gan", config), data)
    cfg = run.config
    models = build_models(run, generator=lambda: Generator(cfg.latent_dim, run.dim, cfg.hidden),
                          discriminator=lambda: Discriminator(run.dim, cfg.hidden))
    G, D = models["generator"], models["discriminator"]
    opt_g, opt_d = _adam(G.parameters(), cfg.lr_g, cfg), _adam(D.parameters(), cfg.lr_d, cfg)
    loop = TrainingLoop(run, models, {"generator": opt_g, "discriminator": opt_d},
                        eval_generated(run, G), resume=resume)  # exact W1(generated, real)
    for step in loop.steps():
        # -- D: maximise E_pr log D(x) + E_pz log(1 - D(G(z))), i.e. minimise the BCE on a real
        #    batch (label 1) plus the BCE on a fake batch (label 0): it learns on both (L19).
        for _ in range(cfg.n_critic):
            x_real = run.real()
            x_fake = G(run.latent()).detach()
            loss_d = discriminator_loss(D(x_real), D(x_fake))
            ld = loop.check(step, "loss_d", loss_d)
            _descend(opt_d, loss_d)
        # -- G: minimise E log(1 - D(G(z))) (minimax) or -E log D(G(z)) (non-saturating);
        #    G sees the data only through D's gradient (L19).
        loss_g = generator_loss(D(G(run.latent())), cfg.generator_loss)
        lg = loop.check(step, "loss_g", loss_g)
        _descend(opt_g, loss_g)
        loop.end_step(step, {"loss_d": ld, "loss_g": lg, "js_bound": _LOG2 - ld / 2},
                      (x_real, x_fake))
    return loop.result()


def train_wgan(config: TrainConfig | None = None, *, data=None, resume: bool = False) -> TrainResult:
    r"""Train a WGAN: a Lipschitz critic estimates W1 and G descends it (L15-L18).

    .. math::

        \min_G \max_{\|f\|_L \le 1} \mathbb E_{x \sim p_r} f(x) - \mathbb E_{z \sim p_z} f(G(z))

    Each step: the critic takes ``n_critic`` optimiser steps up the dual (the
    Kantorovich-Rubinstein form, L15), kept Lipschitz by ``config.critic_method``, a method of
    :data:`divgan.gan.critics.CRITIC_METHODS`: ``"clip"`` clamps every weight to :math:`[-c, c]`
    after each RMSProp step (the lecture's c = 0.01, L17; the critic is then K-Lipschitz for an
    unknown K, so its value is K W1), ``"gp"`` adds
    :math:`\lambda\,\mathbb E(\|\nabla f(\hat x)\| - 1)^2` (one-sided by default), ``"sn"``
    normalises each layer's spectral norm, ``"ctransform"`` scores fakes by the c-transform
    over the real batch. Then G takes one step down :math:`-\mathbb E f(G(z))`, a loss without
    logarithms (L18). History columns: ``loss_critic`` (with the penalty),
    ``w_dual`` (the critic's :math:`\mathbb E f(x_r) - \mathbb E f(x_g)` on the batch),
    ``penalty`` (GP only), ``loss_g``, ``w1_exact`` and, every ``batch_w1_every`` steps (when
    set), ``w1_batch``: the exact W1 between the very batches ``w_dual`` was read on, so that
    the critic's value and the distance it estimates are compared like with like (``sw1_batch``,
    sliced, for d > 1).

    Parameters
    ----------
    config : TrainConfig, optional
        Defaults to ``TrainConfig.for_model("wgan")``.
    data : array_like (n, d), optional
        Train on these samples instead of ``config.data``.
    resume : bool
        Continue from ``config.checkpoint_dir/checkpoint.pt``.

    Returns
    -------
    TrainResult

    References
    ----------
    M. Arjovsky, S. Chintala, L. Bottou, "Wasserstein GAN", ICML 2017.
    I. Gulrajani et al., "Improved training of Wasserstein GANs", NeurIPS 2017.
    T. Miyato et al., "Spectral normalization for generative adversarial networks", ICLR 2018.

    Examples
    --------
    >>> from divgan.gan.training import TrainConfig, train_wgan
    >>> cfg = TrainConfig.for_model("wgan", steps=10, critic_method="clip", device="cpu")
    >>> res = train_wgan(cfg)
    >>> res.steps_done, sorted(res.models)
    (10, ['critic', 'generator'])
    """
    run = prepare_run("wgan", _config("wgan", config), data)
    cfg = run.config
    method = get_critic_method(cfg.critic_method, "critic_method")
    settings = CriticSettings(gp_weight=cfg.gp_weight, gp_one_sided=cfg.gp_one_sided,
                              clip_value=cfg.clip_value)
    models = build_models(run, generator=lambda: Generator(cfg.latent_dim, run.dim, cfg.hidden),
                          critic=lambda: method.build(run.dim, cfg.hidden))
    G, f = models["generator"], models["critic"]
    opt_g = _adam(G.parameters(), cfg.lr_g, cfg)
    opt_c = method.make_optimizer(f.parameters(), lr=cfg.lr_d, betas=cfg.betas)
    loop = TrainingLoop(run, models, {"generator": opt_g, "critic": opt_c},
                        eval_generated(run, G), resume=resume)  # exact W1(generated, real)
    for step in loop.steps():
        # -- Critic: maximise E_pr f(x) - E_pg f(x) over (roughly) 1-Lipschitz f (L15, L16);
        #    the loss is its negative plus the method's penalty (gp), and the method's hook
        #    runs after each step (clip clamps the weights).
        for _ in range(cfg.n_critic):
            x_real = run.real()
            x_fake = G(run.latent()).detach()
            loss_c, w_dual, penalty = method.loss(f, x_real, x_fake, settings, seed=run.rng)
            lc = loop.check(step, "loss_critic", loss_c)
            _descend(opt_c, loss_c)
            if method.after_step is not None:
                method.after_step(f, settings)
        # -- G: minimise -E f(G(z)): move the fakes up the critic's slope (no logarithm, L18);
        #    for "ctransform" the fakes' score is max_i f(x_i) - |x_i - G(z)| over a real batch.
        loss_g = -method.fake_scores(f, G(run.latent()), x_real).mean()
        lg = loop.check(step, "loss_g", loss_g)
        _descend(opt_g, loss_g)
        losses = {"loss_critic": lc, "w_dual": float(w_dual), "loss_g": lg}
        if penalty is not None:
            losses["penalty"] = float(penalty.item())
        loop.end_step(step, losses, (x_real, x_fake))  # the batches w_dual was read on
    return loop.result()


def train_aae(config: TrainConfig | None = None, *, data=None, resume: bool = False) -> TrainResult:
    r"""Train an adversarial autoencoder: three phases per minibatch (L21, L22), driving the
    aggregated posterior :math:`q(z) = \mathbb E_x q(z \mid x)` to the prior :math:`p(z)` (L23).

    .. math::

        \min_{E, R} \mathbb E \|x - R(E(x))\|^2 / d, \qquad
        \max_D \mathbb E_{p(z)} \log D(z) + \mathbb E_{x} \log(1 - D(E(x))), \qquad
        \min_E -\mathbb E_x \log D(E(x))

    Phase 1, reconstruction: encoder E and decoder R take an Adam step on the mean squared error.
    Phase 2, regularisation (discriminator): D learns to tell prior samples (label 1) from codes
    (label 0) with binary cross-entropy. Phase 3, regularisation (generator): E, as the generator,
    takes a step to fool D (``config.generator_loss``). History columns: ``loss_recon``,
    ``loss_d``, ``loss_g``, every ``eval_every`` steps ``w1_codes_prior`` (exact W1
    between ``eval_samples`` codes and as many prior samples) and ``recon_mse``, and every
    ``batch_w1_every`` steps (when set) the distance between phase 2's prior batch and codes,
    ``w1_batch_codes_prior`` (1-D codes) or ``sw1_batch_codes_prior`` (sliced, d > 1).

    Parameters
    ----------
    config : TrainConfig, optional
        Defaults to ``TrainConfig.for_model("aae")``: digits, 2-D N(0, I) prior.
    data : array_like (n, d), optional
        Train on these samples instead of ``config.data``.
    resume : bool
        Continue from ``config.checkpoint_dir/checkpoint.pt``.

    Returns
    -------
    TrainResult

    References
    ----------
    A. Makhzani, J. Shlens, N. Jaitly, I. Goodfellow, B. Frey, "Adversarial autoencoders", 2015.

    Examples
    --------
    >>> from divgan.gan.training import TrainConfig, train_aae
    >>> res = train_aae(TrainConfig.for_model("aae", steps=10, eval_samples=50, device="cpu"))
    >>> sorted(res.models), res.column("w1_codes_prior")[0].tolist()
    (['decoder', 'discriminator', 'encoder'], [0, 10])
    """
    run = prepare_run("aae", _config("aae", config), data)
    cfg = run.config
    models = build_models(run, encoder=lambda: Encoder(run.dim, cfg.latent_dim, cfg.hidden),
                          decoder=lambda: Decoder(cfg.latent_dim, run.dim, cfg.hidden),
                          discriminator=lambda: Discriminator(cfg.latent_dim, cfg.hidden))
    E, R, D = models["encoder"], models["decoder"], models["discriminator"]
    optimizers = {"autoencoder": _adam([*E.parameters(), *R.parameters()], cfg.lr_g, cfg),
                  "discriminator": _adam(D.parameters(), cfg.lr_d, cfg),
                  "encoder": _adam(E.parameters(), cfg.lr_g, cfg)}
    opt_ae, opt_d, opt_e = optimizers.values()
    loop = TrainingLoop(run, models, optimizers, _eval_aae(run, E, R),  # W1(codes, prior)
                        resume=resume)
    for step in loop.steps():
        x = run.real()
        # -- Phase 1, reconstruction: minimise E ||x - R(E(x))||^2 / d over encoder and decoder.
        loss_recon = F.mse_loss(R(E(x)), x)
        lr_ = loop.check(step, "loss_recon", loss_recon)
        _descend(opt_ae, loss_recon)
        # -- Phase 2, discriminator: maximise E_p(z) log D(z) + E_x log(1 - D(E(x))), the BCE
        #    with prior samples labelled 1 and codes labelled 0.
        z_prior, codes = run.latent(), E(x).detach()
        loss_d = discriminator_loss(D(z_prior), D(codes))
        ld = loop.check(step, "loss_d", loss_d)
        _descend(opt_d, loss_d)
        # -- Phase 3, encoder as generator: make D take codes for prior samples,
        #    minimise -E log D(E(x)) (non-saturating) or E log(1 - D(E(x))) (minimax).
        loss_g = generator_loss(D(E(x)), cfg.generator_loss)
        lg = loop.check(step, "loss_g", loss_g)
        _descend(opt_e, loss_g)
        loop.end_step(step, {"loss_recon": lr_, "loss_d": ld, "loss_g": lg}, (z_prior, codes))
    return loop.result()


def _eval_aae(run: RunSetup, E: nn.Module, R: nn.Module) -> Callable[[torch.Generator, int], dict]:
    def evaluate(rng: torch.Generator, step: int) -> dict:
        n = run.config.eval_samples
        x = run.sampler(n, rng).to(run.device)
        codes = E(x)
        prior = finite_samples(step, "prior samples", run.latent(n, rng))
        recon = check_finite(step, "recon_mse", F.mse_loss(R(codes), x), None)
        codes_np = finite_samples(step, "codes", codes)
        return {"w1_codes_prior": exact_w1(codes_np, prior), "recon_mse": recon}
    return evaluate
