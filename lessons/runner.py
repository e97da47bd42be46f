"""``python -m lessons run``: execute the whole course headless, from fresh kernels, offline.

For instructors before a workshop and for anyone who wants to know "does it all
still work on this laptop?". Each notebook is copied into a temporary folder and
executed there by ``nbclient`` in a fresh ``python3`` kernel, so the learner's
saved notebooks (and their outputs) are never touched. One line is printed as each
notebook starts and finishes, then a table of notebook, status and seconds. A
failing notebook is reported with the failing cell (its 0-based index in the
notebook, as nbformat and nbval count), the cell's first source line and the
error; the other notebooks still run. ``--html DIR`` writes rendered HTML copies
(figures embedded) for sharing.

Exit code: 0 when every notebook ran, 1 when any failed, 2 when there was
nothing to run (or the kernel is missing).
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNEL_FIX = "`python -m ipykernel install --sys-prefix --name python3` (or `make setup`)"

#: Environment given to every kernel: never reach for a model hub, quiet tokenizers,
#: a fixed hash seed so gensim's vocabulary order is the same on every run.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "PYTHONHASHSEED": "0",
}


@dataclass
class CellFailure:
    """Where and how a notebook stopped: ``index`` is the 0-based cell index in the notebook."""

    index: int
    first_line: str
    ename: str
    evalue: str

    def describe(self) -> str:
        value = " ".join(self.evalue.split())
        if len(value) > 300:
            value = value[:297] + "..."
        where = f"cell {self.index} `{self.first_line}`" if self.index >= 0 else self.first_line
        return f"{where}: {self.ename}: {value}"


@dataclass
class NotebookResult:
    """Outcome of executing one notebook: ``status`` is "ok" or "FAILED"."""

    name: str
    status: str
    seconds: float
    failure: CellFailure | None = None
    executed: object = field(default=None, repr=False)  # the executed nbformat notebook


def default_dir() -> Path:
    """The course's ``notebooks/`` folder (next to the package, else under the working directory)."""
    here = ROOT / "notebooks"
    return here if here.is_dir() else Path.cwd() / "notebooks"


def find_notebooks(directory: Path, only: str | None = None, pattern: str = "0*.ipynb") -> list[Path]:
    """Course notebooks in ``directory``, sorted; ``only`` filters by substring or glob on the file name."""
    paths = sorted(p for p in Path(directory).glob(pattern) if p.is_file())
    if only:
        if any(ch in only for ch in "*?["):
            paths = [p for p in paths if fnmatch.fnmatch(p.name, only)]
        else:
            paths = [p for p in paths if only in p.name]
    return paths


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= 80 else line[:77] + "..."
    return "(empty cell)"


def _error_in_outputs(cell) -> tuple[str, str] | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out.get("ename", "Error"), out.get("evalue", "")
    return None


def _log_tail(path: Path, lines: int = 3) -> str:
    """Last lines of the kernel's stderr, without ipykernel's routine transport warning."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    keep = [ln for ln in text.splitlines() if ln.strip() and "without encryption" not in ln]
    return ("kernel said: " + " | ".join(keep[-lines:])) if keep else ""


def check_kernel(kernel_name: str = "python3") -> str | None:
    """None when the Jupyter kernel exists, else a message with the fix."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        return f"No Jupyter kernel named {kernel_name!r} is installed. Fix: {KERNEL_FIX}."
    return None


