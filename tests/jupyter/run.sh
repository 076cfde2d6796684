#!/usr/bin/env bash
# The difflab kernel checked by Jupyter's own tools: jupyter_kernel_test plus
# notebook behaviour tests, then every notebook in notebooks/ executed with
# nbclient. Creates its own virtualenv (target/jupyter-venv) and installs the
# kernelspec into a temporary prefix, so nothing outside the checkout changes.
#
#     bash tests/jupyter/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/jupyter-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet jupyter_client jupyter_kernel_test nbclient nbformat

cargo build --quiet
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
target/debug/difflab kernel install --prefix "$prefix"
export JUPYTER_PATH="$prefix/share/jupyter"

"$venv/bin/python" -m unittest discover -s tests/jupyter -v
"$venv/bin/python" tests/jupyter/run_notebooks.py notebooks
