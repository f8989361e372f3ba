"""divgan: exact divergences and Wasserstein distances for the theory of GANs.

``import divgan`` loads the numpy side only (no torch, no matplotlib, no POT);
the torch side is imported explicitly: ``from divgan import gan``.
The lecture's reference families and identities live in :mod:`divgan.theory`.
"""
from divgan import theory
from divgan.divergences import (
    gaussian_kl,
    gaussian_w1,
    gaussian_w2,
    js_distance,
    js_divergence,
    js_divergence_density,
    kl_divergence,
    kl_divergence_density,
)
from divgan.estimators import KnnKLResult, bootstrap_ci, kl_divergence_knn
from divgan.wasserstein import (
    OptimalTransportError,
    TransportResult,
    earth_movers_distance,
    kantorovich_potential_1d,
    sliced_wasserstein,
    transport_plan,
    wasserstein_1d,
    wasserstein_1d_shifts,
    wasserstein_distance,
)

__version__ = "0.1.0"

__all__ = [
    "kl_divergence",
    "js_divergence",
    "js_distance",
    "kl_divergence_density",
    "js_divergence_density",
    "gaussian_kl",
    "gaussian_w2",
    "gaussian_w1",
    "wasserstein_1d",
    "wasserstein_1d_shifts",
    "earth_movers_distance",
    "wasserstein_distance",
    "transport_plan",
    "TransportResult",
    "OptimalTransportError",
    "kantorovich_potential_1d",
    "sliced_wasserstein",
    "kl_divergence_knn",
    "KnnKLResult",
    "bootstrap_ci",
    "theory",
]