def _execute(nb, work: Path, log_path: Path, timeout: float, kernel_name: str, kernel_env: dict,
             on_cell_start, current: dict) -> CellFailure | None:
    """Run ``nb`` in place with nbclient inside ``work``; return where it failed, or None."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, startup_timeout=180,
                            resources={"metadata": {"path": str(work)}}, on_cell_start=on_cell_start)
    try:
        try:
            with open(log_path, "wb") as log:  # the kernel's own stderr: shown only if it dies
                client.execute(env=kernel_env, cwd=str(work), stderr=log)
        except BaseException:
            # nbclient answers Ctrl-C (SIGINT) by shutting the kernel down, which then surfaces as an
            # unrelated error; it marks that case with this attribute. Report it as the interrupt it was.
            if hasattr(client, "_async_cleanup_kernel_future"):
                raise KeyboardInterrupt from None
            raise
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        i = current["index"]
        cell = nb.cells[i] if 0 <= i < len(nb.cells) else {"source": ""}
        found = _error_in_outputs(cell) if isinstance(exc, CellExecutionError) else None
        if found is None:
            ename = getattr(exc, "ename", None) or type(exc).__name__
            evalue = getattr(exc, "evalue", None) or str(exc).strip().splitlines()[0]
            if isinstance(exc, CellTimeoutError):
                evalue = f"the cell ran longer than {timeout:.0f} s (raise --timeout)"
            found = (ename, evalue)
        if isinstance(exc, DeadKernelError):
            hint = "(the kernel process ended: out of memory is the usual cause; close other programs)"
            found = (found[0], f"{found[1]} {hint} {_log_tail(log_path)}".strip())
        return CellFailure(i, _first_line(cell.get("source", "")), *found)
    except Exception as exc:  # kernel could not start, missing kernel spec, ...
        message = f"{str(exc) or repr(exc)} {_log_tail(log_path)}".strip()
        return CellFailure(-1, "(kernel start)", type(exc).__name__, message)
    return None


def run_notebook(path: Path, *, timeout: float = 900, kernel_name: str = "python3",
                 env: dict[str, str] | None = None) -> NotebookResult:
    """Execute a copy of ``path`` in a fresh kernel inside a temporary folder; never writes ``path``.

    The notebook's whole folder is copied (without checkpoints) so relative files
    keep working. ``timeout`` is the seconds allowed per cell. Returns a
    :class:`NotebookResult` (never raises for a failing notebook).
    """
    import nbformat

    path = Path(path)
    t = time.perf_counter()
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # not JSON (e.g. a merge conflict), or not a notebook
        failure = CellFailure(-1, "(reading the file)", type(exc).__name__, str(exc).splitlines()[0][:300])
        return NotebookResult(path.name, "FAILED", round(time.perf_counter() - t, 1), failure, None)
    current = {"index": -1}

    def on_cell_start(cell, cell_index, **_):
        current["index"] = cell_index

    kernel_env = dict(os.environ)
    kernel_env.update(OFFLINE_ENV)
    kernel_env.update(env or {})
    failure = None
    try:
        with tempfile.TemporaryDirectory(prefix="lessons-run-") as tmp:
            work = Path(tmp) / path.parent.name
            shutil.copytree(path.parent, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.html"))
            failure = _execute(nb, work, Path(tmp) / "kernel-stderr.log", timeout, kernel_name, kernel_env,
                               on_cell_start, current)
    except OSError as exc:  # no space for the temporary copy, unreadable folder, ...
        failure = CellFailure(-1, "(temporary copy)", type(exc).__name__,
                              f"{exc} (free some disk space in {tempfile.gettempdir()} or set TMPDIR)")
    seconds = round(time.perf_counter() - t, 1)
    return NotebookResult(path.name, "ok" if failure is None else "FAILED", seconds, failure, nb)


def write_html(result: NotebookResult, out_dir: Path) -> Path:
    """Render an executed notebook to ``out_dir/<name>.html`` (figures embedded); return the path."""
    from nbconvert import HTMLExporter

    out_dir.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(embed_images=True)
    body, _ = exporter.from_notebook_node(result.executed)
    target = out_dir / (Path(result.name).stem + ".html")
    target.write_text(body, encoding="utf-8")
    return target


def format_table(results: list[NotebookResult]) -> str:
    """Plain-text table: notebook | status | seconds, with a total line."""
    width = max([len("notebook")] + [len(r.name) for r in results])
    lines = [f"{'notebook':<{width}} | status | seconds", f"{'-' * width}-|--------|--------"]
    for r in results:
        lines.append(f"{r.name:<{width}} | {r.status:<6} | {r.seconds:7.1f}")
    total = sum(r.seconds for r in results)
    n_ok = sum(r.status == "ok" for r in results)
    lines.append(f"{'total':<{width}} | {n_ok}/{len(results)} ok | {total:7.1f}")
    return "\n".join(lines)


def run_course(paths: list[Path], *, timeout: float = 900, html: Path | None = None,
               kernel_name: str = "python3", out=None, collect: list | None = None) -> list[NotebookResult]:
    """Run each notebook in turn, printing progress lines to ``out``; return the results.

    Results are appended to ``collect`` (when given) as they arrive, so a caller
    interrupted half-way still has the finished ones.
    """
    out = out or sys.stdout
    results = collect if collect is not None else []
    n = len(paths)
    for k, path in enumerate(paths, 1):
        print(f"[{k}/{n}] {path.name}: running ...", file=out, flush=True)
        result = run_notebook(path, timeout=timeout, kernel_name=kernel_name)
        line = f"[{k}/{n}] {path.name}: {result.status} in {result.seconds:.1f} s"
        if result.failure:
            line += f"\n      {result.failure.describe()}"
        if html is not None and result.executed is not None:
            try:
                line += f"\n      html: {write_html(result, html)}"
            except OSError as exc:
                line += f"\n      html: not written ({exc})"
        print(line, file=out, flush=True)
        results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit code (0 all ran, 1 some failed, 2 nothing to run)."""
    ap = argparse.ArgumentParser(prog="python -m lessons run",
                                 description="Execute every course notebook from a fresh kernel, offline.")
    ap.add_argument("--html", metavar="DIR", type=Path, help="also write rendered HTML copies into DIR")
    ap.add_argument("--only", metavar="PATTERN",
                    help="run only notebooks whose file name contains PATTERN (or matches it as a glob)")
    ap.add_argument("--timeout", metavar="S", type=float, default=900, help="seconds allowed per cell (900)")
    ap.add_argument("--dir", metavar="DIR", type=Path, default=None,
                    help="folder holding the notebooks (default: the course's notebooks/)")
    ap.add_argument("--kernel", default="python3", help="Jupyter kernel name (python3)")
    args = ap.parse_args(argv)

    directory = args.dir or default_dir()
    paths = find_notebooks(directory, args.only)
    if not paths:
        what = f" matching {args.only!r}" if args.only else ""
        print(f"No notebooks (0*.ipynb){what} in {directory}.", file=sys.stderr)
        return 2
    problem = check_kernel(args.kernel)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    print(f"Running {len(paths)} notebook(s) from {directory} in fresh '{args.kernel}' kernels, offline "
          f"(a temporary copy: your saved notebooks are not changed).", flush=True)
    results: list[NotebookResult] = []
    try:
        results = run_course(paths, timeout=args.timeout, html=args.html, kernel_name=args.kernel,
                             collect=results)
    except KeyboardInterrupt:
        print("\nInterrupted: the running notebook's kernel was shut down; nothing was saved.", flush=True)
        if results:
            print(format_table(results))
        return 130
    print()
    print(format_table(results))
    failed = [r for r in results if r.failure]
    if failed:
        print(f"\n{len(failed)} notebook(s) failed:")
        for r in failed:
            print(f"  {r.name}: {r.failure.describe()}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
