"""Browse a dataset: one sample at a time, as an overlay or as the binary masks a model is trained on."""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from segtutor.data.targets import Sample
from segtutor.viz import as_segment_map, draw_rendering, render
from segtutor.widgets._base import Explorer, slider_layout

__all__ = ["DatasetBrowser"]

_KINDS = ("semantic", "instance", "panoptic")
_VIEWS = ("overlay", "masks")
_MAX_MASKS = 12


class DatasetBrowser(Explorer):
    """Index slider over a sequence of samples, with task and format views.

    Views: ``"overlay"`` draws the sample's ground truth as the chosen task sees it; ``"masks"`` shows the
    same target as MaskFormer / Mask2Former receive it: one binary mask per segment, each with its class
    (at most 12 shown).

    Parameters
    ----------
    samples : sequence of Sample
        E.g. a list of samples or a reader; indexed lazily, one sample per redraw.
    kind : {"semantic", "instance", "panoptic"}
        The task view shown first.
    view : {"overlay", "masks"}
        The format view shown first.

    Attributes
    ----------
    index : ipywidgets.IntSlider
    kind, view : ipywidgets.ToggleButtons
        The controls; set ``.value`` to change the view from code.
    """

    figsize = (6.0, 3.9)

    def __init__(self, samples: Sequence[Sample], *, kind: str = "panoptic", view: str = "overlay") -> None:
        if len(samples) == 0:
            raise ValueError("DatasetBrowser: the dataset is empty; pass at least one Sample.")
        if kind not in _KINDS or view not in _VIEWS:
            raise ValueError(
                f"kind must be one of {_KINDS} and view one of {_VIEWS}, got kind={kind!r}, view={view!r}."
            )
        self.samples = samples
        self.index = widgets.IntSlider(value=0, min=0, max=len(samples) - 1, description="sample",
                                       continuous_update=False, layout=slider_layout())
        self.kind = widgets.ToggleButtons(options=list(_KINDS), value=kind, description="task")
        self.view = widgets.ToggleButtons(options=list(_VIEWS), value=view, description="view")
        self._finish_setup([self.index, self.kind, self.view], f"Dataset browser ({len(samples)} samples)")

    def _sample(self) -> Sample:
        sample = self.samples[self.index.value]
        if not isinstance(sample, Sample):
            raise TypeError(
                f"samples[{self.index.value}]: expected a segtutor Sample, got {type(sample).__name__}. "
                "Browse a reader or a list of Sample (not the training Dataset, which returns tensors)."
            )
        return sample

    def _draw(self, figure: Figure) -> np.ndarray | None:
        sample = self._sample()
        name = f": {sample.file_name}" if sample.file_name else ""
        title = f"Sample {self.index.value}{name} ({self.kind.value})"
        if self.view.value == "overlay":
            rendering = render(sample, sample, kind=self.kind.value)
            draw_rendering(self.image_axes(figure), rendering, title=title)
            return rendering.rgb
        self._draw_masks(figure, sample, title)
        return None

    def _draw_masks(self, figure: Figure, sample: Sample, title: str) -> None:
        smap = as_segment_map(sample, self.kind.value)
        segments = smap.segments[:_MAX_MASKS]
        by_id = sample.category_by_id
        ncols = min(4, max(1, len(segments)))
        nrows = max(1, -(-len(segments) // ncols))
        axes = figure.subplots(nrows, ncols, squeeze=False).ravel()
        figure.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.86, wspace=0.08, hspace=0.25)
        for ax in axes:
            ax.set_axis_off()
        for ax, segment in zip(axes, segments, strict=False):
            panel = np.full((*smap.shape, 3), 40, dtype=np.uint8)  # dark background, mask in class colour
            panel[smap.ids == segment.id] = by_id[segment.label_id].color
            ax.imshow(panel, interpolation="nearest")
            ax.set_title(f"mask {segment.id}: {by_id[segment.label_id].name}", fontsize=8)
        if not segments:
            axes[0].text(0.5, 0.5, "no masks", ha="center", va="center")
        more = f", first {_MAX_MASKS} of {len(smap.segments)}" if len(smap.segments) > _MAX_MASKS else ""
        figure.suptitle(f"{title}: target as binary masks{more}", fontsize=10)
