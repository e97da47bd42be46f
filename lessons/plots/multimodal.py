"""Figures for notebooks/04_multimodal: similarity matrices, image grids, the modality gap.

Introduced in notebooks/04_multimodal. Every function returns the matplotlib
Figure (assign it: ``_ = ...``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def similarity_snapshots(snapshots: Sequence[tuple[int, np.ndarray]], labels: Sequence[str]):
    """One heatmap per (step, (n, n) image x caption cosine matrix): the diagonal should light up."""
    import matplotlib.pyplot as plt

    n = len(snapshots)
    fig, axes = plt.subplots(1, n, figsize=(3.0 * n + 0.8, 3.4), squeeze=False)
    for ax, (step, sim) in zip(axes[0], snapshots):
        im = ax.imshow(sim, vmin=-0.3, vmax=0.8, cmap="viridis")
        ax.set_title(f"step {step}")
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=90, fontsize=7)
        ax.set_yticks([])
        ax.grid(False)
    axes[0][0].set_ylabel("images (same order)")
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="cosine")
    return fig


def image_grid(images, titles: Sequence[str] = (), ncols: int = 8, size: float = 1.25, title: str = ""):
    """Images (uint8 (N, H, W, 3) or PIL) in a grid with small titles."""
    import matplotlib.pyplot as plt

    images = [np.asarray(im) for im in images]
    nrows = max(1, int(np.ceil(len(images) / ncols)))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * (size + 0.35)), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i, im in enumerate(images):
        ax = axes.ravel()[i]
        ax.imshow(im)
        if i < len(titles):
            ax.set_title(titles[i], fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def results_grid(queries: Sequence[str], images: np.ndarray, hits: Sequence[Sequence[int]],
                 scores: Sequence[Sequence[float]], captions: Sequence[str] | None = None,
                 truth: Sequence[int | None] | None = None):
    """A row per text query: its top images (indices into ``images``) with cosines; the right one framed green."""
    import matplotlib.pyplot as plt

    k = max(len(h) for h in hits)
    fig, axes = plt.subplots(len(queries), k + 1, figsize=(1.3 * (k + 1), 1.45 * len(queries)), squeeze=False)
    for r, q in enumerate(queries):
        axes[r][0].axis("off")
        axes[r][0].text(0.95, 0.5, f"“{q}”", ha="right", va="center", fontsize=9, transform=axes[r][0].transAxes)
        for c in range(k):
            ax = axes[r][c + 1]
            ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
            if c >= len(hits[r]):
                ax.axis("off")
                continue
            i = hits[r][c]
            ax.imshow(images[i])
            label = f"{scores[r][c]:.2f}"
            if captions is not None:
                label = f"{captions[i][:16]}\n{label}"
            ax.set_title(label, fontsize=6.5)
            good = truth is not None and truth[r] == i
            for s in ax.spines.values():
                s.set_visible(True)
                s.set_color("green" if good else "0.85")
                s.set_linewidth(3 if good else 0.5)
    fig.tight_layout()
    return fig


def modality_gap(text_image: np.ndarray, text_text: np.ndarray, image_emb: np.ndarray, text_emb: np.ndarray):
    """Left: histograms of query->image and query->text cosines. Right: PCA of image and text vectors."""
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    bins = np.linspace(-0.4, 1.0, 57)
    a.hist(text_image.ravel(), bins=bins, alpha=0.6, density=True, label="text query -> images")
    a.hist(text_text.ravel(), bins=bins, alpha=0.6, density=True, label="text query -> texts")
    a.set_xlabel("cosine")
    a.set_ylabel("density")
    a.legend()
    a.set_title("The modality gap: the same queries, two score scales")
    both = np.concatenate([image_emb, text_emb])
    centred = both - both.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T                                        # (n_img + n_txt, 2)
    n = len(image_emb)
    b.scatter(*xy[:n].T, s=8, alpha=0.6, label="images")
    b.scatter(*xy[n:].T, s=8, alpha=0.6, label="captions")
    for i in range(min(n, len(text_emb), 25)):
        b.plot([xy[i, 0], xy[n + i, 0]], [xy[i, 1], xy[n + i, 1]], color="0.7", lw=0.5)
    b.set_title("PCA of both: two clouds (grey lines join pairs)")
    b.legend()
    fig.tight_layout()
    return fig
