"""Plotting helpers, one module per notebook (``lessons.plots.word2vec`` ...).

Introduced in notebooks/01_word2vec. Figures are rendered as PNG (never SVG:
nbval would compare an SVG's embedded date) with one shared style.
"""

from __future__ import annotations


def use_course_style() -> None:
    """Apply the course's matplotlib style: PNG output, readable sizes, no top/right spines."""
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.dpi": 100, "savefig.dpi": 100, "figure.figsize": (7, 4.2),
        "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
        "font.size": 10, "svg.hashsalt": "course", "svg.fonttype": "none",
    })
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except Exception:
        pass
