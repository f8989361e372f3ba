r"""Kullback–Leibler and Jensen–Shannon divergences (lecture claims L1, L2).

Three forms of each: for pmfs (or non-negative masses) on a shared grid, for 1-D
densities by log-domain adaptive quadrature, and in closed form for Gaussians
(:func:`gaussian_kl`; :func:`gaussian_w1` and :func:`gaussian_w2` give the
Wasserstein distances between Gaussians for the same families).

Units: natural logarithms by default; ``base=`` (keyword-only) changes the unit
(``base=2`` gives bits). :func:`js_divergence` is the divergence (at most
:math:`\log 2`), :func:`js_distance` its square root.
"""
import math

import numpy as np
from scipy import linalg, special

from ._density import _densities, _integrate
from ._pmf import _finish, _js_rows, kl_rows_any
from ._validation import as_gaussian_pair, as_pmf_pair, check_base

__all__ = [
    "gaussian_kl",
    "gaussian_w1",
    "gaussian_w2",
    "js_distance",
    "js_divergence",
    "js_divergence_density",
    "kl_divergence",
    "kl_divergence_density",
]

_LOG2 = math.log(2.0)


# --------------------------------------------------------------------------- pmfs
def kl_divergence(p, q, *, base=None, axis=-1):
    r"""Kullback–Leibler divergence KL(p‖q) between pmfs (or non-negative masses).

    .. math::

        \mathrm{KL}(p\,\|\,q) = \sum_i p_i \log\frac{p_i}{q_i},
        \qquad 0 \log\tfrac{0}{q} = 0,\quad p_i > 0 = q_i \Rightarrow +\infty.

    ``p`` and ``q`` are normalised along ``axis`` first (they may be raw masses or
    counts): :math:`\mathrm{KL}(p/P\,\|\,q/Q) = \sum_i (p_i/P)\log(p_i/q_i) + \log(Q/P)`
    with :math:`P=\sum p`, :math:`Q=\sum q` (the ratios balanced by an exact power of two,
    so the last term cannot cancel the sum).
    Lecture claim **L1** (KL is asymmetric: ``kl_divergence(p, q) !=
    kl_divergence(q, p)`` in general).

    Parameters
    ----------
    p, q : array_like
        Non-negative finite masses, not all zero along ``axis``; their lengths along
        ``axis`` must match and the other axes broadcast (batches).
    base : float, optional
        Logarithm base (default: natural log, nats).
    axis : int, default -1
        The axis holding the outcomes.

    Returns
    -------
    float or ndarray
        A Python float for 1-D inputs, else an array of the broadcast batch shape.
        ``inf`` where q puts no mass on an outcome p has.

    Raises
    ------
    ValueError
        Negative, NaN or infinite entries, an all-zero row, empty input, or
        mismatched lengths / non-broadcasting shapes.
    TypeError
        Non-numeric input, a non-integer ``axis`` or a bad ``base``.

    Notes
    -----
    Each term carries about one rounding of its own size; ``docs/traps.md`` gives the
    measured error against a ``math.fsum`` reference. Where a ratio :math:`p_i/q_i`
    would leave the float range (masses spanning ~1e300), the row is computed as
    :math:`\sum (p_i/P)(\log p_i - \log q_i) + \log(Q/P)` instead.

    References
    ----------
    Kullback, S. and Leibler, R. A. (1951). On information and sufficiency.
    *Annals of Mathematical Statistics* 22(1), 79–86.

    Examples
    --------
    >>> from divgan.divergences import kl_divergence
    >>> round(kl_divergence([0.5, 0.5], [0.9, 0.1]), 6)
    0.510826
    >>> round(kl_divergence([0.9, 0.1], [0.5, 0.5]), 6)
    0.368064
    >>> kl_divergence([1, 1], [1, 0])
    inf
    """
    base = check_base(base)
    return _finish(*kl_rows_any(p, q, axis), base)


