"""Graders for notebooks/04_multimodal's exercises: InfoNCE, zero-shot classification, fair merging.

Introduced in notebooks/04_multimodal. Every grader returns a
:class:`lessons.checks.GradeResult` and never raises.
"""

from __future__ import annotations

import numpy as np

from . import Case, equal, grade


def _unit(a):
    a = np.asarray(a, dtype=np.float64)
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


def _info_nce(img, txt, t):
    logits = img @ txt.T / t
    def ce(r):
        r = r - r.max(axis=1, keepdims=True)
        return -np.mean(np.diag(r - np.log(np.exp(r).sum(axis=1, keepdims=True))))
    return float((ce(logits) + ce(logits.T)) / 2)


def check_info_nce(fn):
    """``fn(image_emb, text_emb, temperature) -> float``: CLIP's symmetric contrastive loss."""
    rng = np.random.default_rng(4)
    a, b = _unit(rng.normal(size=(4, 6))), _unit(rng.normal(size=(4, 6)))
    c = _unit(rng.normal(size=(3, 5)))
    # asymmetric case: image->text and text->image losses differ, so a one-way loss fails
    d = _unit(np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]]))
    e = _unit(np.array([[1.0, 0.2], [0.2, 1.0], [0.1, 1.0]]))
    cases = [
        Case("random pairs, temperature 0.1", (a, b, 0.1), _info_nce(a, b, 0.1)),
        Case("images equal texts, temperature 0.07", (c, c, 0.07), _info_nce(c, c, 0.07),
             hint="divide the cosines by the temperature before the softmax"),
        Case("asymmetric pairs, temperature 0.5", (d, e, 0.5), _info_nce(d, e, 0.5),
             hint="CLIP averages two cross-entropies: image->text over rows and text->image over columns"),
        Case("large logits (temperature 0.01)", (a, b, 0.01), _info_nce(a, b, 0.01),
             hint="subtract each row's maximum before exp (log-sum-exp) to avoid overflow"),
    ]
    return grade("InfoNCE loss", fn, cases, hint="logits = image @ text.T / temperature; target = the diagonal")


def check_zero_shot_classify(fn):
    """``fn(image_emb (n, d), label_emb (m, d)) -> (n,) int``: the best label per image by cosine."""
    img = np.array([[1.0, 0.1], [0.1, 1.0], [1.0, 1.0]])
    labels = np.array([[10.0, 0.0], [0.0, 1.0], [0.6, 0.6]])       # label 0 is long: dot product favours it
    rng = np.random.default_rng(5)
    big_i, big_l = rng.normal(size=(6, 8)), rng.normal(size=(4, 8)) * rng.uniform(0.2, 5, (4, 1))
    ref = lambda i, l: np.argmax(_unit(i) @ _unit(l).T, axis=1).tolist()
    cases = [
        Case("unit vectors", (_unit(img), _unit(labels)), ref(img, labels)),
        Case("labels of different lengths", (img, labels), ref(img, labels),
             hint="normalise both sides: cosine, not dot product, so a long label vector cannot win everything"),
        Case("random 6 images x 4 labels", (big_i, big_l), ref(big_i, big_l)),
    ]
    return grade("zero-shot classification", fn, cases, compare=equal,
                 hint="return np.argmax(cosines, axis=1), one label index per image")


def check_merge_fairly(fn):
    """``fn(image_scores, text_scores, image_stats, text_stats) -> [(kind, index), ...]`` best first."""
    def ref(i, t, si, st):
        items = [((s - si[0]) / si[1], "image", k) for k, s in enumerate(i)]
        items += [((s - st[0]) / st[1], "text", k) for k, s in enumerate(t)]
        items.sort(key=lambda x: -x[0])
        return [(kind, k) for _, kind, k in items]
    gap = ([0.30, 0.10], [0.45, 0.20], (0.0, 0.1), (0.2, 0.15))     # raw: texts on top; standardised: image first
    spread = ([0.30], [0.50], (0.1, 0.05), (0.1, 0.5))              # same mean, different sd
    cases = [
        Case("the modality gap", gap, ref(*gap),
             hint="subtract each modality's mean and divide by its sd before comparing"),
        Case("same mean, different spread", spread, ref(*spread), hint="don't forget to divide by the sd"),
        Case("only texts", ([], [0.2, 0.6], (0, 1), (0.1, 0.2)), ref([], [0.2, 0.6], (0, 1), (0.1, 0.2))),
    ]
    return grade("fair merge", fn, cases, compare=lambda e, g: equal(e, [tuple(x) for x in g]),
                 hint="score -> (score - mean) / sd per modality, then sort everything by that, best first")
