"""Evaluation metrics: PQ / SQ / RQ (panoptic), mask mAP (instance), mIoU (semantic), and ``evaluate``.

High level: :func:`evaluate` runs a model on a dataset and returns an :class:`EvaluationResult`.
Low level: :func:`panoptic_quality`, :func:`mask_map` and :func:`mean_iou` score predictions you already have
against :class:`~segtutor.data.targets.Sample` ground truth (the scorer classes do the same one image at a
time). All scores are fractions in [0, 1]; tables show them in %.
"""

from segtutor.metrics.describe import (
    describe_class_review,
    describe_panoptic_prediction,
    describe_task_agreement,
)
from segtutor.metrics.evaluate import TASKS, evaluate
from segtutor.metrics.instance import InstanceScorer, mask_map
from segtutor.metrics.panoptic import PanopticScorer, panoptic_quality
from segtutor.metrics.result import EvaluationResult
from segtutor.metrics.semantic import SemanticScorer, mean_iou
from segtutor.metrics.table import Table

__all__ = [
    "TASKS",
    "EvaluationResult",
    "InstanceScorer",
    "PanopticScorer",
    "SemanticScorer",
    "Table",
    "describe_class_review",
    "describe_panoptic_prediction",
    "describe_task_agreement",
    "evaluate",
    "mask_map",
    "mean_iou",
    "panoptic_quality",
]
