"""Figures for notebooks/03_semantic_qa: method comparison, score profiles, ANN trade-off.

Introduced in notebooks/03_semantic_qa. Each function draws one figure and returns it.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


def method_bars(results: Mapping[str, Mapping[str, Mapping[str, float]]], metric: str = "R@1"):
    """Grouped bars: ``results[task][method][metric]`` for each task (e.g. descriptions, questions)."""
    import matplotlib.pyplot as plt

    tasks = list(results)
    methods = list(next(iter(results.values())))
    x = np.arange(len(methods))
    width = 0.8 / len(tasks)
    fig, ax = plt.subplots(figsize=(9, 4))
    for j, task in enumerate(tasks):
        vals = [results[task][m][metric] for m in methods]
        bars = ax.bar(x + (j - (len(tasks) - 1) / 2) * width, vals, width, label=task)
        ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
    ax.set_xticks(x, methods, rotation=20, ha="right")
    ax.set_ylabel(metric)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(f"{metric} by method and query style")
    fig.tight_layout()
    return fig


def score_profiles(profiles: Mapping[str, np.ndarray], target: int, title: str = ""):
    """One panel per retriever: the histogram of a query's scores over the collection, target marked.

    The legend gives the target's z-score: how many standard deviations it stands above the mean.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(profiles), figsize=(4.2 * len(profiles), 3.2))
    for ax, (name, s) in zip(np.atleast_1d(axes), profiles.items()):
        s = np.asarray(s, dtype=np.float64)
        z = (s[target] - s.mean()) / (s.std() or 1.0)
        ax.hist(s, bins=60, color="0.6", log=True)
        ax.axvline(s[target], color="C3", lw=2, label=f"right article: z = {z:.1f}")
        ax.set_title(name)
        ax.set_xlabel("score")
        ax.legend(fontsize=8)
    np.atleast_1d(axes)[0].set_ylabel("articles (log scale)")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def ann_tradeoff(sizes: Sequence[int], exact_ms: Sequence[float], ann_ms: Sequence[float],
                 recall: Sequence[float], sweep: Mapping[int, tuple[float, float]] | None = None):
    """Left: ms per query vs collection size (exact and ANN). Right: recall@10 vs ms for an ANN dial."""
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    a.plot(sizes, exact_ms, "o-", label="exact (numpy)")
    a.plot(sizes, ann_ms, "s-", label="IVF (faiss)")
    for n, ms, r in zip(sizes, ann_ms, recall):
        a.annotate(f"R@10 {r:.2f}", (n, ms), textcoords="offset points", xytext=(0, 6), fontsize=7, ha="center")
    a.set_xscale("log")
    a.set_yscale("log")
    a.set_xlabel("vectors in the index")
    a.set_ylabel("ms per query (one at a time)")
    a.legend(fontsize=8)
    a.set_title("latency grows with the collection")
    if sweep:
        keys = sorted(sweep)
        ms, rc = [sweep[k][0] for k in keys], [sweep[k][1] for k in keys]
        b.plot(ms, rc, "o-", color="C1")
        for k, x, y in zip(keys, ms, rc):
            b.annotate(f"nprobe={k}", (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
        b.set_xlabel("ms per query")
        b.set_ylabel("recall@10 vs exact")
        b.set_title("the speed/recall dial (largest size)")
    fig.tight_layout()
    return fig
