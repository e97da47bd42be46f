"""Measure the course's speed and quality figures: ``python benchmarks/run.py [--quick] [--json FILE]``.

Each ``benchmarks/bench_*.py`` module defines ``measure(quick: bool) -> dict``
of named figures (the key names the issues list). Every module runs in its own
subprocess, so one failure or one module's thread settings cannot spoil the
others; a failed module is reported and its keys are left out. Speed figures
are ratios measured side by side in one run wherever possible: the machines
are noisy, and absolute timings are never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def modules(only: list[str] | None) -> list[str]:
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if only:
        names = [n for n in names if any(o in n for o in only)]
    return names


def run_module(name: str, quick: bool, timeout: float) -> tuple[dict, str]:
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); "
            f"from benchmarks import {name} as m; "
            f"print('@@RESULT@@' + json.dumps(m.measure(quick={quick})))")
    env = dict(os.environ, PYTHONHASHSEED="0", TOKENIZERS_PARALLELISM="false")
    try:
        proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {}, f"timed out after {timeout:.0f} s"
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("@@RESULT@@"):
            return json.loads(line[len("@@RESULT@@"):]), ""
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return {}, f"exit {proc.returncode}: " + " | ".join(tail)


def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={fmt(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke run on reduced sizes (a minute or two)")
    ap.add_argument("--json", metavar="FILE", help="also write all figures as one JSON object")
    ap.add_argument("--only", nargs="*", help="run only modules whose name contains one of these")
    ap.add_argument("--timeout", type=float, default=1500, help="seconds allowed per module")
    args = ap.parse_args(argv)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    figures: dict = {"machine_load_1min_at_start": round(load, 2), "quick": args.quick,
                     "cpu_count": os.cpu_count()}
    failed = []
    t_all = time.perf_counter()
    for name in modules(args.only):
        t = time.perf_counter()
        print(f"-- {name} ...", flush=True)
        result, error = run_module(name, args.quick, args.timeout)
        if error:
            failed.append(name)
            print(f"   FAILED: {error}", flush=True)
        for key, value in result.items():
            print(f"   {key:<40} {fmt(value)}", flush=True)
        figures.update(result)
        figures[f"_bench_seconds_{name}"] = round(time.perf_counter() - t, 1)
    figures["benchmark_total_seconds"] = round(time.perf_counter() - t_all, 1)
    figures["machine_load_1min_at_end"] = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    print(f"\n{len(figures)} figures in {figures['benchmark_total_seconds']} s; failed modules: {failed or 'none'}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
        print(f"wrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
