#!/usr/bin/env bash
# Install the project and train the main recommender on goodbooks-10k on the GPU and on the CPU,
# printing examples/second for both. Without an NVIDIA GPU the GPU part is skipped.
#   bash bench/gpu_train.sh            (RECSYS_GPU_EPOCHS=10 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
test -x .venv/bin/python || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    nvidia-smi -L
    # The CUDA libraries TensorFlow needs come as pip packages with this extra.
    .venv/bin/python -m pip install --quiet -e . "tensorflow[and-cuda]>=2.21,<2.22"
else
    echo "no NVIDIA GPU found: only the CPU run will be made"
    .venv/bin/python -m pip install --quiet -e .
fi
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
exec .venv/bin/python bench/gpu_train.py
