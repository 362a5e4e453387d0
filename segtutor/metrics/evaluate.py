"""Evaluate a segmentation model on a dataset: PQ for panoptic, mask mAP for instances, mIoU for semantic.

One forward pass per batch serves every requested task; each task then has its own post-processing and its
own scorer (:class:`PanopticScorer`, :class:`InstanceScorer`, :class:`SemanticScorer`).
"""

from __future__ import annotations

import functools
import itertools
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Literal

import torch

from segtutor.categories import Category
from segtutor.cpu_sharing import rebalance
from segtutor.data.targets import Sample
from segtutor.metrics._postprocess import family, postprocess_batch
from segtutor.metrics.describe import PredictionReview, review_panoptic_prediction
from segtutor.metrics.instance import InstanceScorer
from segtutor.metrics.panoptic import PanopticScorer
from segtutor.metrics.result import EvaluationResult
from segtutor.metrics.semantic import SemanticScorer

__all__ = ["TASKS", "evaluate"]

Task = Literal["panoptic", "instance", "semantic", "all"]

#: The three tasks, in the order results are reported.
TASKS: tuple[str, ...] = ("panoptic", "instance", "semantic")

_SCORERS = {"panoptic": PanopticScorer, "instance": InstanceScorer, "semantic": SemanticScorer}


def evaluate(
    model: Any,
    processor: Any,
    samples: Iterable[Sample],
    *,
    task: Task | Sequence[str] = "panoptic",
    batch_size: int = 4,
    device: torch.device | str | None = None,
    max_images: int | None = None,
    threshold: float = 0.5,
    instance_threshold: float = 0.0,
    mask_threshold: float = 0.5,
    overlap_mask_area_threshold: float = 0.8,
    postprocessor: Literal["auto", "segtutor", "transformers"] = "auto",
    name: str | None = None,
    across_processes: bool = False,
    review: bool = False,
) -> EvaluationResult:
    """Run ``model`` on ``samples`` and score its predictions against their ground truth.

    Parameters
    ----------
    model : DetrForSegmentation, MaskFormerForInstanceSegmentation or Mask2FormerForUniversalSegmentation
        Its label ids must be the dataset's category ids (true for segtutor's checkpoints and ToyShapes).
        Put in evaluation mode for the run and restored afterwards.
    processor : image processor
        The model's image processor (pre- and post-processing).
    samples : iterable of Sample
        Ground truth, e.g. ``open_dataset(root, "val", "panoptic")``. Panoptic samples support every task.
    task : {"panoptic", "instance", "semantic", "all"} or sequence of them
        ``"all"`` scores the three tasks from one forward pass per batch.
    batch_size : int
        Images per forward pass. Consecutive images of the same size are batched together.
    device : torch.device or str, optional
        Where to run; the model is moved there. Default: the device the model is on.
    max_images : int, optional
        Evaluate only the first ``max_images`` samples.
    threshold : float
        Panoptic post-processing: minimum class probability for a query to become a segment.
    instance_threshold : float
        Instance post-processing: minimum score to keep a prediction. AP ranks predictions by score, so the
        default keeps them all.
    mask_threshold, overlap_mask_area_threshold : float
        Passed to the post-processing (see transformers' ``post_process_panoptic_segmentation``).
    postprocessor : {"auto", "segtutor", "transformers"}
        Who turns outputs into maps. ``"auto"``: :mod:`segtutor.postprocess` for MaskFormer / Mask2Former
        (it crops the processor's padding), the image processor's ``post_process_*`` methods for DETR.
        ``"transformers"`` forces the image processor's methods (with padding cropped here first).
    name : str, optional
        Name shown in the result; default the model's checkpoint path or class name.
    across_processes : bool
        Under ``accelerate launch`` (every process calls ``evaluate`` with the same samples): each process
        runs the model on its share of the batches, the predictions are gathered, and every process scores
        all of them, in order. The metrics equal those of one process evaluating everything (each batch is
        the same). It keeps all samples and predictions in memory at once. Alone, it changes nothing.
    review : bool
        With the panoptic task, also sort every annotated thing into found, found roughly, confused,
        missed, and count the invented predictions (``EvaluationResult.review``, for
        :func:`~segtutor.metrics.describe.describe_class_review`). Off by default: it compares every
        annotated segment with every predicted one, pixel by pixel (about 1 s for a 640x480 image with
        48 segments on each side), far more than the scores need.

    Returns
    -------
    EvaluationResult
        ``result.metrics`` holds fractions in [0, 1]: ``PQ, SQ, RQ`` (+ ``_th`` / ``_st``), ``mAP, mAP_50,
        mAP_75`` and/or ``mIoU``; ``result.to_markdown()`` / ``result.as_dict()`` for display and logs.

    Raises
    ------
    ValueError
        For an unknown task, no samples, or predictions with label ids that are not dataset categories.
    TypeError
        For a model that is not DETR, MaskFormer or Mask2Former.
    """
    tasks = _parse_tasks(task)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
    kind = family(model)
    stream = iter(samples if max_images is None else itertools.islice(samples, max_images))
    first = next(stream, None)
    if first is None:
        raise ValueError("evaluate() got no samples. Pass a dataset with at least one image.")
    categories = first.categories
    _warn_on_label_mismatch(model, categories)
    scorers = {t: _SCORERS[t](categories) for t in tasks}
    stuff_ids = {c.id for c in categories if not c.isthing}

    if device is not None:
        model.to(device)
    run_device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    start = time.perf_counter()
    count = 0
    summed = PredictionReview() if review and "panoptic" in tasks else None
    options = {"threshold": threshold, "instance_threshold": instance_threshold,
               "mask_threshold": mask_threshold, "overlap_mask_area_threshold": overlap_mask_area_threshold,
               "postprocessor": postprocessor}
    predict = functools.partial(_predict, model, processor, tasks=tasks, stuff_ids=stuff_ids,
                                device=run_device, options=options)
    try:
        batches = _batches(itertools.chain([first], stream), batch_size)
        if across_processes:
            pairs = _predicted_across_processes(list(batches), predict)
        else:
            pairs = ((batch, predict(batch)) for batch in batches)
        for batch, predictions in pairs:
            rebalance()  # a fair share of the CPUs when other kernels are busy (segtutor.cpu_sharing)
            for t in tasks:
                for prediction, sample in zip(predictions[t], batch, strict=True):
                    scorers[t].update(prediction, sample)
                    if t == "panoptic" and summed is not None:  # what became of each annotated thing
                        summed += review_panoptic_prediction(sample, prediction, categories)
            count += len(batch)
    finally:
        model.train(was_training)

    metrics: dict[str, float] = {}
    for t in tasks:
        metrics.update(scorers[t].compute())
    return EvaluationResult(
        model=name or _model_name(model, kind),
        tasks=tasks,
        num_images=count,
        metrics=metrics,
        per_class=_merge_per_class(categories, [scorers[t].per_class() for t in tasks]),
        seconds=time.perf_counter() - start,
        review=summed,
    )


