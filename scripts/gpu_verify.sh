#!/usr/bin/env bash
# Verify the cuStateVec executor on a machine with an NVIDIA GPU, in one command:
#
#   scripts/gpu_verify.sh [OUTDIR]        # default OUTDIR: .cache/gpu-verify
#
# Installs qhost[gpu,test] into its own venv (.cache/venvs/gpu, or $QHOST_GPU_VENV), then runs
#   1. tests/executors/custatevec/gpu (fidelity vs Aer, chi-square on counts, noisy GHZ vs Aer, Estimator vs Aer),
#   2. benchmarks/p5_bandwidth.py (P5: bandwidth fraction at 26/28/30 qubits),
#   3. benchmarks/p6_gpu_vs_cpu.py (P6: QV and QFT, custatevec vs Aer CPU).
# Each step's output is kept in OUTDIR together with the device and driver. The script fails when a GPU
# test fails *or is skipped*: a skipped GPU test is "not run", never a pass. Extra pytest flags can go in
# $QHOST_GPU_PYTEST (e.g. "-x"); P6's flags in $QHOST_P6_ARGS (e.g. "--qubits 20 24 28").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/.cache/gpu-verify}"
VENV="${QHOST_GPU_VENV:-$ROOT/.cache/venvs/gpu}"
mkdir -p "$OUT"

if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu_verify: no NVIDIA GPU answers nvidia-smi here; nothing was run (not run, not passing)" >&2
  exit 2
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/device.txt"
date -u +"date: %Y-%m-%dT%H:%M:%SZ" | tee -a "$OUT/device.txt"

if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet -e "$ROOT[gpu,test]"
PY="$VENV/bin/python"
cd "$ROOT"

status=0
# shellcheck disable=SC2086
"$PY" -m pytest tests/executors/custatevec/gpu -v -rs -p no:cacheprovider ${QHOST_GPU_PYTEST:-} 2>&1 | tee "$OUT/tests_gpu.log" \
  || status=1
if grep -qE "[0-9]+ skipped" "$OUT/tests_gpu.log"; then
  echo "gpu_verify: GPU tests were skipped (see the SKIPPED lines above): not run" >&2
  status=1
fi
PYTHONUNBUFFERED=1 "$PY" benchmarks/p5_bandwidth.py 2>&1 | tee "$OUT/p5.txt" || status=1
# shellcheck disable=SC2086
PYTHONUNBUFFERED=1 "$PY" benchmarks/p6_gpu_vs_cpu.py ${QHOST_P6_ARGS:-} 2>&1 | tee "$OUT/p6.txt" || status=1
if grep -q "no GPU: not run" "$OUT/p5.txt" "$OUT/p6.txt"; then
  echo "gpu_verify: a benchmark found no usable GPU: not run" >&2
  status=1
fi
echo "gpu_verify: outputs in $OUT (exit $status)"
exit "$status"
