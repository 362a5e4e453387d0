"""The named pieces of the training loop: seeding, batches, optimizer, schedule, precision, one step.

``segtutor.training.loop.train`` reads top to bottom as a lesson; each detail it needs lives here under a
name that says what it does.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import torch
from accelerate import Accelerator
from torch.utils.data import Sampler

__all__ = [
    "StepBatchSampler",
    "iterate_batches",
    "make_optimizer",
    "make_scheduler",
    "move_to_device",
    "resolve_precision",
    "seed_everything",
    "training_step",
]


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch (CPU and all GPUs) so a run can be repeated exactly."""
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - third-party code may still use the global NumPy state
    torch.manual_seed(seed)


class StepBatchSampler(Sampler[list[int]]):
    """Yield the batches of steps ``start_step .. total_steps - 1``, reshuffled each epoch, resumable.

    The batch of step ``s`` depends only on ``(seed, s)``: epoch ``e = s // steps_per_epoch`` uses the
    permutation drawn from ``numpy.random.default_rng([seed, e])`` and the last incomplete batch of an epoch
    is dropped. A resumed run therefore sees exactly the batches the uninterrupted one would have seen.

    Parameters
    ----------
    dataset_size : int
        Number of samples (at least ``batch_size``).
    batch_size : int
        Samples per step: the global batch of all processes and micro-batches together.
    total_steps, start_step : int
        Range of optimisation steps to serve.
    seed : int
        Shuffling seed.
    """

    def __init__(
        self, dataset_size: int, batch_size: int, total_steps: int, start_step: int = 0, seed: int = 0
    ) -> None:
        if dataset_size < batch_size:
            raise ValueError(
                f"The training set has {dataset_size} samples, fewer than the {batch_size} images of one "
                "step (batch_size × processes × grad_accum). Lower batch_size or grad_accum, or add samples."
            )
        self.dataset_size = dataset_size
        self.batch_size = batch_size
        self.total_steps = total_steps
        self.start_step = start_step
        self.seed = seed
        self.steps_per_epoch = dataset_size // batch_size

    def batch_indices(self, step: int) -> list[int]:
        """Return the sample indices of optimisation step ``step``."""
        epoch, position = divmod(step, self.steps_per_epoch)
        order = np.random.default_rng([self.seed, epoch]).permutation(self.dataset_size)
        return order[position * self.batch_size : (position + 1) * self.batch_size].tolist()

    def __iter__(self) -> Iterator[list[int]]:
        for step in range(self.start_step, self.total_steps):
            yield self.batch_indices(step)

    def __len__(self) -> int:
        return max(0, self.total_steps - self.start_step)


