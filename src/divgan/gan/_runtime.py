"""Device, threads and seeds for the torch side."""
from __future__ import annotations

import torch

from divgan._validation import check_positive_int

__all__ = ["resolve_device", "configure_threads"]


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
    """Set torch's intra-op threads. One is the default: small MLPs on a 2-core CPU ran
    ~15-30x slower with two threads under load (2 s vs 30-60 s for 1000 critic steps).
    ``None`` leaves torch's setting alone."""
    if num_threads is None:
        return
    num_threads = check_positive_int(num_threads, "num_threads")
    if torch.get_num_threads() != num_threads:
        torch.set_num_threads(num_threads)
