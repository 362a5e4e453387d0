"""Explorer of the three segmentation types for one image: semantic / instance / panoptic, truth or model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from segtutor.data.targets import Sample
from segtutor.viz import as_categories, as_rgb_image, draw_rendering, render
from segtutor.widgets._base import Explorer

__all__ = ["SegmentationTypesExplorer"]

_KINDS = ("semantic", "instance", "panoptic")
_TRUTH, _PREDICTION = "ground truth", "prediction"


class SegmentationTypesExplorer(Explorer):
    """Switch one image between semantic, instance and panoptic views, of the ground truth or a prediction.

    Parameters
    ----------
    image : PIL.Image, ndarray, tensor or Sample
        The image. A Sample is also the ground truth (in all three views) and gives the categories.
    ground_truth : Sample or mapping of kind to result, optional
        Ground truth when ``image`` is not a Sample: a Sample, or ``{"semantic": map, "panoptic": result,
        ...}``.
    prediction : mapping of kind to result, optional
        Post-processing results, e.g. ``{"semantic": segtutor.postprocess.semantic(outputs, ...)[0],
        "instance": ..., "panoptic": ...}``; kinds left out are shown as "not available".
    categories : list of Category, id2label mapping or model config, optional
        Required unless a Sample is given.
    kind : {"semantic", "instance", "panoptic"}
        The view shown first.

    Attributes
    ----------
    kind, source : ipywidgets.ToggleButtons
        The controls; set ``.value`` to change the view from code.
    """

    def __init__(
        self,
        image: Any,
        ground_truth: Sample | Mapping[str, Any] | None = None,
        prediction: Mapping[str, Any] | None = None,
        categories: Any = None,
        *,
        kind: str = "panoptic",
    ) -> None:
        if isinstance(image, Sample):
            ground_truth = image if ground_truth is None else ground_truth
            categories = image.categories if categories is None else categories
        self.rgb = as_rgb_image(image)
        self.categories = as_categories(categories)
        self.sources: dict[str, Mapping[str, Any]] = {}
        if ground_truth is not None:
            is_sample = isinstance(ground_truth, Sample)
            self.sources[_TRUTH] = dict.fromkeys(_KINDS, ground_truth) if is_sample else dict(ground_truth)
        if prediction is not None:
            self.sources[_PREDICTION] = dict(prediction)
        if not self.sources:
            raise ValueError("SegmentationTypesExplorer: pass a Sample, ground_truth= or prediction=.")
        for name, results in self.sources.items():
            bad = sorted(set(results) - set(_KINDS))
            if bad:
                raise ValueError(f"{name}: keys must be among {_KINDS}, got {bad}.")
        if kind not in _KINDS:
            raise ValueError(f"kind: expected one of {_KINDS}, got {kind!r}.")
        self.kind = widgets.ToggleButtons(options=list(_KINDS), value=kind, description="task")
        self.source = widgets.ToggleButtons(options=list(self.sources), description="show")
        self._finish_setup([self.kind, self.source], "Segmentation types explorer")

    def _draw(self, figure: Figure) -> np.ndarray | None:
        ax = self.image_axes(figure)
        result = self.sources[self.source.value].get(self.kind.value)
        title = f"{self.kind.value.capitalize()} segmentation ({self.source.value})"
        if result is None:
            ax.imshow(self.rgb)
            ax.set_axis_off()
            ax.set_title(f"{title}: not available", fontsize=10)
            return None
        rendering = render(self.rgb, result, self.categories, kind=self.kind.value)
        draw_rendering(ax, rendering, title=title)
        return rendering.rgb