def _predict(
    model: Any, processor: Any, batch: list[Sample], *, tasks: tuple[str, ...], stuff_ids: set[int],
    device: torch.device, options: dict[str, Any],
) -> dict[str, list[Any]]:
    """One forward pass over ``batch`` and its post-processing for every task."""
    images = [s.image for s in batch]
    inputs = processor(images=images, return_tensors="pt", input_data_format="channels_last")
    pixel_mask = inputs.get("pixel_mask")
    pixel_mask = None if pixel_mask is None else pixel_mask.to(device)
    with torch.inference_mode():
        outputs = model(pixel_values=inputs["pixel_values"].to(device), pixel_mask=pixel_mask)
    return postprocess_batch(
        model, processor, outputs, tasks=tasks, target_sizes=[(s.height, s.width) for s in batch],
        pixel_mask=pixel_mask, stuff_ids=stuff_ids, **options,
    )


def _predicted_across_processes(
    batches: list[list[Sample]], predict: Callable[[list[Sample]], dict[str, list[Any]]]
) -> Iterator[tuple[list[Sample], dict[str, list[Any]]]]:
    """``(batch, predictions)`` for every batch, each process predicting a consecutive share of them.

    Accelerate's ``split_between_processes`` gives each process its share; ``gather_object`` returns the
    predictions of all processes in process order, which is the order of ``batches``.
    """
    from accelerate import PartialState
    from accelerate.utils import gather_object, send_to_device

    with PartialState().split_between_processes(batches) as mine:
        predicted = [send_to_device(predict(batch), "cpu") for batch in mine]
    return zip(batches, gather_object(predicted), strict=True)


def _parse_tasks(task: str | Sequence[str]) -> tuple[str, ...]:
    requested = TASKS if task == "all" else ((task,) if isinstance(task, str) else tuple(task))
    unknown = [t for t in requested if t not in TASKS]
    if unknown or not requested:
        raise ValueError(f"task must be one of {(*TASKS, 'all')} or a sequence of them, got {task!r}.")
    return tuple(t for t in TASKS if t in requested)


def _batches(samples: Iterable[Sample], batch_size: int) -> Iterator[list[Sample]]:
    """Yield lists of up to ``batch_size`` consecutive samples that share one image size."""
    batch: list[Sample] = []
    for sample in samples:
        if batch and (len(batch) == batch_size or sample.image.shape != batch[0].image.shape):
            yield batch
            batch = []
        batch.append(sample)
    if batch:
        yield batch


def _warn_on_label_mismatch(model: Any, categories: Sequence[Category]) -> None:
    id2label = {int(k): str(v) for k, v in getattr(model.config, "id2label", {}).items()}
    names = {c.id: c.name for c in categories}
    differ = {i: (id2label.get(i), names[i]) for i in names if id2label.get(i) not in (None, names[i])}
    if differ:
        warnings.warn(
            f"The model's id2label and the dataset's categories name these ids differently (model, dataset): "
            f"{differ}. Scores assume label id i means category id i; remap the labels if that is not so.",
            UserWarning,
            stacklevel=3,
        )


def _model_name(model: Any, kind: str) -> str:
    path = getattr(model.config, "name_or_path", "") or getattr(model, "name_or_path", "")
    return str(path) if path else f"{type(model).__name__} ({kind})"


def _merge_per_class(
    categories: Sequence[Category], tables: list[list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    rows = {
        c.id: {"id": c.id, "name": c.name, "isthing": c.isthing}
        for c in sorted(categories, key=lambda c: c.id)
    }
    for table in tables:
        for row in table:
            rows[row["id"]].update({k: v for k, v in row.items() if k not in ("id", "name", "isthing")})
    return [rows[i] for i in sorted(rows)]