def iterate_batches(
    dataset: Any,
    collate_fn: Callable[[list[Any]], Any],
    sampler: StepBatchSampler,
    *,
    micro_batch: int | None = None,
    process_index: int = 0,
    num_processes: int = 1,
) -> Iterator[Any]:
    """Yield this process's collated micro-batches of every step of ``sampler``, in order.

    Each global batch of ``sampler`` is split with :func:`~segtutor.training.distributed.process_share`
    into micro-batches of ``micro_batch`` samples (default: the whole batch, one process): this process
    gets ``sampler.batch_size // (micro_batch * num_processes)`` of them per step.
    Before each step, a dataset with ``set_epoch`` (e.g. ``segtutor.data.TrainingDataset``) is told the
    current epoch so that its random augmentation changes from epoch to epoch, and stays reproducible.
    Samples are loaded in the main process: on a CPU the model, not the data, is the bottleneck.
    """
    from segtutor.training.distributed import process_share

    micro_batch = micro_batch or sampler.batch_size
    micro_steps = sampler.batch_size // (micro_batch * num_processes)
    for step in range(sampler.start_step, sampler.total_steps):
        if hasattr(dataset, "set_epoch"):
            dataset.set_epoch(step // sampler.steps_per_epoch)
        indices = sampler.batch_indices(step)
        for micro_step in range(micro_steps):
            share = process_share(indices, micro_batch=micro_batch, micro_step=micro_step,
                                  process_index=process_index, num_processes=num_processes)
            yield collate_fn([dataset[i] for i in share])


def move_to_device(batch: Any, device: torch.device) -> Any:
    """Return ``batch`` with every tensor moved to ``device`` (dicts, lists and tuples are walked)."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, Mapping):
        return {key: move_to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(move_to_device(value, device) for value in batch)
    return batch


def make_optimizer(
    model: torch.nn.Module, learning_rate: float, weight_decay: float, backbone_lr_factor: float = 1.0
) -> torch.optim.AdamW:
    """AdamW over the trainable parameters, in four groups.

    Backbone parameters (names containing ``"backbone"``) get ``learning_rate * backbone_lr_factor`` (0.1
    is usual when the backbone is pretrained); biases and normalisation weights (1-D tensors) get no
    weight decay.
    """
    groups: dict[tuple[bool, bool], list[torch.nn.Parameter]] = {}
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            key = ("backbone" in name, parameter.ndim > 1)
            groups.setdefault(key, []).append(parameter)
    param_groups = [
        {
            "params": params,
            "lr": learning_rate * (backbone_lr_factor if is_backbone else 1.0),
            "weight_decay": weight_decay if decays else 0.0,
        }
        for (is_backbone, decays), params in sorted(groups.items())
    ]
    return torch.optim.AdamW(param_groups, lr=learning_rate, weight_decay=weight_decay)


def make_scheduler(
    optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int, final_lr_ratio: float = 0.05
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up from 0 over ``warmup_steps``, then cosine decay to ``final_lr_ratio`` × the peak."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        return final_lr_ratio + (1 - final_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def resolve_precision(precision: str, device: torch.device) -> str:
    """Return Accelerate's ``mixed_precision`` (``"bf16"``, ``"fp16"`` or ``"no"``) for ``precision``.

    ``"auto"`` means bf16 on a CUDA GPU that supports it and full fp32 elsewhere (CPU autocast is slower than
    fp32 for these small models, and MPS autocast is not reliable for every op yet). ``"bf16"`` / ``"fp16"``
    force a dtype (fp16 with loss scaling), ``"fp32"`` (or Accelerate's ``"no"``) turns autocast off.
    """
    if precision in ("fp32", "no"):
        return "no"
    if precision in ("bf16", "fp16"):
        return precision
    if precision == "auto":
        return "bf16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "no"
    raise ValueError(f"precision must be 'auto', 'bf16', 'fp16', 'fp32' or 'no', got {precision!r}.")


def training_step(
    model: torch.nn.Module,
    batch: Mapping[str, Any],
    optimizer: torch.optim.Optimizer,
    accelerator: Accelerator,
    *,
    max_grad_norm: float | None,
) -> float:
    """Forward and backward on one micro-batch; clip and update when it completes an optimizer step.

    ``batch`` holds the model's keyword arguments including the labels (``mask_labels`` and
    ``class_labels`` for MaskFormer / Mask2Former, ``labels`` for DETR), so the model computes its own loss.
    Inside ``accelerator.accumulate`` the gradients of ``grad_accum`` micro-batches add up (``backward``
    divides each loss by ``grad_accum``) and are averaged across processes; ``optimizer.step`` and
    ``zero_grad`` act only on the last micro-batch of a step (``accelerator.sync_gradients``).
    Returns the micro-batch's loss as a float.
    """
    with accelerator.accumulate(model):
        loss = model(**batch).loss
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"The loss is {loss.item()}: training diverged. "
                "Lower the learning rate or enable gradient clipping (max_grad_norm)."
            )
        accelerator.backward(loss)
        if max_grad_norm and accelerator.sync_gradients:
            accelerator.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return float(loss.detach())
