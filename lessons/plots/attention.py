"""Figures for notebooks/02_attention: attention heatmaps, a grid of heads, positional encodings.

Introduced in notebooks/02_attention. Every function returns the matplotlib
Figure so a notebook can assign it (``_ = ...``) and nothing prints twice.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def attention_heatmap(weights: np.ndarray, tokens: Sequence[str], *, ax=None, title: str = "",
                      annotate: bool = False):
    """Heatmap of one ``(T, T)`` attention matrix: rows are queries, columns the keys they look at."""
    import matplotlib.pyplot as plt

    weights = np.asarray(weights)
    fig = None
    if ax is None:
        size = 0.35 * len(tokens) + 2
        fig, ax = plt.subplots(figsize=(size + 1, size))
    im = ax.imshow(weights, cmap="viridis", vmin=0, vmax=max(float(weights.max()), 1e-9))
    ax.set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=8)
    ax.set_yticks(range(len(tokens)), tokens, fontsize=8)
    ax.grid(False)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query")
    if title:
        ax.set_title(title, fontsize=9)
    if annotate:
        for i in range(weights.shape[0]):
            for j in range(weights.shape[1]):
                ax.text(j, i, f"{weights[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if weights[i, j] < 0.6 * weights.max() else "black")
    if fig is not None:
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="weight")
        fig.tight_layout()
    return fig if fig is not None else ax.figure


def head_grid(attentions: Sequence[np.ndarray], tokens: Sequence[str], *, layers: Sequence[int] | None = None,
              heads: Sequence[int] | None = None, title: str = ""):
    """A static grid of attention maps: one row per layer, one column per head.

    ``attentions`` is a list over layers of ``(h, T, T)`` arrays (one sentence).
    """
    import matplotlib.pyplot as plt

    layers = list(range(len(attentions))) if layers is None else list(layers)
    heads = list(range(attentions[0].shape[0])) if heads is None else list(heads)
    fig, axes = plt.subplots(len(layers), len(heads), figsize=(1.45 * len(heads) + 0.6, 1.45 * len(layers) + 0.6),
                             squeeze=False)
    for r, layer in enumerate(layers):
        for c, head in enumerate(heads):
            ax = axes[r, c]
            ax.imshow(attentions[layer][head], cmap="viridis", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if r == 0:
                ax.set_title(f"head {head}", fontsize=8)
            if c == 0:
                ax.set_ylabel(f"layer {layer}", fontsize=8)
    fig.suptitle(title or f"Attention of every head on: {' '.join(tokens)}", fontsize=9)
    fig.tight_layout()
    return fig


def positional_encodings(pe: np.ndarray, *, title: str = "Sinusoidal positional encoding"):
    """Image of a ``(T, d_model)`` positional-encoding table: positions down, features across."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3))
    im = ax.imshow(pe, aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
    ax.set_xlabel("feature")
    ax.set_ylabel("position")
    ax.set_title(title)
    ax.grid(False)
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    return fig
