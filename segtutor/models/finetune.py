"""Start from a trained checkpoint and give it new classes: the first step of fine-tuning.

Every layer whose shape does not depend on the classes (backbone, pixel decoder, transformer decoder, mask
head) keeps its trained weights; the class head, whose output size is the number of classes + 1
("no object"), is created anew with random weights (``ignore_mismatched_sizes=True``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from transformers import AutoImageProcessor, AutoModelForUniversalSegmentation

__all__ = ["TRAINABLE_PARTS", "choose_trainable_parts", "load_for_finetuning", "set_class_loss_weight"]

#: What ``choose_trainable_parts`` can leave trainable, and the parameter-name prefixes it freezes.
TRAINABLE_PARTS: dict[str, tuple[str, ...]] = {
    "all": (),
    "decoder": ("model.pixel_level_module.",),  # MaskFormer / Mask2Former: backbone and pixel decoder
}

logger = logging.getLogger(__name__)


def load_for_finetuning(checkpoint: str | Path, id2label: Mapping[int, str]) -> tuple[Any, Any]:
    """Load ``checkpoint`` with the classes of ``id2label``, ready to train.

    Parameters
    ----------
    checkpoint : str or Path
        A checkpoint folder (e.g. ``data/checkpoints/toy-mask2former-panoptic``) or a Hub id.
    id2label : mapping of int to str
        The new classes, ids ``0..N-1``.

    Returns
    -------
    tuple of (PreTrainedModel, BaseImageProcessor)
        The model in training mode on the CPU (class head re-initialised when the number of classes
        changed) and the checkpoint's image processor.
    """
    labels = {int(k): str(v) for k, v in id2label.items()}
    if sorted(labels) != list(range(len(labels))):
        raise ValueError(
            f"id2label keys must be 0..N-1, got {sorted(labels)}; remap the dataset's ids first."
        )
    local = Path(checkpoint).is_dir()
    model = AutoModelForUniversalSegmentation.from_pretrained(
        str(checkpoint),
        id2label=labels,
        label2id={v: k for k, v in labels.items()},
        ignore_mismatched_sizes=True,
        use_safetensors=True,
        local_files_only=local,
    )
    processor = AutoImageProcessor.from_pretrained(str(checkpoint), local_files_only=local)
    logger.info("Loaded %s for fine-tuning on %d classes: %s", checkpoint, len(labels), list(labels.values()))
    return model.train(), processor


def choose_trainable_parts(model: Any, train: str = "all") -> dict[str, int]:
    """Freeze the parts of a MaskFormer / Mask2Former model that fine-tuning should leave as they are.

    Parameters
    ----------
    model : MaskFormerForInstanceSegmentation or Mask2FormerForUniversalSegmentation
        The model to fine-tune; changed in place (``requires_grad``).
    train : {"all", "decoder"}
        ``"all"``: every parameter trains. ``"decoder"``: the backbone and the pixel decoder (which turn
        pixels into features and per-pixel mask embeddings) stay frozen; the transformer decoder, the
        queries and the class and mask heads train. The optimiser then skips the frozen parameters.

    Returns
    -------
    dict
        ``{"trainable": n, "frozen": n}``, counted in parameters.

    Raises
    ------
    ValueError
        If ``train`` is unknown, or the model has none of the parts that ``train`` freezes.
    """
    if train not in TRAINABLE_PARTS:
        raise ValueError(f"train must be one of {sorted(TRAINABLE_PARTS)}, got {train!r}")
    prefixes = TRAINABLE_PARTS[train]
    counts = {"trainable": 0, "frozen": 0}
    for name, parameter in model.named_parameters():
        trainable = not name.startswith(prefixes)
        parameter.requires_grad_(trainable)
        counts["trainable" if trainable else "frozen"] += parameter.numel()
    if prefixes and counts["frozen"] == 0:
        raise ValueError(
            f"{type(model).__name__} has no parameter named {' or '.join(prefixes)}*: train={train!r} "
            "works for MaskFormer and Mask2Former; use train='all' for other models"
        )
    return counts


def set_class_loss_weight(model: Any, weight: float) -> float:
    """Set the weight of the classification term in a MaskFormer / Mask2Former training loss.

    The loss adds a class term (cross-entropy) and two mask terms (binary cross-entropy and dice), with
    weights from the configuration (``class_weight`` 2, ``mask_weight`` 5, ``dice_weight`` 5 by default).
    When the masks are already right and only the names are to be learned, a larger class weight puts
    the gradient where the work is. The matcher's costs are left as they are.

    Parameters
    ----------
    model : MaskFormerForInstanceSegmentation or Mask2FormerForUniversalSegmentation
        Changed in place.
    weight : float
        The new weight, > 0.

    Returns
    -------
    float
        The previous weight.
    """
    weights = getattr(model, "weight_dict", None)
    if not isinstance(weights, dict) or "loss_cross_entropy" not in weights:
        raise ValueError(
            f"{type(model).__name__} has no MaskFormer-style loss weights (weight_dict['loss_cross_entropy'])"
        )
    if not weight > 0:
        raise ValueError(f"the class loss weight must be > 0, got {weight}")
    previous = float(weights["loss_cross_entropy"])
    weights["loss_cross_entropy"] = float(weight)
    model.config.class_weight = float(weight)  # saved with the model, so the record is true
    return previous
