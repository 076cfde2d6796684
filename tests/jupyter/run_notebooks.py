"""Executes every notebook in a folder with nbclient on the difflab kernel and
fails when any cell errors or shows an error output.

    python tests/jupyter/run_notebooks.py notebooks
"""

import pathlib
import sys

import nbformat
from nbclient import NotebookClient


def run(path: pathlib.Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name="difflab", timeout=600, resources={"metadata": {"path": str(path.parent)}}).execute()
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                raise SystemExit(f"{path}: cell {i} failed: {out.get('ename')}: {out.get('evalue')}")
    print(f"{path}: {len(nb.cells)} cells ran without an error")


def main() -> None:
    folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "notebooks")
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        raise SystemExit(f"no notebooks in {folder}")
    for path in notebooks:
        run(path)


if __name__ == "__main__":
    main()
