"""Graders for notebooks/03_semantic_qa: recall@k, ranks with ties, top-k search, chunking.

Introduced in notebooks/03_semantic_qa. Each grader runs the learner's function
on several cases (including the edge case that catches the usual mistake) and
prints which case failed, expected vs got, and a hint.
"""

from __future__ import annotations

import numpy as np

from ..solutions import nb03 as ref
from . import Case, GradeResult, close, equal, grade


def check_recall_at_k(fn) -> GradeResult:
    """Grade ``fn(ranks, k) -> float``: the share of ranks that are <= k."""
    ranks = np.array([1, 3, 10, 11, 2])
    cases = [
        Case("ranks [1, 3, 10, 11, 2], k=1", (ranks, 1), 0.2,
             hint="Rank 1 is inside the top 1: use <=, not <."),
        Case("ranks [1, 3, 10, 11, 2], k=10 (rank 10 counts)", (ranks, 10), 0.8,
             hint="A hit at rank exactly k is inside the top k: use <=, not <."),
        Case("ranks [1, 3, 10, 11, 2], k=5", (ranks, 5), 0.6,
             hint="Return a fraction between 0 and 1 (divide by the number of queries), not a count."),
        Case("nothing found in the top 2", (np.array([5, 7, 9]), 2), 0.0),
    ]
    return grade("recall@k", fn, cases, hint="recall@k = mean(ranks <= k).")


def check_target_rank(fn) -> GradeResult:
    """Grade ``fn(scores, target) -> int``: 1-based rank with ties counted against the method."""
    cases = [
        Case("clear winner", (np.array([0.1, 0.9, 0.3]), 1), 1),
        Case("two better scores", (np.array([0.5, 0.2, 0.9, 0.7]), 0), 3),
        Case("a tie with one other item", (np.array([0.4, 0.8, 0.8, 0.1]), 2), 2,
             hint="Ties count against the method: an item with the same score as the target ranks above it."),
        Case("everything scores 0", (np.zeros(5), 0), 5,
             hint="If all five scores are equal the target shares the top with four others: rank 5, not 1."),
    ]
    return grade("rank with ties", fn, cases, compare=equal,
                 hint="rank = (#scores > target's) + (#scores == target's, the target itself included).")


def check_top_k_search(fn) -> GradeResult:
    """Grade ``fn(query, vectors, k) -> indices`` of the k best cosine matches, best first."""
    rng = np.random.default_rng(3)
    V = rng.normal(size=(50, 8))
    V /= np.linalg.norm(V, axis=1, keepdims=True)          # unit rows: cosine and dot agree here
    q = V[3] + 0.1 * rng.normal(size=8)                    # close to row 3
    long_q = V[12] + 0.3 * V[7]                            # closest to row 12, but ...
    V_long = V.copy()
    V_long[7] *= 100.0                                     # ... row 7 is 100x longer: dot product favours it
    cases = [
        Case("query close to row 3, k=1", (q, V, 1), ref.top_k_search(q, V, 1)),
        Case("k=5, best first", (q, V, 5), ref.top_k_search(q, V, 5),
             hint="Return the indices sorted from the highest score to the lowest."),
        Case("a row 100x longer than the others", (long_q, V_long, 3), ref.top_k_search(long_q, V_long, 3),
             hint="Cosine divides by the lengths: normalise the rows (and the query) before the dot product."),
        Case("k larger than the collection", (q, V[:4], 10), ref.top_k_search(q, V[:4], 10),
             hint="Return at most len(vectors) indices: clip k."),
    ]
    return grade("top-k search", fn, cases, compare=equal)


def check_word_windows(fn) -> GradeResult:
    """Grade ``fn(text, size, overlap) -> list[str]`` of overlapping word windows."""
    text = " ".join(f"w{i}" for i in range(10))
    cases = [
        Case("10 words, size 4, overlap 0", (text, 4, 0), ref.word_windows(text, 4, 0),
             hint="Keep the last, shorter window: no word may be dropped."),
        Case("10 words, size 4, overlap 2", (text, 4, 2), ref.word_windows(text, 4, 2),
             hint="Each window starts size - overlap words after the previous one."),
        Case("a text shorter than one window", ("just three words", 8, 2), ["just three words"]),
        Case("windows end exactly at the text's end", (text, 5, 0), ref.word_windows(text, 5, 0),
             hint="Don't add an empty or repeated window after the one that reaches the last word."),
    ]
    return grade("word windows", fn, cases, compare=equal)
