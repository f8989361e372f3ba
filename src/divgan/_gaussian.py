r"""Private validation of Gaussian parameters for the closed forms in :mod:`divgan.divergences`."""

import numpy as np
from scipy import linalg

from ._validation import as_float_array


def _gaussian(mean, cov, which, *, strict):
    """Validated (mean, cov) of one Gaussian: scalars (mean, variance) in 1-D, or a
    (d,) mean and a symmetric (d, d) covariance; positive definite when ``strict``,
    else positive semi-definite."""
    m = as_float_array(mean, f"mean_{which}")
    c = as_float_array(cov, f"cov_{which}")
    if not np.isfinite(m).all():
        raise ValueError(f"mean_{which} must be finite, got {mean!r}")
    if not np.isfinite(c).all():
        raise ValueError(f"cov_{which} must be finite, got {cov!r}")
    if m.ndim == 0:
        if c.ndim != 0:
            raise ValueError(
                f"mean_{which} is a scalar, so cov_{which} must be a scalar variance; "
                f"got shape {c.shape}"
            )
        v = float(c)
        if v < 0 or (strict and v == 0):
            need = "> 0" if strict else ">= 0"
            raise ValueError(f"the variance cov_{which} must be {need}, got {v!r}")
        return float(m), v
    if m.ndim != 1 or m.size == 0:
        raise ValueError(
            f"mean_{which} must be a scalar or a non-empty 1-D vector, got shape {m.shape}"
        )
    d = m.size
    if c.shape != (d, d):
        raise ValueError(
            f"cov_{which} must have shape ({d}, {d}) to match mean_{which}, got shape {c.shape}"
        )
    scale = float(np.abs(c).max()) or 1.0
    if np.abs(c - c.T).max() > 1e-10 * scale:
        raise ValueError(f"cov_{which} must be symmetric, got {c.tolist()!r}")
    c = (c + c.T) / 2
    if strict:
        try:
            linalg.cholesky(c, lower=True)
        except linalg.LinAlgError:
            raise ValueError(f"cov_{which} must be positive definite, got {c.tolist()!r}") from None
    elif np.linalg.eigvalsh(c).min() < -1e-12 * scale:
        raise ValueError(f"cov_{which} must be positive semi-definite, got {c.tolist()!r}")
    return m, c


def _pair_gaussians(mean_p, cov_p, mean_q, cov_q, *, strict):
    mp, cp = _gaussian(mean_p, cov_p, "p", strict=strict)
    mq, cq = _gaussian(mean_q, cov_q, "q", strict=strict)
    dp = np.size(mp) if np.ndim(mp) else 0
    dq = np.size(mq) if np.ndim(mq) else 0
    if dp != dq:
        raise ValueError(
            f"p and q must have the same dimension: mean_p has shape {np.shape(mp)}, "
            f"mean_q has shape {np.shape(mq)}"
        )
    return mp, cp, mq, cq
