#!/usr/bin/env bash
# difflab from Rust in an evcxr notebook, checked end to end: installs evcxr's Jupyter kernel
# (`cargo install --locked evcxr_jupyter`, once, into target/evcxr), registers it in a temporary
# Jupyter prefix, and runs notebooks/rust_api.ipynb with nbclient on it. Fails when a cell
# errors or when no output is the figure's image/png. The notebook's `:dep difflab` builds the
# crate and its dependencies inside evcxr (kept in target/evcxr/build for the next run).
#
#     bash tests/evcxr/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

tools=$root/target/evcxr
if [ ! -x "$tools/bin/evcxr_jupyter" ]; then
    echo "evcxr: installing evcxr_jupyter into $tools (several minutes)" >&2
    cargo install --locked --quiet --root "$tools" evcxr_jupyter
fi
# evcxr's code analysis reads the standard library's source
if command -v rustup >/dev/null && ! rustup component list --installed | grep -q '^rust-src'; then
    rustup component add rust-src
fi

venv=target/jupyter-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet jupyter_client nbclient nbformat

prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
mkdir -p "$prefix/share/jupyter/kernels/rust" "$prefix/config"
cat > "$prefix/share/jupyter/kernels/rust/kernel.json" <<JSON
{"argv": ["$tools/bin/evcxr_jupyter", "--control_file", "{connection_file}"],
 "display_name": "Rust", "language": "rust", "interrupt_mode": "message"}
JSON
export JUPYTER_PATH="$prefix/share/jupyter"
# no user settings or start-up commands; builds kept between runs
export EVCXR_CONFIG_DIR="$prefix/config"
export EVCXR_TMPDIR="$tools/build"
mkdir -p "$EVCXR_TMPDIR"

started=$(date +%s)
"$venv/bin/python" tests/jupyter/run_notebooks.py notebooks --kernel rust --require image/png
echo "evcxr: the notebook ran in $(( $(date +%s) - started )) s" >&2
