"""Drive a real JupyterLab in headless Debian Chromium (Playwright for Python), for tests/test_browser.py.

* :class:`LabServer` starts ``jupyter lab`` on 127.0.0.1 with a random token, a
  free port and every JupyterLab state folder (workspaces, settings, runtime,
  config) inside a temporary folder, so the learner's own setup neither leaks
  in nor gets changed.
* :func:`launch_chromium` starts ``/usr/bin/chromium`` headless with the flags
  that keep it from reaching the network; Playwright's own browser download
  (``playwright install``) is never used.
* :func:`run_all_and_wait` opens a notebook, clicks into a cell, uses the
  menu's Run > Run All Cells, and polls until every code cell has run and the
  kernel is idle, returning what the notebook model says about each cell.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
]

# JupyterLab settings for a test run: every cell rendered (no windowing, so all outputs are in
# the page), no news or update pop-ups, no autosave races.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """A JupyterLab server on loopback serving ``root`` (use as a context manager)."""

    def __init__(self, root: Path, state: Path, *, startup_timeout: float = 120):
        self.root, self.state = Path(root), Path(state)
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen | None = None
        self.log_path = self.state / "jupyterlab.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        for name in ("workspaces", "settings", "runtime", "config", "data"):
            (self.state / name).mkdir(parents=True, exist_ok=True)
        settings = self.state / "settings"
        for rel, value in LAB_SETTINGS.items():
            path = settings / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        env.update({
            "JUPYTERLAB_WORKSPACES_DIR": str(self.state / "workspaces"),
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTER_RUNTIME_DIR": str(self.state / "runtime"),
            "JUPYTER_CONFIG_DIR": str(self.state / "config"),
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            "TOKENIZERS_PARALLELISM": "false", "PYTHONHASHSEED": env.get("PYTHONHASHSEED", "0"),
        })
        return env

    def start(self) -> "LabServer":
        cmd = [sys.executable, "-m", "jupyter", "lab", "--allow-root", "--no-browser", "--ip", "127.0.0.1",
               f"--port={self.port}", "--port-retries=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={self.root}", "--LabApp.expose_app_in_browser=True",
               "--LabApp.news_url=None", "--ServerApp.terminals_enabled=False",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        self.state.mkdir(parents=True, exist_ok=True)
        env = self._env()
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer within {self.startup_timeout:.0f} s:\n{self.log_tail()}")

    def api(self, method: str, path: str):
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut every running kernel down (frees the memory one notebook's models took)."""
        for session in self.api("GET", "/api/sessions") or []:
            try:
                self.api("DELETE", f"/api/sessions/{session['id']}")
            except OSError:
                pass
        for kernel in self.api("GET", "/api/kernels") or []:
            try:
                self.api("DELETE", f"/api/kernels/{kernel['id']}")
            except OSError:
                pass

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.api("POST", "/api/shutdown")
            self.proc.wait(timeout=20)
        except Exception:
            pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def launch_chromium(playwright):
    """Headless Debian Chromium at /usr/bin/chromium (never Playwright's downloaded browsers)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


# Reads the open notebook's model through window.jupyterapp (exposed by --LabApp.expose_app_in_browser).
_STATE_JS = """
() => {
  const app = window.jupyterapp;
  if (!app) return {ready: false, why: 'no app'};
  const widget = app.shell.currentWidget;
  if (!widget || !widget.content || !widget.content.model || !widget.sessionContext) return {ready: false, why: 'no notebook'};
  const ctx = widget.sessionContext;
  const kernel = ctx.session && ctx.session.kernel;
  const model = widget.content.model;
  const cells = [];
  for (let i = 0; i < model.cells.length; i++) {
    const c = model.cells.get(i);
    if (c.type !== 'code') { cells.push({index: i, type: c.type}); continue; }
    const outputs = [];
    for (let j = 0; j < c.outputs.length; j++) {
      const o = c.outputs.get(j).toJSON();
      outputs.push({type: o.output_type, ename: o.ename || null, evalue: o.evalue || null,
                    name: o.name || null, mimes: Object.keys(o.data || {})});
    }
    cells.push({index: i, type: 'code', count: c.executionCount, tags: c.getMetadata('tags') || [],
                source: c.sharedModel.getSource(), outputs: outputs});
  }
  const prompts = Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt'))
                      .map(e => e.textContent.trim());
  return {ready: true, kernel: kernel ? kernel.status : null, kernelName: kernel ? kernel.name : null,
          busy: ctx.kernelDisplayStatus, cells: cells, running: prompts.filter(p => p.includes('*')).length,
          dirty: model.dirty};
}
"""


@dataclass
class RunResult:
    """What the notebook looked like after Run All: ``cells`` as read from JupyterLab's model."""

    cells: list[dict]
    seconds: float
    kernel: str

    @property
    def code_cells(self) -> list[dict]:
        return [c for c in self.cells if c["type"] == "code" and c["source"].strip()]

    def errors(self) -> list[str]:
        """Error outputs in cells not tagged raises-exception, as 'cell i: EName: value'."""
        out = []
        for c in self.code_cells:
            if "raises-exception" in c["tags"]:
                continue
            for o in c["outputs"]:
                if o["type"] == "error":
                    out.append(f"cell {c['index']} `{c['source'].splitlines()[0][:60]}`: {o['ename']}: {o['evalue']}")
        return out

    def not_run(self) -> list[int]:
        return [c["index"] for c in self.code_cells if c["count"] is None]