def js_divergence(p, q, *, base=None, axis=-1):
    r"""Jensen–Shannon divergence between pmfs (or non-negative masses).

    .. math::

        \mathrm{JS}(p\,\|\,q) = \tfrac12\mathrm{KL}(p\,\|\,m) + \tfrac12\mathrm{KL}(q\,\|\,m),
        \qquad m = \tfrac12(p + q),\qquad 0 \le \mathrm{JS} \le \log 2 .

    Lecture claim **L2**: symmetric, always finite, bounded by :math:`\log 2`
    (:math:`\log_b 2` in base ``b``), reached exactly for disjoint supports.
    ``p`` and ``q`` are normalised along ``axis`` first. Computed term by term as
    :math:`p\log\frac{2p}{p+qP/Q}`, so equal inputs give exactly 0.

    Parameters
    ----------
    p, q : array_like
        Non-negative finite masses, not all zero along ``axis`` (see
        :func:`kl_divergence` for shapes).
    base : float, optional
        Logarithm base (default: natural log).
    axis : int, default -1
        The axis holding the outcomes.

    Returns
    -------
    float or ndarray
        A Python float for 1-D inputs, else an array of the batch shape.

    Raises
    ------
    ValueError, TypeError
        As :func:`kl_divergence`.

    References
    ----------
    Lin, J. (1991). Divergence measures based on the Shannon entropy.
    *IEEE Transactions on Information Theory* 37(1), 145–151.

    Examples
    --------
    >>> from divgan.divergences import js_divergence
    >>> round(js_divergence([1, 0], [0, 1]), 6)  # log 2
    0.693147
    >>> js_divergence([1, 0], [0, 1], base=2)
    1.0
    >>> round(js_divergence([0.5, 0.5], [0.9, 0.1]), 6)
    0.101749
    """
    base = check_base(base)
    pair = as_pmf_pair(p, q, axis=axis)
    return _finish(_js_rows(pair), pair.batch, base)


def js_distance(p, q, *, base=None, axis=-1):
    r"""Jensen–Shannon distance, the square root of :func:`js_divergence`.

    .. math::

        d_{\mathrm{JS}}(p, q) = \sqrt{\mathrm{JS}(p\,\|\,q)},

    a metric on pmfs (Endres and Schindelin, 2003). Equal inputs give exactly
    ``0.0``, never NaN. Lecture claim **L2**.

    Parameters
    ----------
    p, q : array_like
        Non-negative finite masses (see :func:`kl_divergence`).
    base : float, optional
        Logarithm base of the divergence under the square root.
    axis : int, default -1
        The axis holding the outcomes.

    Returns
    -------
    float or ndarray
        A Python float for 1-D inputs, else an array of the batch shape.

    References
    ----------
    Endres, D. M. and Schindelin, J. E. (2003). A new metric for probability
    distributions. *IEEE Transactions on Information Theory* 49(7), 1858–1860.

    Examples
    --------
    >>> from divgan.divergences import js_distance
    >>> js_distance([0.2, 0.8], [0.2, 0.8])
    0.0
    >>> js_distance([1, 0], [0, 1], base=2)
    1.0
    """
    base = check_base(base)
    pair = as_pmf_pair(p, q, axis=axis)
    return _finish(_js_rows(pair), pair.batch, base, root=True)


