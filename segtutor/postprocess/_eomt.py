"""EoMT outputs: the conventions of its image processor, and its post-processing steps for compatible mode.

EoMT's outputs have the same fields as Mask2Former's (``class_queries_logits`` with "no object" last,
``masks_queries_logits`` on a grid of the input), so segtutor's default mode treats them like the others'.
What differs is the processor around the model:

* it resizes the longest side to ``size["longest_edge"]`` and pads bottom-right to a fixed square canvas
  (``do_pad=True`` in the official checkpoints) but returns no ``pixel_mask``: the image's part of the
  canvas follows from ``size`` and the original size, which is why ``target_sizes`` is required;
* its own post-processing resizes the masks to the canvas first, then crops the image's part (panoptic,
  instance; semantic does not crop), then resizes to the target size;
* panoptic: ``threshold=0.8`` by default, ``stuff_classes`` (which classes to fuse) instead of
  ``label_ids_to_fuse``, segment ids from 0 (``-1`` = no segment), no ``was_fused`` key, and a query's
  mask area is counted on its probabilities without the score weight;
* instance: every query's best class (no top-k over query-class pairs), mask where the logit is above 0,
  ``threshold=0.8``.

``compatible=True`` follows those steps (the functions below), so the results equal transformers'
``EomtImageProcessor.post_process_*_segmentation`` (checked by the tests). The sliding-window mode
(``do_split_image=True``, outputs with ``patch_offsets``) is left to the processor's own method.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import torch
import torch.nn.functional as F

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

    if not size or "shortest_edge" not in size:
        raise ValueError(
            "EoMT outputs need the processor's size (e.g. {'shortest_edge': 640, 'longest_edge': 640}) to "
            f"find each image on the padded canvas; got size={size!r}. Fix: pass size=processor.size."
        )
    canvas = (int(size["shortest_edge"]), int(size.get("longest_edge") or size["shortest_edge"]))
    shown = get_size_with_aspect_ratio(tuple(target), size["shortest_edge"], size.get("longest_edge"))
    return canvas, (int(shown[0]), int(shown[1]))


def _check(outputs: object, target_sizes: object) -> list[Size]:
    if getattr(outputs, "patch_offsets", None):
        raise ValueError(
            "these EoMT outputs come from the sliding-window mode (patch_offsets): compatible=True handles "
            "the padded mode only. Fix: use processor.post_process_semantic_segmentation for split images."
        )
    if target_sizes is None:
        raise ValueError("EoMT's post-processing needs target_sizes, the original (height, width) per image.")
    pairs = (s.tolist() if isinstance(s, torch.Tensor) else s for s in target_sizes)
    return [(int(h), int(w)) for h, w in pairs]


def _image_logits(
    mask_logits: torch.Tensor, size: Mapping[str, int] | None, targets: list[Size]
) -> list[torch.Tensor]:
    """Resize to the canvas, crop each image's part, resize it to its target size (transformers' order)."""
    canvas, _ = canvas_and_image(size, targets[0])
    on_canvas = F.interpolate(mask_logits, size=canvas, mode="bilinear")
    out = []
    for logits, target in zip(on_canvas, targets, strict=True):
        _, (rows, cols) = canvas_and_image(size, target)
        crop = logits[:, :rows, :cols]
        out.append(F.interpolate(crop[None], size=target, mode="bilinear", align_corners=False)[0])
    return out


def panoptic_like_transformers(
    outputs: object,
    target_sizes: Sequence[Sequence[int]],
    size: Mapping[str, int] | None,
    *,
    threshold: float,
    mask_threshold: float,
    overlap_mask_area_threshold: float,
    label_ids_to_fuse: Iterable[int] | None,
) -> list[dict]:
    """transformers' EoMT panoptic post-processing step by step; ``label_ids_to_fuse`` = ``stuff_classes``."""
    targets = _check(outputs, target_sizes)
    class_logits, mask_logits = outputs.class_queries_logits, outputs.masks_queries_logits
    num_labels = class_logits.shape[-1] - 1
    per_image = _image_logits(mask_logits, size, targets)
    scores_all, labels_all = class_logits.softmax(dim=-1).max(-1)
    stuff = set(label_ids_to_fuse or ())
    results = []
    for logits, scores, labels, target in zip(per_image, scores_all, labels_all, targets, strict=True):
        keep = labels.ne(num_labels) & (scores > threshold)
        logits, scores, labels = logits[keep], scores[keep], labels[keep]
        if logits.shape[0] == 0:  # transformers: a float map of -1
            results.append({"segmentation": torch.zeros(target) - 1, "segments_info": []})
            continue
        probs = logits.sigmoid()
        owner = (scores[:, None, None] * probs).argmax(0)
        segmentation = torch.full(target, -1, dtype=torch.long, device=probs.device)
        segments, next_id, fused = [], 0, {}
        for k, label in enumerate(labels.tolist()):
            won, own = owner == k, probs[k] >= mask_threshold
            final = won & own
            won_area, own_area = won.sum(), own.sum()
            if not (won_area > 0 and own_area > 0 and final.sum() > 0):
                continue
            if not (won_area / own_area).item() > overlap_mask_area_threshold:
                continue
            if stuff and label in stuff:
                if label in fused:
                    segmentation[final] = fused[label]
                    continue
                fused[label] = next_id
            segmentation[final] = next_id
            segments.append({"id": next_id, "label_id": label, "score": round(scores[k].item(), 6)})
            next_id += 1
        results.append({"segmentation": segmentation, "segments_info": segments})
    return results


