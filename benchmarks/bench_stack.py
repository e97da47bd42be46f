"""Import time of the course's stack, each in a fresh interpreter (the first thing a learner waits for)."""

import subprocess
import sys
import time

STACK = ["lessons", "numpy", "torch", "gensim", "sentence_transformers", "transformers", "faiss"]


def import_seconds(module: str, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        best = min(best, time.perf_counter() - t)
    return round(best, 3)


def measure(quick: bool) -> dict:
    repeats = 1 if quick else 3
    return {"import_seconds": {m: import_seconds(m, repeats) for m in STACK}}
