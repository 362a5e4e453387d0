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

__all__ = ["load_for_finetuning"]

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
