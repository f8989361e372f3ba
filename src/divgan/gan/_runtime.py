"""Device, threads, seeds and the exact-W1 reference for the torch side."""
from __future__ import annotations

import torch

from divgan._validation import check_positive_int, seed_to_int

__all__ = ["resolve_device", "configure_threads", "torch_generator", "exact_w1"]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` picks CUDA when available, else CPU; ``"cuda"`` without a GPU is a ValueError."""
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise TypeError(f"device must be 'auto', 'cpu', 'cuda' or a torch.device, got {device!r}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for but CUDA is not available; use 'cpu' or 'auto'")
    if not (device == "cpu" or device.startswith("cuda")):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:N]', got {device!r}")
    return torch.device(device)


def configure_threads(num_threads: int | None = 1) -> None:
    """Set torch's intra-op threads. One is the default: the small MLPs here ran many times
    slower with more threads on a loaded CPU (numbers in the docs). ``None`` leaves torch's
    setting alone."""
    if num_threads is None:
        return
    num_threads = check_positive_int(num_threads, "num_threads")
    if torch.get_num_threads() != num_threads:
        torch.set_num_threads(num_threads)


def torch_generator(seed, name: str = "seed", *,
                    device: str | torch.device = "cpu") -> torch.Generator:
    """A :class:`torch.Generator` on ``device`` from a seed of the package's convention (None, an
    int >= 0, a numpy SeedSequence or Generator; see :func:`divgan._validation.check_seed`) or
    a :class:`torch.Generator`, which is returned as is (so its stream continues). An int seed
    ``s`` gives ``torch.Generator().manual_seed(s)``."""
    if isinstance(seed, torch.Generator):
        return seed
    return torch.Generator(device=device).manual_seed(seed_to_int(seed, name))


def exact_w1(x, y) -> float:
    """Exact W1 between two equal-weight samples ``(n, d)`` (numpy), by
    :func:`divgan.wasserstein_distance` (the sorted formula in 1-D, else POT's network simplex)."""
    from divgan.wasserstein import wasserstein_distance

    return float(wasserstein_distance(x, y))
