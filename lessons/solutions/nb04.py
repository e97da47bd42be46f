"""Reference solutions for notebooks/04_multimodal's exercises (graded by lessons.checks.multimodal)."""

from __future__ import annotations

import numpy as np


def info_nce(image_emb, text_emb, temperature):
    """Symmetric InfoNCE (CLIP's loss) for (B, d) unit vectors where row i of each matches."""
    logits = image_emb @ text_emb.T / temperature            # (B, B) image i vs text j

    def ce(rows):                                            # mean -log softmax at the diagonal
        rows = rows - rows.max(axis=1, keepdims=True)
        logp = rows - np.log(np.exp(rows).sum(axis=1, keepdims=True))
        return -np.mean(np.diag(logp))

    return float((ce(logits) + ce(logits.T)) / 2)


def zero_shot_classify(image_emb, label_emb):
    """Index of the label (rows of ``label_emb`` (m, d)) with the highest cosine to each image (n, d)."""
    img = image_emb / np.linalg.norm(image_emb, axis=1, keepdims=True)
    lab = label_emb / np.linalg.norm(label_emb, axis=1, keepdims=True)
    return np.argmax(img @ lab.T, axis=1)                    # (n,)


def merge_fairly(image_scores, text_scores, image_stats, text_stats):
    """Merge two ranked lists by standardised score; returns [("image"|"text", index), ...] best first.

    ``*_stats`` are (mean, sd) of reference scores for that modality.
    """
    items = [((s - image_stats[0]) / image_stats[1], "image", i) for i, s in enumerate(image_scores)]
    items += [((s - text_stats[0]) / text_stats[1], "text", i) for i, s in enumerate(text_scores)]
    items.sort(key=lambda t: -t[0])
    return [(kind, i) for _, kind, i in items]
