"""KL's one-pass fast path for long contiguous 1-D arrays (divgan._pmf.kl_rows_any).

It validates while it computes the ratios, and hands every input it cannot take to the
validator's path. Oracles: ``math.fsum`` over the terms of KL written with log differences
(computed here), and the validator's path itself (``_kl_rows`` of ``as_pmf_pair``)
for which path was taken and for the errors raised.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divgan import _pmf
from divgan._validation import as_pmf_pair
from divgan.divergences import kl_divergence

N = 5000  # above the fast path's threshold (4096)


def fsum_kl(p, q):
    """KL of the normalised masses as sum (p_i/P)(log p_i - log q_i) + log(Q/P), summed by
    math.fsum: no ratio or normalised mass is formed, so subnormal masses keep their logs."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    P, Q = math.fsum(p), math.fsum(q)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, (p / P) * (np.log(p) - np.log(q)), 0.0)
    return math.fsum(terms) + (math.log(Q) - math.log(P))


@pytest.fixture
def validator_calls(monkeypatch):
    """Count the calls of the validator's path."""
    calls = []

    def counting(p, q, *, axis=-1):
        calls.append(1)
        return as_pmf_pair(p, q, axis=axis)

    monkeypatch.setattr(_pmf, "as_pmf_pair", counting)
    return calls


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4096, 70_000),
       spread=st.sampled_from([1e-3, 1.0, 1e3, 1e12]), total=st.sampled_from([1.0, 1e6, 1e-6]),
       ratio=st.sampled_from([1.0, 1.3, 0.8]))
def test_fast_path_agrees_with_fsum_and_the_validators_path(seed, n, spread, total, ratio):
    # Positive masses spanning `spread`, with totals `total` and `ratio` times it (within the
    # factor of about 1.4 the fast path takes), n across the 65536-entry blocks.
    rng = np.random.default_rng(seed)
    p = np.exp(rng.uniform(0, math.log(spread) if spread > 1 else 0.0, n)) * rng.random(n)
    q = np.exp(rng.uniform(0, math.log(spread) if spread > 1 else 0.0, n)) * rng.random(n)
    p, q = p + 1e-300, q + 1e-300
    p *= total / p.sum()
    q *= ratio * total / q.sum()
    got = kl_divergence(p, q)
    ref = fsum_kl(p, q)
    slow = float(_pmf._kl_rows(as_pmf_pair(p, q))[0])
    assert got == pytest.approx(ref, rel=1e-12, abs=1e-15)
    assert got == pytest.approx(slow, rel=1e-13, abs=1e-15)


def test_fast_path_is_taken_only_where_it_applies(validator_calls):
    rng = np.random.default_rng(1)
    p, q = rng.random(N) + 0.1, rng.random(N) + 0.1
    assert kl_divergence(p, q) == pytest.approx(fsum_kl(p, q), rel=1e-12)
    assert kl_divergence(p, q, axis=0) == kl_divergence(p, q)
    assert validator_calls == []  # taken
    zero_p, zero_q = p.copy(), q.copy()
    zero_p[7], zero_q[7] = 0.0, 0.0
    neg_zero = p.copy()
    neg_zero[3] = -0.0
    cases = [
        (p[:4095], q[:4095]),          # short
        (p.astype(np.float32), q),     # not float64
        (p[::2], q[::2]),              # not contiguous (2500 entries, also short)
        (np.tile(p, 2)[::2], q),       # not contiguous, long
        (p.reshape(2, -1), q.reshape(2, -1)),  # a batch
        (list(p), q),                  # not an array
        (zero_p, q),                   # 0 log 0 terms
        (neg_zero, q),                 # -0.0: a sign bit
        (p * 3.0, q),                  # totals a factor 3 apart: the ratios need scaling
        (p * 1e-305, q * 1e-305),      # totals below 2**-1000
        (p, np.where(np.arange(N) == 9, 1e-320, q)),  # a subnormal: ratio out of range
    ]
    for i, (a, b) in enumerate(cases, start=1):
        value = kl_divergence(a, b)
        assert len(validator_calls) == i, i
        assert value == pytest.approx(fsum_kl(np.ravel(a), np.ravel(b)) if np.ndim(a) == 1
                                      else value, rel=1e-12), i
    assert kl_divergence(p, zero_q) == math.inf  # q = 0 where p > 0: the validator's path


@pytest.mark.parametrize("bad, match", [
    (-1.0, r"non-negative.*-1\.0"), (math.nan, "nan"), (math.inf, "inf")])
def test_bad_entries_raise_the_validators_error(bad, match):
    rng = np.random.default_rng(2)
    p, q = rng.random(N) + 0.1, rng.random(N) + 0.1
    for a, b, name in ((p.copy(), q, "p"), (p, q.copy(), "q")):
        (a if name == "p" else b)[1234] = bad
        with pytest.raises(ValueError, match=match) as fast:
            kl_divergence(a, b)
        with pytest.raises(ValueError) as slow:
            as_pmf_pair(a, b)
        assert str(fast.value) == str(slow.value)
        assert name in str(fast.value) and "1234" in str(fast.value)


def test_base_and_axis_errors_are_unchanged():
    p = np.full(N, 1.0)
    assert kl_divergence(p, p) == 0.0
    assert kl_divergence(p, 2 * p, base=2) == 0.0
    with pytest.raises(TypeError, match="axis"):
        kl_divergence(p, p, axis=False)
    with pytest.raises(TypeError, match="axis"):
        kl_divergence(p, p, axis=0.0)
