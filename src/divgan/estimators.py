r"""Sample-based estimators with NumPy/SciPy: kNN KL and bootstrap intervals.

The kNN estimator serves lecture claim **L13** (on the parallel lines the KL is
+inf, and an estimate from samples must say so rather than print a finite number)
and claim **L1** (KL between sampled distributions).
"""
import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from ._validation import (
    as_float_array,
    as_generator,
    as_points,
    check_fraction,
    check_positive_int,
)

__all__ = ["BOOTSTRAP_METHODS", "KnnKLResult", "bootstrap_ci", "kl_divergence_knn"]

#: Growth per doubling of the sample size above which the estimate is "diverging".
#: A finite KL makes the estimate converge (growth → 0); disjoint supports make it
#: grow by (d / d_intrinsic)·log 2 ≥ log 2 per doubling. Half of the smallest
#: disjoint rate leaves a wide margin to the noise of a converging estimate.
GROWTH_THRESHOLD = 0.5 * math.log(2.0)
#: Cross-sample neighbour ratio below which no x point "sees" the y sample.
OVERLAP_THRESHOLD = 0.05
#: Smallest n and m for which the nested-subsample test is run.
MIN_SAMPLES = 32
#: Below this n the growth alone is too noisy to call an overlapping sample
#: "diverging" (two identical distributions on a line in 2-D grow like disjoint ones in
#: a few draws out of 50 at n = 100; the measurement and its command are in
#: docs/api/estimators.md); the disjoint verdict, which also needs the margin, is given
#: from MIN_SAMPLES on.
MIN_SAMPLES_DIVERGING = 200
_REPEATS = 3
#: ``neighbour_locality`` above which the reason warns that the neighbours are not local:
#: Gaussian samples of n = 16000 give 0.25 at d = 8, 0.43 at d = 16, 0.59 at d = 32, and
#: from d = 16 on the study of docs/critics_in_d.md found the estimate 25-60% short of a
#: finite KL and the disjointness test blind to a gap of 0.5 between hyperplanes.
LOCALITY_THRESHOLD = 0.4
_LOCALITY_PAIRING = 20261130  # seeds the fixed pairing of the points behind its denominator


@dataclass(frozen=True)
class KnnKLResult:
    """Result of :func:`kl_divergence_knn`.

    Attributes
    ----------
    value : float
        The KL estimate in nats, or ``inf`` when ``supports_look_disjoint``.
    estimate : float
        The raw Wang–Kulkarni–Verdú estimate on all samples (kept even when
        ``value`` is ``inf``; then it is a number that grows like log n).
    k, n, m, dim : int
        Neighbour order, sizes of x and y, dimension.
    subsample_sizes : tuple of int
        Sizes of x in the nested subsamples (n/4, n/2, n); empty if not tested.
    subsample_estimates : tuple of float
        The estimate at each of those sizes (the two smaller ones averaged over
        random nested subsamples).
    growth_per_doubling : float
        Least-squares slope of the estimate against log2(n) over the subsamples;
        NaN if not tested.
    cross_neighbour_ratio : float
        Fraction of x points whose nearest neighbour in the pooled sample lies in y,
        divided by the fraction expected when p = q, m/(n - 1 + m). About 1 for
        identical distributions, 0 when no x point has a y point nearby.
    diverging : bool
        ``growth_per_doubling >= GROWTH_THRESHOLD`` and the estimate rose at each
        step: p seems to put mass where q has none, so KL(p‖q) is probably +inf
        (or too large to estimate from these samples). For overlapping samples
        only reported from ``MIN_SAMPLES_DIVERGING`` (200) points on.
    supports_look_disjoint : bool
        ``diverging`` and ``cross_neighbour_ratio < OVERLAP_THRESHOLD``.
    reason : str
        A sentence saying what was found.
    neighbour_locality : float
        Median distance from an x point to its nearest other x point, divided by the median
        distance between two x points (over a fixed random pairing of x). Near 0 where the
        neighbours are local, as the estimator assumes; in high dimension distances
        concentrate and it approaches 1. Above ``LOCALITY_THRESHOLD`` (0.4) ``reason``
        says the estimate is not to be trusted: there the estimate fell far short of a
        finite KL, and supports closer than the neighbour distance did not look disjoint.
    """

    value: float
    estimate: float
    k: int
    n: int
    m: int
    dim: int
    subsample_sizes: tuple
    subsample_estimates: tuple
    growth_per_doubling: float
    cross_neighbour_ratio: float
    diverging: bool
    supports_look_disjoint: bool
    reason: str
    neighbour_locality: float


