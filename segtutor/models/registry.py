"""Which checkpoint to use for each architecture and task: the official Hub ids and segtutor's bundled toys.

The official checkpoints are the ones the papers' authors released through the Hugging Face Hub. The
bundled ones are tiny models this project trained on ToyShapes (``data/checkpoints/<name>``); they are
used when the Hub cannot be reached. Both load with the same ``from_pretrained`` call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from segtutor.paths import data_dir

__all__ = [
    "ARCHITECTURES",
    "CHECKPOINTS",
    "TASKS",
    "CheckpointEntry",
    "bundled_checkpoint",
    "checkpoints_dir",
    "find_checkpoint",
]

#: Architectures, oldest first (DETR 2020, MaskFormer 2021, Mask2Former 2022, EoMT 2025).
ARCHITECTURES: tuple[str, ...] = ("detr", "maskformer", "mask2former", "eomt")
#: Segmentation tasks.
TASKS: tuple[str, ...] = ("panoptic", "instance", "semantic")


@dataclass(frozen=True)
class CheckpointEntry:
    """One row of the registry.

    Attributes
    ----------
    architecture : str
        ``"detr"``, ``"maskformer"``, ``"mask2former"`` or ``"eomt"``.
    task : str
        ``"panoptic"``, ``"instance"`` or ``"semantic"``: the output the lesson wants.
    hub_id : str
        Official checkpoint on the Hugging Face Hub.
    hub_trained_for : str
        The task ``hub_id`` was trained for; differs from ``task`` when a universal model is post-processed
        for another task (e.g. DETR's panoptic checkpoint used for instances).
    dataset : str
        Training data of the official checkpoint.
    bundled : str
        Name of the bundled toy checkpoint folder in ``data/checkpoints`` (always panoptic).
    """

    architecture: str
    task: str
    hub_id: str
    hub_trained_for: str
    dataset: str
    bundled: str


def _entry(arch: str, task: str, hub_id: str, trained_for: str, dataset: str) -> CheckpointEntry:
    return CheckpointEntry(arch, task, hub_id, trained_for, dataset, f"toy-{arch}-panoptic")


#: The registry: one entry per (architecture, task).
CHECKPOINTS: tuple[CheckpointEntry, ...] = (
    _entry("mask2former", "panoptic", "facebook/mask2former-swin-tiny-coco-panoptic", "panoptic",
           "COCO panoptic"),
    _entry("mask2former", "instance", "facebook/mask2former-swin-tiny-coco-instance", "instance",
           "COCO instances"),
    _entry("mask2former", "semantic", "facebook/mask2former-swin-tiny-ade-semantic", "semantic", "ADE20K"),
    _entry("maskformer", "panoptic", "facebook/maskformer-swin-tiny-coco", "panoptic", "COCO panoptic"),
    # MaskFormer has no official instance checkpoint: its panoptic one is post-processed for instances.
    _entry("maskformer", "instance", "facebook/maskformer-swin-tiny-coco", "panoptic", "COCO panoptic"),
    _entry("maskformer", "semantic", "facebook/maskformer-swin-tiny-ade", "semantic", "ADE20K"),
    _entry("detr", "panoptic", "facebook/detr-resnet-50-panoptic", "panoptic", "COCO panoptic"),
    _entry("detr", "instance", "facebook/detr-resnet-50-panoptic", "panoptic", "COCO panoptic"),
    _entry("detr", "semantic", "facebook/detr-resnet-50-panoptic", "panoptic", "COCO panoptic"),
    # EoMT-L (DINOv2 ViT-L/16), one checkpoint per task, as listed in the model zoo of the authors'
    # repository (github.com/tue-mps/eomt, model_zoo/dinov2.md): COCO panoptic 640 px 56.0 PQ, COCO instance
    # 640 px 45.2 mAP (pycocotools), ADE20K semantic 512 px 58.4 mIoU.
    _entry("eomt", "panoptic", "tue-mps/coco_panoptic_eomt_large_640", "panoptic", "COCO panoptic"),
    _entry("eomt", "instance", "tue-mps/coco_instance_eomt_large_640", "instance", "COCO instances"),
    _entry("eomt", "semantic", "tue-mps/ade20k_semantic_eomt_large_512", "semantic", "ADE20K"),
)


def find_checkpoint(architecture: str, task: str = "panoptic") -> CheckpointEntry:
    """Return the registry entry for ``architecture`` and ``task``.

    Raises
    ------
    ValueError
        If the architecture or task is unknown (the message lists the valid names).
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}.")
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}.")
    for entry in CHECKPOINTS:
        if entry.architecture == architecture and entry.task == task:
            return entry
    raise ValueError(f"No checkpoint registered for {architecture!r} and task {task!r}.")  # pragma: no cover


def checkpoints_dir() -> Path:
    """Return the folder of the bundled checkpoints: ``<data dir>/checkpoints`` (see ``segtutor.paths``)."""
    return data_dir() / "checkpoints"


def bundled_checkpoint(architecture: str) -> Path:
    """Return the folder of the bundled toy checkpoint of ``architecture`` (panoptic, trained on ToyShapes).

    Raises
    ------
    ValueError
        If the architecture is unknown.
    FileNotFoundError
        If the folder or its ``model.safetensors`` is missing (the message says how to re-create it).
    """
    entry = find_checkpoint(architecture, "panoptic")
    path = checkpoints_dir() / entry.bundled
    if not (path / "model.safetensors").is_file():
        raise FileNotFoundError(
            f"Bundled checkpoint {path} has no model.safetensors. Re-create it with the command in the model "
            f"card of the repository (segtutor-train --architecture {architecture} ...), or set "
            "SEGTUTOR_DATA_DIR to a data folder that holds data/checkpoints."
        )
    return path
