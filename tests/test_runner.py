"""`python -m lessons run` on small throwaway notebooks (not the course's): fast and independent.

One passing notebook (with a figure, a print, a file written to its working
folder and a cell tagged raises-exception) and one failing notebook are run once
through the real command line; the tests then read its output, exit code and
HTML copies.
"""

import subprocess
import time
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lessons import runner


def write_nb(path: Path, cells) -> Path:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def passing_cells():
    expected = new_code_cell("raise KeyError('expected by the lesson')")
    expected.metadata["tags"] = ["raises-exception"]
    return [
        new_markdown_cell("# A passing notebook"),
        new_code_cell("import matplotlib\nmatplotlib.use('agg')\nimport matplotlib.pyplot as plt\n"
                      "from IPython.display import Image, display\nprint('answer', 6 * 7)"),
        new_code_cell("from pathlib import Path\nPath('written_by_notebook.txt').write_text('x')\n"
                      "print(Path.cwd().name)"),
        expected,
        new_code_cell("import io\nfig, ax = plt.subplots()\n_ = ax.plot([0, 1], [1, 0])\n"
                      "buf = io.BytesIO(); fig.savefig(buf, format='png')\n"
                      "display(Image(buf.getvalue()))"),
    ]


def failing_cells():
    return [
        new_markdown_cell("# A failing notebook"),
        new_code_cell("x = 1"),
        new_code_cell("# a comment first\n\ntotal = x + 1\nraise ValueError(f'boom {total}')"),
        new_code_cell("print('never reached')"),
    ]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    folder = root / "notebooks"
    folder.mkdir()
    good = write_nb(folder / "01_good.ipynb", passing_cells())
    bad = write_nb(folder / "02_bad.ipynb", failing_cells())
    write_nb(folder / "scratch.ipynb", [new_code_cell("raise SystemExit('not a course notebook')")])
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    html = root / "html"
    proc = subprocess.run([sys.executable, "-m", "lessons", "run", "--dir", str(folder), "--html", str(html),
                           "--timeout", "120"], capture_output=True, text=True, timeout=600)
    return {"folder": folder, "good": good, "bad": bad, "before": before, "html": html, "proc": proc}


def test_failing_notebook_gives_nonzero_exit_and_the_other_still_runs(course):
    proc = course["proc"]
    assert proc.returncode == 1, proc.stdout + proc.stderr
    table = proc.stdout.split("notebook", 1)[1]
    assert "01_good.ipynb" in table and "02_bad.ipynb" in table
    lines = {line.split("|")[0].strip(): line for line in proc.stdout.splitlines() if "|" in line}
    assert "| ok " in lines["01_good.ipynb"]
    assert "| FAILED " in lines["02_bad.ipynb"]
    assert "1/2 ok" in lines["total"]
    assert "scratch.ipynb" not in proc.stdout  # only 0*.ipynb are course notebooks


def test_failure_names_cell_first_line_and_error(course):
    out = course["proc"].stdout
    assert "02_bad.ipynb: cell 2 `# a comment first`: ValueError: boom 2" in out
    assert "never reached" not in out
    assert "Traceback" not in out + course["proc"].stderr


def test_progress_line_per_notebook_start_and_finish(course):
    out = course["proc"].stdout
    assert "[1/2] 01_good.ipynb: running ..." in out
    assert "[1/2] 01_good.ipynb: ok in " in out
    assert "[2/2] 02_bad.ipynb: FAILED in " in out


def test_saved_notebooks_untouched_and_run_in_a_temporary_copy(course):
    after = {p.name: p.read_bytes() for p in course["folder"].iterdir()}
    assert after == course["before"]  # no new files (written_by_notebook.txt), no changed notebooks
    saved = nbformat.read(course["good"], as_version=4)
    assert all(c.get("outputs") == [] for c in saved.cells if c.cell_type == "code")


def test_html_copies_render_outputs_and_figures(course):
    good = (course["html"] / "01_good.html").read_text()
    assert "answer 42" in good
    assert "data:image/png;base64," in good
    bad = (course["html"] / "02_bad.html").read_text()
    assert "ValueError" in bad and "boom 2" in bad  # the partly executed notebook shows where it stopped


