"""Seconds to run the course: each notebook from a fresh kernel (``nbXX_seconds``), their sum
(``course_total_seconds``), and the real-browser test (``browser_test_seconds``).

Notebooks run through ``lessons.runner`` (what ``python -m lessons run`` does: a
temporary copy, a fresh kernel, offline). The browser test runs through pytest in
a subprocess, exactly as ``make browser`` does. Both are skipped in ``--quick``
mode (executing the whole course takes minutes), with a note saying so.
"""

import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def course_seconds() -> dict:
    from lessons import runner

    out, failed = {}, []
    for path in runner.find_notebooks(ROOT / "notebooks"):
        result = runner.run_notebook(path, timeout=900)
        out[f"nb{path.name[:2]}_seconds"] = result.seconds
        if result.failure:
            failed.append(f"{path.name}: {result.failure.describe()}")
    if out:
        out["course_total_seconds"] = round(sum(out.values()), 1)
    if failed:
        out["course_failed"] = failed
    return out


def browser_seconds() -> dict:
    if not Path("/usr/bin/chromium").exists():
        return {"browser_test_note": "skipped: /usr/bin/chromium not installed"}
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "tests/test_browser.py", "-m", "browser", "-q"],
                          cwd=ROOT, capture_output=True, text=True, timeout=3000)
    seconds = round(time.perf_counter() - t, 1)
    summary = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
    return {"browser_test_seconds": seconds, "browser_test_passed": proc.returncode == 0,
            "browser_test_summary": summary}


def measure(quick: bool) -> dict:
    if quick:
        return {"notebooks_note": "quick mode: course_total_seconds, nbXX_seconds and browser_test_seconds "
                                  "are measured only in a full run"}
    out = course_seconds()
    out.update(browser_seconds())
    return out
