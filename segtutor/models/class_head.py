"""Give a fine-tuning model a head start: reuse the trained class-head rows of the classes it keeps.

``load_for_finetuning`` re-creates the whole class head when the number of classes changes, so even the
classes the checkpoint already knew start from random weights. Each class has its own row in the head (one
output per class, plus "no object"), so the rows of the classes both label maps share, matched by name, and
the "no object" row can be copied over: those classes keep what they learned, only the new ones start from
scratch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

__all__ = ["reuse_class_rows"]


def _class_layer(model: Any) -> torch.nn.Linear:
    """The linear layer that maps a query to class logits (last output = "no object")."""
    layer = getattr(model, "class_predictor", None)  # MaskFormer, Mask2Former
    if layer is None and hasattr(model, "detr"):  # DetrForSegmentation
        layer = model.detr.class_labels_classifier
    if layer is None:
        layer = getattr(model, "class_labels_classifier", None)  # DetrForObjectDetection
    if not isinstance(layer, torch.nn.Linear):
        raise TypeError(
            f"reuse_class_rows supports DETR, MaskFormer and Mask2Former models, got {type(model).__name__} "
            "(no class_predictor / class_labels_classifier layer)."
        )
    return layer


def reuse_class_rows(source: Any, target: Any, *, start_new_from: Sequence[str] = ()) -> list[str]:
    """Copy the class-head rows of every class ``target`` shares with ``source`` (by name) and "no object".

    With ``start_new_from``, the rows of the new classes (those ``source`` does not know) start from the
    mean of the named classes' trained rows instead of random weights: a new shape starts as "a thing like
    these", and training only has to tell it apart from them.

    Parameters
    ----------
    source : DETR, MaskFormer or Mask2Former model
        The trained checkpoint (left untouched).
    target : model of the same architecture and width
        The model being fine-tuned, e.g. from ``load_for_finetuning``; its class head is changed in place.
    start_new_from : sequence of str
        Names of classes of ``source`` whose mean row initialises every new class (default: none, the new
        rows keep their random weights).

    Returns
    -------
    list of str
        The class names whose rows were copied, in ``target``'s label order (empty when no name is shared;
        the "no object" row is copied in every case).

    Raises
    ------
    TypeError
        If either model has no class head of a supported architecture.
    ValueError
        If the two heads read queries of different widths (not the same architecture and size), or a name
        in ``start_new_from`` is not a class of ``source``.
    """
    old, new = _class_layer(source), _class_layer(target)
    if old.in_features != new.in_features:
        raise ValueError(
            f"The class heads read queries of different widths: source {old.in_features}, target "
            f"{new.in_features}. The target must be a fine-tuning copy of the source checkpoint."
        )
    old_ids = {str(name): int(i) for i, name in source.config.id2label.items()}
    unknown = [name for name in start_new_from if name not in old_ids]
    if unknown:
        raise ValueError(f"start_new_from names {unknown}, which the source checkpoint does not know: "
                         f"pick from {sorted(old_ids)}")
    copied = []
    with torch.no_grad():
        for i, name in sorted((int(i), str(n)) for i, n in target.config.id2label.items()):
            if name in old_ids:
                new.weight[i] = old.weight[old_ids[name]]
                new.bias[i] = old.bias[old_ids[name]]
                copied.append(name)
            elif start_new_from:
                rows = [old_ids[n] for n in start_new_from]
                new.weight[i] = old.weight[rows].mean(dim=0)
                new.bias[i] = old.bias[rows].mean()
        new.weight[-1] = old.weight[-1]  # "no object"
        new.bias[-1] = old.bias[-1]
    return copied
