"""One critic fit at d = 128, n = 16000 points per distribution (issue 8, benchmark row).

Times, on the CPU (one torch thread, the estimators' default) and on CUDA when present:

* ``fit_critic`` (gp, the (64, 64) network, 2000 Adam steps of 256 + 256 points) against its
  floor measured in the same run: 2000 forward and backward passes of the same network on the
  same batches without the penalty, the optimiser or the sampling (what any loop must pay);
* ``estimate_wasserstein`` with the defaults (``hidden="auto"``: three networks, early
  stopping, read on the held-out half), and with ``folds=5`` (five such fits);

on ``theory.shifted(128, 1.0)`` (W1 = 1, where the solved linear critic is chosen), and the
defaults once on ``theory.scaled(128, 0.5)`` (the cone, where the layer of 1024 ELU units is
chosen: the expensive case), with the values, and writes the CPU model, torch's
version and the numbers to ``benchmarks/RESULTS_FIT.md``. Never run by the tests.

    python benchmarks/bench_fit.py            # about 4 minutes on one core of a 2-core EPYC
    python benchmarks/bench_fit.py --smoke    # d = 8, n = 1000 in seconds (prints only)
    python benchmarks/bench_fit.py --device cuda --out RESULTS_FIT_CUDA.md
                                              # the CUDA rows alone: about 70 s on one H200
                                              # (benchmarks/gpu_session.sh runs it)
"""
from __future__ import annotations

import argparse
import datetime
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

import divgan
from divgan import theory
from divgan.gan import estimate_wasserstein, fit_critic
from divgan.gan.models import Critic

from _machine import cpu_model  # benchmarks/_machine.py (scripts run from benchmarks/)

OUT = Path(__file__).resolve().parent / "RESULTS_FIT.md"


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def floor_s(d, steps, batch, device) -> float:
    """Seconds of ``steps`` forward + backward passes of a (64, 64) critic (ELU, gp's units) on
    2 x ``batch`` points: the part of a critic step no training loop can avoid."""
    torch.manual_seed(0)
    net = Critic(d, (64, 64), activation="elu").to(device)
    r = torch.randn(batch, d, device=device)
    g = torch.randn(batch, d, device=device)
    for _ in range(10):  # warm-up
        (net(r).mean() - net(g).mean()).backward()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        net.zero_grad(set_to_none=True)
        (net(r).mean() - net(g).mean()).backward()
    _sync(device)
    return time.perf_counter() - t0


def _chosen(est) -> str:
    diag = est.diagnostics
    if est.fold_values is not None:
        return f"linear network in {diag['linear_folds']:.0f} of {len(est.fold_values)} folds"
    depth, width = diag["selected_depth"], diag["selected_width"]
    return "linear network" if depth == 0 else f"{depth:.0f} layer(s) of {width:.0f}"


def timed(fn, device):
    _sync(device)
    t0 = time.perf_counter()
    out = fn()
    _sync(device)
    return time.perf_counter() - t0, out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="d = 8, n = 1000; print only")
    ap.add_argument("--device", choices=("all", "cpu", "cuda"), default="all",
                    help="'all' (default): the CPU, then CUDA when present")
    ap.add_argument("--out", type=Path, default=OUT, help="results file (default %(default)s)")
    args = ap.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda: torch sees no CUDA device")
    d, n, steps = (8, 1000, 200) if args.smoke else (128, 16000, 2000)
    torch.set_num_threads(1)
    pair = theory.shifted(d, 1.0)
    xr, xg = pair.sample(n, seed=0)
    devices = ([args.device] if args.device != "all" else
               ["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    rows = []
    for dev in devices:
        floor = floor_s(d, steps, 256, dev)
        t_fit, _ = timed(lambda: fit_critic(xr, xg, method="gp", steps=steps, device=dev,
                                            hidden=(64, 64)), dev)
        rows.append((dev, f"fit_critic gp (64, 64), {steps} steps", t_fit,
                     f"{t_fit / floor:.2f}x the floor ({floor:.2f} s: forward + backward only)"))
        for folds in (None, 5):
            t, est = timed(lambda: estimate_wasserstein(xr, xg, device=dev, folds=folds,
                                                        steps=steps), dev)
            what = "one held-out half" if folds is None else f"folds={folds}"
            rows.append((dev, f"estimate_wasserstein defaults, {what}", t,
                         f"value {est.value:.4f} (W1 = 1), CI [{est.ci_low:.4f}, "
                         f"{est.ci_high:.4f}], " + _chosen(est)))
        cone = theory.scaled(d, 0.5)
        t, est = timed(lambda: estimate_wasserstein(*cone.sample(n, seed=0), device=dev,
                                                    steps=steps), dev)
        rows.append((dev, "estimate_wasserstein defaults, scaled(d, 0.5)", t,
                     f"value {est.value:.4f} (W1 = {cone.w1:.4f}), CI [{est.ci_low:.4f}, "
                     f"{est.ci_high:.4f}], " + _chosen(est)))
        for row in rows[-4:]:
            print(f"{row[0]:5s} {row[1]:48s} {row[2]:8.1f} s  {row[3]}", flush=True)
    if args.smoke:
        return 0
    now = datetime.datetime.now(datetime.timezone.utc)
    lines = [
        "# One critic fit at d = 128, n = 16000 (benchmarks/bench_fit.py)", "",
        f"- Machine: {cpu_model()} ({platform.machine()}), "
        f"{'CUDA: ' + torch.cuda.get_device_name() if torch.cuda.is_available() else 'no CUDA'}",
        f"- torch {torch.__version__}, one torch thread; divgan {divgan.__version__}; "
        f"Python {sys.version.split()[0]}; {now:%Y-%m-%d %H:%M} UTC",
        f"- Data: `theory.shifted(128, 1.0)` (last row: `theory.scaled(128, 0.5)`), {n} points "
        f"per distribution, seed 0; "
        f"{steps} steps of 256 + 256 points per fit.", "",
        "| device | what | seconds | notes |", "|---|---|---:|---|",
        *[f"| {dev} | {what} | {t:.1f} | {note} |" for dev, what, t, note in rows], "",
        "The floor is the forward and backward passes alone; the gp step adds the interpolates' "
        "double backward (the penalty), Adam and the batch sampling.",
    ]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