# ----------------------------------------------------------------------- densities
def kl_divergence_density(p, q, *, support=None, base=None):
    r"""KL(p‖q) between 1-D densities, by log-domain adaptive quadrature.

    .. math::

        \mathrm{KL}(p\,\|\,q) = \int p(x)\,\bigl(\log p(x) - \log q(x)\bigr)\,dx .

    Lecture claim **L1**. Frozen distributions are integrated with their ``logpdf``
    over p's support, split at quantiles of both (so a narrow peak of either is
    not missed). If p's support is not inside q's (including disjoint supports),
    the result is ``inf`` exactly, decided from the supports, not from quadrature.

    Parameters
    ----------
    p, q : frozen ``scipy.stats`` continuous distribution or callable
        A callable is a pdf ``f(x) -> float`` and then ``support`` is required.
    support : (float, float), optional
        Finite interval holding all the mass of the callables (both share it).
    base : float, optional
        Logarithm base (default natural log).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Callables without ``support``, a bad ``support``, ``support`` given with two
        frozen distributions, or a pdf returning a negative or non-finite value.
    TypeError
        Inputs that are neither, discrete distributions, or a bad ``base``.

    Warns
    -----
    scipy.integrate.IntegrationWarning
        When quad reports a piece as not converged or divergent. A divergent tail
        usually means KL = +inf (e.g. KL(Cauchy‖Normal)); the returned number is then
        not reliable. Pdf callables are evaluated in the linear domain, so a q that
        underflows to 0 where p does not is read as q = 0 (KL = +inf).

    Examples
    --------
    >>> from scipy import stats
    >>> from divgan.divergences import kl_divergence_density, gaussian_kl
    >>> round(kl_divergence_density(stats.norm(0, 1), stats.norm(1, 2)), 8)
    0.44314718
    >>> round(gaussian_kl(0, 1, 1, 4), 8)
    0.44314718
    >>> kl_divergence_density(stats.uniform(0, 1), stats.uniform(0.5, 1))
    inf
    """
    base = check_base(base)
    dp, dq = _densities(p, q, support)
    (pa, pb), (qa, qb) = dp.support, dq.support
    if pa < qa or pb > qb:  # p has mass where q has none (disjoint supports included)
        return math.inf
    flag = []

    def f(x):
        lp = dp.logpdf(x)
        if lp == -math.inf:
            return 0.0
        lq = dq.logpdf(x)
        if lq == -math.inf:
            flag.append(x)
            return 0.0
        return math.exp(lp) * (lp - lq)

    value = _integrate(f, pa, pb, np.concatenate([dp.points, dq.points]))
    if flag:
        return math.inf
    value = max(value, 0.0)
    return value / math.log(base) if base is not None else value


def js_divergence_density(p, q, *, support=None, base=None):
    r"""Jensen–Shannon divergence between 1-D densities, by log-domain quadrature.

    .. math::

        \mathrm{JS}(p\,\|\,q) = \tfrac12\!\int p\log\frac{p}{m}
        + \tfrac12\!\int q\log\frac{q}{m},\qquad
        \log m = \operatorname{logaddexp}(\log p, \log q) - \log 2 .

    Lecture claim **L2**: bounded by :math:`\log 2`, which disjoint supports give
    exactly (decided from the supports). Integrated over the union of the supports,
    split at quantiles of both densities.

    Parameters
    ----------
    p, q : frozen ``scipy.stats`` continuous distribution or callable
        As in :func:`kl_divergence_density`.
    support : (float, float), optional
        Required for callables.
    base : float, optional
        Logarithm base (default natural log).

    Returns
    -------
    float

    Examples
    --------
    >>> from scipy import stats
    >>> from divgan.divergences import js_divergence_density
    >>> js_divergence_density(stats.uniform(0, 1), stats.uniform(2, 1), base=2)
    1.0
    >>> round(js_divergence_density(stats.norm(0, 1), stats.norm(0, 1)), 12)
    0.0
    """
    base = check_base(base)
    dp, dq = _densities(p, q, support)
    (pa, pb), (qa, qb) = dp.support, dq.support
    if pb <= qa or qb <= pa:  # supports overlap at most in a point: JS = log 2
        value = _LOG2
    else:

        def f(x):
            lp = dp.logpdf(x)
            lq = dq.logpdf(x)
            if lp == -math.inf and lq == -math.inf:
                return 0.0
            lm = np.logaddexp(lp, lq) - _LOG2
            tp = math.exp(lp) * (lp - lm) if lp > -math.inf else 0.0
            tq = math.exp(lq) * (lq - lm) if lq > -math.inf else 0.0
            return 0.5 * (tp + tq)

        value = _integrate(f, min(pa, qa), max(pb, qb), np.concatenate([dp.points, dq.points]))
        value = min(max(value, 0.0), _LOG2)
    return value / math.log(base) if base is not None else value


