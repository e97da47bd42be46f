"""Graders for notebooks/02_attention: stable softmax, masked attention, splitting heads.

Introduced in notebooks/02_attention. Each grader runs the learner's function
on several cases (including the edge case that catches the usual mistake) and
prints which case failed, expected vs got, and a hint.
"""

from __future__ import annotations

import numpy as np

from .. import attention as ref
from . import Case, GradeResult, close, grade


def _rng():
    return np.random.default_rng(2)


def check_stable_softmax(fn) -> GradeResult:
    """Grade ``fn(x) -> softmax of x along the last axis`` (numpy in, numpy out)."""
    x2 = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.0, 5.0, 2.0]])
    cases = [
        Case("a small vector [1, 2, 3]", (np.array([1.0, 2.0, 3.0]),), ref.softmax(np.array([1.0, 2.0, 3.0]))),
        Case("a (3, 3) batch: each ROW sums to 1", (x2,), ref.softmax(x2, axis=-1),
             hint="Reduce along the last axis with axis=-1 and keepdims=True, so each row is normalised."),
        Case("large scores [1000, 1001, 1002]", (np.array([1000.0, 1001.0, 1002.0]),),
             ref.softmax(np.array([1000.0, 1001.0, 1002.0])),
             hint="exp(1000) overflows to inf and inf/inf is NaN: subtract each row's max before exp."),
        Case("very negative scores [-1000, -1001]", (np.array([-1000.0, -1001.0]),),
             ref.softmax(np.array([-1000.0, -1001.0])),
             hint="exp(-1000) underflows to 0 and 0/0 is NaN: subtract each row's max before exp."),
    ]
    return grade("stable softmax", fn, cases, hint="softmax(x) = exp(x - max) / sum(exp(x - max)) along the last axis.")


def _first(got):
    return got[0] if isinstance(got, tuple) else got


def _compare_output(expected, got):
    return close(expected, _first(got), rtol=1e-6, atol=1e-9)


def check_masked_attention(fn) -> GradeResult:
    """Grade ``fn(q, k, v, mask) -> output`` (or ``(output, weights)``); mask True = may attend."""
    rng = _rng()
    q, k, v = rng.normal(size=(4, 8)), rng.normal(size=(4, 8)), rng.normal(size=(4, 3))
    everything = np.ones((4, 4), dtype=bool)
    causal = ref.causal_mask(4)
    padding = np.array([[True, True, True, False]] * 4)
    cases = [
        Case("no masking (mask all True)", (q, k, v, everything), ref.scaled_dot_product_attention(q, k, v)[0],
             hint="Scale the scores by 1/sqrt(d_k), where d_k = q.shape[-1]."),
        Case("causal mask", (q, k, v, causal), ref.scaled_dot_product_attention(q, k, v, causal)[0],
             hint="Where mask is False set the score to -inf BEFORE the softmax (np.where(mask, scores, -np.inf))."),
        Case("last key is padding", (q, k, v, padding), ref.scaled_dot_product_attention(q, k, v, padding)[0],
             hint="True means 'may attend'; masked keys must get weight exactly 0 and the rest must still sum to 1."),
    ]
    return grade("attention with a mask", fn, cases, compare=_compare_output)


def check_split_heads(fn) -> GradeResult:
    """Grade ``fn(x, h)``: ``(B, T, d_model)`` -> ``(B, h, T, d_model // h)``."""
    x1 = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4)
    x2 = _rng().normal(size=(1, 5, 12))
    cases = [
        Case("B=2, T=3, d_model=4, h=2", (x1, 2), ref.split_heads(x1, 2),
             hint="Reshape to (B, T, h, d_k) first, then move the head axis: transpose(0, 2, 1, 3)."),
        Case("B=1, T=5, d_model=12, h=3", (x2, 3), ref.split_heads(x2, 3),
             hint="A plain reshape to (B, h, T, d_k) mixes tokens into heads: reshape to (B, T, h, d_k), then transpose."),
        Case("one head is a no-op with a new axis", (x2, 1), ref.split_heads(x2, 1)),
    ]
    return grade("split heads", fn, cases, compare=lambda e, g: close(e, g, rtol=0, atol=0))
