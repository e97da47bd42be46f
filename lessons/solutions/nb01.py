"""Reference solutions for the exercises of notebooks/01_word2vec (try them yourself first!)."""

from __future__ import annotations

import numpy as np


def cosine_similarity(a, b) -> float:
    """Cosine of the angle between two vectors: a.b / (|a| |b|)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(a @ b / (np.sqrt(a @ a) * np.sqrt(b @ b)))


def solve_analogy(words, vectors, a, b, c) -> str:
    """"a is to b as c is to ?": the word (not a, b or c) whose vector has the highest cosine with b - a + c."""
    vectors = np.asarray(vectors, dtype=float)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    index = {w: i for i, w in enumerate(words)}
    query = unit[index[b]] - unit[index[a]] + unit[index[c]]
    scores = unit @ query
    for w in (a, b, c):
        scores[index[w]] = -np.inf
    return words[int(np.argmax(scores))]


def sgns_step(v_c, u_o, u_neg, lr):
    """One SGD step of skip-gram with negative sampling; returns the new (v_c, u_o, u_neg)."""
    v_c, u_o, u_neg = (np.asarray(x, dtype=float) for x in (v_c, u_o, u_neg))
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    g_pos = sig(u_o @ v_c) - 1.0          # scalar
    g_neg = sig(u_neg @ v_c)              # (K,)
    grad_v = g_pos * u_o + g_neg @ u_neg  # (d,)
    return v_c - lr * grad_v, u_o - lr * g_pos * v_c, u_neg - lr * g_neg[:, None] * v_c[None, :]