# ------------------------------------------------------------------- Gaussians
def gaussian_kl(mean_p, cov_p, mean_q, cov_q):
    r"""Closed-form KL(N(μ_p, Σ_p) ‖ N(μ_q, Σ_q)).

    .. math::

        \mathrm{KL} = \tfrac12\Bigl(\operatorname{tr}(\Sigma_q^{-1}\Sigma_p)
        + (\mu_q-\mu_p)^\top\Sigma_q^{-1}(\mu_q-\mu_p) - d
        + \log\frac{\det\Sigma_q}{\det\Sigma_p}\Bigr).

    Lecture claim **L1** (its Gaussian closed form; asymmetric in the variances).

    Parameters
    ----------
    mean_p, cov_p, mean_q, cov_q : float or array_like
        In 1-D: scalar means and **variances**. In d-D: ``(d,)`` means and ``(d, d)``
        symmetric positive definite covariance matrices.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Non-finite values, mismatched shapes or dimensions, a variance <= 0, a
        covariance that is not symmetric positive definite.

    Examples
    --------
    >>> from divgan.divergences import gaussian_kl
    >>> round(gaussian_kl(0.0, 1.0, 1.0, 1.0), 6)  # Δμ²/2
    0.5
    >>> round(gaussian_kl([0, 0], [[1, 0], [0, 1]], [1, 0], [[2, 0], [0, 2]]), 6)
    0.443147
    """
    mp, cp, mq, cq = as_gaussian_pair(mean_p, cov_p, mean_q, cov_q, strict=True)
    if np.ndim(mp) == 0:
        # logs of the variances, not of their ratio, and the mean term as a square of a
        # ratio: nothing overflows unless the value itself does (variances 1e±300)
        shift = (mp - mq) / math.sqrt(cq) if math.isfinite(mp - mq) else (
            mp / math.sqrt(cq) - mq / math.sqrt(cq))
        with np.errstate(over="ignore"):
            value = 0.5 * ((math.log(cq) - math.log(cp)) + float(np.float64(cp) / cq)
                           + float(np.float64(shift) ** 2) - 1.0)
        return _finite(value, "KL")
    d = mp.size
    lq = linalg.cholesky(cq, lower=True)
    lp = linalg.cholesky(cp, lower=True)
    a = linalg.solve_triangular(lq, lp, lower=True)  # Lq⁻¹ Lp: tr(Σq⁻¹Σp) = ‖a‖_F²
    b = linalg.solve_triangular(lq, mq - mp, lower=True)
    logdet = 2.0 * (np.log(np.diag(lq)).sum() - np.log(np.diag(lp)).sum())
    with np.errstate(over="ignore"):
        value = 0.5 * (float((a * a).sum()) + float(b @ b) - d + float(logdet))
    return _finite(max(value, 0.0), "KL")


def _finite(value: float, what: str) -> float:
    """``value``, or a ValueError when the true value lies beyond the float64 range."""
    if not math.isfinite(value):
        raise ValueError(
            f"the {what} of these Gaussians is beyond the largest float64 (about 1.8e308): "
            f"their variances or means differ by more than float64 can hold"
        )
    return value


