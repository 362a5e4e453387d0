"""Models: the checkpoint registry, offline-first loading, tiny configurations, fine-tuning setup.

Usage::

    from segtutor.models import load_model

    loaded = load_model("mask2former", "panoptic")   # official checkpoint online, bundled toy offline
    print(loaded.message)                            # which checkpoint, and why
    model, processor = loaded
"""

from segtutor.models.class_head import reuse_class_rows
from segtutor.models.finetune import choose_trainable_parts, load_for_finetuning, set_class_loss_weight
from segtutor.models.labels import COCO_THING_NAMES, model_categories
from segtutor.models.loading import HubUnavailableError, LoadedModel, load_model, load_pretrained
from segtutor.models.query_split import QuerySplit, split_stuff_query
from segtutor.models.registry import (
    ARCHITECTURES,
    CHECKPOINTS,
    TASKS,
    CheckpointEntry,
    bundled_checkpoint,
    checkpoints_dir,
    find_checkpoint,
)
from segtutor.models.tiny import build_tiny_model, make_image_processor, tiny_config

__all__ = [
    "ARCHITECTURES",
    "CHECKPOINTS",
    "COCO_THING_NAMES",
    "TASKS",
    "CheckpointEntry",
    "HubUnavailableError",
    "LoadedModel",
    "QuerySplit",
    "build_tiny_model",
    "bundled_checkpoint",
    "checkpoints_dir",
    "choose_trainable_parts",
    "find_checkpoint",
    "load_for_finetuning",
    "load_model",
    "load_pretrained",
    "make_image_processor",
    "model_categories",
    "reuse_class_rows",
    "set_class_loss_weight",
    "split_stuff_query",
    "tiny_config",
]
