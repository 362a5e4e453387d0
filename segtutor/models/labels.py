"""The categories a loaded model predicts: names, "thing" or "stuff", and display colours.

A transformers config stores only ``id2label`` (names). Drawing and panoptic post-processing also need to
know which classes are *stuff* (fused into one segment per image) and which are *things* (one segment per
object). :func:`model_categories` recovers that for the checkpoints the lessons use:

* segtutor's ToyShapes models (``sky``, ``grass``, ``circle``, ... in the ToyShapes order): the dataset's
  own categories, colours included;
* COCO panoptic models (the 133-class label map of the official MaskFormer / Mask2Former checkpoints, and
  DETR's): the 80 COCO object classes are things, the other classes stuff;
* anything else: every class is a thing unless ``thing_ids`` says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from segtutor.categories import Category, categories_from_id2label

__all__ = ["COCO_THING_NAMES", "model_categories"]

#: The 80 COCO object ("thing") classes, as named in the transformers configs of COCO checkpoints.
COCO_THING_NAMES: frozenset[str] = frozenset(
    {
        "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
        "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
        "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
        "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
        "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
        "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
        "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
        "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
        "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
        "teddy bear", "hair drier", "toothbrush",
    }
)  # fmt: skip

# A label map counts as COCO's when it names at least this many of the 80 thing classes.
_COCO_MIN_THINGS = 70
# Labels that are placeholders for unused ids (DETR's COCO map), never a real class.
_PLACEHOLDERS = frozenset({"N/A"})


def _id2label(model: Any) -> dict[int, str]:
    config = getattr(model, "config", model)
    labels = getattr(config, "id2label", None)
    if not isinstance(labels, dict) or not labels:
        raise TypeError(
            "model_categories: expected a transformers model, a LoadedModel or a config with an id2label "
            f"mapping; got {type(model).__name__}. Pass e.g. load_model(...).model."
        )
    return {int(k): str(v) for k, v in labels.items()}


def _toyshapes(labels: dict[int, str]) -> list[Category] | None:
    from segtutor.data.toyshapes import toyshapes_categories

    for with_star in (False, True):
        toy = toyshapes_categories(with_star=with_star)
        if labels == {c.id: c.name for c in toy}:
            return toy
    return None


def model_categories(model: Any, *, thing_ids: Iterable[int] | None = None) -> list[Category]:
    """Return the categories ``model`` predicts, with the thing / stuff split and fixed colours.

    Parameters
    ----------
    model : PreTrainedModel, LoadedModel or PretrainedConfig
        Anything with ``config.id2label`` (or ``id2label``); a :class:`LoadedModel` is read through its
        ``.model``.
    thing_ids : iterable of int, optional
        Which label ids are things. Overrides the automatic choice (ToyShapes / COCO / all things).

    Returns
    -------
    list of Category
        Sorted by label id; one per entry of ``id2label`` (DETR's ``"N/A"`` placeholders are left out).

    Raises
    ------
    TypeError
        If ``model`` has no ``id2label``.
    """
    model = getattr(model, "model", model)  # a LoadedModel
    labels = {k: v for k, v in _id2label(model).items() if v not in _PLACEHOLDERS}
    if thing_ids is not None:
        return categories_from_id2label(labels, thing_ids)
    toy = _toyshapes(labels)
    if toy is not None:
        return toy
    if len(COCO_THING_NAMES & set(labels.values())) >= _COCO_MIN_THINGS:
        return categories_from_id2label(labels, [k for k, v in labels.items() if v in COCO_THING_NAMES])
    return categories_from_id2label(labels)
