"""Semantic maps from MaskFormer / Mask2Former / EoMT outputs: one class per pixel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from transformers.image_processing_outputs import SemanticSegmentationPostProcessorOutput

from segtutor.postprocess import _eomt
from segtutor.postprocess._inputs import Batch, read_batch
from segtutor.postprocess._near_boundaries import Upsampling
from segtutor.postprocess._steps import resize, resize_like_transformers_mask2former, resized_argmax

_PIXELS_AT_ONCE = 2048  # mask pixels whose class scores are computed together


def semantic(
    outputs: object,
    *,
    target_sizes: Sequence[Sequence[int]] | torch.Tensor | None = None,
    return_segmentation_scores: bool = False,
    pixel_mask: torch.Tensor | None = None,
    processed_sizes: Sequence[Sequence[int]] | torch.Tensor | None = None,
    size: Mapping[str, int] | None = None,
    compatible: bool = False,
) -> list[torch.Tensor] | list[SemanticSegmentationPostProcessorOutput]:
    """Turn model outputs into semantic maps: the most likely class at every pixel.

    Steps: score (class probability x mask probability, summed over queries) -> upsample -> argmax.

    Parameters
    ----------
    outputs : Mask2Former, MaskFormer or EoMT segmentation output
        ``class_queries_logits`` ``(B, Q, K + 1)`` (last class = "no object") and
        ``masks_queries_logits`` ``(B, Q, h, w)``, float.
    target_sizes : sequence of (height, width), optional
        Output size per image, usually the original image size. ``None`` keeps the mask grid.
    return_segmentation_scores : bool
        Also return the resized per-class scores ``(K, H, W)`` (then every class is resized: slower).
    pixel_mask : torch.Tensor, optional
        The processor's ``(B, H_pad, W_pad)`` pixel mask (1 = image, 0 = padding); its padding is cropped
        from the masks before resizing. Not allowed with ``compatible=True``.
    processed_sizes : sequence of (height, width), optional
        Size of each resized image before padding, instead of ``pixel_mask`` (the padded size is then
        taken as the largest of them, as the processor pads to the largest image).
    size : dict, optional
        EoMT only: its processor's ``size``, which locates each image on the padded canvas from
        ``target_sizes`` (see `panoptic`). Required for EoMT outputs in compatible mode.
    compatible : bool
        ``True`` reproduces transformers' ``post_process_semantic_segmentation`` exactly (for EoMT,
        ``EomtImageProcessor``'s, which does not crop the padding).

    Returns
    -------
    list of torch.Tensor or list of SemanticSegmentationPostProcessorOutput
        Per image an ``(H, W)`` int64 map of class ids in ``[0, K)``; with ``return_segmentation_scores``
        the transformers output object with ``segmentation`` and ``segmentation_scores``.

    Notes
    -----
    Default mode, unlike transformers: the padding added for batching is cropped (pass ``pixel_mask``
    or ``processed_sizes``), so an image gives the same map alone or in a padded batch; scores are
    computed on the model's mask grid and upsampled once (transformers' Mask2Former processor first
    resizes every mask to 384x384, ignoring the aspect ratio); without ``target_sizes`` the map has the
    size of the mask grid showing the image.
    """
    if compatible and _eomt.is_eomt(outputs):
        return _eomt.like_transformers(
            "semantic", outputs, target_sizes, size, return_segmentation_scores=return_segmentation_scores
        )
    batch = read_batch(outputs, target_sizes, pixel_mask, processed_sizes, compatible=compatible, size=size)
    results = []
    for scores, size in zip(_class_scores(batch, compatible), batch.target_sizes, strict=True):
        if return_segmentation_scores:
            scores = scores if scores.shape[-2:] == size else resize(scores, size)
            results.append(
                SemanticSegmentationPostProcessorOutput(
                    data={"segmentation": scores.argmax(dim=0), "segmentation_scores": scores}
                )
            )
        elif scores.shape[-2:] == size:
            results.append(scores.argmax(dim=0))
        elif compatible:  # upsample -> argmax with transformers' values, a few classes at a time
            results.append(resized_argmax(scores, size)[0])
        else:  # upsample -> argmax, upsampled values computed only near the borders between classes
            results.append(Upsampling(scores, size).argmax())
    return results


def _class_scores(batch: Batch, compatible: bool) -> list[torch.Tensor]:
    """Per image, how much each class covers each pixel: ``(K, h, w)`` float.

    A query votes for class c at a pixel with P(class c) x P(pixel in mask); votes are summed.
    """
    class_probs = batch.class_logits.softmax(dim=-1)[..., :-1]  # drop "no object"
    if compatible:  # the very same calls as transformers, on the whole batch
        if batch.mask2former:  # transformers' detour through 384x384; sigmoid in place on our copy
            mask_probs = resize_like_transformers_mask2former(batch.mask_logits.flatten(0, 1)).sigmoid_()
            mask_probs = mask_probs.unflatten(0, batch.mask_logits.shape[:2])
        else:
            mask_probs = batch.mask_logits.sigmoid()
        return list(torch.einsum("bqc, bqhw -> bchw", class_probs, mask_probs))
    return [  # the same votes, image by image on the part of the mask grid that shows it
        _pixel_scores(mask_logits, probs)
        for probs, (_, mask_logits, _) in zip(class_probs, batch.images(), strict=True)
    ]


def _pixel_scores(mask_logits: torch.Tensor, class_probs: torch.Tensor) -> torch.Tensor:
    """``sum_q class_probs[q, c] * sigmoid(mask_logits[q])`` as ``(K, h, w)``, stored pixel by pixel.

    A few thousand pixels at a time, so that each block of mask probabilities is multiplied while it is
    still in the CPU cache (on a 208x408 grid, 200 queries, 133 classes: 1.2x faster than one product).
    """
    flat = mask_logits.flatten(1)  # (Q, h * w)
    scores = flat.new_empty(flat.shape[1], class_probs.shape[1])
    for start in range(0, flat.shape[1], _PIXELS_AT_ONCE):
        pixels = slice(start, start + _PIXELS_AT_ONCE)
        torch.matmul(flat[:, pixels].sigmoid().T, class_probs, out=scores[pixels])
    return scores.T.view(-1, *mask_logits.shape[1:])
