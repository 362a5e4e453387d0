"""Read and check what the post-processing functions receive: model outputs, sizes and padding."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import torch
from transformers.models.mask2former.modeling_mask2former import Mask2FormerForUniversalSegmentationOutput
from transformers.models.maskformer.modeling_maskformer import MaskFormerForInstanceSegmentationOutput

Size = tuple[int, int]

# transformers' Mask2Former post-processing first resizes every mask to this size, whatever the image.
TRANSFORMERS_MASK2FORMER_SIZE: Size = (384, 384)


@dataclass(frozen=True)
class Batch:
    """Model outputs of a batch, checked, plus what each image needs to be post-processed.

    ``mask_sizes[i]`` is the part of the mask grid that shows image ``i`` (the rest is padding);
    ``target_sizes[i]`` is the size of the map to return (by default the mask grid showing the image,
    or transformers' 384x384 for Mask2Former in compatible mode).
    """

    class_logits: torch.Tensor  # (B, Q, K + 1) float; the last class is "no object"
    mask_logits: torch.Tensor  # (B, Q, h, w) float
    mask_sizes: list[Size]
    target_sizes: list[Size]
    mask2former: bool  # only used by compatible mode, which mimics the matching processor

    @property
    def num_labels(self) -> int:  # without "no object"
        return self.class_logits.shape[-1] - 1

    def images(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, Size]]:
        """Yield ``(class_logits (Q, K+1), mask_logits (Q, h_i, w_i), target_size)`` per image."""
        for i, (rows, cols) in enumerate(self.mask_sizes):
            yield self.class_logits[i], self.mask_logits[i, :, :rows, :cols], self.target_sizes[i]


def read_batch(
    outputs: object,
    target_sizes: Sequence[Sequence[int]] | torch.Tensor | None,
    pixel_mask: torch.Tensor | None,
    processed_sizes: Sequence[Sequence[int]] | torch.Tensor | None,
    *,
    compatible: bool,
    size: Mapping[str, int] | None = None,
) -> Batch:
    """Check the inputs of ``semantic``/``instance``/``panoptic`` and bundle them into a `Batch`.

    ``size`` (EoMT's processor size) locates each image on EoMT's padded canvas from its target size,
    when neither ``pixel_mask`` nor ``processed_sizes`` is given.
    """
    class_logits, mask_logits = _logits(outputs)
    batch_size, _, height, width = mask_logits.shape
    if compatible and (pixel_mask is not None or processed_sizes is not None):
        raise ValueError(
            "compatible=True reproduces transformers, which ignores padding; got pixel_mask/processed_sizes. "
            "Fix: drop them, or use compatible=False to crop the padding."
        )
    if size is not None and pixel_mask is None and processed_sizes is None and target_sizes is not None:
        mask_sizes = _eomt_mask_sizes(size, _target_sizes(target_sizes, batch_size), (height, width))
    else:
        mask_sizes = _mask_sizes(pixel_mask, processed_sizes, batch_size, (height, width))
    mask2former = _is_mask2former(outputs) if compatible else False
    grids = [TRANSFORMERS_MASK2FORMER_SIZE if mask2former else size for size in mask_sizes]
    given = _target_sizes(target_sizes, batch_size)
    targets = [size or grid for size, grid in zip(given, grids, strict=True)]
    return Batch(class_logits, mask_logits, mask_sizes, targets, mask2former)


def _logits(outputs: object) -> tuple[torch.Tensor, torch.Tensor]:
    class_logits = getattr(outputs, "class_queries_logits", None)
    mask_logits = getattr(outputs, "masks_queries_logits", None)
    if not isinstance(class_logits, torch.Tensor) or not isinstance(mask_logits, torch.Tensor):
        raise TypeError(
            "expected the output of MaskFormerForInstanceSegmentation, Mask2FormerForUniversalSegmentation "
            "or EomtForUniversalSegmentation "
            f"(with tensors .class_queries_logits and .masks_queries_logits); got {type(outputs).__name__}. "
            "Fix: pass `model(**inputs)` unchanged."
        )
    if class_logits.ndim != 3 or class_logits.shape[-1] < 2:
        raise ValueError(
            "class_queries_logits must have shape (batch, queries, classes + 1) with at least one class; "
            f"got {tuple(class_logits.shape)}."
        )
    if mask_logits.ndim != 4 or mask_logits.shape[:2] != class_logits.shape[:2]:
        raise ValueError(
            "masks_queries_logits must have shape (batch, queries, height, width) with the same batch "
            f"and queries as class_queries_logits {tuple(class_logits.shape[:2])}; "
            f"got {tuple(mask_logits.shape)}."
        )
    if not mask_logits.is_floating_point() or not class_logits.is_floating_point():
        raise TypeError(
            f"logits must be floating point; got {class_logits.dtype} and {mask_logits.dtype}. "
            "Fix: pass the model's raw outputs."
        )
    for name, logits in (("class_queries_logits", class_logits), ("masks_queries_logits", mask_logits)):
        # one pass: the extremes are finite exactly when every value is (NaN propagates through them)
        if logits.numel() and not all(math.isfinite(float(extreme)) for extreme in torch.aminmax(logits)):
            raise ValueError(
                f"{name} holds {int((~torch.isfinite(logits)).sum())} NaN or infinite values of "
                f"{logits.numel()}: the forward pass overflowed or diverged. Fix: run the model in float32 "
                "(not float16), and check the checkpoint and the pixel values."
            )
    return class_logits, mask_logits


def _is_mask2former(outputs: object) -> bool:
    if isinstance(outputs, Mask2FormerForUniversalSegmentationOutput):
        return True
    if isinstance(outputs, MaskFormerForInstanceSegmentationOutput):
        return False
    # EoMT's compatible mode never gets here: segtutor.postprocess._eomt follows its processor's steps
    raise TypeError(
        "compatible=True needs to know which transformers processor to reproduce: expected a "
        "Mask2FormerForUniversalSegmentationOutput or MaskFormerForInstanceSegmentationOutput; "
        f"got {type(outputs).__name__}. Fix: pass the model output object unchanged, or use compatible=False."
    )


def _eomt_mask_sizes(size: Mapping[str, int], targets: list[Size | None], mask_size: Size) -> list[Size]:
    """Rows and columns of EoMT's mask grid showing each image (its processor pads to a fixed canvas)."""
    from segtutor.postprocess._eomt import canvas_and_image

    sizes = []
    for i, target in enumerate(targets):
        canvas, shown = canvas_and_image(size, target or mask_size)
        sizes.append(_covered(shown, canvas, mask_size, i))
    return sizes


def _target_sizes(target_sizes: object, batch_size: int) -> list[Size | None]:
    if target_sizes is None:
        return [None] * batch_size
    sizes = [_pair(size, "target_sizes") for size in target_sizes]  # type: ignore[attr-defined]
    if len(sizes) != batch_size:
        raise ValueError(
            f"target_sizes must have one (height, width) per image: expected {batch_size}, got {len(sizes)}."
        )
    return sizes


def _pair(size: object, name: str) -> Size:
    try:
        values = size.tolist() if isinstance(size, torch.Tensor) else list(size)  # type: ignore[call-overload]
    except TypeError:
        values = []
    if len(values) != 2 or any(int(v) != v or v < 1 for v in values):
        raise ValueError(
            f"each entry of {name} must be a (height, width) pair of positive integers; got {size!r}."
        )
    return int(values[0]), int(values[1])


def _mask_sizes(
    pixel_mask: torch.Tensor | None,
    processed_sizes: object,
    batch_size: int,
    mask_size: Size,
) -> list[Size]:
    """Rows and columns of the mask grid that show each image, given the processor's padding.

    The processor pads every image at the bottom and right to a common size, which the masks cover: an
    image of ``processed`` pixels on a ``padded`` canvas covers ``mask_size * processed / padded`` mask
    pixels (exact for the processors' sizes, multiples of 32, and masks at 1/4 resolution).
    """
    if pixel_mask is None and processed_sizes is None:
        return [mask_size] * batch_size
    if processed_sizes is not None:
        processed = [_pair(size, "processed_sizes") for size in processed_sizes]  # type: ignore[attr-defined]
        if len(processed) != batch_size:
            raise ValueError(f"processed_sizes must have {batch_size} entries; got {len(processed)}.")
    if pixel_mask is None:  # the processor pads to the largest image of the batch
        padded = (max(h for h, _ in processed), max(w for _, w in processed))
    else:
        if pixel_mask.ndim != 3 or pixel_mask.shape[0] != batch_size:
            raise ValueError(
                f"pixel_mask must have shape (batch, height, width) with batch {batch_size}, as returned by "
                f"the image processor; got {tuple(pixel_mask.shape)}."
            )
        padded = (pixel_mask.shape[1], pixel_mask.shape[2])
        if processed_sizes is None:  # the image is where the mask is 1
            valid = pixel_mask.bool()
            rows, cols = valid.any(dim=2).sum(dim=1).tolist(), valid.any(dim=1).sum(dim=1).tolist()
            processed = list(zip(rows, cols, strict=True))
    return [_covered(size, padded, mask_size, i) for i, size in enumerate(processed)]


def _covered(processed: Size, padded: Size, mask_size: Size, index: int) -> Size:
    if not (1 <= processed[0] <= padded[0] and 1 <= processed[1] <= padded[1]):
        raise ValueError(
            f"image {index}: the valid region {processed} must be non-empty and fit in the padded size "
            f"{padded}. Fix: pass the processor's pixel_mask, or sizes from the resized images."
        )
    rows = round(mask_size[0] * processed[0] / padded[0])
    cols = round(mask_size[1] * processed[1] / padded[1])
    return max(rows, 1), max(cols, 1)
