"""Panoptic maps from MaskFormer / Mask2Former / EoMT outputs: every pixel gets at most one segment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import torch

from segtutor.postprocess import _eomt
from segtutor.postprocess._inputs import Size, read_batch
from segtutor.postprocess._near_boundaries import Decision, Upsampling
from segtutor.postprocess._steps import (
    exceeds,
    resize_like_transformers_mask2former,
    resized_argmax,
)


def panoptic(
    outputs: object,
    *,
    threshold: float = 0.5,
    mask_threshold: float = 0.5,
    overlap_mask_area_threshold: float = 0.8,
    label_ids_to_fuse: Iterable[int] | None = None,
    target_sizes: Sequence[Sequence[int]] | torch.Tensor | None = None,
    pixel_mask: torch.Tensor | None = None,
    processed_sizes: Sequence[Sequence[int]] | torch.Tensor | None = None,
    size: Mapping[str, int] | None = None,
    compatible: bool = False,
) -> list[dict]:
    """Turn model outputs into panoptic maps: segment ids per pixel plus what each segment is.

    Steps: score -> keep -> upsample -> argmax -> validity -> ids.

    Parameters
    ----------
    outputs, target_sizes, pixel_mask, processed_sizes :
        As in `semantic`.
    threshold : float
        Keep a query if its best class probability is above this (and the class is not "no object").
    mask_threshold : float
        A kept query's mask is where its score-weighted mask probability is at least this.
    overlap_mask_area_threshold : float
        A query keeps its segment only if the pixels it wins are more than this fraction of its mask.
    label_ids_to_fuse : iterable of int, optional
        Classes whose segments share one id (stuff such as sky). ``None`` fuses nothing. For EoMT in
        compatible mode these are its processor's ``stuff_classes``.
    size : dict, optional
        EoMT only: its processor's ``size`` (``processor.size``), which locates each image on the padded
        canvas from ``target_sizes`` (EoMT's processor returns no ``pixel_mask``). Required for EoMT
        outputs in compatible mode.
    compatible : bool
        ``True`` reproduces transformers' ``post_process_panoptic_segmentation`` exactly (for EoMT
        outputs, ``EomtImageProcessor``'s: ids from 0, no ``was_fused``; see ``_eomt``).

    Returns
    -------
    list of dict
        Per image ``{"segmentation": (H, W) int64 tensor of segment ids, -1 = no segment,
        "segments_info": [{"id", "label_id", "was_fused", "score"}, ...]}``. Segment ids start at 1.

    Notes
    -----
    Default mode, unlike transformers: padding is cropped and masks are upsampled once from the model's
    grid (as in `semantic`); pixels without a segment are -1 and the map is int64 (transformers: 0 in an
    int32 map, or a float map of -1 when no query is kept); a fused class gets one id and one
    ``segments_info`` entry with the best score (transformers repeats the entry per query, and restarts
    its id counter from the fused id, so two different segments can share an id).
    """
    if compatible and _eomt.is_eomt(outputs):
        stuff = None if label_ids_to_fuse is None else list(label_ids_to_fuse)
        return _eomt.like_transformers(
            "panoptic",
            outputs,
            target_sizes,
            size,
            threshold=threshold,
            mask_threshold=mask_threshold,
            overlap_mask_area_threshold=overlap_mask_area_threshold,
            stuff_classes=stuff,
        )
    batch = read_batch(outputs, target_sizes, pixel_mask, processed_sizes, compatible=compatible, size=size)
    fuse = set(label_ids_to_fuse or ())
    results = []
    for class_logits, mask_logits, size in batch.images():
        # score: each query's most likely class and its probability
        scores, labels = class_logits.softmax(dim=-1).max(dim=-1)
        # keep: confident queries that found something (the last class means "no object")
        keep = labels.ne(batch.num_labels) & (scores > threshold)
        scores, labels, mask_logits = scores[keep], labels[keep], mask_logits[keep]
        if len(scores) == 0:  # transformers returns a float map of -1
            empty = torch.full(size, -1.0) if compatible else torch.full(size, -1, dtype=torch.long)
            results.append({"segmentation": empty.to(scores.device), "segments_info": []})
            continue
        # upsample -> argmax: each pixel goes to the query with the highest score-weighted probability
        if compatible:
            owner, mask_area = _owner_and_mask_area_like_transformers(
                mask_logits, scores, size, mask_threshold, batch.mask2former
            )
        else:  # weighted on the mask grid; upsampled values computed only near the borders between masks
            upsampling = Upsampling(mask_logits.sigmoid().mul_(scores.view(-1, 1, 1)), size)
            owner, mask_area = upsampling.best(), upsampling.counts(mask_threshold, strict=False)
        # validity: a query keeps its segment only if it won most of its own mask
        won_area = owner.areas(len(scores))
        won_most = exceeds(won_area / mask_area, overlap_mask_area_threshold, strict=True)
        valid = (won_area > 0) & (mask_area > 0) & won_most
        # ids: one per valid query, shared by the queries of a fused class
        ids, segments_info = _segment_ids(labels.tolist(), scores.tolist(), valid.tolist(), fuse, compatible)
        id_type = torch.int32 if compatible else torch.int64  # transformers' map is int32
        segmentation = owner.map(torch.tensor(ids, dtype=id_type, device=scores.device))
        results.append({"segmentation": segmentation, "segments_info": segments_info})
    return results


def _owner_and_mask_area_like_transformers(
    mask_logits: torch.Tensor, scores: torch.Tensor, size: Size, mask_threshold: float, mask2former: bool
) -> tuple[Decision, torch.Tensor]:
    """transformers' winning query per pixel ``(H, W)`` and mask area per query ``(k,)`` (int64).

    Its steps on the kept queries only: (Mask2Former: resize to 384x384), sigmoid, resize, weight by
    the score, argmax; the mask area is counted on the score-weighted probabilities.
    """
    if mask2former:
        mask_logits = resize_like_transformers_mask2former(mask_logits)
    owner, mask_area = resized_argmax(mask_logits.sigmoid(), size, scores, mask_threshold)
    return Decision.whole(owner), mask_area


def _segment_ids(
    labels: list[int], scores: list[float], valid: list[bool], fuse: set[int], compatible: bool
) -> tuple[list[int], list[dict]]:
    """Segment id of every kept query (``0``/``-1`` when invalid) and the ``segments_info`` list."""
    ids, segments_info, fused_ids = [], [], {}
    last_id = 0
    for label, score, is_valid in zip(labels, scores, valid, strict=True):
        if not is_valid:
            ids.append(0 if compatible else -1)
            continue
        if label in fused_ids:
            segment_id = fused_ids[label]
            if compatible:  # transformers restarts its counter from the fused id
                last_id = segment_id
        else:
            last_id += 1
            segment_id = last_id
        ids.append(segment_id)
        info = {"id": segment_id, "label_id": label, "was_fused": label in fuse, "score": round(score, 6)}
        if compatible or label not in fused_ids:
            segments_info.append(info)
        else:  # one entry per fused segment, with the best score
            entry = next(entry for entry in segments_info if entry["id"] == segment_id)
            entry["score"] = max(entry["score"], info["score"])
        if label in fuse:
            fused_ids[label] = segment_id
    return ids, segments_info
