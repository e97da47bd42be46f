"""The course in the real front end: JupyterLab on loopback, driven by headless Debian Chromium.

For each course notebook: open it, click into a cell, Run > Run All Cells, wait
until the kernel is idle and every cell has run, then assert that no cell shows
an error (cells tagged raises-exception excepted), that a figure is visible and
decoded, and that the notebook's key output is visible. A screenshot per notebook
goes to tests/artifacts/ (git-ignored). JupyterLab serves a temporary copy of
notebooks/, so nothing the learner saved changes.

Skipped only when /usr/bin/chromium is absent (`apt-get install chromium`;
.ci/run installs it). Set LESSONS_BROWSER_TIMEOUT to allow more seconds per
notebook on a slow machine (default 600).
"""

import os
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from browser_helpers import (CHROMIUM, LabServer, copy_notebooks, dom_tracebacks, launch_chromium,
                             notebook_state, open_notebook, run_all_and_wait, visible_figures,
                             visible_output_with_text)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
TIMEOUT = float(os.environ.get("LESSONS_BROWSER_TIMEOUT", "600"))

#: notebook -> a text its outputs must show (the analogy answer, an attention check, a search hit, ...)
KEY_TEXT = {
    "01_word2vec.ipynb": "queen",
    "02_attention.ipynb": "max abs",
    "03_semantic_qa.ipynb": "2001: A Space Odyssey",
    "04_multimodal.ipynb": "importance",
}

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} not found: the real-browser test needs Debian's chromium "
                f"(`apt-get install chromium`; .ci/run installs it)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: `make setup`")


def standin_notebook(broken: bool = False) -> nbformat.NotebookNode:
    """A small notebook with a print, a figure and an expected error, to test the harness itself.

    ``broken=True`` adds an untagged failing cell before the figure.
    """
    expected = new_code_cell("raise ValueError('shown on purpose')")
    expected.metadata["tags"] = ["raises-exception"]
    nb = new_notebook(cells=[
        new_markdown_cell("# Stand-in"),
        new_code_cell("import time\nimport matplotlib.pyplot as plt\ntime.sleep(1)\nprint('stand-in key text', 6 * 7)"),
        expected,
        new_code_cell("fig, ax = plt.subplots(figsize=(3, 2))\n_ = ax.plot([0, 1, 2], [2, 0, 1])\nplt.show()"),
    ])
    if broken:
        nb.cells.insert(3, new_code_cell("values = []\nmean = sum(values) / len(values)"))
    for k, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):  # as if saved from an older run
        cell.execution_count = 20 + k
        cell.outputs = [new_output("stream", name="stdout", text="stale output saved in the file\n")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    root = tmp / "root"
    if (ROOT / "notebooks").is_dir():
        copy_notebooks(ROOT / "notebooks", root)
    else:
        root.mkdir()
    (root / "_selftest").mkdir()
    nbformat.write(standin_notebook(), root / "_selftest" / "standin.ipynb")
    nbformat.write(standin_notebook(broken=True), root / "_selftest" / "broken.ipynb")
    with LabServer(root, tmp / "state") as server:
        yield server


@pytest.fixture(scope="module")
def browser(lab):
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, lab):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()
    lab.shutdown_kernels()


def check_notebook(page, lab, rel_path: str, key_text: str, shot: str):
    t = time.monotonic()
    open_notebook(page, lab, rel_path)
    result = run_all_and_wait(page, timeout_s=TIMEOUT)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        assert result.kernel == "idle"
        assert result.errors() == [], f"{rel_path}: cells show errors:\n" + "\n".join(result.errors())
        tagged = {c["index"] for c in result.code_cells if "raises-exception" in c["tags"]}
        shown = set(dom_tracebacks(page)) - tagged
        assert not shown, f"{rel_path}: the page shows a traceback in cells {sorted(shown)}"
        assert result.not_run() == [], f"{rel_path}: cells never ran: {result.not_run()}"
        counts = [c["count"] for c in result.code_cells]
        assert counts == list(range(1, len(counts) + 1)), f"{rel_path}: not one top-to-bottom run: {counts}"
        assert visible_figures(page) >= 1, f"{rel_path}: no figure visible"
        found = visible_output_with_text(page, key_text)
        assert found is not None, f"{rel_path}: no visible output contains {key_text!r}"
    finally:
        page.screenshot(path=str(ARTIFACTS / shot))
    return result, round(time.monotonic() - t, 1)


def test_harness_on_a_standin_notebook(page, lab):
    result, _ = check_notebook(page, lab, "_selftest/standin.ipynb", "stand-in key text 42", "selftest.png")
    # the tagged cell's error is shown (and allowed), and Run All continued past it to the figure
    tagged = [c for c in result.code_cells if "raises-exception" in c["tags"]][0]
    assert [o["ename"] for o in tagged["outputs"]] == ["ValueError"]
    assert any("image/png" in o["mimes"] for c in result.code_cells for o in c["outputs"])
    assert notebook_state(page)["kernelName"] == "python3"
    assert visible_output_with_text(page, "stale output") is None  # saved outputs were cleared, then re-made


def test_harness_sees_an_error_in_an_untagged_cell(page, lab):
    open_notebook(page, lab, "_selftest/broken.ipynb")
    result = run_all_and_wait(page, timeout_s=120)  # returns early: JupyterLab stops Run All at the error
    assert result.errors() == ["cell 3 `values = []`: ZeroDivisionError: division by zero"]
    assert dom_tracebacks(page) == [2, 3]  # the tagged cell 2 and the broken cell 3
    assert result.not_run() == [4]  # the figure cell after it never ran
    assert visible_figures(page) == 0
    with pytest.raises(AssertionError, match="cells show errors"):
        check_notebook(page, lab, "_selftest/broken.ipynb", "stand-in key text", "selftest-broken.png")


@pytest.mark.parametrize("name", sorted(KEY_TEXT))
def test_notebook_runs_in_jupyterlab(page, lab, name):
    if not (lab.root / name).exists():
        pytest.skip(f"notebooks/{name} does not exist yet")
    result, seconds = check_notebook(page, lab, name, KEY_TEXT[name], name.replace(".ipynb", ".png"))
    print(f"{name}: {len(result.code_cells)} code cells ran in {result.seconds} s (open + run + checks {seconds} s)")
