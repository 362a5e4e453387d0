"""Training: a plain PyTorch loop for DETR, MaskFormer, Mask2Former and EoMT, and the ``segtutor-train`` CLI.

Usage::

    from segtutor.data import TrainingDataset, collate_fn, open_dataset
    from segtutor.models import build_tiny_model, make_image_processor
    from segtutor.training import TrainConfig, train

    processor = make_image_processor("mask2former")
    dataset = TrainingDataset(open_dataset(None, "train"), processor, augment=True)
    model = build_tiny_model("mask2former", dataset.id2label)
    result = train(model, dataset, collate_fn, TrainConfig(steps=200), processor=processor, output_dir="run")
"""

from segtutor.training.diagnostics import expected_class_loss, loss_terms
from segtutor.training.loop import TrainConfig, TrainResult, train
from segtutor.training.mask_annealing import anneal_attention_masks, annealing_windows
from segtutor.training.outcome import (
    fine_tuning_checks,
    fine_tuning_summary,
    read_run_record,
    write_run_record,
)
from segtutor.training.state import load_training_state, save_checkpoint, save_training_state
from segtutor.training.steps import StepBatchSampler, make_optimizer, make_scheduler, seed_everything

__all__ = [
    "StepBatchSampler",
    "TrainConfig",
    "TrainResult",
    "anneal_attention_masks",
    "annealing_windows",
    "expected_class_loss",
    "fine_tuning_checks",
    "fine_tuning_summary",
    "load_training_state",
    "loss_terms",
    "make_optimizer",
    "make_scheduler",
    "read_run_record",
    "save_checkpoint",
    "save_training_state",
    "seed_everything",
    "train",
    "write_run_record",
]