def test_only_filter_and_run_notebook_in_process(course, tmp_path):
    assert [p.name for p in runner.find_notebooks(course["folder"], "good")] == ["01_good.ipynb"]
    assert [p.name for p in runner.find_notebooks(course["folder"], "0[2-9]*")] == ["02_bad.ipynb"]
    assert runner.find_notebooks(course["folder"], "nothing-matches") == []
    result = runner.run_notebook(course["bad"], timeout=120)
    assert result.status == "FAILED" and result.seconds > 0
    assert (result.failure.index, result.failure.ename) == (2, "ValueError")
    assert result.failure.evalue == "boom 2"


def test_cell_timeout_is_reported_as_a_failure(tmp_path):
    path = write_nb(tmp_path / "01_slow.ipynb", [new_code_cell("import time\ntime.sleep(30)")])
    result = runner.run_notebook(path, timeout=3)
    assert result.status == "FAILED"
    assert result.failure.index == 0 and "longer than 3 s" in result.failure.evalue


def test_nothing_to_run_and_missing_kernel_exit_2_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "lessons", "run", "--dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "No notebooks" in proc.stderr
    write_nb(tmp_path / "01_x.ipynb", [new_code_cell("1")])
    proc = subprocess.run([sys.executable, "-m", "lessons", "run", "--dir", str(tmp_path), "--kernel", "no-such"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "No Jupyter kernel named 'no-such'" in proc.stderr and "ipykernel install" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_table_format():
    rows = [runner.NotebookResult("01_a.ipynb", "ok", 12.34), runner.NotebookResult("02_b.ipynb", "FAILED", 1.0)]
    table = runner.format_table(rows).splitlines()
    assert table[0].split("|")[0].strip() == "notebook"
    assert table[2] == "01_a.ipynb | ok     |    12.3"
    assert table[-1] == "total      | 1/2 ok |    13.3"


def test_dead_kernel_is_reported_with_a_hint(tmp_path):
    path = write_nb(tmp_path / "01_die.ipynb", [new_code_cell("print(1)"), new_code_cell("import os\nos._exit(3)")])
    result = runner.run_notebook(path, timeout=60)
    assert result.status == "FAILED"
    assert (result.failure.index, result.failure.ename) == (1, "DeadKernelError")
    assert "out of memory" in result.failure.evalue


def test_unreadable_notebook_and_no_temporary_space_are_failures_not_tracebacks(tmp_path, monkeypatch):
    broken = tmp_path / "01_conflict.ipynb"
    broken.write_text('{"cells": [\n<<<<<<< HEAD\n')
    result = runner.run_notebook(broken)
    assert result.status == "FAILED" and result.failure.describe().startswith("(reading the file): ")
    good = write_nb(tmp_path / "02_fine.ipynb", [new_code_cell("1 + 1")])
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "no-such-dir"))
    result = runner.run_notebook(good)
    assert result.status == "FAILED"
    assert result.failure.describe().startswith("(temporary copy): FileNotFoundError")
    assert "TMPDIR" in result.failure.evalue


def test_ctrl_c_stops_the_run_with_a_table_and_exit_130(tmp_path):
    import signal

    write_nb(tmp_path / "01_quick.ipynb", [new_code_cell("print('quick')")])
    write_nb(tmp_path / "02_slow.ipynb", [new_code_cell("import time\ntime.sleep(120)")])
    proc = subprocess.Popen([sys.executable, "-m", "lessons", "run", "--dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stdout:  # wait until the slow notebook has started
        lines.append(line)
        if "02_slow.ipynb: running" in line:
            break
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    out = "".join(lines) + out
    assert proc.returncode == 130, out + err
    assert "Interrupted: the running notebook's kernel was shut down" in out
    assert "01_quick.ipynb | ok" in out and "02_slow" not in out.split("Interrupted")[1]
    assert "Traceback" not in out + err
