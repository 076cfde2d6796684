#!/usr/bin/env bash
# Checks difflab on a GPU machine in a few minutes, with nothing there but a CUDA build of the
# binary: every tests/device/ script with `--device cuda`, then `difflab bench --device cuda`
# against the machine's PyTorch. What each printed goes into OUT_DIR (one log per check,
# bench.md with the table, summary.txt with one line per check); failures are printed.
#
#     tools/build-cuda.sh            # here, on a machine without a GPU: target/release/difflab
#     tools/gpu-check.sh OUT_DIR     # there, from a copy of the repository with that binary
#
# No cargo is needed on the GPU machine. The CUDA 13 libraries come from the installed
# PyTorch's NVIDIA wheels (their nvidia/cu13/lib or nvidia/*/lib folders), the driver's
# libcuda.so.1 from `ldconfig -p`. Environment: DIFFLAB (the binary; target/release/difflab),
# PYTHON (a Python with PyTorch; python3), BUDGET (seconds for everything; 450), DEVICE (cuda;
# `DEVICE=cpu` tries the script itself on a machine without a GPU). The first check also
# compiles candle's kernels for the GPU (about 20 s).
# Exit status: 0 when every check passed, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${1:?usage: tools/gpu-check.sh OUT_DIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BIN=${DIFFLAB:-target/release/difflab}
PY=${PYTHON:-python3}
BUDGET=${BUDGET:-450}
DEVICE=${DEVICE:-cuda}
STARTED=$SECONDS
SUMMARY=$OUT/summary.txt
: >"$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }
# seconds left of the budget, and at most $1
left() {
    local rest=$((BUDGET - (SECONDS - STARTED)))
    echo $((rest < $1 ? rest : $1))
}

if [ ! -x "$BIN" ]; then
    say "FAIL setup: $BIN is not an executable; build it with tools/build-cuda.sh"
    exit 1
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
# the checks run inside OUT_DIR: a Python given as a relative path must still be found there
case $PY in */*) PY=$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY") ;; esac

# the CUDA libraries: PyTorch's NVIDIA wheels, then the driver's folder
wheels=$("$PY" - <<'EOF'
import glob, os, sys
found = []
for base in sys.path:
    for pattern in ("nvidia/cu13/lib", "nvidia/*/lib"):
        found += [d for d in sorted(glob.glob(os.path.join(base, pattern))) if os.path.isdir(d)]
print(":".join(dict.fromkeys(found)))
EOF
)
driver=$(ldconfig -p 2>/dev/null | awk '/libcuda\.so\.1 / { print $NF; exit }')
libs=$wheels
[ -n "$driver" ] && libs=$libs${libs:+:}$(dirname "$driver")
export LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
say "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
say "gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo 'nvidia-smi not found')"
say "libraries: $LD_LIBRARY_PATH"
[ -n "$wheels" ] || say "warning: no NVIDIA wheel folders under $PY's sys.path"
[ -n "$driver" ] || say "warning: ldconfig -p names no libcuda.so.1"

failed=0
# each check runs inside OUT_DIR, so the files it writes (checkpoints) land there; the
# pretrained check reads the small diffusers models from a copy there
rm -rf "$OUT/pretrained" && cp -r "$ROOT/tests/data/pretrained" "$OUT/pretrained"
for script in "$ROOT"/tests/device/*.rhai; do
    name=$(basename "$script" .rhai)
    limit=$(left 120)
    if [ "$limit" -le 0 ]; then
        say "FAIL $name: not run, the $BUDGET s budget is spent"
        failed=1
        continue
    fi
    begin=$SECONDS
    (cd "$OUT" && timeout "$limit" "$BIN" run --device "$DEVICE" "$script") >"$OUT/$name.log" 2>&1
    rc=$?
    took=$((SECONDS - begin))
    if [ $rc -eq 0 ] && grep -qx "ok $name" "$OUT/$name.log"; then
        say "ok   $name (${took} s)"
    else
        [ $rc -eq 124 ] && why="timed out after $limit s" || why="exit $rc"
        say "FAIL $name ($why, ${took} s): $(tail -n 4 "$OUT/$name.log" | tr '\n' ' ')"
        failed=1
    fi
done
grep -E '^(mixture|network) ' "$OUT/transfers.log" >>"$SUMMARY" 2>/dev/null

# the benchmark table against the machine's PyTorch
limit=$(left 300)
if [ "$limit" -gt 30 ]; then
    begin=$SECONDS
    (cd "$OUT" && timeout "$limit" "$BIN" bench --device "$DEVICE" --seconds 1 --python "$PY" \
        --reference "$ROOT/benches/reference/workloads.py") >"$OUT/bench.md" 2>"$OUT/bench.log"
    rc=$?
    took=$((SECONDS - begin))
    if [ $rc -eq 0 ]; then
        say "ok   bench (${took} s)"
    else
        say "FAIL bench (exit $rc, ${took} s): $(tail -n 4 "$OUT/bench.log" | tr '\n' ' ')"
        failed=1
    fi
    cat "$OUT/bench.md"
else
    say "FAIL bench: not run, the $BUDGET s budget is spent"
    failed=1
fi
say "total: $((SECONDS - STARTED)) s"
[ $failed -eq 0 ] && say "every check passed" || say "some checks failed: see the logs in $OUT"
exit $failed
