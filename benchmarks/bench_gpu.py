"""GPU benchmark of the torch metrics and the critic fits (issue 10, section 3).

Times :mod:`divgan.gan.metrics` on CUDA against the CPU paths (the numpy side, ``divgan.*``,
and the same torch code on the CPU), and one critic fit per method (gp, sn, clip, through
``divgan.gan.estimate_wasserstein``) on CUDA against the CPU; checks that the values agree;
writes the device, the CPU, the sizes and the numbers to ``benchmarks/RESULTS_GPU.md``.
Never run by the tests.

    python benchmarks/bench_gpu.py            # CUDA; sized for < 8 minutes on one H200
    python benchmarks/bench_gpu.py --smoke    # tiny sizes on CPU in seconds (prints only)

With the CUDA tests and bench_fit.py's CUDA rows, as one device session:
``bash benchmarks/gpu_session.sh`` (3.3 minutes on one H200, with ``--budget 120``).

Method: data drawn once on the device and copied to the host for the CPU paths; one warm-up
call per case (kernel compilation, CUDA context, Numba), then the median of ``reps`` calls,
each ended by ``torch.cuda.synchronize()``. The largest CPU baselines run once. A time budget
(``--budget``, default 420 s) is checked before each CPU baseline; one that would not fit is
skipped and says so in the table.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

import divgan
from divgan.gan import estimate_wasserstein
from divgan.gan import metrics as M

from _machine import cpu_model  # benchmarks/_machine.py (scripts run from benchmarks/)

OUT = Path(__file__).resolve().parent / "RESULTS_GPU.md"
START = time.perf_counter()
ROWS: list[tuple] = []


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device="cpu", reps=5):
    """Median seconds of ``reps`` calls after one warm-up; returns (seconds, last result)."""
    out = fn()
    _sync(device)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def once(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _fmt(t):
    if t is None:
        return "skipped (time budget)"
    if t >= 1:
        return f"{t:.3g} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    return f"{t * 1e6:.3g} µs"


def _val(x):
    return float(x.item()) if isinstance(x, torch.Tensor) else float(np.max(x))


def row(case, t_dev, baselines, agree=""):
    """``baselines``: list of (name, seconds or None). Speed-up = baseline / device time."""
    base = "; ".join(f"{name}: {_fmt(t)}" + ("" if t is None else f" ({t / t_dev:.1f}x)")
                     for name, t in baselines)
    ROWS.append((case, _fmt(t_dev), base, agree))
    print(f"{case:48s} {_fmt(t_dev):>10s}  {base}  {agree}", flush=True)


def fits(args, estimate_s):
    """Whether a CPU baseline estimated at ``estimate_s`` seconds fits the remaining budget."""
    return time.perf_counter() - START + estimate_s < args.budget


def rel(a, b):
    return f"rel. diff {abs(a - b) / max(abs(b), 1e-300):.1e}"


# ----------------------------------------------------------------------------- cases
def warm_up(dev):
    """Compile the numpy side's Numba kernels (or load them from cache) and start CUDA, so
    that the single-call CPU baselines time the work, not the compilation."""
    rng = np.random.default_rng(0)
    a, b, w = rng.normal(size=50), rng.normal(size=40), rng.random(40)
    divgan.wasserstein_1d(a, a[::-1])
    divgan.wasserstein_1d(a, b, p=2)
    divgan.wasserstein_1d(a[:40], b, w, w)
    divgan.wasserstein_1d(a.reshape(5, 10), b[:10].reshape(1, 10))
    divgan.sliced_wasserstein(a.reshape(25, 2), b.reshape(20, 2), p=2, seed=0)
    M.wasserstein_1d(torch.ones(3, device=dev), torch.zeros(2, device=dev))
    _sync(dev)


def bench_1d(args, dev):
    gen = torch.Generator(device=dev).manual_seed(0)
    for n, cpu_s in args.sizes_1d:
        u = torch.randn(n, generator=gen, device=dev, dtype=torch.float64)
        v = torch.randn(n, generator=gen, device=dev, dtype=torch.float64) + 0.5
        t_dev, w = timed(lambda: M.wasserstein_1d(u, v), dev, reps=args.reps)
        uc, vc = u.cpu(), v.cpu()
        un, vn = uc.numpy(), vc.numpy()
        base, agree = [], ""
        if fits(args, cpu_s):
            t_np, ref = once(lambda: divgan.wasserstein_1d(un, vn))
            t_tc, _ = once(lambda: M.wasserstein_1d(uc, vc))
            base = [("numpy side", t_np), ("torch CPU", t_tc)]
            agree = rel(_val(w), ref)
        else:
            base = [("numpy side", None)]
        row(f"1-D W1, n = m = {n:.0e}", t_dev, base, agree)
        del u, v, uc, vc, un, vn
    n, m = args.unequal
    u = torch.randn(n, generator=gen, device=dev, dtype=torch.float64)
    v = torch.randn(m, generator=gen, device=dev, dtype=torch.float64)
    wu = torch.rand(n, generator=gen, device=dev, dtype=torch.float64)
    wv = torch.rand(m, generator=gen, device=dev, dtype=torch.float64)
    for label, call, ref_call in [
        (f"1-D W2, n = {n:.0e}, m = {m}",
         lambda: M.wasserstein_1d(u, v, p=2),
         lambda a, b, _c, _d: divgan.wasserstein_1d(a, b, p=2)),
        (f"1-D W1 weighted, n = {n:.0e}, m = {m}",
         lambda: M.wasserstein_1d(u, v, wu, wv),
         lambda a, b, c, d: divgan.wasserstein_1d(a, b, c, d)),
    ]:
        t_dev, w = timed(call, dev, reps=args.reps)
        host = [t.cpu().numpy() for t in (u, v, wu, wv)]
        if fits(args, args.unequal_cpu_s):
            t_np, ref = once(lambda: ref_call(*host))
            row(label, t_dev, [("numpy side", t_np)], rel(_val(w), ref))
        else:
            row(label, t_dev, [("numpy side", None)])
    b, k = args.batched
    U = torch.randn(b, k, generator=gen, device=dev, dtype=torch.float64)
    V = torch.randn(b, k, generator=gen, device=dev, dtype=torch.float64)
    t_dev, w = timed(lambda: M.wasserstein_1d(U, V), dev, reps=args.reps)
    Un, Vn = U.cpu().numpy(), V.cpu().numpy()
    t_np, ref = timed(lambda: divgan.wasserstein_1d(Un, Vn), reps=args.reps)
    row(f"batched 1-D W1, {b} pairs x {k} ({b / t_dev:,.0f} pairs/s)", t_dev,
        [("numpy side", t_np)], f"max rel. diff {np.max(np.abs(w.cpu().numpy() - ref) / ref):.1e}")


def bench_sliced(args, dev):
    gen = torch.Generator(device=dev).manual_seed(1)
    L = args.projections
    for n, d, cpu_s in args.sizes_sliced:
        x = torch.randn(n, d, generator=gen, device=dev, dtype=torch.float64)
        y = torch.randn(n, d, generator=gen, device=dev, dtype=torch.float64) * 1.5 + 0.1

        def call(a, b):  # directions from a CPU generator: the same on both devices
            return M.sliced_wasserstein(a, b, p=2, n_projections=L,
                                        generator=torch.Generator().manual_seed(7))

        t_dev, w = timed(lambda: call(x, y), dev, reps=args.reps)
        base, agree = [], ""
        if fits(args, cpu_s):
            xc, yc = x.cpu(), y.cpu()
            t_tc, wc = once(lambda: call(xc, yc))
            t_np, _ = once(lambda: divgan.sliced_wasserstein(xc.numpy(), yc.numpy(), p=2,
                                                             n_projections=L, seed=7))
            base = [("torch CPU, same directions", t_tc), ("numpy side", t_np)]
            agree = rel(_val(w), _val(wc))
            del xc, yc
        else:
            base = [("torch CPU", None)]
        row(f"sliced W2, n = m = {n:.0e}, d = {d}, L = {L}", t_dev, base, agree)
        del x, y
    n, d = args.frechet
    x = torch.randn(n, d, generator=gen, device=dev, dtype=torch.float64)
    y = torch.randn(n, d, generator=gen, device=dev, dtype=torch.float64) * 1.2 + 0.3
    t_dev, w = timed(lambda: M.frechet_distance(x, y), dev, reps=args.reps)
    xn, yn = x.cpu().numpy(), y.cpu().numpy()
    t_np, ref = once(lambda: divgan.gaussian_w2(xn.mean(0), np.cov(xn, rowvar=False),
                                                yn.mean(0), np.cov(yn, rowvar=False)))
    row(f"Frechet distance, n = m = {n:.0e}, d = {d}", t_dev,
        [("numpy mean/cov + gaussian_w2", t_np)], rel(_val(w), ref))


def bench_critics(args, dev):
    rng = np.random.default_rng(2)
    n, steps = args.critic
    x, y = rng.normal(0.0, 1.0, (n, 2)), rng.normal(1.0, 1.0, (n, 2))
    exact = np.sqrt(2.0)  # W1 between N(0, I) and its translate by (1, 1)
    for method in ("gp", "sn", "clip"):  # warm-up: kernels and cuBLAS handles
        estimate_wasserstein(x[:64], y[:64], method=method, steps=2, device=dev, seed=0,
                             n_resamples=10)
    for method in ("gp", "sn", "clip"):
        t_dev, est = once(lambda: estimate_wasserstein(x, y, method=method, steps=steps,
                                                       device=dev, seed=0))
        label = f"critic fit {method}, n = {n}, d = 2, {steps} steps"
        if not fits(args, args.critic_cpu_s):
            row(label, t_dev, [("CPU", None)], f"{est.value:.3f} (population W1 {exact:.3f})")
            continue
        t_cpu, est_cpu = once(lambda: estimate_wasserstein(x, y, method=method, steps=steps,
                                                           device="cpu", seed=0))
        row(label, t_dev, [("CPU, 1 thread", t_cpu)],
            f"{est.value:.3f} vs CPU {est_cpu.value:.3f} (population W1 {exact:.3f})")


# ----------------------------------------------------------------------------- main


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes on CPU, seconds")
    ap.add_argument("--budget", type=float, default=420.0, help="seconds for the whole run")
    ap.add_argument("--out", type=Path, default=None,
                    help="results file (default RESULTS_GPU.md; none with --smoke)")
    args = ap.parse_args(argv)
    if args.smoke:
        dev = "cpu"
        args.sizes_1d, args.unequal, args.unequal_cpu_s = [(10**4, 1), (10**5, 1)], (10**4, 7501), 1
        args.batched, args.projections = (100, 100), 16
        args.sizes_sliced, args.frechet, args.critic = [(2000, 8, 1)], (2000, 8), (256, 20)
        args.critic_cpu_s = 1
        args.reps = 3
    else:
        if not torch.cuda.is_available():
            sys.exit("bench_gpu.py needs a CUDA device (use --smoke to try it on a CPU)")
        dev = "cuda"
        # (size, estimated CPU seconds on a machine where np.sort of 1e6 takes ~50 ms)
        args.sizes_1d = [(10**6, 1), (10**7, 5), (10**8, 60)]
        args.unequal, args.unequal_cpu_s = (10**7, 7_500_001), 15
        args.batched, args.projections = (1000, 1000), 128
        args.sizes_sliced = [(10**5, 128, 10), (10**6, 128, 90)]
        args.frechet, args.critic, args.critic_cpu_s = (10**5, 128), (4096, 1000), 10
        args.reps = 5
        torch.backends.cuda.matmul.allow_tf32 = False  # the default: critics in true float32
    threads = 1 if args.smoke else (os.cpu_count() or 1)  # a smoke run shares its machine
    torch.set_num_threads(threads)
    print(f"device {dev}; torch CPU threads {threads}", flush=True)
    warm_up(dev)
    bench_1d(args, dev)
    bench_sliced(args, dev)
    bench_critics(args, dev)
    elapsed = time.perf_counter() - START
    device_name = torch.cuda.get_device_name(0) if dev == "cuda" else "CPU only (smoke run)"
    lines = [
        "# divgan GPU benchmark results", "",
        f"Written by `benchmarks/bench_gpu.py{' --smoke' if args.smoke else ''}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in {elapsed:.0f} s.",
        "Method: data drawn once on the device, one warm-up call, median of "
        f"{args.reps} synchronised calls on the device; the CPU baselines of the largest sizes "
        "run once. Speed-ups in brackets are CPU time / device time. Values are float64.", "",
        f"Device: {device_name}; torch {torch.__version__} (CUDA {torch.version.cuda}); "
        f"CPU: {cpu_model()}, {os.cpu_count()} cores, torch CPU threads {threads}; "
        f"numpy {np.__version__}; Python {platform.python_version()}.", "",
        "| case | device time | CPU paths | agreement |", "|---|---|---|---|",
    ]
    lines += [f"| {c} | {t} | {b} | {a} |" for c, t, b, a in ROWS]
    text = "\n".join(lines) + "\n"
    out = args.out if (args.out or args.smoke) else OUT
    if out is not None:
        out.write_text(text)
        print(f"wrote {out}")
    print(f"done in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
