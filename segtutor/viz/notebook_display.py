"""Show a matplotlib figure in a notebook exactly once, whatever the backend and whoever runs the notebook.

Jupyter's inline backend displays every open pyplot figure when a cell ends; some runners (nbval, for one)
then display it a second time, and with ``MPLBACKEND=Agg`` (headless runs) it is not displayed at all.
:func:`show` closes the figure in pyplot and displays its PNG explicitly: one picture, in every case.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from segtutor.viz.curves import in_notebook
from segtutor.viz.figures import figure_to_png

__all__ = ["show"]


def show(figure: Figure) -> None:
    """Display ``figure`` once as a PNG in a notebook and release it from pyplot.

    Parameters
    ----------
    figure : matplotlib Figure
        E.g. what :func:`~segtutor.viz.draw_comparison` returns, or ``ax.figure``.

    Notes
    -----
    Returns nothing, so a cell that ends with ``show(figure)`` does not display the figure a second time.
    The figure stays usable (e.g. ``figure.savefig``). Outside a Jupyter kernel nothing is displayed.
    """
    if not isinstance(figure, Figure):
        raise TypeError(
            f"show expects a matplotlib Figure, got {type(figure).__name__}; for an Axes pass ax.figure."
        )
    import matplotlib.pyplot as plt

    plt.close(figure)
    if in_notebook():
        from IPython.display import Image, display

        display(Image(data=figure_to_png(figure)))
