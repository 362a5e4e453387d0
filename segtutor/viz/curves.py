"""Training curves that update live in a notebook and end as an ordinary static figure.

>>> curves = LiveCurves("Fine-tuning Mask2Former on ToyShapes")
>>> for step in range(3):
...     curves.update(step, loss=1.0 / (step + 1), val_pq=0.1 * step)
>>> fig = curves.figure()  # the final, static figure

In Jupyter, ``update`` redraws one image output in place (an IPython display handle), at most every
``min_interval_s`` seconds so a fast training loop is not slowed down. Elsewhere (scripts, tests) it only
records the values.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from segtutor.viz.figures import figure_to_png, notebook_figure, offscreen_figure

__all__ = ["LiveCurves", "exponential_moving_average", "in_notebook"]


def exponential_moving_average(values: Sequence[float], weight: float) -> list[float]:
    """Return the exponential moving average of ``values``, debiased so it starts at the first value.

    Parameters
    ----------
    values : sequence of float
        The raw series, in order.
    weight : float
        In [0, 1): the weight of the past (0 returns the values unchanged).

    Returns
    -------
    list of float
        One smoothed value per input value.
    """
    average, smoothed = 0.0, []
    for count, value in enumerate(values, start=1):
        average = weight * average + (1 - weight) * value
        smoothed.append(average / (1 - weight**count))
    return smoothed


def in_notebook() -> bool:
    """Return ``True`` when running inside a Jupyter kernel (where display handles update in place)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is installed with ipywidgets
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


class LiveCurves:
    """Loss and metric curves over training steps.

    Parameters
    ----------
    title : str
        Figure title.
    panels : mapping of str to sequence of str, optional
        Panel title -> names of the values drawn in it. Default: names containing "loss" go to a "Loss"
        panel, all others to a "Metrics" panel (in the order they first appear).
    min_interval_s : float
        Least time between two live redraws, in seconds.
    live : bool, optional
        Redraw in the notebook on ``update``; default: only inside a Jupyter kernel.
    smoothing : float
        In [0, 1): beside every curve whose name contains "loss", draw its exponential moving average with
        this weight on the past (0: no smoothed curve; 0.8 suits a loss logged every few steps).
    y_from_zero : bool
        Start every panel's y-axis at 0, so that a small wobble does not look like a large change.

    Attributes
    ----------
    history : dict of str to (list of int, list of float)
        Steps and values of every name, in the order they were recorded.
    redraws : int
        How many live redraws were made (0 outside Jupyter).
    """

    def __init__(
        self,
        title: str = "Training curves",
        *,
        panels: Mapping[str, Sequence[str]] | None = None,
        min_interval_s: float = 0.5,
        live: bool | None = None,
        smoothing: float = 0.0,
        y_from_zero: bool = False,
    ) -> None:
        if not 0.0 <= smoothing < 1.0:
            raise ValueError(f"smoothing must be in [0, 1), got {smoothing}")
        self.title = title
        self.smoothing = float(smoothing)
        self.y_from_zero = bool(y_from_zero)
        self.panels = {k: list(v) for k, v in panels.items()} if panels is not None else None
        self.min_interval_s = float(min_interval_s)
        self.live = in_notebook() if live is None else live
        self.history: dict[str, tuple[list[int], list[float]]] = {}
        self.redraws = 0
        self._handle: Any = None
        self._last_draw = -math.inf

    def update(self, step: int, **values: float | None) -> None:
        """Record ``values`` at ``step`` (``None`` or NaN values are skipped) and redraw when live.

        Parameters
        ----------
        step : int
            Training step (or epoch) of these values.
        **values : float
            E.g. ``loss=0.83, val_pq=0.41``. Tensors with one element are accepted.
        """
        for name, value in values.items():
            if value is None:
                continue
            value = float(value.item() if hasattr(value, "item") else value)
            if math.isnan(value):
                continue
            steps, ys = self.history.setdefault(name, ([], []))
            steps.append(int(step))
            ys.append(value)
        if self.live and time.monotonic() - self._last_draw >= self.min_interval_s:
            self._redraw()

    def log(self, record: Mapping[str, Any], *, skip: Sequence[str] = ("step", "lr", "elapsed_s")) -> None:
        """Record one training-loop record: ``train(..., on_log=curves.log)`` draws the loop's curves live.

        Parameters
        ----------
        record : mapping
            ``{"step": int, name: value, ...}``, e.g. ``{"step": 20, "loss": 3.1, "lr": 1e-4}`` or an
            evaluation ``{"step": 20, "PQ": 0.41}``. Every key not in ``skip`` becomes a curve.
        skip : sequence of str
            Keys that are not curves (by default the step, the learning rate and the wall time).

        Raises
        ------
        KeyError
            If the record has no ``"step"``.
        """
        if "step" not in record:
            raise KeyError(f"LiveCurves.log: the record needs a 'step' key, got keys {sorted(record)}.")
        self.update(int(record["step"]), **{k: v for k, v in record.items() if k not in skip})

    def finish(self) -> None:
        """Redraw the live output one last time, so it shows every recorded value."""
        if self.live:
            self._redraw()

    def _groups(self) -> dict[str, list[str]]:
        if self.panels is not None:
            return {title: [n for n in names if n in self.history] for title, names in self.panels.items()}
        groups: dict[str, list[str]] = {"Loss": [], "Metrics": []}
        for name in self.history:
            groups["Loss" if "loss" in name.lower() else "Metrics"].append(name)
        return {k: v for k, v in groups.items() if v}

    def _draw(self, figure: Figure) -> Figure:
        groups = self._groups() or {"(no values yet)": []}
        axes = figure.subplots(1, len(groups), squeeze=False)[0]
        for ax, (panel, names) in zip(axes, groups.items(), strict=True):
            for name in names:
                steps, ys = self.history[name]
                smoothed = self.smoothing > 0 and "loss" in name.lower() and len(ys) > 1
                label = f"{name} (raw)" if smoothed else name
                line = ax.plot(steps, ys, marker="o" if len(steps) < 30 else None, markersize=3,
                               alpha=0.35 if smoothed else 1.0, label=label)[0]
                if smoothed:
                    ax.plot(steps, exponential_moving_average(ys, self.smoothing), color=line.get_color(),
                            linewidth=2, label=f"{name}, smoothed (EMA {self.smoothing:g})")
            if self.y_from_zero:
                ax.set_ylim(bottom=0)
            ax.set_title(panel, fontsize=10)
            ax.set_xlabel("step", fontsize=9)
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.3)
            if names:
                ax.legend(fontsize=8, frameon=False)
        figure.suptitle(self.title, fontsize=11)
        return figure

    def _figsize(self) -> tuple[float, float]:
        return (3.6 * max(1, len(self._groups())), 3.0)

    def _redraw(self) -> None:
        from IPython.display import Image, display

        image = Image(data=figure_to_png(self._draw(offscreen_figure(self._figsize()))))
        if self._handle is None:
            self._handle = display(image, display_id=True)
        else:
            self._handle.update(image)
        self.redraws += 1
        self._last_draw = time.monotonic()

    def figure(self) -> Figure:
        """Return the curves as a new static matplotlib figure (made with pyplot, so notebooks show it)."""
        return self._draw(notebook_figure(self._figsize()))

    def png(self) -> bytes:
        """Return the current curves as PNG bytes (deterministic for the same history)."""
        return figure_to_png(self._draw(offscreen_figure(self._figsize())))
