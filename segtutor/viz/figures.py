"""Making figures: pyplot figures for notebooks, untracked ones for widgets, and reproducible PNG bytes.

pyplot is imported only when a notebook figure is made, so ``import segtutor`` never picks a backend.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["FIGURE_DPI", "figure_to_png", "notebook_figure", "offscreen_figure"]

#: Resolution of every segtutor figure: small PNGs in committed notebooks, still sharp on screen.
FIGURE_DPI = 90


def notebook_figure(figsize: tuple[float, float]) -> Figure:
    """Return a new pyplot figure (constrained layout, :data:`FIGURE_DPI`): a notebook displays it."""
    import matplotlib.pyplot as plt

    return plt.figure(figsize=figsize, dpi=FIGURE_DPI, layout="constrained")


def offscreen_figure(
    figsize: tuple[float, float], dpi: int = FIGURE_DPI, *, layout: str | None = "constrained"
) -> Figure:
    """Return a Figure that pyplot does not track (a notebook will not display it by itself).

    ``layout=None`` skips matplotlib's layout engine: faster, for figures that place their axes themselves.
    """
    figure = Figure(figsize=figsize, dpi=dpi, layout=layout)
    FigureCanvasAgg(figure)
    return figure


def figure_to_png(figure: Figure, dpi: int | None = None, *, compress_level: int = 6) -> bytes:
    """Return ``figure`` as PNG bytes; identical figures give identical bytes (no timestamp or version).

    Parameters
    ----------
    figure : matplotlib Figure
    dpi : int, optional
        Default: the figure's own dpi.
    compress_level : int
        zlib level 0..9: 1 is ~2x faster to encode and ~25% larger than the default 6.
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi or figure.dpi, metadata={"Software": None},
                   pil_kwargs={"compress_level": compress_level})
    return buffer.getvalue()
