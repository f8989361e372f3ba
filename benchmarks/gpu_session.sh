#!/usr/bin/env bash
# One GPU session, from the repository root: the CUDA tests, the quick gallery and a tiny sweep
# on CUDA, then the CUDA rows of bench_fit.py (issue 8's critic fit at d = 128, n = 16000) and
# bench_gpu.py (torch metrics and critic fits against the CPU). Every step writes its log under
# $OUT (default ./gpu_out); a step that fails or runs out of time does not stop the next. About
# 5.5 minutes on one H200 (2026-11-30: tests 42 s, quick gallery 83 s, sweep 29 s, bench_fit
# 67 s, bench_gpu 72 s). Copy RESULTS_FIT_CUDA.md and RESULTS_GPU.md from $OUT to benchmarks/.
#
#   OUT=/tmp/gpu bash benchmarks/gpu_session.sh
#
# Packages the machine lacks and cannot download (POT for two of the tests; DuckDB, dask and
# distributed for the sweep step) go in .whl/ as wheels (pip download --only-binary=:all:
# --python-version 3.12 ...) and are installed into /tmp/site.
set -u
OUT=${OUT:-gpu_out}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 MPLBACKEND=Agg
PY=${PYTHON:-python3}
if ls .whl/*.whl >/dev/null 2>&1; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH="$PYTHONPATH:/tmp/site"
fi
step() {  # step NAME SECONDS COMMAND...: run with a time limit, log to $OUT/NAME.log
    local name=$1 limit=$2; shift 2
    echo "=== $name (limit ${limit} s) $(date -u +%H:%M:%S)"
    local t0=$SECONDS
    timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
    local rc=$?
    tail -n 25 "$OUT/$name.log"
    echo "=== $name: exit $rc after $((SECONDS - t0)) s"
}
step env 60 bash -c "nvidia-smi -L; $PY -V; $PY -c 'import numpy, scipy, numba, torch, ot
print(\"numpy\", numpy.__version__, \"scipy\", scipy.__version__, \"numba\", numba.__version__,
      \"torch\", torch.__version__, \"CUDA\", torch.version.cuda, torch.cuda.is_available(),
      \"POT\", ot.__version__)'"
step pytest_gpu 150 $PY -m pytest -q -m gpu -p no:cacheprovider tests/test_gan_critics.py \
    tests/test_gan_estimators.py tests/test_gan_metrics.py tests/test_gan_training.py \
    tests/test_batch_w1.py
step figures_quick_cuda 200 $PY -c "import sys; from divgan.cli import main
sys.exit(main(['figures', '--quick', '--device', 'cuda', '--out', '$OUT/figures']))"
printf '%s\n' 'name = "tiny"' 'n = [200]' 'seeds = [0, 1, 2]' \
    'methods = ["gp", "ctransform", "js", "plugin"]' '[estimator]' \
    'steps = {gp = 200, ctransform = 200, js = 200}' 'n_resamples = 50' \
    '[families.gauss]' 'mu = [1.0]' > "$OUT/tiny_sweep.toml"
step sweep_cuda 150 $PY -c "import sys; from divgan.cli import main
sys.exit(main(['sweep', '$OUT/tiny_sweep.toml', '--store', '$OUT/sweep_cuda.duckdb',
               '--workers', '2', '--device', 'cuda', '--no-progress']))"
(cd benchmarks && step bench_fit 220 $PY bench_fit.py --device cuda --out "$OUT/RESULTS_FIT_CUDA.md")
(cd benchmarks && step bench_gpu 165 $PY bench_gpu.py --budget 120 --out "$OUT/RESULTS_GPU.md")
