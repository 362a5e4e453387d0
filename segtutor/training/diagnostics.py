"""Check a model before training it: the loss terms of one batch, and the value theory predicts.

A fine-tuning run that starts wrong wastes all its steps. Two numbers catch most mistakes at step 0:

* the **class term** of a freshly initialised class head is the cross-entropy of a near-uniform guess over
  ``C + 1`` outputs (``C`` classes plus "no object"), so it should be close to ``ln(C + 1)``
  (:func:`expected_class_loss`); much more means the labels do not fit the head (ids outside ``0..C-1``);
* the **mask terms** (per-pixel loss and dice of the matched masks) show whether the mask head is
  already trained (low) or starts from scratch (dice near 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from segtutor.training.steps import move_to_device

__all__ = ["expected_class_loss", "loss_terms"]

# transformers' names of the three terms -> segtutor's short names
_TERMS = {"loss_cross_entropy": "class", "loss_mask": "mask", "loss_dice": "dice"}


def expected_class_loss(num_labels: int) -> float:
    """Return ``ln(num_labels + 1)``: the cross-entropy of a head that finds every output equally likely.

    Parameters
    ----------
    num_labels : int
        Number of classes ``C`` of the model (without "no object", which MaskFormer and Mask2Former add).

    Returns
    -------
    float
        The expected class term at step 0 for a new, randomly initialised class head, in nats.
    """
    if isinstance(num_labels, bool) or not isinstance(num_labels, int) or num_labels < 1:
        raise ValueError(f"num_labels must be a positive int (the number of classes), got {num_labels!r}.")
    return math.log(num_labels + 1)


def loss_terms(model: torch.nn.Module, batch: Mapping[str, Any], *, seed: int = 0) -> dict[str, float]:
    """Return the loss terms of one batch for a MaskFormer or Mask2Former model, without training it.

    The model runs in evaluation mode (BatchNorm statistics and dropout untouched) without gradients, and
    its previous mode is restored. The random point sampling of Mask2Former's mask loss is seeded with
    ``seed`` inside a forked random state, so the caller's random numbers are not consumed (on the CPU).

    Parameters
    ----------
    model : MaskFormerForInstanceSegmentation or Mask2FormerForUniversalSegmentation
        A model with a loss ``criterion`` and its ``weight_dict`` (transformers' universal segmentation
        models have both).
    batch : mapping
        Training inputs as made by ``segtutor.data.collate_fn``: ``pixel_values`` (B, 3, H, W) float32,
        ``pixel_mask`` (B, H, W) int64, ``mask_labels`` list of (N_i, H, W) float32 and ``class_labels``
        list of (N_i,) int64.

    Returns
    -------
    dict of str to float
        ``"class"``: cross-entropy of the final decoder layer's class predictions, unweighted (nats);
        ``"mask"``: per-pixel loss of its matched masks, unweighted (binary cross-entropy for
        Mask2Former, focal loss for MaskFormer); ``"dice"``: dice loss of its matched masks, in [0, 1];
        ``"total"``: the training loss the optimiser would see (weighted sum over
        all decoder layers, ``outputs.loss``).

    Raises
    ------
    TypeError
        If the model has no ``criterion`` / ``weight_dict`` (e.g. DETR, whose loss is organised differently).
    ValueError
        If ``batch`` lacks ``mask_labels`` or ``class_labels``.
    """
    if not hasattr(model, "criterion") or not hasattr(model, "weight_dict"):
        raise TypeError(
            f"loss_terms needs a MaskFormer or Mask2Former model (with .criterion and .weight_dict), got "
            f"{type(model).__name__}. For DETR, read outputs.loss after model(**batch)."
        )
    missing = [key for key in ("pixel_values", "mask_labels", "class_labels") if key not in batch]
    if missing:
        raise ValueError(
            f"batch is missing {missing}; build it with segtutor.data.collate_fn from a TrainingDataset."
        )
    device = next(model.parameters()).device
    inputs = move_to_device(dict(batch), device)
    was_training = model.training
    model.eval()
    try:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(seed)
            outputs = model(**inputs)
            terms = model.criterion(
                masks_queries_logits=outputs.masks_queries_logits,
                class_queries_logits=outputs.class_queries_logits,
                mask_labels=inputs["mask_labels"],
                class_labels=inputs["class_labels"],
            )
    finally:
        model.train(was_training)
    result = {short: float(terms[name]) for name, short in _TERMS.items()}
    result["total"] = float(outputs.loss)
    return result
