"""Saved notebooks are executed, from a fresh kernel, with checked cells that nbval can compare.

nbval silently passes cells with no saved outputs, so a notebook committed
without outputs would test nothing; these checks make that fail.
"""

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("0*.ipynb"))


def code_cells(path):
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def test_the_four_notebooks_exist():
    names = [p.name for p in NOTEBOOKS]
    for want in ("01_word2vec.ipynb", "02_attention.ipynb", "03_semantic_qa.ipynb", "04_multimodal.ipynb"):
        if want not in names:
            pytest.xfail(f"{want} not written yet")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_saved_from_a_fresh_kernel_with_outputs(path):
    cells = [c for c in code_cells(path) if "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in cells]
    assert None not in counts, f"{path.name}: {counts.count(None)} code cells were never run"
    assert counts == list(range(1, len(cells) + 1)), f"{path.name}: not run top to bottom once from a fresh kernel"
    checked = [c for c in cells if "NBVAL_CHECK_OUTPUT" in "".join(c["source"])]
    assert len(checked) >= 3, f"{path.name}: fewer than 3 cells marked # NBVAL_CHECK_OUTPUT"
    for c in checked:
        assert c["outputs"], f"{path.name}: a checked cell has no saved output:\n{''.join(c['source'])[:200]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_unexpected_errors_or_progress_bars(path):
    for c in code_cells(path):
        src = "".join(c["source"])
        raises = "raises-exception" in c.get("metadata", {}).get("tags", []) or "NBVAL_RAISES_EXCEPTION" in src
        for out in c.get("outputs", []):
            if out["output_type"] == "error":
                assert raises, f"{path.name}: saved error {out['ename']} in a cell not marked to raise"
            if out.get("name") == "stderr":
                text = "".join(out.get("text", ""))
                assert "\r" not in text and "it/s]" not in text, f"{path.name}: a console progress bar was saved"
