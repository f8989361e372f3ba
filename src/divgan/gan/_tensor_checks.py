"""Private: checks of torch inputs for :mod:`divgan.gan.metrics`.

They mirror :mod:`divgan._validation` (same messages, naming the torch arguments); the only
values brought to the host are the booleans of the checks and, on failure, the offending entry
for the message.
"""
from __future__ import annotations

import torch


def _tensor(x, name: str) -> torch.Tensor:
    """A real tensor (integers and booleans become float64, as on the numpy side)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__} "
                        f"(the numpy side, divgan.*, takes arrays)")
    if x.is_complex():
        raise TypeError(f"{name} must be an array of real numbers, got dtype {x.dtype}")
    return x if x.is_floating_point() else x.to(torch.float64)


def _first_bad(x: torch.Tensor, bad: torch.Tensor) -> str:
    """``"<value> at index <i>"`` of the first True entry of ``bad`` (only on the error path)."""
    idx = tuple(int(i) for i in torch.nonzero(bad)[0].tolist())
    where = idx if x.ndim > 1 else idx[0]
    return f"{float(x[idx])!r} at index {where}"


def _same_device(tensors: dict) -> torch.device:
    devices = {name: t.device for name, t in tensors.items() if t is not None}
    first = next(iter(devices.values()))
    if any(d != first for d in devices.values()):
        listed = ", ".join(f"{name} on {d}" for name, d in devices.items())
        raise ValueError(f"all inputs must be on one device, got {listed}")
    return first


def _compute_dtype(*tensors) -> tuple[torch.dtype, torch.dtype]:
    """(dtype of the result, dtype computed in): half precision is computed in float32."""
    out = tensors[0].dtype
    for t in tensors[1:]:
        if t is not None:
            out = torch.promote_types(out, t.dtype)
    return out, (torch.float32 if torch.finfo(out).bits < 32 else out)


def _check_samples(x: torch.Tensor, name: str) -> None:
    """At least 1-D with a non-empty last axis (finiteness is read off the sorted ends)."""
    if x.ndim == 0:
        raise ValueError(f"{name} must be a 1-D array of samples, got a scalar")
    if x.shape[-1] == 0 or x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)}); at least one sample is needed")


def _check_sorted_finite(s: torch.Tensor, x: torch.Tensor, name: str) -> None:
    """Sorted ascending, NaN last and -inf first: the two ends tell finiteness."""
    if not bool(torch.isfinite(s[..., 0]).all() & torch.isfinite(s[..., -1]).all()):
        raise ValueError(f"{name} must hold finite sample values, "
                         f"found {_first_bad(x, ~torch.isfinite(x))}")


def _check_weights(w, shape, name: str):
    """As ``divgan._validation.as_weights``: same shape as the values, finite, >= 0, positive total."""
    if w is None:
        return None
    w = _tensor(w, name)
    if tuple(w.shape) != tuple(shape):
        raise ValueError(f"{name} has shape {tuple(w.shape)}, expected {tuple(shape)} "
                         f"to match the values")
    finite = torch.isfinite(w)
    if not bool(finite.all()):
        raise ValueError(f"{name} must be finite, found {_first_bad(w, ~finite)}")
    if bool((w < 0).any()):
        raise ValueError(f"{name} must be non-negative, found {_first_bad(w, w < 0)}")
    if bool((w.sum(dim=-1) <= 0).any()):
        raise ValueError(f"{name} must have positive total weight, got all zeros")
    return w


def _check_points(x, name: str, *, dim: int | None = None) -> torch.Tensor:
    """As ``divgan._validation.as_points``: ``(n, d)`` (a 1-D tensor is n points in 1-D)."""
    x = _tensor(x, name)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"{name} must be a point cloud of shape (n, d), got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)}); at least one point is needed")
    if x.shape[1] == 0:
        raise ValueError(f"{name} has zero coordinates per point (shape {tuple(x.shape)})")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"{name} has {x.shape[1]} coordinates per point, expected {dim} "
                         f"to match the other cloud")
    finite = torch.isfinite(x)
    if not bool(finite.all()):
        raise ValueError(f"{name} must hold finite coordinates, found {_first_bad(x, ~finite)}")
    return x
