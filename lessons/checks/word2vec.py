"""Graders for notebooks/01_word2vec: cosine similarity, solving an analogy, one SGNS gradient step.

Introduced in notebooks/01_word2vec. Each grader runs the learner's function
on several cases, including the edge case that catches the usual mistake, and
prints which case failed, expected vs got, and a hint.
"""

from __future__ import annotations

import numpy as np

from .. import sgns as ref
from . import Case, GradeResult, close, equal, grade


def check_cosine(fn) -> GradeResult:
    """Grade ``fn(a, b) -> cosine similarity`` of two 1-D vectors."""
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=50), rng.normal(size=50)
    ref_cos = lambda x, y: float(np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y)))  # noqa: E731
    cases = [
        Case("same direction [1, 0] and [1, 0]", (np.array([1.0, 0.0]), np.array([1.0, 0.0])), 1.0),
        Case("45 degrees: [1, 0] and [1, 1]", (np.array([1.0, 0.0]), np.array([1.0, 1.0])), 1 / np.sqrt(2),
             hint="Divide the dot product by BOTH lengths: ||a|| * ||b||."),
        Case("same direction, different lengths: [3, 4] and [30, 40]", (np.array([3.0, 4.0]), np.array([30.0, 40.0])),
             1.0, hint="Cosine ignores length: a dot product alone grows with the vectors' lengths. "
                       "Divide by the norms (square root of the sum of squares)."),
        Case("opposite directions", (np.array([1.0, 2.0, 3.0]), np.array([-2.0, -4.0, -6.0])), -1.0,
             hint="Don't take absolute values: opposite vectors have cosine -1."),
        Case("two random 50-d vectors", (a, b), ref_cos(a, b)),
    ]
    return grade("cosine similarity", fn, cases, compare=lambda e, g: close(e, g, rtol=1e-6, atol=1e-9),
                 hint="cos(a, b) = a.b / (||a|| ||b||).")


def _toy_space():
    words = ["man", "woman", "king", "queen", "prince", "apple", "giant"]
    vectors = np.array([
        [1.0, 0.3, 0.0],    # man
        [0.3, 1.0, 0.0],    # woman
        [1.0, 0.3, 1.0],    # king
        [0.35, 1.0, 1.0],   # queen
        [1.0, 0.4, 1.05],   # prince: king's nearest neighbour
        [0.0, 0.0, -1.0],   # apple
        [0.0, 10.0, 0.5],   # giant: a long vector that wins on dot product, not on cosine
    ])
    return words, vectors


def check_analogy(fn) -> GradeResult:
    """Grade ``fn(words, vectors, a, b, c) -> word``: "a is to b as c is to ?" by 3CosAdd."""
    words, vectors = _toy_space()
    # the same space without the long "giant" vector, for the first case
    w5, v5 = words[:6], vectors[:6]
    cases = [
        Case("man : king :: woman : ?  (small space)", (w5, v5, "man", "king", "woman"), "queen",
             hint="Compute b - a + c (king - man + woman), then take the word with the highest cosine."),
        Case("france : paris :: italy : ?  (the input words are not answers)",
             (["france", "paris", "italy", "rome"], np.array([[1.0, 0, 0], [1.0, 0.2, 0], [0, 0, 1.0], [0.3, 0.3, 1.0]]),
              "france", "paris", "italy"), "rome",
             hint="Exclude a, b and c from the candidates: b - a + c is usually closest to b or c themselves."),
        Case("a long vector must not win by length", (words, vectors, "man", "king", "woman"), "queen",
             hint="Rank by cosine, not by dot product: normalise the vectors (or the scores) first."),
        Case("direction matters: woman : queen :: man : ?", (words, vectors, "woman", "queen", "man"), "king",
             hint="The query is b - a + c: add b and c, subtract a."),
    ]
    return grade("solve an analogy", fn, cases, compare=equal)


def check_sgns_step(fn) -> GradeResult:
    """Grade ``fn(v_c, u_o, u_neg, lr) -> (new v_c, new u_o, new u_neg)``: one SGNS SGD step."""
    rng = np.random.default_rng(3)
    v, u, n = rng.normal(size=4), rng.normal(size=4), rng.normal(size=(3, 4))
    v2, u2, n2 = rng.normal(size=6) * 2, rng.normal(size=6) * 2, rng.normal(size=(5, 6)) * 2
    cases = [
        Case("d=4, K=3, lr=0.1", (v, u, n, 0.1), ref.sgns_step(v, u, n, 0.1),
             hint="The true pair's gradient uses sigmoid(u_o.v_c) - 1; each negative's uses sigmoid(u_k.v_c)."),
        Case("one negative: d=2, K=1, lr=0.5", (np.array([1.0, 0.0]), np.array([0.0, 1.0]),
                                                np.array([[1.0, 1.0]]), 0.5),
             ref.sgns_step(np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([[1.0, 1.0]]), 0.5),
             hint="Compute all three gradients from the OLD vectors before updating any of them."),
        Case("larger vectors: d=6, K=5, lr=0.025", (v2, u2, n2, 0.025), ref.sgns_step(v2, u2, n2, 0.025),
             hint="Step against the gradient: new = old - lr * gradient."),
    ]

    def compare(expected, got):
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            return False, f"expected a tuple (v_c, u_o, u_neg), got {type(got).__name__}"
        for name, e, g in zip(("v_c", "u_o", "u_neg"), expected, got):
            ok, why = close(e, g, rtol=1e-6, atol=1e-9)
            if not ok:
                return False, f"new {name}: {why}"
        return True, ""

    return grade("one SGNS step", fn, cases, compare=compare,
                 hint="loss = -log s(u_o.v_c) - sum_k log s(-u_k.v_c); see lessons.sgns.sgns_grads.")
