"""Instance maps from MaskFormer / Mask2Former / EoMT outputs: scored masks, one per detected object."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from segtutor.postprocess import _eomt
from segtutor.postprocess._inputs import Size, read_batch
from segtutor.postprocess._near_boundaries import Upsampling
from segtutor.postprocess._steps import (
    exceeds,
    last_mask_index,
    nearest_source_indices,
    resize_above,
    resize_like_transformers_mask2former,
    row_sums,
    run_length_encode,
)


def instance(
    outputs: object,
    *,
    threshold: float = 0.5,
    mask_threshold: float = 0.5,
    overlap_mask_area_threshold: float = 0.8,
    target_sizes: Sequence[Sequence[int]] | torch.Tensor | None = None,
    return_coco_annotation: bool = False,
    return_binary_maps: bool = False,
    pixel_mask: torch.Tensor | None = None,
    processed_sizes: Sequence[Sequence[int]] | torch.Tensor | None = None,
    size: Mapping[str, int] | None = None,
    compatible: bool = False,
) -> list[dict]:
    """Turn model outputs into instance predictions: a score, a class and a mask per object.

    Steps: score -> keep -> upsample -> ids (later masks paint over earlier ones in the map).

    Parameters
    ----------
    outputs, target_sizes, pixel_mask, processed_sizes :
        As in `semantic`.
    threshold : float
        Keep an object if class probability x mean mask probability (inside its mask) is at least this.
    mask_threshold : float
        A mask is where its probability is above this (transformers ignores it: always 0.5).
    overlap_mask_area_threshold : float
        Accepted for the same signature as transformers, which ignores it too.
    return_coco_annotation : bool
        Return ``segmentation`` as transformers' run-length encoding (one list per id, ascending).
    return_binary_maps : bool
        Return ``segmentation`` as ``(n, H, W)`` float32 0/1 masks, one per object (they may overlap).
    size : dict, optional
        EoMT only: its processor's ``size`` (see `panoptic`). Required for EoMT outputs in compatible mode.
    compatible : bool
        ``True`` reproduces transformers' ``post_process_instance_segmentation`` exactly (for EoMT,
        ``EomtImageProcessor``'s: each query's best class, no top-k, no ``was_fused``; the RLE and binary-map
        options are not available there).

    Returns
    -------
    list of dict
        Per image ``{"segmentation": (H, W) int64 map of object ids (0, 1, ...), -1 = background,
        "segments_info": [{"id", "label_id", "was_fused": False, "score"}, ...]}``.

    Notes
    -----
    Default mode, unlike transformers: padding is cropped; masks are probabilities above
    ``mask_threshold``, upsampled bilinearly then thresholded (transformers thresholds the 384x384
    detour at 0.5 and enlarges the blocky result by nearest neighbours); the map is int64 (not float32);
    with ``return_binary_maps`` and no object the result is an empty ``(0, H, W)`` tensor.
    """
    if return_coco_annotation and return_binary_maps:
        raise ValueError("return_coco_annotation and return_binary_maps cannot both be True; choose one.")
    if compatible and _eomt.is_eomt(outputs):
        if return_coco_annotation or return_binary_maps:
            raise ValueError("EoMT's processor has no RLE or binary-map output: drop those options with "
                             "compatible=True, or use compatible=False.")
        return _eomt.like_transformers("instance", outputs, target_sizes, size, threshold=threshold)
    batch = read_batch(outputs, target_sizes, pixel_mask, processed_sizes, compatible=compatible, size=size)
    results = []
    for class_logits, mask_logits, size in batch.images():
        num_queries = class_logits.shape[0]
        # score: the best (query, class) pairs, as many as there are queries
        class_probs = class_logits.softmax(dim=-1)[:, :-1]
        class_scores, pairs = class_probs.flatten().topk(num_queries, sorted=False)
        queries, labels = pairs // batch.num_labels, pairs % batch.num_labels
        # keep (1/2): the final score, class x mask probability, never exceeds the class probability
        candidates = exceeds(class_scores, threshold, strict=False).nonzero()[:, 0]
        mask_logits = mask_logits[queries[candidates]]
        if batch.mask2former:  # compatible mode: transformers' detour through 384x384
            mask_logits = resize_like_transformers_mask2former(mask_logits)
        mask_probs = mask_logits.sigmoid()
        in_mask = (mask_logits > 0 if compatible else mask_probs > mask_threshold).float()
        area = in_mask.flatten(1).sum(dim=1)
        # mask score: mean probability inside the mask (summed as transformers does)
        inside = row_sums((mask_probs * in_mask).flatten(1), num_queries)
        scores = class_scores[candidates] * (inside / (area + 1e-6))
        # keep (2/2): score high enough, then upsample -> ids, keeping masks still visible at the output size
        passing = exceeds(scores, threshold, strict=False).nonzero()[:, 0]
        if compatible:
            painted = _paint_like_transformers(in_mask[passing].bool(), size, return_binary_maps)
        else:
            painted = _paint(mask_probs[passing], size, mask_threshold, return_binary_maps)
        visible, segmentation, masks = painted
        kept = passing[visible]
        segments_info = [
            {"id": i, "label_id": label, "was_fused": False, "score": round(score, 6)}
            for i, (label, score) in enumerate(
                zip(labels[candidates[kept]].tolist(), scores[kept].tolist(), strict=True)
            )
        ]
        if return_binary_maps and (len(kept) > 0 or not compatible):  # transformers keeps the map if empty
            segmentation = masks
        elif return_coco_annotation:
            segmentation = run_length_encode(segmentation)
        results.append({"segmentation": segmentation, "segments_info": segments_info})
    return results


def _paint(
    mask_probs: torch.Tensor, size: Size, mask_threshold: float, return_masks: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Upsample probabilities bilinearly, threshold, and paint the visible masks in order.

    Returns which masks are visible ``(n,)`` bool, the ``(H, W)`` int64 id map (-1 = none) and,
    if asked, the visible masks ``(m, H, W)`` float32. Upsampled values are computed only near the
    masks' borders (`Upsampling`).
    """
    upsampling = Upsampling(mask_probs, size)
    visible = upsampling.counts(mask_threshold, strict=True) > 0
    new_id = torch.cumsum(visible, 0) - 1  # ids of the visible masks: 0, 1, ...
    last = upsampling.last_above(mask_threshold)  # an invisible mask is never the last above
    segmentation = last.map(torch.cat([new_id, new_id.new_full((1,), -1)]))  # -1 (none): the appended -1
    masks = resize_above(mask_probs[visible], size, mask_threshold).float() if return_masks else None
    return visible, segmentation, masks


def _paint_like_transformers(
    in_mask: torch.Tensor, size: Size, return_masks: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """transformers' nearest-neighbour enlargement of ``in_mask (n, h, w)`` (bool), done by indexing.

    Nearest resizing copies source row ``rows[y]`` and column ``cols[x]`` into pixel ``(y, x)``: a mask is
    visible if it covers a copied source pixel, and painting the small masks then copying equals
    painting the enlarged ones. The id map is float32, as in transformers.
    """
    rows, cols = nearest_source_indices((in_mask.shape[-2], in_mask.shape[-1]), size, in_mask.device)
    visible = in_mask[:, rows.unique()][:, :, cols.unique()].flatten(1).any(dim=1)
    masks = in_mask[visible]
    segmentation = last_mask_index(masks).index_select(0, rows).index_select(1, cols).float()
    enlarged = masks.index_select(1, rows).index_select(2, cols).float() if return_masks else None
    return visible, segmentation, enlarged
