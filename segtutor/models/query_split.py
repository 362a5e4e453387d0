"""Split one stuff query in two: what a larger model often does for a big stuff region.

A model trained on real photos often covers a large stuff region (a lawn, the sky) with two or more queries,
each predicting the same class over part of the region. Panoptic post-processing then finds two segments of
that class, and ``label_ids_to_fuse`` merges them into one. segtutor's toy models were trained on scenes
with one sky and one grass region and use a single query for each, so fusion has nothing to merge.

:func:`split_stuff_query` edits a copy of the outputs to recreate the real-photo situation, openly: the query
that predicts a stuff class keeps the left part of its mask, and a spare query (the least confident one) is
given the same class scores and the right part. Nothing else changes, so the effect of fusion is visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

__all__ = ["QuerySplit", "split_stuff_query"]

#: Mask logit written where a query's half of the mask is removed (sigmoid(-20) is about 2e-9).
_OFF = -20.0


@dataclass(frozen=True)
class QuerySplit:
    """What :func:`split_stuff_query` changed in one image of the batch.

    Attributes
    ----------
    source : int
        The query that predicted the class; it keeps mask columns ``< column``.
    spare : int
        The query that now predicts the class too, with mask columns ``>= column``.
    column : int
        Split column on the mask grid (``masks_queries_logits`` width, not image pixels).
    label_id : int
        The class split.
    """

    source: int
    spare: int
    column: int
    label_id: int


def _best(class_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Best real class (not "no object") and its probability, per query."""
    probs = class_logits.softmax(-1)[:, :-1]
    return probs.max(-1)


def split_stuff_query(outputs: Any, label_id: int) -> tuple[Any, list[QuerySplit]]:
    """Return a copy of ``outputs`` in which the query of class ``label_id`` is split into two queries.

    Per image: the query whose best class is ``label_id`` with the highest probability (the source) keeps
    the columns of its mask left of the median column of its mask (pixels with mask logit > 0); the least
    confident other query (the spare) receives the source's class logits and the source's mask logits right
    of that column. Removed parts get a mask logit of -20.

    Parameters
    ----------
    outputs : Mask2FormerForUniversalSegmentationOutput or MaskFormerForInstanceSegmentationOutput
        With ``class_queries_logits`` ``(B, Q, K + 1)`` and ``masks_queries_logits`` ``(B, Q, h, w)``.
    label_id : int
        The stuff class to split (e.g. grass).

    Returns
    -------
    (outputs, splits)
        A new output object of the same type (the input and its tensors are not modified; the fields other
        than the two logits are shared) and one :class:`QuerySplit` per image.

    Raises
    ------
    ValueError
        If the outputs lack the two logits, no query predicts ``label_id`` in an image, its mask is empty,
        or it covers a single column (nothing to split).
    """
    try:
        class_logits = outputs.class_queries_logits
        mask_logits = outputs.masks_queries_logits
    except AttributeError:
        raise ValueError(
            f"outputs: expected a MaskFormer / Mask2Former output with class_queries_logits and "
            f"masks_queries_logits, got {type(outputs).__name__}. (DETR's outputs have logits and "
            "pred_masks instead.)"
        ) from None
    class_logits = class_logits.detach().clone()
    mask_logits = mask_logits.detach().clone()
    splits = []
    for b in range(class_logits.shape[0]):
        score, label = _best(class_logits[b])
        candidates = torch.nonzero(label == label_id).flatten()
        if candidates.numel() == 0:
            raise ValueError(
                f"image {b}: no query predicts label id {label_id} (best classes: "
                f"{sorted(set(label.tolist()))}). Pick a stuff class the model finds in this image."
            )
        source = int(candidates[score[candidates].argmax()])
        columns = torch.nonzero(mask_logits[b, source] > 0)[:, 1]
        if columns.numel() == 0 or int(columns.min()) == int(columns.max()):
            raise ValueError(
                f"image {b}: the mask of query {source} (label id {label_id}) covers "
                f"{'no' if columns.numel() == 0 else 'a single'} column; there is nothing to split."
            )
        column = max(int(columns.median()), int(columns.min()) + 1)
        others = score.clone()
        others[source] = float("inf")
        spare = int(others.argmin())
        right = mask_logits[b, source, :, column:].clone()
        mask_logits[b, spare] = _OFF
        mask_logits[b, spare, :, column:] = right
        mask_logits[b, source, :, column:] = _OFF
        class_logits[b, spare] = class_logits[b, source]
        splits.append(QuerySplit(source, spare, column, int(label_id)))
    fields = dict(outputs.items()) if hasattr(outputs, "items") else {}
    fields.update(class_queries_logits=class_logits, masks_queries_logits=mask_logits)
    return type(outputs)(**fields), splits
