"""Figures for notebooks/01_word2vec: the sliding window, norm vs frequency, 2-D maps, scores.

Introduced in notebooks/01_word2vec. Every function returns the matplotlib
``Figure`` so a notebook can assign it (``_ = plot_...``) and tests can inspect it.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def plot_sliding_window(tokens: Sequence[str], centre: int, window: int = 2):
    """Draw a sentence as boxes, the centre word, its context window, and the (centre, context) pairs."""
    import matplotlib.pyplot as plt

    if not 0 <= centre < len(tokens):
        raise ValueError(f"centre must index a token (0..{len(tokens) - 1}); got {centre}.")
    fig, ax = plt.subplots(figsize=(min(12, 1.2 * len(tokens) + 1), 2.6))
    lo, hi = max(0, centre - window), min(len(tokens), centre + window + 1)
    for i, tok in enumerate(tokens):
        colour = "#f4a261" if i == centre else ("#8ecae6" if lo <= i < hi else "#eeeeee")
        ax.add_patch(plt.Rectangle((i * 1.2, 0), 1.0, 0.8, color=colour, ec="black"))
        ax.text(i * 1.2 + 0.5, 0.4, tok, ha="center", va="center", fontsize=10)
    pairs = [f"({tokens[centre]}, {tokens[j]})" for j in range(lo, hi) if j != centre]
    ax.text(0, -0.5, "pairs: " + "  ".join(pairs), fontsize=10, va="center")
    ax.set_xlim(-0.2, len(tokens) * 1.2)
    ax.set_ylim(-0.9, 1.2)
    ax.set_title(f"window = {window}: the centre word (orange) predicts each context word (blue)")
    ax.axis("off")
    return fig


def plot_norm_vs_frequency(kv, highlight: Sequence[str] = ()):
    """Scatter of each word's vector length against its corpus count (log scale), some words labelled."""
    import matplotlib.pyplot as plt

    counts = np.array([kv.get_vecattr(w, "count") for w in kv.index_to_key])
    norms = np.linalg.norm(kv.vectors, axis=1)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(counts, norms, s=3, alpha=0.3)
    for w in highlight:
        if w in kv.key_to_index:
            i = kv.key_to_index[w]
            ax.annotate(w, (counts[i], norms[i]), fontsize=9, color="crimson")
            ax.scatter([counts[i]], [norms[i]], s=14, color="crimson")
    ax.set_xscale("log")
    ax.set_xlabel("word count in the corpus (log scale)")
    ax.set_ylabel("vector length ||v||")
    ax.set_title("Vector length depends on word frequency")
    return fig


def project_2d(vectors: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """Project ``(n, d)`` vectors to ``(n, 2)`` with PCA or t-SNE (cosine geometry: rows are normalised first)."""
    x = np.asarray(vectors, dtype=np.float64)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(x)
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = max(2.0, min(15.0, (len(x) - 1) / 3))
        # exact gradients for a few hundred points: Barnes-Hut's OpenMP threads crawl on a busy 2-core machine
        method_ = "exact" if len(x) <= 500 else "barnes_hut"
        return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed,
                    method=method_).fit_transform(x)
    raise ValueError(f"method must be 'pca' or 'tsne'; got {method!r}.")


