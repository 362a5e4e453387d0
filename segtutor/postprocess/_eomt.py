"""EoMT outputs: where its image processor puts the image, and compatible mode (the processor's own methods).

EoMT's outputs have the same fields as Mask2Former's (``class_queries_logits`` with "no object" last,
``masks_queries_logits`` on a grid of the input), so segtutor's default mode treats them like the others'.
What differs is the processor around the model. It resizes the longest side to ``size["longest_edge"]``
and pads bottom-right to a fixed square canvas, but returns no ``pixel_mask``: the image's part of the
canvas follows from ``size`` and the original size (`canvas_and_image`), which is why ``target_sizes``
is required. Its post-processing differs too (masks resized to the canvas, then cropped; panoptic:
``threshold=0.8``, ``stuff_classes``, ids from 0, no ``was_fused``; instance: each query's best class),
so ``compatible=True`` calls ``EomtImageProcessor``'s own methods instead of re-implementing them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

Size = tuple[int, int]


def is_eomt(outputs: object) -> bool:
    """Whether ``outputs`` come from ``EomtForUniversalSegmentation`` (or its DINOv3 variant)."""
    return type(outputs).__name__.startswith("Eomt")


def canvas_and_image(size: Mapping[str, int] | None, target: Size) -> tuple[Size, Size]:
    """EoMT's square canvas ``(H, W)`` and the part of it that shows an image of ``target`` pixels.

    ``size`` is the processor's ``{"shortest_edge", "longest_edge"}``: the image is resized keeping its
    aspect ratio so that its short side is ``shortest_edge`` and its long side at most ``longest_edge``,
    then padded to ``shortest_edge`` × ``longest_edge``.

    Raises
    ------
    ValueError
        If ``size`` is missing or lacks ``shortest_edge``.
    """
    from transformers.image_transforms import get_size_with_aspect_ratio

    _require_size(size)
    canvas = (int(size["shortest_edge"]), int(size.get("longest_edge") or size["shortest_edge"]))
    shown = get_size_with_aspect_ratio(tuple(target), size["shortest_edge"], size.get("longest_edge"))
    return canvas, (int(shown[0]), int(shown[1]))


def _require_size(size: Mapping[str, int] | None) -> None:
    if not size or "shortest_edge" not in size:
        raise ValueError(
            "EoMT outputs need the processor's size (e.g. {'shortest_edge': 640, 'longest_edge': 640}) to "
            f"find each image on the padded canvas; got size={size!r}. Fix: pass size=processor.size."
        )


def like_transformers(
    task: str,
    outputs: object,
    target_sizes: Sequence[Sequence[int]] | torch.Tensor | None,
    size: Mapping[str, int] | None,
    **options: object,
) -> list:
    """``EomtImageProcessor.post_process_<task>_segmentation`` with the processor's ``size``."""
    from transformers import EomtImageProcessor

    if target_sizes is None:
        raise ValueError("EoMT's post-processing needs target_sizes, the original (height, width) per image.")
    _require_size(size)
    targets = [
        tuple(int(v) for v in (s.tolist() if isinstance(s, torch.Tensor) else s)) for s in target_sizes
    ]
    method = getattr(EomtImageProcessor(size=dict(size)), f"post_process_{task}_segmentation")
    return method(outputs, target_sizes=targets, **options)