def _locality(x, rho1):
    """Median nearest-neighbour distance ``rho1`` over the median distance between the points
    of a fixed random pairing of the rows of ``x`` (row ``p_i`` with row ``p_(i + n//2) mod n``,
    ``p`` a permutation that does not depend on the caller's seed, so that sorted or grouped
    rows are still paired at random; NaN if all pairs coincide)."""
    n = len(x)
    p = np.random.default_rng(_LOCALITY_PAIRING).permutation(n)
    pairs = np.linalg.norm(x[p] - x[np.roll(p, n // 2)], axis=1)
    scale = float(np.median(pairs))
    return float(np.median(rho1)) / scale if scale > 0 else math.nan


def _kth_distances(x, y, k):
    """ρ_k(i): distance from x_i to its k-th neighbour in x without x_i; ν_k(i): to
    its k-th neighbour in y. A k-d tree up to ``_TREE_MAX_DIM`` dimensions, above it
    :func:`_kth_brute` (a tree in 128 dimensions visits almost every node: matrix products
    are 2.5 times faster at n = 2000 and 8000, ``benchmarks/RESULTS_KNN.md``)."""
    if x.shape[1] > _TREE_MAX_DIM:
        return _kth_brute(x, x, k, same=True), _kth_brute(x, y, k, same=False)
    rho = cKDTree(x).query(x, k=[k + 1])[0][:, 0]
    nu = cKDTree(y).query(x, k=[k])[0][:, 0]
    return rho, nu


_TREE_MAX_DIM = 16
_CANDIDATES = 8  # brute force: neighbours beyond the k-th whose distance is recomputed exactly
_CHUNK_BYTES = 64 * 2**20  # brute force: at most this much memory per block of distances


def _kth_brute(q, ref, k, *, same):
    """Distance from each row of ``q`` to its k-th nearest row of ``ref`` (``same``: ``q`` is
    ``ref`` and a row is not its own neighbour), by blocks of squared distances from matrix
    products, which pick the ``k + _CANDIDATES`` nearest; their distances are then recomputed
    from the differences, so the result is exact to rounding (the products' cancellation
    only reorders candidates closer than it)."""
    centre = ref.mean(axis=0)
    q, ref = q - centre, ref - centre
    sq = np.einsum("ij,ij->i", ref, ref)
    avail = len(ref) - 1 if same else len(ref)
    kk = min(k + _CANDIDATES, avail)
    rows = max(1, _CHUNK_BYTES // (8 * len(ref)))
    out = np.empty(len(q))
    for i in range(0, len(q), rows):
        a = q[i:i + rows]
        d2 = sq[None, :] - 2.0 * (a @ ref.T)  # |a|^2 left out: the same along each row
        own = np.arange(len(a)), np.arange(i, i + len(a))
        if same:
            d2[own] = np.inf
        cand = np.argpartition(d2, kk - 1, axis=1)[:, :kk]
        exact = np.sqrt(((a[:, None, :] - ref[cand]) ** 2).sum(axis=-1))
        if same:
            exact[cand == own[1][:, None]] = np.inf
        out[i:i + rows] = np.partition(exact, k - 1, axis=1)[:, k - 1]
    return out


def _refuse_zero_distances(dist, x, k, problem, who, where, advice="", unit=1.0):
    """ValueError naming the first point of x whose k-th neighbour in ``where`` is at distance
    0 (log 0 in the estimator): the kNN estimator assumes continuous distributions."""
    if (dist == 0).any():
        i = int(np.argmax(dist == 0))
        raise ValueError(
            f"{problem}: {int((dist == 0).sum())} {who} have their k={k}-th "
            f"neighbour in {where} at distance 0 (e.g. x[{i}] = {(x[i] * unit).tolist()}); the kNN "
            f"estimator assumes continuous distributions{advice}"
        )


def _unit_scale(x, y):
    """Both samples divided by a power of two (exact) that brings their pooled spread
    near 1: the estimate is scale invariant, and cKDTree's squared distances would
    overflow for data near 1e200 (or underflow near 1e-200)."""
    lo = np.minimum(x.min(axis=0), y.min(axis=0))
    hi = np.maximum(x.max(axis=0), y.max(axis=0))
    half_spread = float((hi / 2 - lo / 2).max())
    if half_spread == 0.0:
        return x, y, 1.0
    unit = math.ldexp(1.0, math.frexp(half_spread)[1] + 1)
    return x / unit, y / unit, unit


def _wkv(x, y, k, unit=1.0):
    """The estimate on samples divided by ``unit`` (named in errors in the user's units)."""
    n, d = x.shape
    m = y.shape[0]
    rho, nu = _kth_distances(x, y, k)
    _refuse_zero_distances(rho, x, k, "x has repeated points", "points", "x",
                           ". Remove duplicates, add small noise, or raise k above the "
                           "multiplicity", unit)
    _refuse_zero_distances(nu, x, k, "x and y share points", "points of x", "y", unit=unit)
    value = d * float(np.mean(np.log(nu) - np.log(rho))) + math.log(m / (n - 1))
    return value, rho, nu


def kl_divergence_knn(x, y, *, k=1, seed=0):
    r"""k-nearest-neighbour estimate of KL(p‖q) from samples x ~ p and y ~ q.

    Wang, Kulkarni and Verdú (2009):

    .. math::

        \widehat{\mathrm{KL}} = \frac{d}{n}\sum_{i=1}^n \log\frac{\nu_k(i)}{\rho_k(i)}
        + \log\frac{m}{n-1},

    with :math:`\rho_k(i)` the distance from :math:`x_i` to its k-th nearest
    neighbour among the other points of x and :math:`\nu_k(i)` to its k-th nearest
    neighbour in y. It is consistent when p and q have densities and KL is finite.

    **Disjoint supports.** On the lecture's parallel lines (claim L13) the truth is
    +inf, yet the estimate is finite and grows like log n (the within-sample
    distances shrink, the cross-sample ones stay at the gap). So the estimate is
    also computed on random nested subsamples of sizes n/4 and n/2 (with m scaled
    alike, averaged over 3 draws) and its growth per doubling of n is fitted. A
    finite KL makes the estimate converge; mass of p where q has none makes it grow
    by about (fraction of such mass)·(d / d_intrinsic)·log 2 per doubling. If the
    growth is at least ``GROWTH_THRESHOLD`` (½ log 2) and rises at each step, the
    result is ``diverging``. If moreover almost no x point has a y point as its
    nearest pooled neighbour (``cross_neighbour_ratio < 0.05``, a margin between
    the samples), ``supports_look_disjoint`` is set and ``value`` is ``inf``; the
    raw number stays in ``estimate``. For two far-apart distributions whose KL is
    finite but huge (e.g. N(0, 1) and N(10, 1) at moderate n) the samples are
    indistinguishable from disjoint ones and the flag fires too: the KL is then
    beyond what the samples can estimate. Needs n, m >= 32 for the test; below,
    the flags are False and ``reason`` says it was not tested.

    Parameters
    ----------
    x : array_like, shape (n, d) or (n,)
        Samples of p (1-D arrays are n points in one dimension).
    y : array_like, shape (m, d) or (m,)
        Samples of q, same dimension.
    k : int, default 1
        Neighbour order, 1 <= k < n and k <= m.
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator, default 0
        The randomness of the nested subsamples of the growth test (the package's
        convention; a Generator is used as is and advances).

    Returns
    -------
    KnnKLResult

    Raises
    ------
    ValueError
        Empty or non-finite samples, mismatched dimensions, k < 1, k >= n, k > m,
        repeated points (zero within-sample distance) or points shared by x and y.
    TypeError
        Non-numeric samples or a non-integer k.

    References
    ----------
    Wang, Q., Kulkarni, S. R. and Verdú, S. (2009). Divergence estimation for
    multidimensional densities via k-nearest-neighbor distances. *IEEE Transactions
    on Information Theory* 55(5), 2392–2405.

    Examples
    --------
    >>> import numpy as np
    >>> from divgan.estimators import kl_divergence_knn
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(0.0, 1.0, 2000); y = rng.normal(1.0, 1.0, 2000)
    >>> r = kl_divergence_knn(x, y)
    >>> round(r.value, 1), r.supports_look_disjoint  # exact: 0.5
    (0.5, False)
    >>> h = rng.uniform(0, 1, 1000)
    >>> x = np.c_[np.zeros(1000), h]  # P on the line x = 0, Q on x = 0.1
    >>> y = np.c_[np.full(1000, 0.1), rng.uniform(0, 1, 1000)]
    >>> lines = kl_divergence_knn(x, y)
    >>> lines.value, lines.supports_look_disjoint, lines.estimate > 5
    (inf, True, True)
    """
    x = as_points(x, "x")
    y = as_points(y, "y", dim=x.shape[1])
    k = check_positive_int(k, "k")
    n, d = x.shape
    m = y.shape[0]
    if k >= n:
        raise ValueError(
            f"k must be < n = {n} (len(x)): the k-th neighbour of x_i is taken among "
            f"the other n - 1 points of x; got k = {k}"
        )
    if k > m:
        raise ValueError(f"k must be <= m = {m} (len(y)); got k = {k}")
    rng = as_generator(seed)
    x, y, unit = _unit_scale(x, y)
    estimate, rho, nu = _wkv(x, y, k, unit)
    if k == 1:
        rho1, nu1 = rho, nu
    else:
        rho1, nu1 = _kth_distances(x, y, 1)
    expected = m / (n - 1 + m)
    overlap = float(np.mean(nu1 < rho1)) / expected
    locality = _locality(x, rho1)
    caution = "" if not locality > LOCALITY_THRESHOLD else (
        f"; caution: the neighbours are not local (the median distance to the nearest x "
        f"point is {locality:.2f} of the median distance between two x points, above "
        f"{LOCALITY_THRESHOLD}): in this dimension at this n the estimate can be far from the "
        f"KL, and supports closer than that distance do not look disjoint")

    common = {"estimate": estimate, "k": k, "n": n, "m": m, "dim": d,
              "cross_neighbour_ratio": overlap, "neighbour_locality": locality}
    if n < MIN_SAMPLES or m < MIN_SAMPLES or n // 4 <= k or m // 4 < k:
        return KnnKLResult(
            value=estimate, subsample_sizes=(), subsample_estimates=(),
            growth_per_doubling=math.nan, diverging=False, supports_look_disjoint=False,
            reason=(f"not tested for disjoint supports: needs n, m >= {MIN_SAMPLES} "
                    f"(and n/4 > k), got n = {n}, m = {m}{caution}"),
            **common,
        )
    sizes_x = (n // 4, n // 2, n)
    sizes_y = (m // 4, m // 2, m)
    sums = [0.0, 0.0]
    for _ in range(_REPEATS):
        px = rng.permutation(n)
        py = rng.permutation(m)
        for j in range(2):
            sums[j] += _wkv(x[px[: sizes_x[j]]], y[py[: sizes_y[j]]], k, unit)[0]
    ests = (sums[0] / _REPEATS, sums[1] / _REPEATS, estimate)
    lg = np.log2(np.asarray(sizes_x, dtype=float))
    growth = float(np.polyfit(lg, np.asarray(ests), 1)[0])
    rising = ests[0] < ests[1] < ests[2]
    grows = bool(growth >= GROWTH_THRESHOLD and rising)
    disjoint = bool(grows and overlap < OVERLAP_THRESHOLD)
    diverging = bool(grows and (disjoint or min(n, m) >= MIN_SAMPLES_DIVERGING))
    if disjoint:
        reason = (
            f"supports look disjoint: the estimate grows by {growth:.2f} nats per doubling "
            f"of n (a finite KL converges) and only {overlap:.3f} of the expected share of "
            f"x points have a y point as nearest neighbour; KL(p||q) is +inf or beyond "
            f"what {n} samples can estimate"
        )
        value = math.inf
    elif diverging:
        reason = (
            f"diverging: the estimate grows by {growth:.2f} nats per doubling of n while "
            f"the samples overlap (cross-neighbour ratio {overlap:.2f}); p seems to put mass "
            f"where q has none, so KL(p||q) is probably +inf and the value is only a lower "
            f"estimate at this n"
        )
        value = estimate
    elif grows:
        reason = (
            f"inconclusive: the estimate grows by {growth:.2f} nats per doubling of n, but "
            f"with n = {n}, m = {m} (< {MIN_SAMPLES_DIVERGING}) that is within the noise of "
            f"a converging estimate; the samples overlap (cross-neighbour ratio {overlap:.2f})"
        )
        value = estimate
    else:
        reason = (
            f"converging: growth {growth:.3f} nats per doubling of n (threshold "
            f"{GROWTH_THRESHOLD:.3f}), cross-neighbour ratio {overlap:.2f}"
        )
        value = estimate
    return KnnKLResult(
        value=value, subsample_sizes=sizes_x, subsample_estimates=tuple(float(e) for e in ests),
        growth_per_doubling=growth, diverging=diverging, supports_look_disjoint=disjoint,
        reason=reason + caution, **common,
    )


BOOTSTRAP_METHODS = ("percentile", "BCa")


def bootstrap_ci(values, *, statistic=np.mean, confidence=0.95, n_resamples=1000, seed=None,
                 method="percentile"):
    r"""Bootstrap confidence interval of ``statistic(values)``, by ``scipy.stats.bootstrap``.

    Resamples the first axis of ``values`` with replacement ``n_resamples`` times and
    evaluates ``statistic`` on each resample (it must return a scalar). ``percentile``
    returns the :math:`\alpha/2` and :math:`1-\alpha/2` quantiles of those values,
    :math:`\alpha = 1 - \text{confidence}`,

    .. math::

        \bigl[\hat\theta^*_{(\alpha/2)},\ \hat\theta^*_{(1-\alpha/2)}\bigr];

    ``BCa`` shifts those levels to correct for bias and skewness (a jackknife over the
    observations estimates the acceleration; it costs ``n`` more evaluations).
    Used for the error bars of estimates from trained critics (claims L7, L15).

    Parameters
    ----------
    values : array_like, shape (n, ...)
        Finite observations; the first axis indexes them (n >= 2). Rows are resampled
        whole, so paired observations stay paired.
    statistic : callable, default numpy.mean
        Maps an array of the shape of ``values`` to a real number.
    confidence : float, default 0.95
        In (0, 1).
    n_resamples : int, default 1000
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
        The randomness of the resamples (the package's convention).
    method : {"percentile", "BCa"}, default "percentile"

    Returns
    -------
    tuple of float
        ``(low, high)``.

    Raises
    ------
    ValueError
        Fewer than 2 observations, non-finite values, a statistic that returns an array
        or a non-finite value, a bad ``confidence`` / ``n_resamples`` / ``method``, or a
        BCa interval that scipy cannot form (e.g. all resamples equal).

    References
    ----------
    Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*,
    ch. 13-14. Chapman & Hall.

    Examples
    --------
    >>> import numpy as np
    >>> from divgan.estimators import bootstrap_ci
    >>> x = np.random.default_rng(0).normal(5.0, 1.0, 400)
    >>> lo, hi = bootstrap_ci(x, seed=1)
    >>> bool(lo < 5.0 < hi), round(hi - lo, 1)  # width ≈ 2·1.96/√400
    (True, 0.2)
    """
    from scipy import stats

    arr = as_float_array(values, "values")
    if arr.ndim == 0:
        raise ValueError("values must be an array of observations (first axis), got a scalar")
    if arr.shape[0] < 2:
        raise ValueError(
            f"values needs at least 2 observations along the first axis, got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ValueError("values must be finite (found NaN or inf)")
    if not callable(statistic):
        raise TypeError(f"statistic must be callable, got {statistic!r}")
    confidence = check_fraction(confidence, "confidence")
    n_resamples = check_positive_int(n_resamples, "n_resamples")
    if method not in BOOTSTRAP_METHODS:
        raise ValueError(f"method must be one of {', '.join(BOOTSTRAP_METHODS)}; got {method!r}")
    rng = as_generator(seed)

    def on_rows(index):  # scipy resamples the row indices; rows stay whole
        value = np.asarray(statistic(arr[index]), dtype=float)
        if value.ndim != 0:
            raise ValueError(f"statistic must return a scalar, got an array of shape {value.shape}")
        if not np.isfinite(value):
            raise ValueError(
                f"statistic returned a non-finite value ({float(value)!r}) on a resample"
            )
        return float(value)

    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("error", stats.DegenerateDataWarning)
        try:
            res = stats.bootstrap((np.arange(arr.shape[0]),), on_rows, n_resamples=n_resamples,
                                  vectorized=False, confidence_level=confidence, method=method,
                                  rng=rng)
        except stats.DegenerateDataWarning as exc:
            raise ValueError(f"the {method} interval cannot be formed: {exc}") from None
    return float(res.confidence_interval.low), float(res.confidence_interval.high)
