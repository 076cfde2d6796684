"""Executes the notebooks in a folder with nbclient and fails when any cell errors or
shows an error output. Each notebook runs on the kernel its metadata names; only those
for `--kernel` (difflab's by default) run, the others are listed as skipped.
`--require MIME` also fails a notebook none of whose outputs has that type.

    python tests/jupyter/run_notebooks.py notebooks
    python tests/jupyter/run_notebooks.py notebooks --kernel rust --require image/png
"""

import argparse
import pathlib

import nbformat
from nbclient import NotebookClient


def run(path: pathlib.Path, kernel: str, require: str | None) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name=kernel, timeout=1200, resources={"metadata": {"path": str(path.parent)}}).execute()
    types = set()
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                raise SystemExit(f"{path}: cell {i} failed: {out.get('ename')}: {out.get('evalue')}")
            types.update(out.get("data", {}).keys())
    if require and require not in types:
        raise SystemExit(f"{path}: no output of type {require}; the outputs had {sorted(types)}")
    shown = f", outputs include {require}" if require else ""
    print(f"{path}: {len(nb.cells)} cells ran without an error{shown}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", nargs="?", default="notebooks")
    parser.add_argument("--kernel", default="difflab", help="run the notebooks for this kernel")
    parser.add_argument("--require", help="a MIME type some output of each notebook must have")
    args = parser.parse_args()
    folder = pathlib.Path(args.folder)
    ran = 0
    for path in sorted(folder.glob("*.ipynb")):
        name = nbformat.read(path, as_version=4).metadata.get("kernelspec", {}).get("name", "difflab")
        if name != args.kernel:
            print(f"{path}: skipped (its kernel is {name})")
            continue
        run(path, args.kernel, args.require)
        ran += 1
    if ran == 0:
        raise SystemExit(f"no notebooks for the {args.kernel} kernel in {folder}")


if __name__ == "__main__":
    main()