def instance_like_transformers(
    outputs: object,
    target_sizes: Sequence[Sequence[int]],
    size: Mapping[str, int] | None,
    *,
    threshold: float,
) -> list[dict]:
    """transformers' EoMT instance post-processing: each query's best class, mask where its logit > 0."""
    targets = _check(outputs, target_sizes)
    per_image = _image_logits(outputs.masks_queries_logits, size, targets)
    results = []
    for logits, class_logits, target in zip(per_image, outputs.class_queries_logits, targets, strict=True):
        scores, classes = class_logits.softmax(dim=-1)[..., :-1].max(-1)
        in_mask = (logits > 0).float()
        inside = (logits.sigmoid().flatten(1) * in_mask.flatten(1)).sum(1)
        final_scores = scores * (inside / (in_mask.flatten(1).sum(1) + 1e-6))
        segmentation = torch.zeros(target, device=logits.device) - 1
        segments = []
        for j in range(len(final_scores)):
            score = final_scores[j].item()
            if not torch.all(in_mask[j] == 0) and score >= threshold:
                segment_id = len(segments)
                segmentation[in_mask[j] == 1] = segment_id
                segments.append({"id": segment_id, "label_id": classes[j].item(), "score": round(score, 6)})
        results.append({"segmentation": segmentation, "segments_info": segments})
    return results


def semantic_like_transformers(
    outputs: object, target_sizes: Sequence[Sequence[int]], size: Mapping[str, int] | None
) -> list[torch.Tensor]:
    """transformers' EoMT semantic post-processing (it resizes the whole canvas: padding is not cropped)."""
    targets = _check(outputs, target_sizes)
    canvas, _ = canvas_and_image(size, targets[0])
    mask_logits = F.interpolate(outputs.masks_queries_logits, size=canvas, mode="bilinear")
    class_probs = outputs.class_queries_logits.softmax(dim=-1)[..., :-1]
    scores = torch.einsum("bqc, bqhw -> bchw", class_probs, mask_logits.sigmoid())
    return [
        F.interpolate(s[None], size=target, mode="bilinear", align_corners=False)[0].argmax(dim=0)
        for s, target in zip(scores, targets, strict=True)
    ]
