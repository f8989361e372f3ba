"""divgan: exact divergences and Wasserstein distances for the theory of GANs.

``import divgan`` loads the numpy side only; the torch side is ``from divgan import gan``.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__: list[str] = []
