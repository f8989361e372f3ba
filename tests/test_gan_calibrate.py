"""The discriminator's logits rescaled on the validation split (issue 8 section 5).

Expected values: scikit-learn's unpenalised logistic regression on the same logits (an
independent solver of the same maximum likelihood), and the exact JS of ``theory.scaled``.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from divgan import theory  # noqa: E402
from divgan.gan import _select  # noqa: E402
from divgan.gan._calibrate import _fit_scale, recalibrate  # noqa: E402
from divgan.gan.estimators import estimate_js  # noqa: E402


def _bce(zr, zg, a, b):
    return np.logaddexp(0, -(a * zr + b)).mean() + np.logaddexp(0, a * zg + b).mean()


@pytest.mark.parametrize("nr, ng, gap", [(300, 300, 0.5), (200, 500, 0.1), (40, 60, 2.0)])
def test_separated_logits_get_platts_logistic_regression(nr, ng, gap):
    # Independent route: scikit-learn's (unpenalised) logistic regression, Platt's soft target t
    # of each point written as two weighted copies (label 1 weight t, label 0 weight 1 - t),
    # every class weighing 1/2 as in the JS bound.
    sklearn = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(nr)
    zr = gap / 2 + rng.exponential(0.3, nr)
    zg = -gap / 2 - rng.exponential(0.3, ng)
    a, b, separated = _fit_scale(zr, zg)
    t_r, t_g = (nr + 1) / (nr + 2), 1 / (ng + 2)
    z = np.r_[zr, zr, zg, zg][:, None]
    y = np.r_[np.ones(nr), np.zeros(nr), np.ones(ng), np.zeros(ng)]
    w = np.r_[np.full(nr, t_r / nr), np.full(nr, (1 - t_r) / nr),
              np.full(ng, t_g / ng), np.full(ng, (1 - t_g) / ng)]
    ref = sklearn.LogisticRegression(C=1e12, tol=1e-12, max_iter=10_000).fit(
        z, y, sample_weight=w * len(z))
    assert separated
    if ref.coef_[0, 0] >= 1.0:
        assert a == pytest.approx(ref.coef_[0, 0], rel=1e-4)
        assert b == pytest.approx(ref.intercept_[0], rel=1e-4, abs=1e-6)
    else:  # sharpened, never softened: a stays 1
        assert a == 1.0
    assert _bce(zr, zg, a, b) <= _bce(zr, zg, 1.0, 0.0) + 1e-12


def test_overlapping_logits_are_left_as_they_are():
    rng = np.random.default_rng(0)
    zr, zg = rng.normal(1, 1, 500), rng.normal(-1, 1, 500)
    assert _fit_scale(zr, zg) == (1.0, 0.0, False)


def test_a_sharp_separating_network_is_not_softened():
    # logits +-50: Platt's targets (N = 3 and 2 points) would soften them; a stays 1
    assert _fit_scale(np.array([50.0, 60.0, 55.0]), np.array([-50.0, -70.0]))[:2] == (1.0, 0.0)


def test_recalibrated_network_returns_the_rescaled_logits():
    rng = np.random.default_rng(1)
    net = torch.nn.Linear(3, 1).double()
    with torch.no_grad():  # logits about +-0.9: separated, and too timid for 300 points a side
        net.weight.fill_(0.1)
        net.bias.zero_()
    model = torch.nn.Module()
    model.net = net
    model.forward = lambda x: model.net(x)
    xr, xg = rng.normal(3.0, 0.3, (300, 3)), rng.normal(-3.0, 0.3, (300, 3))
    with torch.no_grad():
        z = [net(torch.as_tensor(v)).numpy().ravel() for v in (xr, xg)]
    out, info = recalibrate(model, (xr, xg))
    a, b, _ = _fit_scale(*z)
    assert a > 1.0
    assert (info["logit_scale"], info["logit_shift"], info["logit_separated"]) == (a, b, 1.0)
    with torch.no_grad():
        got = out(torch.as_tensor(xr)).numpy().ravel()
    np.testing.assert_allclose(got, a * z[0] + b, rtol=1e-12, atol=1e-12)


def test_auto_discriminator_on_a_nearly_separable_scaling_is_sharpened(monkeypatch):
    # scaled(64, 0.5): JS = log 2 - 1.8e-4. The early-stopped discriminator separates its
    # validation points and is timid; sharpened on them, its held-out value (points neither the
    # fit nor the rescaling saw) is closer to JS, and still a lower bound.
    pair = theory.scaled(64, 0.5)
    xp, xq = pair.sample(4000, seed=0)
    est = estimate_js(xp, xq, seed=0, device="cpu")
    monkeypatch.setattr(_select, "recalibrate", lambda model, validation: (model, {}))
    timid = estimate_js(xp, xq, seed=0, device="cpu")
    assert est.diagnostics["logit_separated"] == 1.0 and est.diagnostics["logit_scale"] > 1.0
    assert "logit_scale" not in timid.diagnostics
    assert est.value <= pair.js
    assert pair.js - est.value < 0.012 < 0.015 < pair.js - timid.value
    # a network given by the caller has no validation split, and is read as trained
    fixed = estimate_js(xp[:500], xq[:500], seed=0, device="cpu", hidden=(16,), steps=50)
    assert "logit_scale" not in fixed.diagnostics
