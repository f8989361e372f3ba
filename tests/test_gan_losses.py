"""The lecture's losses (L4, L9, L16, L17) on logits, against independent computations.

Expected values come from NumPy written from the lecture's formulas on D = sigmoid(logit)
(float64, moderate logits, so the naive log(sigmoid) is accurate there), from the exact
quadrature value ``divgan.theory.gan_value``, and from closed forms.
"""
import numpy as np
import pytest
import torch

from divgan import theory
from divgan.gan import (
    Critic,
    Discriminator,
    clip_weights_,
    critic_loss,
    discriminator_loss,
    gan_value_from_logits,
    generator_loss,
)

torch.set_num_threads(1)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@pytest.fixture
def logits():
    rng = np.random.default_rng(0)
    return rng.normal(0.5, 2.0, 500), rng.normal(-0.5, 2.0, 400)


def test_value_and_losses_match_the_lecture_formulas(logits):
    # L4: L(D, G) = E log D(x_r) + E log(1 - D(x_g)); D's loss is -L; G's minimax loss is
    # E log(1 - D(G(z))), the non-saturating one -E log D(G(z)). Logits |l| < 10 here, so the
    # naive NumPy formulas lose nothing beyond ~1e-15 relative; 1e-12 leaves a wide margin.
    lr, lg = logits
    d_r, d_g = _sigmoid(lr), _sigmoid(lg)
    value = np.mean(np.log(d_r)) + np.mean(np.log1p(-d_g))
    tr, tg = torch.from_numpy(lr), torch.from_numpy(lg)
    assert gan_value_from_logits(tr, tg).item() == pytest.approx(value, rel=1e-12)
    assert discriminator_loss(tr, tg).item() == pytest.approx(-value, rel=1e-12)
    assert generator_loss(tg, "minimax").item() == pytest.approx(np.mean(np.log1p(-d_g)), rel=1e-12)
    assert generator_loss(tg, "non_saturating").item() == pytest.approx(-np.mean(np.log(d_g)), rel=1e-12)


def test_losses_stay_finite_for_confident_logits():
    # A perfect discriminator has huge logits; the softplus forms never take log(0).
    # Closed forms: softplus(-100) = log1p(e^-100) ~ 3.7e-44 and softplus(100) ~ 100.
    big = torch.tensor([100.0, 200.0], dtype=torch.float64)
    assert discriminator_loss(big, -big).item() == pytest.approx(0.0, abs=1e-40)
    assert generator_loss(-big, "minimax").item() == pytest.approx(-0.0, abs=1e-40)
    assert generator_loss(-big, "non_saturating").item() == pytest.approx(150.0, rel=1e-12)


def test_value_at_the_optimal_discriminator_is_two_js_minus_two_log_two():
    # L5-L7 through the logit losses: with D* = p_r/(p_r + p_g) its logit is log p_r - log p_g.
    # Monte Carlo on 200 000 + 200 000 samples of N(0,1) vs N(1,1) against the quadrature value
    # of divgan.theory.gan_value: the per-sample terms have sd < 1.5, so 5 standard errors are
    # about 0.017; 0.02 is the tolerance.
    rng = np.random.default_rng(1)
    xr, xg = rng.normal(0, 1, 200_000), rng.normal(1, 1, 200_000)

    def logit(x):  # log N(x; 0, 1) - log N(x; 1, 1)
        return -0.5 * x**2 + 0.5 * (x - 1) ** 2

    mc = gan_value_from_logits(torch.from_numpy(logit(xr)), torch.from_numpy(logit(xg))).item()
    grid = np.linspace(-12, 13, 200_001)
    pr = np.exp(-0.5 * grid**2) / np.sqrt(2 * np.pi)
    pg = np.exp(-0.5 * (grid - 1) ** 2) / np.sqrt(2 * np.pi)
    exact = theory.gan_value(theory.optimal_discriminator(pr, pg), pr, pg, grid)
    assert mc == pytest.approx(exact, abs=0.02)


def test_minimax_generator_gradient_vanishes_where_non_saturating_does_not():
    # L9: d/dl log(1 - sigmoid(l)) = -sigmoid(l) -> 0 as l -> -inf (D sure the fake is fake),
    # while d/dl [-log sigmoid(l)] = sigmoid(l) - 1 -> -1. Closed forms at l = -10.
    lg = torch.full((4,), -10.0, dtype=torch.float64, requires_grad=True)
    (g_mm,) = torch.autograd.grad(generator_loss(lg, "minimax"), lg)
    (g_ns,) = torch.autograd.grad(generator_loss(lg, "non_saturating"), lg)
    s = _sigmoid(-10.0)
    np.testing.assert_allclose(g_mm.numpy(), -s / 4, rtol=1e-12)
    np.testing.assert_allclose(g_ns.numpy(), (s - 1) / 4, rtol=1e-12)


def test_critic_loss_is_minus_the_dual_value():
    # L16: the critic maximises E f(x_r) - E f(x_g); its loss is the negative.
    fr = torch.tensor([1.0, 2.0, 3.0])
    fg = torch.tensor([0.5, -0.5])
    assert critic_loss(fr, fg).item() == pytest.approx(-(2.0 - 0.0))


def test_weight_clipping_bounds_every_parameter():
    # L17: after clipping every weight and bias lies in [-c, c] and those already inside are kept.
    torch.manual_seed(0)
    critic = Critic(2, hidden=(16, 16))
    before = [p.detach().clone() for p in critic.parameters()]
    clip_weights_(critic, 0.01)
    for old, new in zip(before, critic.parameters()):
        assert new.abs().max().item() <= 0.01
        inside = old.abs() <= 0.01
        assert torch.equal(new[inside], old[inside])
    with pytest.raises(ValueError, match="clip_value must be > 0"):
        clip_weights_(critic, 0.0)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="minimax"):
        generator_loss(torch.zeros(2), "wasserstein")
    with pytest.raises(ValueError, match="in_dim"):
        Discriminator(0)
    with pytest.raises(TypeError, match="in_dim"):
        Critic(2.5)
    with pytest.raises(ValueError, match="activation"):
        Critic(2, activation="swish")
