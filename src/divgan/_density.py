r"""Private machinery of the density divergences in :mod:`divgan.divergences`.

A 1-D density (frozen ``scipy.stats`` distribution or pdf callable) as a scalar log-pdf
with its support and breakpoints of its bulk, and the split adaptive quadrature.
"""
import itertools
import math
import warnings

import numpy as np
from scipy import integrate, stats

from ._validation import as_interval

_QUANTILES = (1e-9, 1e-4, 0.01, 0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95, 0.99, 1 - 1e-4, 1 - 1e-9)
_GRID = 2049  # grid used to place breakpoints for pdf callables


class _Density:
    """A 1-D density as a scalar log-pdf, its support and breakpoints of its bulk."""

    def __init__(self, obj, name, support):
        dist = getattr(obj, "dist", None)
        if isinstance(dist, stats.rv_continuous) and hasattr(obj, "logpdf"):
            self.frozen = True
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                lo, hi = (float(v) for v in obj.support())
                pts = np.asarray(obj.ppf(_QUANTILES), dtype=float)
            if math.isnan(lo) or math.isnan(hi) or np.isnan(pts).any():
                kwds = (f"{k}={v!r}" for k, v in obj.kwds.items())
                args = ", ".join([*map(repr, obj.args), *kwds])
                raise ValueError(
                    f"{name} = scipy.stats.{dist.name}({args}) is not a valid distribution "
                    f"(scipy gives NaN for its support or quantiles): check its parameters "
                    f"(finite location, scale > 0)"
                )
            self.support = (lo, hi)
            self._logpdf = obj.logpdf
            self.points = pts[np.isfinite(pts)]
        elif isinstance(dist, stats.rv_discrete) or hasattr(obj, "pmf"):
            raise TypeError(f"{name} is a discrete distribution; use kl_divergence on its pmf")
        elif callable(obj) and not hasattr(obj, "rvs"):
            if support is None:
                raise ValueError(
                    f"{name} is a pdf callable, so support=(a, b) is required "
                    f"(finite a < b enclosing all of its mass)"
                )
            self.frozen = False
            self.support = support
            self._pdf = obj
            self.name = name
            grid = np.linspace(support[0], support[1], _GRID)
            dens = np.array([self._pdf_value(x) for x in grid])
            if not (dens > 0).any():
                raise ValueError(f"{name} is zero on the whole support {support}")
            cdf = np.concatenate([[0.0], np.cumsum((dens[1:] + dens[:-1]) / 2)])
            cdf /= cdf[-1]
            pts = np.interp(_QUANTILES, cdf, grid)
            self.points = np.concatenate([pts, [grid[np.argmax(dens)]]])
        else:
            raise TypeError(
                f"{name} must be a frozen scipy.stats continuous distribution or a pdf "
                f"callable, got {type(obj).__name__}"
            )

    def _pdf_value(self, x):
        v = float(self._pdf(x))
        if not (v >= 0) or math.isinf(v):
            raise ValueError(
                f"{self.name} returned {v!r} at x={x!r}; a pdf must be finite and >= 0"
            )
        return v

    def logpdf(self, x):
        if self.frozen:
            return float(self._logpdf(x))
        v = self._pdf_value(x)
        return math.log(v) if v > 0 else -math.inf


def _densities(p, q, support):
    support = as_interval(support, "support")
    dp = _Density(p, "p", support)
    dq = _Density(q, "q", support)
    if support is not None and dp.frozen and dq.frozen:
        raise ValueError(
            "support is taken from frozen distributions; pass support only with pdf callables"
        )
    return dp, dq


def _integrate(f, lo, hi, points):
    """∫_lo^hi f by adaptive Gauss–Kronrod, split at ``points`` (the bulk of both
    densities) so narrow peaks are not stepped over; infinite ends are separate
    pieces mapped to finite ones by quad. quad's warnings are gathered into one
    IntegrationWarning that names the piece (never silenced)."""
    pts = np.unique(np.clip(np.asarray(points, dtype=float), lo, hi))
    pts = pts[(pts > lo) & (pts < hi)]
    edges = [lo, *pts.tolist(), hi]
    total = 0.0
    troubles = []
    for a, b in itertools.pairwise(edges):
        if a < b:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", integrate.IntegrationWarning)
                total += integrate.quad(f, a, b, limit=200, epsabs=1e-14, epsrel=1e-11)[0]
            troubles += [f"[{a:.6g}, {b:.6g}]: {w.message}" for w in caught]
    if troubles:
        warnings.warn(
            "quadrature did not converge cleanly on " + "; ".join(troubles) + ". The value "
            "may be inaccurate; a divergent tail usually means the divergence is +inf "
            "(e.g. a heavy-tailed p against a light-tailed q)",
            integrate.IntegrationWarning,
            stacklevel=3,
        )
    return total