def plot_word_map(kv, groups: dict[str, Sequence[str]], arrows: Sequence[tuple[str, str]] = (), seed: int = 0):
    """Side-by-side PCA and t-SNE maps of word groups (one colour each), with optional arrows a -> b.

    Words missing from ``kv`` are skipped. Returns the figure.
    """
    import matplotlib.pyplot as plt

    words, labels = [], []
    for g, ws in groups.items():
        for w in ws:
            if w in kv.key_to_index and w not in words:
                words.append(w)
                labels.append(g)
    vecs = np.stack([kv[w] for w in words])
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
    colours = dict(zip(groups, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    for ax, method in zip(axes, ("pca", "tsne")):
        xy = project_2d(vecs, method, seed)
        pos = dict(zip(words, xy))
        for g in groups:
            idx = [i for i, lab in enumerate(labels) if lab == g]
            ax.scatter(xy[idx, 0], xy[idx, 1], s=18, color=colours[g], label=g)
        for w, (x, y) in pos.items():
            ax.annotate(w, (x, y), fontsize=8, xytext=(2, 2), textcoords="offset points")
        for a, b in arrows:
            if a in pos and b in pos:
                ax.annotate("", xy=pos[b], xytext=pos[a],
                            arrowprops=dict(arrowstyle="->", color="grey", lw=0.8, alpha=0.8))
        ax.set_title(f"{method.upper()} of {len(words)} word vectors (cosine geometry)")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def plot_analogy_sections(results: dict[str, dict], title: str = "Analogy accuracy per section"):
    """Horizontal bars of per-section accuracy for several models: ``{model name: evaluate_analogies(...)}``."""
    import matplotlib.pyplot as plt

    names = list(results)
    sections = list(next(iter(results.values()))["sections"])
    y = np.arange(len(sections))
    h = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(7, 5))
    for k, name in enumerate(names):
        acc = [results[name]["sections"][s]["accuracy"] for s in sections]
        ax.barh(y + k * h, np.nan_to_num(acc), height=h, label=name)
    ax.set_yticks(y + h * (len(names) - 1) / 2)
    ax.set_yticklabels([f"{s} ({next(iter(results.values()))['sections'][s]['total']})" for s in sections],
                       fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("accuracy over covered questions (count in brackets)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_knobs(rows: Sequence[dict], metrics: Sequence[str] = ("wordsim353", "simlex999", "analogy")):
    """Grouped bars: one group per configuration (``row["name"]``), one bar per metric."""
    import matplotlib.pyplot as plt

    x = np.arange(len(rows))
    w = 0.8 / len(metrics)
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for k, m in enumerate(metrics):
        ax.bar(x + k * w, [r[m] for r in rows], width=w, label=m)
    ax.set_xticks(x + w * (len(metrics) - 1) / 2)
    ax.set_xticklabels([r["name"] for r in rows], fontsize=8)
    ax.set_ylabel("score")
    ax.set_title("Knobs: one change at a time from the baseline")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_offsets(kv, pairs: Sequence[tuple[str, str]], seed: int = 0):
    """PCA of just the words in ``pairs`` (e.g. country, capital), with an arrow from each first to second word.

    Introduced in notebooks/01_word2vec: fitting PCA on these words alone keeps
    the directions in which they differ, so a shared offset shows as parallel arrows.
    Pairs with a word missing from ``kv`` are skipped. Returns the figure.
    """
    import matplotlib.pyplot as plt

    pairs = [(a, b) for a, b in pairs if a in kv.key_to_index and b in kv.key_to_index]
    if len(pairs) < 2:
        raise ValueError("Need at least two pairs whose words are both in the vocabulary.")
    words = [w for p in pairs for w in p]
    xy = project_2d(np.stack([kv[w] for w in words]), "pca", seed)
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for k, (a, b) in enumerate(pairs):
        (xa, ya), (xb, yb) = xy[2 * k], xy[2 * k + 1]
        ax.annotate("", xy=(xb, yb), xytext=(xa, ya), arrowprops=dict(arrowstyle="->", color="grey", lw=1))
        ax.scatter([xa], [ya], color="C0", s=18)
        ax.scatter([xb], [yb], color="C1", s=18)
        ax.annotate(a, (xa, ya), fontsize=9, xytext=(2, 2), textcoords="offset points")
        ax.annotate(b, (xb, yb), fontsize=9, xytext=(2, 2), textcoords="offset points")
    ax.set_title("PCA of the pairs alone: first word (blue) -> second word (orange)")
    ax.set_xticks([])
    ax.set_yticks([])
    return fig
