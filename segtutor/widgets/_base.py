"""What every segtutor explorer shares: controls above a picture, a render counter, a static fallback.

An explorer draws into a matplotlib figure that pyplot does not track, turns it into PNG bytes and shows
them in an ``ipywidgets.Image``. Displayed in a notebook it sends *one* output holding both the live widget
and a PNG of the current picture: Jupyter shows the widget; GitHub, nbviewer (``nbconvert`` without widget
state) and other static viewers show the PNG, so a saved notebook always carries a real figure.
"""

from __future__ import annotations

import base64
import html
import logging
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from segtutor.viz import figure_to_png, offscreen_figure

__all__ = ["CAPTION_CLASS", "Explorer", "figure_title", "slider_layout"]

logger = logging.getLogger(__name__)

#: Width of every explorer slider (description, track and readout together), capped by the output area:
#: ipywidgets' default (300 px) leaves a long description almost no track to drag.
SLIDER_WIDTH = "560px"
#: CSS class of the hidden caption that holds the picture's title (see ``Explorer.caption``).
CAPTION_CLASS = "segtutor-picture-title"


def slider_layout() -> widgets.Layout:
    """Return the layout of an explorer slider: :data:`SLIDER_WIDTH` wide, never wider than its output."""
    return widgets.Layout(width=SLIDER_WIDTH, max_width="100%")


def figure_title(figure: Figure) -> str:
    """Return the title a figure shows (its suptitle, else its first titled Axes), on one line."""
    texts = [figure.get_suptitle(), *(ax.get_title() for ax in figure.axes)]
    return " ".join(next((t for t in texts if t), "").split())


class Explorer:
    """Base class: subclasses build their controls, then call :meth:`_finish_setup`, and implement ``_draw``.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The controls and the picture; what a notebook displays.
    render_count : int
        How many times the picture was drawn (1 after construction).
    last_png : bytes
        The current picture as PNG.
    last_figure : matplotlib Figure
        The figure behind it.
    last_rgb : ndarray (H, W, 3) uint8 or None
        The main overlay drawn, when the view has one.
    last_error : Exception or None
        The error of the last redraw triggered by a control, shown in the picture instead of a drawing.
    picture : ipywidgets.Image
        The picture.
    caption : ipywidgets.HTML
        The picture's title as text (hidden: the picture shows it), so that a browser test can check that
        the picture on the page is the view asked for. Not the picture's ``tooltip``: ipywidgets 8.1's
        ``ImageView`` fails to render when one is set (it reads the ``description`` an Image lacks).
    """

    figsize: tuple[float, float] = (5.6, 3.8)
    #: Where the main image goes, in figure fractions (left, bottom, width, height); the legend goes right.
    #: A fixed layout: matplotlib's layout engine would cost ~1/3 of each redraw.
    image_rect: tuple[float, float, float, float] = (0.01, 0.02, 0.64, 0.84)

    def _finish_setup(self, controls: list[widgets.Widget], title: str) -> None:
        self.render_count = 0
        self.last_png = b""
        self.last_figure: Figure | None = None
        self.last_rgb: np.ndarray | None = None
        self.last_error: Exception | None = None
        self.controls = list(controls)
        # natural size, smaller where the output is narrower: a flex column would stretch it (blurred, taller
        # than the window, the controls out of sight while the picture changes)
        picture_layout = widgets.Layout(max_width="100%", align_self="flex-start")
        self.picture = widgets.Image(format="png", layout=picture_layout)
        self.caption = widgets.HTML(layout=widgets.Layout(display="none"))
        self.caption.add_class(CAPTION_CLASS)
        header = widgets.HTML(f"<b>{title}</b>")
        self.widget = widgets.VBox([header, *self.controls, self.picture, self.caption])
        self.refresh()  # errors in the initial arguments raise here, where the notebook can show them
        for control in self.controls:
            control.observe(self._on_change, names="value")

    def _draw(self, figure: Figure) -> np.ndarray | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def new_figure(self) -> Figure:
        """Return an empty figure of :attr:`figsize` that pyplot does not track, without layout engine."""
        return offscreen_figure(self.figsize, layout=None)

    def image_axes(self, figure: Figure) -> Any:
        """Return the Axes for the main image at :attr:`image_rect`."""
        return figure.add_axes(self.image_rect)

    def refresh(self) -> bytes:
        """Redraw the picture from the current control values and return it as PNG bytes."""
        figure = self.new_figure()
        self.last_rgb = self._draw(figure)
        return self._show(figure)

    def _show(self, figure: Figure) -> bytes:
        self.last_figure = figure
        self.last_png = figure_to_png(figure, compress_level=1)  # fast to encode: redraws feel live
        self.caption.value = html.escape(figure_title(figure))
        self.picture.value = self.last_png
        self.render_count += 1
        return self.last_png

    def _on_change(self, change: dict[str, Any]) -> None:
        try:
            self.refresh()
            self.last_error = None
        except Exception as error:  # a control callback must not fail silently in the log: show it
            logger.exception("redraw failed")
            self.last_error = error
            figure = self.new_figure()
            figure.text(0.5, 0.5, f"Cannot draw this view:\n{error}", ha="center", va="center", wrap=True,
                        fontsize=9, color="darkred")
            figure.suptitle("Error", fontsize=11)
            self.last_rgb = None
            self._show(figure)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        if self.last_figure is not None:  # the static copy kept in the saved notebook: compress it well
            png = figure_to_png(self.last_figure)
            bundle["image/png"] = base64.b64encode(png).decode("ascii")
        return bundle
