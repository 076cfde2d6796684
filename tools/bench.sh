#!/usr/bin/env bash
# Reproduces docs/performance.md's table: builds difflab in release, makes a virtualenv with
# PyTorch and diffusers (for sample_ddpm32) from PyPI (once, in target/bench-venv), and runs `difflab bench` with any extra
# arguments given here (e.g. `--device cuda` with a CUDA build, `--only train_mlp`).
#
#     tools/bench.sh                      # every CPU workload at 1 and 2 threads
#     DIFFLAB=path/to/difflab tools/bench.sh --device cuda
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${BENCH_VENV:-target/bench-venv}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import torch, diffusers" 2>/dev/null; then
    echo "installing PyTorch and diffusers into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check torch diffusers
fi
if [ -z "${DIFFLAB:-}" ]; then
    cargo build --release
    DIFFLAB=target/release/difflab
fi
exec "$DIFFLAB" bench --python "$VENV/bin/python" "$@"
