#!/usr/bin/env bash
# Builds `target/release/difflab` with the `cuda` feature on a machine that has no GPU and no
# system CUDA toolkit (a Linux x86_64 machine with Python 3, pip and a C compiler).
#
# nvcc, the headers and the CUDA libraries come from NVIDIA's wheels on PyPI (CUDA 13.0, which
# the 580 drivers run). cudarc links `libcuda.so.1`, which only a GPU driver provides, so the
# link goes against a stub made from `cuda.h` (every `cu*` entry point returns
# CUDA_ERROR_NO_DEVICE); at run time the driver's real library takes its place.
#
# Running the binary on a GPU machine needs the CUDA 13 libraries (cublas, cudart, curand, nvrtc)
# and the driver's `libcuda.so.1` on LD_LIBRARY_PATH, e.g. the `nvidia/cu13/lib` folder of a
# CUDA 13 PyTorch install and the folder `ldconfig -p | grep libcuda` names.
#
# Environment: CUDA_DIR (where the toolkit wheels go; default target/cuda-toolkit),
# CUDA_COMPUTE_CAP (default 90, the H100/H200), CARGO_TARGET_DIR (cargo's own).
set -euo pipefail
cd "$(dirname "$0")/.."

CUDA_VERSION=13.0.2
CUDA_DIR=${CUDA_DIR:-$PWD/target/cuda-toolkit}
export CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-90}
ROOT=$CUDA_DIR/nvidia/cu13

if [ ! -x "$ROOT/bin/nvcc" ]; then
    echo "installing the CUDA $CUDA_VERSION toolkit wheels into $CUDA_DIR (about 1.2 GB)"
    python3 -m pip install --quiet --disable-pip-version-check --target "$CUDA_DIR" \
        "cuda-toolkit[nvcc,crt,nvvm,cudart,cublas,curand,nvrtc,cccl]==$CUDA_VERSION"
fi

# The wheels ship only versioned libraries (libcublas.so.13); the linker wants libcublas.so.
for lib in "$ROOT"/lib/lib*.so.*; do
    plain="${lib%%.so.*}.so"
    [ -e "$plain" ] || ln -s "$(basename "$lib")" "$plain"
done
[ -e "$ROOT/lib64" ] || ln -s lib "$ROOT/lib64"

# The driver stub: one function per `cu*` name in cuda.h (both the names as written and as
# the header's version macros rename them, e.g. cuCtxCreate -> cuCtxCreate_v2).
STUB=$CUDA_DIR/driver-stub
if [ ! -e "$STUB/libcuda.so.1" ]; then
    mkdir -p "$STUB"
    header=$(find "$ROOT/include" -name cuda.h | head -n 1)
    [ -n "$header" ] || { echo "cuda.h not found under $ROOT/include" >&2; exit 1; }
    {
        grep -oE '\bcu[A-Z][A-Za-z0-9_]*[[:space:]]*\(' "$header"
        gcc -E -P -I "$ROOT/include" "$header" | grep -oE '\bcu[A-Z][A-Za-z0-9_]*[[:space:]]*\('
    } | tr -d ' \t(' | sort -u | awk '{ printf "int %s(void) { return 100; }\n", $1 }' > "$STUB/stub.c"
    gcc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$STUB/libcuda.so.1" "$STUB/stub.c"
    ln -sf libcuda.so.1 "$STUB/libcuda.so"
fi

export CUDA_HOME=$ROOT CUDA_PATH=$ROOT PATH=$ROOT/bin:$PATH
export LIBRARY_PATH=$STUB:$ROOT/lib${LIBRARY_PATH:+:$LIBRARY_PATH}
cargo build --release --features cuda
BIN=${CARGO_TARGET_DIR:-target}/release/difflab
# tools/gpu-check.sh needs only this binary on the GPU machine, where what travels is limited
# to 64 MiB: drop the symbol table if the binary would not fit
if [ "$(stat -c %s "$BIN")" -gt $((60 * 1024 * 1024)) ]; then
    strip "$BIN"
fi
echo "built $BIN with CUDA (compute capability $CUDA_COMPUTE_CAP), $(($(stat -c %s "$BIN") / 1024 / 1024)) MiB"
