"""Explorer of post-processing: move the thresholds, watch the segments appear, merge and vanish.

The model runs once, before the explorer is made; every control change re-runs only the post-processing
(``segtutor.postprocess``) on the stored outputs and redraws.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib.figure import Figure

from segtutor.viz import as_categories, as_rgb_image, draw_rendering, render
from segtutor.widgets._base import Explorer, slider_layout

__all__ = ["PostprocessExplorer"]

_TASKS = ("semantic", "instance", "panoptic")
#: One description width for the three sliders, so that their tracks line up and all have the same length.
_DESCRIPTION_WIDTH = "200px"


def _default_postprocess() -> ModuleType:
    from segtutor import postprocess

    return postprocess


def _one_image(outputs: Any, index: int) -> Any:
    """Return the outputs of image ``index`` as a batch of one (same output class)."""
    logits = outputs.class_queries_logits
    if logits.ndim != 3:
        raise ValueError(
            f"outputs.class_queries_logits: expected (batch, Q, C + 1), got shape {tuple(logits.shape)}. "
            "Pass the model's output object unchanged."
        )
    if logits.shape[0] == 1 and index == 0:
        return outputs
    if not 0 <= index < logits.shape[0]:
        raise ValueError(f"index: the outputs hold {logits.shape[0]} images, got index={index}.")
    return type(outputs)(
        class_queries_logits=logits[index : index + 1],
        masks_queries_logits=outputs.masks_queries_logits[index : index + 1],
    )


def _downscale(rgb: np.ndarray, max_size: int | None) -> np.ndarray:
    h, w = rgb.shape[:2]
    if max_size is None or max(h, w) <= max_size:
        return rgb
    scale = max_size / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(PIL.Image.fromarray(rgb).resize(size, PIL.Image.Resampling.BILINEAR))


class PostprocessExplorer(Explorer):
    """Sliders for the post-processing thresholds of MaskFormer / Mask2Former, redrawn on every change.

    Parameters
    ----------
    image : PIL.Image, ndarray, tensor or Sample
        The image the model saw (original size: results are resized to it).
    outputs : model output
        ``model(**inputs)`` for this image (or a batch, see ``index``), with ``class_queries_logits`` and
        ``masks_queries_logits``. Kept as is; the model is never called again.
    categories : list of Category, id2label mapping or model config
        Class names, colours, and which classes are stuff (fused when "fuse stuff" is on).
    task : {"semantic", "instance", "panoptic"}
    threshold, mask_threshold, overlap_mask_area_threshold : float
        Initial slider values (the transformers defaults).
    fuse_stuff : bool
        Initial state of the toggle: fuse all segments of a stuff class into one (``label_ids_to_fuse``).
    index : int
        Which image of a batched ``outputs``.
    max_size : int or None
        Post-process and draw at this size of the image's longer side (the picture is ~360 pixels wide, and
        post-processing time grows with the number of pixels); ``None`` keeps the full resolution.
    postprocess : module or object, optional
        Provides ``semantic``, ``instance`` and ``panoptic`` with the ``segtutor.postprocess`` signatures;
        default: ``segtutor.postprocess``.

    Attributes
    ----------
    task, threshold, mask_threshold, overlap_mask_area_threshold, fuse_stuff : ipywidgets controls
        Set ``.value`` to drive the explorer from code.
    last_result : dict or tensor
        The post-processing result drawn last.
    """

    figsize = (5.8, 3.9)

    def __init__(
        self,
        image: Any,
        outputs: Any,
        categories: Any,
        *,
        task: str = "panoptic",
        threshold: float = 0.5,
        mask_threshold: float = 0.5,
        overlap_mask_area_threshold: float = 0.8,
        fuse_stuff: bool = True,
        index: int = 0,
        max_size: int | None = 384,
        postprocess: Any = None,
    ) -> None:
        if task not in _TASKS:
            raise ValueError(f"task: expected one of {_TASKS}, got {task!r}.")
        self.rgb = _downscale(as_rgb_image(image), max_size)
        self.categories = as_categories(categories)
        self.outputs = _one_image(outputs, index)
        self.postprocess = postprocess if postprocess is not None else _default_postprocess()
        self.stuff_ids = {c.id for c in self.categories.values() if not c.isthing}
        self.last_result: Any = None
        self._cache: dict[tuple[Any, ...], Any] = {}

        def slider(description: str, value: float) -> widgets.FloatSlider:
            return widgets.FloatSlider(value=value, min=0.0, max=1.0, step=0.05, description=description,
                                       continuous_update=False, readout_format=".2f", layout=slider_layout(),
                                       style={"description_width": _DESCRIPTION_WIDTH})

        self.task = widgets.ToggleButtons(options=list(_TASKS), value=task, description="task")
        self.threshold = slider("threshold (class score)", threshold)
        self.mask_threshold = slider("mask_threshold", mask_threshold)
        self.overlap_mask_area_threshold = slider("overlap_mask_area_threshold", overlap_mask_area_threshold)
        self.fuse_stuff = widgets.Checkbox(value=fuse_stuff, description="fuse stuff classes",
                                           disabled=not self.stuff_ids)
        controls = [self.task, self.threshold, self.mask_threshold, self.overlap_mask_area_threshold,
                    self.fuse_stuff]
        self._finish_setup(controls, "Post-processing explorer")

    def run_postprocess(self) -> Any:
        """Run the selected post-processing with the current control values; return one image's result.

        Results are cached by control values (up to 32), so going back to a setting is instant.
        """
        key = (self.task.value, self.threshold.value, self.mask_threshold.value,
               self.overlap_mask_area_threshold.value, self.fuse_stuff.value)
        if key not in self._cache:
            if len(self._cache) >= 32:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = self._run(self.task.value)
        return self._cache[key]

    def _run(self, task: str) -> Any:
        target_sizes = [self.rgb.shape[:2]]
        if task == "semantic":
            return self.postprocess.semantic(self.outputs, target_sizes=target_sizes)[0]
        options = {
            "threshold": self.threshold.value,
            "mask_threshold": self.mask_threshold.value,
            "overlap_mask_area_threshold": self.overlap_mask_area_threshold.value,
            "target_sizes": target_sizes,
        }
        if task == "panoptic":
            options["label_ids_to_fuse"] = set(self.stuff_ids) if self.fuse_stuff.value else set()
        return getattr(self.postprocess, task)(self.outputs, **options)[0]

    def _draw(self, figure: Figure) -> np.ndarray | None:
        semantic = self.task.value == "semantic"
        for control in (self.threshold, self.mask_threshold, self.overlap_mask_area_threshold):
            control.disabled = semantic
        self.fuse_stuff.disabled = self.task.value != "panoptic" or not self.stuff_ids
        result = self.run_postprocess()
        self.last_result = result
        rendering = render(self.rgb, result, self.categories, kind=self.task.value)
        if semantic:
            title = "Semantic: argmax of class x mask scores"
        else:
            count = int((rendering.areas > 0).sum())
            title = (f"{self.task.value.capitalize()}: {count} segment{'s' * (count != 1)}\n"
                     f"threshold {self.threshold.value:.2f}, mask {self.mask_threshold.value:.2f}, "
                     f"overlap {self.overlap_mask_area_threshold.value:.2f}")
        draw_rendering(self.image_axes(figure), rendering, title=title)
        return rendering.rgb
