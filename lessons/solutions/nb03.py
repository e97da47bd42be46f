"""Reference solutions for notebooks/03_semantic_qa's exercises (graded by lessons.checks.search)."""

from __future__ import annotations

import numpy as np


def recall_at_k(ranks, k):
    """Fraction of queries whose right answer has rank <= k (ranks start at 1)."""
    ranks = np.asarray(ranks)
    return float(np.mean(ranks <= k))


def target_rank(scores, target):
    """1-based rank of ``scores[target]``; other items with the same score count as ranked above it."""
    scores = np.asarray(scores)
    t = scores[target]
    return int((scores > t).sum() + (scores == t).sum())


def top_k_search(query, vectors, k):
    """Indices of the ``k`` rows of ``vectors`` (n, d) with the highest cosine to ``query`` (d,), best first."""
    q = query / np.linalg.norm(query)
    V = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = V @ q                                       # (n,)
    k = min(k, len(scores))
    part = np.argpartition(-scores, k - 1)[:k]           # the k best, unordered
    return part[np.argsort(-scores[part], kind="stable")]


def word_windows(text, size, overlap):
    """Windows of ``size`` words, each ``size - overlap`` words after the previous; the last reaches the end."""
    words = text.split()
    step = size - overlap
    return [" ".join(words[s:s + size]) for s in range(0, max(len(words) - overlap, 1), step)]
