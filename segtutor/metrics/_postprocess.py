"""Turn raw model outputs into per-image predictions for the three tasks (used by :func:`evaluate`).

MaskFormer / Mask2Former outputs go through :mod:`segtutor.postprocess` when it is installed (it crops the
processor's padding correctly); otherwise, and always for DETR, through the image processor's own
``post_process_*_segmentation`` methods, the transformers reference. Those methods resize the whole (padded)
mask tensor to the target size, so here each image's mask logits are first cropped to its unpadded region.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import torch

__all__ = ["postprocess_batch"]

# The output fields each family's post-processing reads: (class logits, mask logits, extra).
_FIELDS = {
    "detr": ("logits", "pred_masks", "pred_boxes"),
    "maskformer": ("class_queries_logits", "masks_queries_logits"),
    "mask2former": ("class_queries_logits", "masks_queries_logits"),
    "eomt": ("class_queries_logits", "masks_queries_logits"),
}


def family(model: Any) -> str:
    """Return "detr", "maskformer", "mask2former" or "eomt" for a transformers segmentation model."""
    model_type = getattr(getattr(model, "config", None), "model_type", None)
    if model_type not in _FIELDS:
        raise TypeError(
            f"evaluate() supports DETR, MaskFormer, Mask2Former and EoMT segmentation models; got model_type "
            f"{model_type!r} ({type(model).__name__}). Load one with segtutor.models.load_model."
        )
    return model_type


def _segtutor_postprocess() -> Any | None:
    try:
        module = importlib.import_module("segtutor.postprocess")
    except ImportError:
        return None
    if all(callable(getattr(module, name, None)) for name in ("semantic", "instance", "panoptic")):
        return module
    return None


def _call(function: Callable[..., Any], outputs: Any, **kwargs: Any) -> list[Any]:
    """Call ``function`` with the keyword arguments it accepts (the two implementations differ slightly)."""
    parameters = inspect.signature(function).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in parameters}
    return function(outputs, **kwargs)


def _valid_fraction(pixel_mask: torch.Tensor | None, index: int) -> tuple[float, float]:
    """Fraction of the padded input's height and width that holds the image (1.0, 1.0 without padding)."""
    if pixel_mask is None:
        return 1.0, 1.0
    mask = pixel_mask[index].bool()
    rows = int(mask.any(dim=1).sum())
    cols = int(mask.any(dim=0).sum())
    return rows / mask.shape[0], cols / mask.shape[1]


def _one_image(
    outputs: Any, fields: Sequence[str], index: int, fraction: tuple[float, float]
) -> SimpleNamespace:
    """Slice image ``index`` out of a batch of outputs and crop its mask logits to the unpadded region."""
    parts = {}
    for name in fields:
        value = getattr(outputs, name, None)
        if value is not None:
            parts[name] = value[index : index + 1]
    masks_name = fields[1]
    masks = parts[masks_name]
    height = max(1, round(masks.shape[-2] * fraction[0]))
    width = max(1, round(masks.shape[-1] * fraction[1]))
    parts[masks_name] = masks[..., :height, :width]
    return SimpleNamespace(**parts)


def postprocess_batch(
    model: Any,
    processor: Any,
    outputs: Any,
    *,
    tasks: Sequence[str],
    target_sizes: list[tuple[int, int]],
    pixel_mask: torch.Tensor | None,
    stuff_ids: set[int],
    threshold: float,
    instance_threshold: float,
    mask_threshold: float,
    overlap_mask_area_threshold: float,
    postprocessor: str = "auto",
) -> dict[str, list[Any]]:
    """Return ``{task: [prediction per image]}`` for the requested tasks, at the original image sizes.

    ``postprocessor``: ``"auto"`` (segtutor's for MaskFormer / Mask2Former when installed, else the image
    processor's), ``"segtutor"`` or ``"transformers"``. DETR always uses the image processor's methods.
    """
    kind = family(model)
    common = {"mask_threshold": mask_threshold, "overlap_mask_area_threshold": overlap_mask_area_threshold}
    settings = {
        "panoptic": {"threshold": threshold, "label_ids_to_fuse": set(stuff_ids), **common},
        "instance": {"threshold": instance_threshold, "return_binary_maps": True, **common},
        "semantic": {},
    }
    if kind == "eomt":  # its processor pads to a square without pixel_mask: its size locates each image
        for task in settings:
            settings[task]["size"] = dict(processor.size)
        settings["panoptic"]["stuff_classes"] = sorted(stuff_ids)  # the name EoMT's own processor uses
    if postprocessor not in ("auto", "segtutor", "transformers"):
        raise ValueError(
            f"postprocessor must be 'auto', 'segtutor' or 'transformers', got {postprocessor!r}."
        )
    ours = _segtutor_postprocess() if kind != "detr" and postprocessor != "transformers" else None
    if postprocessor == "segtutor" and ours is None:
        raise ValueError(
            "postprocessor='segtutor' handles MaskFormer and Mask2Former outputs (and needs "
            f"segtutor.postprocess); this model is {kind!r}. Use postprocessor='auto'."
        )
    results: dict[str, list[Any]] = {}
    for task in tasks:
        if ours is not None:
            function = getattr(ours, task)
            results[task] = _call(
                function, outputs, target_sizes=target_sizes, pixel_mask=pixel_mask, **settings[task]
            )
            continue
        function = getattr(processor, f"post_process_{task}_segmentation")
        per_image = []
        for index, size in enumerate(target_sizes):
            single = _one_image(outputs, _FIELDS[kind], index, _valid_fraction(pixel_mask, index))
            per_image.extend(_call(function, single, target_sizes=[size], **settings[task]))
        results[task] = per_image
    return results
