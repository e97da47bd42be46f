"""Execution seconds of each course notebook from a fresh kernel (``nb01_seconds`` ...).

Skipped in ``--quick`` mode: executing the whole course takes several minutes.
"""

import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_notebook(path: Path) -> float:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    t = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return round(time.perf_counter() - t, 1)


def measure(quick: bool) -> dict:
    if quick:
        return {}
    out = {}
    for path in sorted((ROOT / "notebooks").glob("0*.ipynb")):
        out[f"nb{path.name[:2]}_seconds"] = run_notebook(path)
    if out:
        out["course_total_seconds"] = round(sum(out.values()), 1)
    return out