def gaussian_w2(mean_p, cov_p, mean_q, cov_q):
    r"""Closed-form 2-Wasserstein distance between Gaussians (Bures–Wasserstein).

    .. math::

        W_2^2 = \lVert\mu_p-\mu_q\rVert^2 + \operatorname{tr}\bigl(\Sigma_p + \Sigma_q
        - 2(\Sigma_q^{1/2}\Sigma_p\Sigma_q^{1/2})^{1/2}\bigr),

    which in 1-D is :math:`(\mu_p-\mu_q)^2 + (\sigma_p-\sigma_q)^2`. Returns
    :math:`W_2` itself. Degenerate (semi-definite) covariances are allowed. Serves
    the Wasserstein claims (L10, L12) with an exact reference value.

    Parameters
    ----------
    mean_p, cov_p, mean_q, cov_q : float or array_like
        1-D: scalar means and variances (>= 0); d-D: ``(d,)`` means and symmetric
        positive semi-definite ``(d, d)`` covariances.

    Returns
    -------
    float

    References
    ----------
    Dowson, D. C. and Landau, B. V. (1982). The Fréchet distance between
    multivariate normal distributions. *J. Multivariate Analysis* 12(3), 450–455.

    Examples
    --------
    >>> from divgan.divergences import gaussian_w2
    >>> gaussian_w2(0.0, 1.0, 3.0, 4.0)  # sqrt(3² + (1 - 2)²)
    3.1622776601683795
    >>> round(gaussian_w2([0, 0], [[1, 0], [0, 1]], [0, 0], [[4, 0], [0, 9]]), 6)
    2.236068
    """
    mp, cp, mq, cq = as_gaussian_pair(mean_p, cov_p, mean_q, cov_q, strict=False)
    if np.ndim(mp) == 0:
        with np.errstate(over="ignore"):
            return _finite(math.hypot(float(np.float64(mp) - mq), math.sqrt(cp) - math.sqrt(cq)),
                           "W_2")
    # W_2 of (mu / c, Sigma / c^2) is W_2 / c: with c a power of two (exact) that brings the
    # covariances near 1, products like Sigma_q^1/2 Sigma_p Sigma_q^1/2 cannot under- or
    # overflow (covariances 1e-300 I would give 0 there).
    top = float(max(np.abs(cp).max(), np.abs(cq).max()))
    c = math.ldexp(1.0, math.frexp(top)[1] // 2) if top > 0 else 1.0
    mp, mq, cp, cq = mp / c, mq / c, cp / (c * c), cq / (c * c)
    w, v = np.linalg.eigh(cq)
    root_q = (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T
    cross = root_q @ cp @ root_q
    eig = np.linalg.eigvalsh((cross + cross.T) / 2)
    cross_root_trace = float(np.sqrt(np.clip(eig, 0.0, None)).sum())
    bures = max(float(np.trace(cp) + np.trace(cq)) - 2.0 * cross_root_trace, 0.0)
    diff = mp - mq
    with np.errstate(over="ignore"):
        return _finite(c * math.sqrt(float(diff @ diff) + bures), "W_2")


def gaussian_w1(mean_p, var_p, mean_q, var_q):
    r"""Exact 1-Wasserstein distance between two 1-D Gaussians.

    The monotone coupling pairs quantiles, :math:`F_q^{-1}(u) - F_p^{-1}(u) = a + bZ`
    with :math:`a = \mu_q - \mu_p`, :math:`b = \sigma_q - \sigma_p`, so

    .. math::

        W_1 = \mathbb{E}\lvert a + bZ\rvert = |b|\sqrt{2/\pi}\,e^{-a^2/(2b^2)}
        + |a|\bigl(1 - 2\Phi(-|a|/|b|)\bigr), \qquad W_1 = |a| \text{ if } b = 0 .

    Serves the Wasserstein claims (L10, L13) with an exact reference value.

    Parameters
    ----------
    mean_p, var_p, mean_q, var_q : float
        Means and **variances** (>= 0).

    Returns
    -------
    float

    Examples
    --------
    >>> from divgan.divergences import gaussian_w1
    >>> gaussian_w1(0.0, 1.0, 2.5, 1.0)
    2.5
    >>> round(gaussian_w1(0.0, 1.0, 0.0, 4.0), 6)  # sqrt(2/π)
    0.797885
    """
    mp, vp, mq, vq = as_gaussian_pair(mean_p, var_p, mean_q, var_q, strict=False)
    if np.ndim(mp) != 0:
        raise ValueError(
            "gaussian_w1 is for 1-D Gaussians (scalar means and variances); "
            f"got mean_p of shape {np.shape(mp)}"
        )
    a = abs(mq - mp)
    b = abs(math.sqrt(vq) - math.sqrt(vp))
    if b == 0.0:
        return a
    return b * math.sqrt(2.0 / math.pi) * math.exp(-(a * a) / (2.0 * b * b)) + a * (
        1.0 - 2.0 * float(special.ndtr(-a / b))
    )
