r"""``divgan estimate REAL.npy FAKE.npy``: a trained-network estimate beside the exact value.

For W1 the exact value of the same samples is printed beside the estimate (sorted formula in
1-D; network simplex in d-D while it is cheap, up to ``EXACT_MAX_PAIRS`` pairs of points), both
on all the samples and on the held-out half the estimate was read on, with the gap. JS has no
exact value for samples without densities, so only the estimate and its bound are printed.
"""
from __future__ import annotations

import numpy as np

from divgan._cli.common import (
    check_device,
    check_same_dimension,
    exact_ot_bytes,
    format_bytes,
    load_samples,
)

__all__ = ["estimate_command"]

#: Exact OT beside the estimate only while it is cheap: 3000 x 3000 points, about 0.4 GB.
EXACT_MAX_PAIRS = 3000 * 3000
#: Half of each file trains the network, half is held out; each part needs at least 2 points.
MIN_POINTS = 4


def _exact(xr: np.ndarray, xg: np.ndarray) -> tuple[float | None, str]:
    from divgan.wasserstein import wasserstein_distance

    if xr.shape[1] == 1:
        return float(wasserstein_distance(xr, xg)), "exact, sorted 1-D formula"
    if len(xr) * len(xg) <= EXACT_MAX_PAIRS:
        return float(wasserstein_distance(xr, xg)), "exact, network simplex"
    need = format_bytes(exact_ot_bytes(len(xr), len(xg)))
    return None, (f"not computed here (exact OT would need about {need}); "
                  f"`divgan distance` computes it")


def _check_inputs(args, xr: np.ndarray, xg: np.ndarray) -> None:
    """The command line's inputs, in its own words, before any network is built."""
    check_same_dimension(xr, xg)
    for x, name in ((xr, "REAL"), (xg, "FAKE")):
        if len(x) < MIN_POINTS:
            raise ValueError(f"{name} has {len(x)} point(s); divgan estimate needs at least "
                             f"{MIN_POINTS} per file (half train the network, half are held "
                             f"out to read the estimate)")
        if args.folds is not None and len(x) < 2 * args.folds:
            raise ValueError(f"{name} has {len(x)} point(s); --folds {args.folds} needs at "
                             f"least {2 * args.folds} (2 per fold)")
    if args.quantity == "js" and args.method is not None:
        raise ValueError("--method chooses the critic of --quantity wasserstein; "
                         "--quantity js trains a discriminator and has no --method")
    check_device(args.device)


def estimate_command(args) -> int:
    """Run ``divgan estimate`` from parsed arguments; print the report; return the exit code."""
    xr = load_samples(args.real, "REAL")
    xg = load_samples(args.fake, "FAKE")
    _check_inputs(args, xr, xg)
    from divgan.gan.estimators import estimate_js, estimate_wasserstein

    common = {"device": args.device, "seed": args.seed, "folds": args.folds}
    if args.steps is not None:
        common["steps"] = args.steps
    if args.quantity == "js":
        est = estimate_js(xr, xg, **common)
    else:
        est = estimate_wasserstein(xr, xg, method=args.method or "gp", **common)
    print(est.summary())
    where = (f"read on {est.n_test} held out" if est.fold_values is None else
             f"{len(est.fold_values)} folds, every point read once by a network trained "
             f"without it")
    print(f"  n = {len(xr)}, m = {len(xg)}, d = {xr.shape[1]}; trained on {est.n_train} points "
          f"for {est.steps} steps on {est.device} (seed {est.seed}), {where}")
    print(f"  interval: {est.interval}")
    print(f"  {est.caveat}")
    if args.quantity == "js":
        print("  exact JS: not computable from samples alone (needs densities); "
              "JS <= log 2 = 0.693147")
        return 0
    diag = est.diagnostics
    print(f"  raw dual value {diag['raw_value']:.6g}; largest slope "
          f"{max(diag['lipschitz_gradient'], diag['lipschitz_pairs']):.4g}")
    exact, how = _exact(xr, xg)
    if exact is None:
        print(f"  exact W1: {how}")
        return 0
    if exact > 0:
        print(f"  exact W1 = {exact:.6g} ({how}, all samples); gap {est.value - exact:+.4g} "
              f"({(est.value - exact) / exact:+.2%})")
    else:
        print(f"  exact W1 = 0 ({how}, all samples)")
    if est.fold_values is not None:
        return 0  # no one held-out sample: each fold was read on its own part
    r_idx, g_idx = est.held_out
    held, _ = _exact(xr[r_idx], xg[g_idx])
    print(f"  exact W1 = {held:.6g} on the held-out samples; gap {est.value - held:+.4g}")
    return 0
