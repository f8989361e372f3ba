"""divgan.gan: the torch side (models, losses, training loops, trained estimators).

Import it explicitly: ``from divgan import gan``. ``import divgan`` does not import torch (the first
exact optimal-transport call imports POT, which imports torch). The exact distances on torch
tensors live in ``divgan.gan.metrics`` (not re-exported here: their names match the numpy side's).
"""
from __future__ import annotations

from divgan.gan._runtime import configure_threads, resolve_device
from divgan.gan.checkpoint import TrainingDivergedError, load_checkpoint
from divgan.gan.critics import CRITIC_METHODS, CriticMethod, CriticSettings, get_critic_method
from divgan.gan.data import (
    load_digits_data,
    make_sampler,
    sample_digits,
    sample_grid,
    sample_latent,
    sample_lines,
    sample_normal,
    sample_ring,
)
from divgan.gan.estimators import (
    CriticCheck,
    Estimate,
    PotentialComparison,
    check_critic,
    compare_with_kantorovich_potential,
    estimate_js,
    estimate_wasserstein,
    fit_critic,
    fit_discriminator,
)
from divgan.gan.losses import (
    clip_weights_,
    critic_loss,
    discriminator_loss,
    gan_value_from_logits,
    generator_loss,
    gradient_penalty,
)
from divgan.gan import metrics
from divgan.gan.models import MLP, Critic, Decoder, Discriminator, Encoder, Generator
from divgan.gan.training import TrainConfig, TrainResult, train_aae, train_gan, train_wgan

__all__ = [
    # models and losses
    "MLP", "Generator", "Discriminator", "Critic", "Encoder", "Decoder",
    "gan_value_from_logits", "discriminator_loss", "generator_loss", "critic_loss",
    "gradient_penalty", "clip_weights_",
    # the critic registry
    "CRITIC_METHODS", "CriticMethod", "CriticSettings", "get_critic_method",
    # training
    "TrainConfig", "TrainResult", "TrainingDivergedError", "train_gan", "train_wgan", "train_aae",
    "load_checkpoint",
    # estimators
    "Estimate", "CriticCheck", "PotentialComparison", "estimate_js", "estimate_wasserstein",
    "fit_discriminator", "fit_critic", "check_critic", "compare_with_kantorovich_potential",
    # data
    "make_sampler", "sample_normal", "sample_latent", "sample_ring", "sample_grid",
    "sample_lines", "sample_digits", "load_digits_data",
    # exact distances on tensors (a module)
    "metrics",
    # runtime
    "resolve_device", "configure_threads",
]
