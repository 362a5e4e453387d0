"""A plain PyTorch training loop for DETR, MaskFormer, Mask2Former and EoMT.

The fine-tuning notebook shows :func:`train` as it is: seed, batches, AdamW with warm-up and cosine decay,
gradient clipping, EoMT's mask annealing, periodic evaluation and checkpoints. Every detail lives in a named
helper in
``segtutor.training.steps`` (the step itself) and ``segtutor.training.state`` (saving and resuming).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator
from accelerate.utils import gather_object, set_seed
from torch.utils.data import Dataset
from tqdm.auto import tqdm

from segtutor.cpu_sharing import rebalance
from segtutor.training.distributed import (
    counts_summed_across_processes,
    make_accelerator,
    use_main_process_buffers,
)
from segtutor.training.mask_annealing import anneal_attention_masks
from segtutor.training.state import LOG_FILE, load_training_state, save_checkpoint
from segtutor.training.steps import (
    StepBatchSampler,
    iterate_batches,
    make_optimizer,
    make_scheduler,
    move_to_device,
    training_step,
)

__all__ = ["TrainConfig", "TrainResult", "train"]

EvaluateFn = Callable[[torch.nn.Module], Mapping[str, float]]
LogFn = Callable[[dict[str, Any]], None]


@dataclass
class TrainConfig:
    """Settings of one training run (all saved in ``training_log.json``).

    Attributes
    ----------
    steps : int
        Optimisation steps, the training budget.
    batch_size : int
        Images per forward pass in each process. One optimisation step sees the *global batch*,
        ``batch_size × processes × grad_accum`` images (``batch_size`` alone in one process).
    grad_accum : int
        Forward / backward passes whose gradients add up before each optimisation step (gradient
        accumulation: a larger global batch in the same memory).
    learning_rate : float
        Peak AdamW learning rate, reached after ``warmup_steps``.
    backbone_lr_factor : float
        Multiplier of the learning rate for backbone parameters (0.1 is usual for a pretrained backbone).
    weight_decay : float
        AdamW weight decay (not applied to biases and normalisation weights).
    warmup_steps : int
        Linear warm-up length; then cosine decay to ``final_lr_ratio`` × the peak at the last step.
    final_lr_ratio : float
        Learning rate at the end, as a fraction of the peak.
    max_grad_norm : float or None
        Clip the global gradient norm to this value (``None`` or 0: no clipping).
    eval_every : int
        Evaluate every this many steps and at the end (0: only at the end; needs ``evaluate_fn``).
    save_every : int
        Write a resumable ``checkpoint-<step>`` folder every this many steps (0: only the final one).
    log_every : int
        Record loss and learning rate every this many steps (the mean loss since the last record).
    seed : int
        Seeds weights-independent randomness: batch order, augmentation, point sampling.
    device : str or None
        ``"cpu"``, ``"cuda"``, ``"mps"``; ``None`` picks the best available.
    precision : {"auto", "bf16", "fp16", "fp32", "no"}
        Mixed precision (Accelerate's autocast); ``"auto"`` is bf16 on CUDA and fp32 elsewhere, ``"no"`` is
        ``"fp32"``.
    """

    steps: int = 1000
    batch_size: int = 8
    grad_accum: int = 1
    learning_rate: float = 3e-4
    backbone_lr_factor: float = 1.0
    weight_decay: float = 1e-4
    warmup_steps: int = 50
    final_lr_ratio: float = 0.05
    max_grad_norm: float | None = 1.0
    eval_every: int = 0
    save_every: int = 0
    log_every: int = 10
    seed: int = 0
    device: str | None = None
    precision: str = "auto"

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "grad_accum"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainConfig.{name} must be a positive int, got {value!r}.")


@dataclass
class TrainResult:
    """What :func:`train` returns: the history (also in ``training_log.json``) and where it saved.

    Attributes
    ----------
    history : list of dict
        Training records ``{"step", "loss", "lr", "elapsed_s"}`` every ``log_every`` steps; EoMT's also hold
        ``"attn_mask_probs"`` (per masked block, see ``segtutor.training.mask_annealing``).
    evaluations : list of dict
        ``{"step", "elapsed_s", <metric>: value, ...}`` after each evaluation.
    output_dir : Path or None
        Final checkpoint folder.
    seconds : float
        Wall time of this call.
    num_processes : int
        Processes that trained together (``accelerate launch --num_processes``; 1 alone).
    global_batch_size : int
        Images per optimisation step over all processes: ``batch_size × num_processes × grad_accum``.
    """

    history: list[dict[str, Any]] = field(default_factory=list)
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    output_dir: Path | None = None
    seconds: float = 0.0
    num_processes: int = 1
    global_batch_size: int = 0


def train(
    model: torch.nn.Module,
    dataset: Dataset,
    collate_fn: Callable[[list[Any]], dict[str, Any]],
    config: TrainConfig,
    *,
    processor: Any | None = None,
    output_dir: str | Path | None = None,
    evaluate_fn: EvaluateFn | None = None,
    on_log: LogFn | None = None,
    resume: bool = False,
    progress: bool = True,
) -> TrainResult:
    """Train ``model`` on ``dataset`` for ``config.steps`` steps; save and return its history.

    Parameters
    ----------
    model : PreTrainedModel
        Computes its own loss from the batch (``mask_labels``/``class_labels``, or DETR's ``labels``).
    dataset : torch Dataset
        Training samples; ``collate_fn`` turns a list of them into the model's keyword arguments.
    collate_fn : callable
        E.g. the data package's collate function for the architecture.
    config : TrainConfig
        Budget and optimisation settings.
    processor : image processor, optional
        Saved next to the weights so the checkpoint loads with ``AutoImageProcessor``.
    output_dir : str or Path, optional
        Where the final checkpoint, ``training_log.json`` and ``checkpoint-<step>`` folders go.
    evaluate_fn : callable, optional
        ``evaluate_fn(model) -> {"PQ": 0.71, ...}``; called every ``config.eval_every`` steps and at the end
        (with the model in eval mode; training mode is restored afterwards).
    on_log : callable, optional
        Called with every new record (training or evaluation), e.g. to draw live curves.
    resume : bool
        Continue from the training state saved in ``output_dir``.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    TrainResult
    """
    start_time = time.perf_counter()
    accelerator = make_accelerator(config.device, config.precision, config.grad_accum)
    set_seed(config.seed, device_specific=True)  # seed + process index: each process its own random stream
    optimizer = make_optimizer(model, config.learning_rate, config.weight_decay, config.backbone_lr_factor)
    scheduler = make_scheduler(optimizer, config.warmup_steps, config.steps, config.final_lr_ratio)
    result = TrainResult(output_dir=Path(output_dir) if output_dir else None,
                         num_processes=accelerator.num_processes,
                         global_batch_size=config.batch_size * accelerator.num_processes * config.grad_accum)

    step = 0
    if resume:
        step = _resume(result, model, optimizer, scheduler, accelerator.process_index)
        anneal_attention_masks(model, step, config.steps)
    model, optimizer = accelerator.prepare(model.train(), optimizer)
    batches = iterate_batches(
        dataset, collate_fn,
        StepBatchSampler(len(dataset), result.global_batch_size, config.steps, step, config.seed),
        micro_batch=config.batch_size, process_index=accelerator.process_index,
        num_processes=accelerator.num_processes,
    )

    running_loss, n_losses = 0.0, 0
    bar = tqdm(total=config.steps, initial=step, desc="training", unit="step",
               disable=not (progress and accelerator.is_main_process))
    with _loss_normalisation(accelerator):
        for batch in batches:
            rebalance()  # a fair share of the CPUs when other kernels are busy (segtutor.cpu_sharing)
            loss = training_step(model, move_to_device(batch, accelerator.device), optimizer, accelerator,
                                 max_grad_norm=config.max_grad_norm)
            running_loss, n_losses = running_loss + loss, n_losses + 1
            if not accelerator.sync_gradients:
                continue  # more micro-batches to accumulate before this optimizer step
            scheduler.step()
            step += 1
            # EoMT only: lower each block's masked-attention probability (no mask at all by the end)
            mask_probs = anneal_attention_masks(accelerator.unwrap_model(model), step, config.steps)
            bar.update(1)
            if step % config.log_every == 0 or step == config.steps:
                mean_loss = _mean_over_processes(accelerator, running_loss / n_losses)
                record = {"step": step, "loss": mean_loss, "lr": max(scheduler.get_last_lr())}
                if mask_probs is not None:
                    record["attn_mask_probs"] = [round(p, 4) for p in mask_probs]
                _record(result.history, record, start_time, on_log)
                bar.set_postfix(loss=f"{record['loss']:.3f}")
                running_loss, n_losses = 0.0, 0
            if evaluate_fn is not None and _due(step, config.eval_every, config.steps):
                if accelerator.num_processes > 1:
                    use_main_process_buffers(model)
                metrics = _evaluate(accelerator.unwrap_model(model), evaluate_fn)
                _record(result.evaluations, {"step": step, **metrics}, start_time, on_log)
            if result.output_dir is not None and _due(step, config.save_every, config.steps):
                last = step == config.steps
                folder = result.output_dir if last else result.output_dir / f"checkpoint-{step}"
                _save(accelerator, folder, model, processor, training_log(config, result),
                      optimizer=optimizer, scheduler=scheduler, step=step)
    bar.close()
    result.seconds = time.perf_counter() - start_time
    if result.output_dir is not None:  # rewrite the log with the final wall time
        _save(accelerator, result.output_dir, model, processor, training_log(config, result))
    return result


def training_log(config: TrainConfig, result: TrainResult) -> dict[str, Any]:
    """The JSON document saved as ``training_log.json``: settings, history and evaluations."""
    return {
        "config": dataclasses.asdict(config),
        "num_processes": result.num_processes,
        "global_batch_size": result.global_batch_size,
        "history": result.history,
        "evaluations": result.evaluations,
        "seconds": round(result.seconds, 1),
    }


def _due(step: int, every: int, last: int) -> bool:
    return step == last or (every > 0 and step % every == 0)


def _record(
    records: list[dict[str, Any]], record: dict[str, Any], start: float, on_log: LogFn | None
) -> None:
    record["elapsed_s"] = round(time.perf_counter() - start, 2)
    records.append(record)
    if on_log is not None:
        on_log(dict(record))


def _evaluate(model: torch.nn.Module, evaluate_fn: EvaluateFn) -> dict[str, float]:
    model.eval()
    try:
        with torch.no_grad():
            metrics = evaluate_fn(model)
    finally:
        model.train()
    return {str(k): float(v) for k, v in metrics.items()}


def _loss_normalisation(accelerator: Accelerator) -> contextlib.AbstractContextManager:
    """Correct transformers' target counts in several processes (see ``segtutor.training.distributed``)."""
    if accelerator.num_processes > 1:
        return counts_summed_across_processes()
    return contextlib.nullcontext()


def _mean_over_processes(accelerator: Accelerator, value: float) -> float:
    """The mean of ``value`` over all processes (the loss of the global batch); ``value`` alone."""
    if accelerator.num_processes == 1:
        return value
    tensor = torch.tensor(value, dtype=torch.float64, device=accelerator.device)
    return float(accelerator.reduce(tensor, reduction="mean"))


def _save(accelerator: Accelerator, folder: Path, model: torch.nn.Module, processor: Any,
          log: dict[str, Any], **training_state: Any) -> None:
    """Write a checkpoint from the main process only; the others wait until it is complete."""
    # every process's random state, so that a resumed run continues each process's own stream
    rng_states = gather_object([torch.get_rng_state()]) if training_state else None
    if accelerator.is_main_process:
        save_checkpoint(folder, accelerator.unwrap_model(model), processor, log, rng_states=rng_states,
                        **training_state)
    accelerator.wait_for_everyone()


def _resume(result: TrainResult, model, optimizer, scheduler, process_index: int) -> int:
    if result.output_dir is None:
        raise ValueError("resume=True needs output_dir: the folder whose training state to continue from.")
    folder = _latest_state(result.output_dir)
    step = load_training_state(folder, optimizer, scheduler, process_index=process_index)
    # from_pretrained, not a raw safetensors load: transformers may rename keys when it saves.
    saved = type(model).from_pretrained(folder, use_safetensors=True, local_files_only=True)
    model.load_state_dict(saved.state_dict())
    log = json.loads((folder / LOG_FILE).read_text(encoding="utf-8"))
    result.history = [r for r in log.get("history", []) if r["step"] <= step]
    result.evaluations = [r for r in log.get("evaluations", []) if r["step"] <= step]
    return step


def _latest_state(output_dir: Path) -> Path:
    """The folder with the latest training state: ``output_dir`` or one of its ``checkpoint-<step>``."""
    candidates = [output_dir, *output_dir.glob("checkpoint-*")]
    best, best_step = output_dir, -1
    for folder in candidates:
        meta = folder / "training_state.json"
        if meta.is_file():
            step = json.loads(meta.read_text(encoding="utf-8"))["step"]
            if step > best_step:
                best, best_step = folder, step
    return best