def notebook_state(page) -> dict:
    return page.evaluate(_STATE_JS)


def open_notebook(page, server: LabServer, rel_path: str, timeout_s: float = 120) -> None:
    """Open ``rel_path`` (relative to the server root) in JupyterLab and wait for an idle kernel."""
    page.goto(f"{server.url}/lab/tree/{rel_path}?reset&token={server.token}", wait_until="domcontentloaded",
              timeout=timeout_s * 1000)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        dialog = page.locator(".jp-Dialog .jp-mod-accept")  # "Select Kernel" if the kernelspec did not match
        if dialog.count() and dialog.first.is_visible():
            dialog.first.click()
        state = notebook_state(page)
        if state.get("ready") and state["kernel"] == "idle":
            return
        page.wait_for_timeout(500)
    raise TimeoutError(f"{rel_path}: the notebook did not open with an idle kernel within {timeout_s:.0f} s "
                       f"(last state: {notebook_state(page).get('why') or notebook_state(page).get('kernel')})")


def run_all_and_wait(page, timeout_s: float = 300, poll_s: float = 1.0) -> RunResult:
    """Clear saved outputs, click into the first code cell, Run > Run All Cells, wait for idle with every cell run.

    Finishes early when the kernel is idle, nothing shows ``[*]`` and a cell has
    an error output (JupyterLab stops Run All at an error). Raises TimeoutError
    with the cells still waiting when ``timeout_s`` passes.
    """
    # Saved outputs and execution counts would look like a finished run: clear them first.
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.wait_for_function("""() => { const m = window.jupyterapp.shell.currentWidget.content.model;
        for (let i = 0; i < m.cells.length; i++) { const c = m.cells.get(i);
          if (c.type === 'code' && (c.executionCount !== null || c.outputs.length)) return false; }
        return true; }""", timeout=30_000)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-editor").first.click()
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()
    t = time.monotonic()
    settled = 0
    state = {}
    while time.monotonic() - t < timeout_s:
        page.wait_for_timeout(poll_s * 1000)
        state = notebook_state(page)
        result = RunResult(state["cells"], time.monotonic() - t, state["kernel"])
        done = state["kernel"] == "idle" and state["running"] == 0 and (not result.not_run() or result.errors())
        settled = settled + 1 if done else 0
        if settled >= 2:  # idle on two polls in a row: Run All has really finished
            result.seconds = round(time.monotonic() - t, 1)
            return result
    result = RunResult(state.get("cells", []), time.monotonic() - t, state.get("kernel"))
    raise TimeoutError(f"Run All had not finished after {timeout_s:.0f} s: kernel {state.get('kernel')}, "
                       f"cells not run yet {result.not_run()[:10]}")


def visible_output_with_text(page, text: str):
    """First output area (not markdown, not code) containing ``text``, scrolled into view; None if absent."""
    loc = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output", has_text=text)
    if loc.count() == 0:
        return None
    first = loc.first
    first.scroll_into_view_if_needed()
    return first if first.is_visible() else None


_TRACEBACKS_JS = """
() => Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell'))
  .map((cell, i) => [i, Array.from(cell.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
      .some(o => /Traceback \\(most recent call last\\)|^\\w*(Error|Exception)\\b.*:/m.test(o.textContent))])
  .filter(pair => pair[1]).map(pair => pair[0])
"""


def dom_tracebacks(page) -> list[int]:
    """Indices of cells whose rendered stderr output (where JupyterLab draws errors) shows a traceback.

    JupyterLab renders an error exactly like stderr text (both carry
    data-mime-type="application/vnd.jupyter.stderr"), so the page is searched for
    traceback text; this cross-checks :meth:`RunResult.errors`, which reads the model.
    """
    return page.evaluate(_TRACEBACKS_JS)


def visible_figures(page, want: int = 1) -> int:
    """How many output images are shown and decoded (naturalWidth > 0), scrolling to each; stops at ``want``."""
    imgs = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output img")
    n = 0
    for i in range(imgs.count()):
        img = imgs.nth(i)
        img.scroll_into_view_if_needed()
        if img.is_visible() and img.evaluate("e => e.complete && e.naturalWidth > 0"):
            n += 1
            if n >= want:
                break
    return n


def copy_notebooks(src: Path, dst: Path) -> Path:
    """Copy the course's notebooks/ folder (no checkpoints) so nothing the learner saved changes."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dst
