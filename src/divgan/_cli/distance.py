r"""``divgan distance REAL.npy FAKE.npy``: the exact :math:`W_p` of two sample files, or with
``--sliced`` the sliced distance :math:`SW_p`.

* 1-D samples: the sorted formula (:func:`divgan.wasserstein_1d`), memory ``O(n + m)``.
* d-D samples: POT's network simplex (:func:`divgan.wasserstein_distance`), which needs about
  ``41 n m`` bytes at its peak and time growing like ``(n m)^1.1``. Above ``--max-memory`` the
  command refuses before solving and suggests ``--sliced`` or subsampling; while a large
  problem solves, an elapsed time runs on stderr.
* ``--sliced``: :func:`divgan.sliced_wasserstein`, :math:`W_p` of the 1-D projections averaged
  over random directions: a different quantity, never larger than :math:`W_p` (each projection
  is 1-Lipschitz), cheap in time and memory.
"""
from __future__ import annotations

import math
import sys

from divgan._cli.common import (
    check_same_dimension,
    elapsed_line,
    exact_ot_bytes,
    format_bytes,
    load_samples,
)

__all__ = ["distance_command"]

#: Pairs of points above which the elapsed time is shown even when stderr is not a terminal
#: (10^7 pairs: about 0.4 GB and a few seconds).
LARGE_PROBLEM_PAIRS = 10**7


def distance_command(args) -> int:
    """Run ``divgan distance`` from its parsed arguments; print the value; return 0."""
    x, y = load_samples(args.real, "REAL"), load_samples(args.fake, "FAKE")
    check_same_dimension(x, y)
    (n, d), m, p = x.shape, len(y), args.p
    sizes = f"n = {n}, m = {m}, d = {d}"
    if not args.sliced and (args.projections is not None or args.seed is not None):
        raise ValueError("--projections and --seed choose the random directions of --sliced; "
                         "the exact distance has none")
    if args.sliced:
        from divgan.wasserstein import sliced_wasserstein

        n_dir = 128 if args.projections is None else args.projections
        seed = 0 if args.seed is None else args.seed
        value = sliced_wasserstein(x, y, p=p, n_projections=n_dir, seed=seed)
        print(f"SW_{p:g} = {value:.10g}  (sliced Wasserstein: W_{p:g} of the 1-D projections "
              f"averaged over {n_dir} random directions, seed {seed}; a different quantity "
              f"from W_{p:g}, and never larger; {sizes})")
        return 0
    if d == 1:
        from divgan.wasserstein import wasserstein_distance

        value = wasserstein_distance(x, y, p=p)  # takes the sorted formula itself in 1-D
        print(f"W_{p:g} = {value:.10g}  (exact, sorted 1-D formula; {sizes})")
        return 0
    if math.isinf(p):
        raise ValueError(f"--p inf is supported for 1-D samples only (shape (n,) or (n, 1)); "
                         f"REAL and FAKE have d = {d} coordinates per point. Use a finite --p, "
                         f"or --sliced for the largest W_inf over random directions")
    need = exact_ot_bytes(n, m)
    if need > args.max_memory:
        raise ValueError(
            f"exact optimal transport between {n} and {m} points needs about "
            f"{format_bytes(need)} of memory (41 bytes per pair of points), over --max-memory "
            f"{format_bytes(args.max_memory)}. Use --sliced for the sliced distance SW_{p:g} "
            f"(a different, cheaper quantity), subsample REAL and FAKE, or raise --max-memory")
    from divgan.wasserstein import wasserstein_distance

    if sys.stderr.isatty() or n * m >= LARGE_PROBLEM_PAIRS:
        label = f"divgan distance: exact OT, {n} x {m} points, about {format_bytes(need)}"
        with elapsed_line(label):
            value = wasserstein_distance(x, y, p=p)
    else:
        value = wasserstein_distance(x, y, p=p)
    print(f"W_{p:g} = {value:.10g}  (exact, network simplex (POT); {sizes})")
    return 0
