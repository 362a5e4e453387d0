"""Saving a training run so that it can be used (``from_pretrained``) and resumed, without pickle.

A checkpoint folder holds:

* ``config.json`` + ``model.safetensors``: the model, via ``save_pretrained`` (``id2label`` included);
* ``preprocessor_config.json``: the image processor;
* ``training_log.json``: the run's settings and its history (loss, learning rate, evaluation metrics);
* ``training_state.safetensors`` + ``training_state.json``: what resuming needs. Every tensor (AdamW's
  moments, the CPU random state of each process: ``rng.torch`` for the main one, ``rng.torch.<i>`` for
  process ``i`` of a multi-process run) goes to safetensors, every scalar (step, learning rates,
  scheduler counters) to JSON. We chose this over ``torch.save`` + ``torch.load(weights_only=True)``,
  which is also safe, because it keeps one weight format in the project and both files can be inspected
  with any tool.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

__all__ = ["STATE_FILES", "load_training_state", "save_checkpoint", "save_training_state", "write_json"]

STATE_FILES = ("training_state.safetensors", "training_state.json")
LOG_FILE = "training_log.json"


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented JSON (atomically: a crash never leaves half a file)."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def save_training_state(
    folder: str | Path,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    step: int,
    *,
    rng_states: list[torch.Tensor] | None = None,
) -> None:
    """Write the optimizer, scheduler, step and RNG state to ``folder`` (safetensors + JSON).

    ``rng_states`` are the CPU random states of all processes, main process first (default: this process's).
    """
    folder = Path(folder)
    opt = optimizer.state_dict()
    states = rng_states if rng_states else [torch.get_rng_state()]
    tensors: dict[str, torch.Tensor] = {_rng_key(i): state for i, state in enumerate(states)}
    scalars: dict[str, dict[str, Any]] = {}
    for index, per_param in opt["state"].items():
        for name, value in per_param.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer.{index}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(index), {})[name] = value
    save_file(tensors, str(folder / STATE_FILES[0]))
    write_json(
        folder / STATE_FILES[1],
        {
            "step": int(step),
            "optimizer_param_groups": opt["param_groups"],
            "optimizer_scalars": scalars,
            "scheduler": {k: v for k, v in scheduler.state_dict().items() if k != "lr_lambdas"},
        },
    )


def load_training_state(
    folder: str | Path,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    *,
    process_index: int = 0,
) -> int:
    """Restore what :func:`save_training_state` wrote into ``optimizer`` and ``scheduler``; return the step.

    The random state restored is process ``process_index``'s; a process the saved run did not have (resuming
    with more processes) keeps its seeded state.

    Raises
    ------
    FileNotFoundError
        If ``folder`` lacks ``training_state.safetensors`` or ``training_state.json``.
    ValueError
        If the saved optimizer has a different number of parameter groups (another model or settings).
    """
    folder = Path(folder)
    missing = [name for name in STATE_FILES if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"Cannot resume from {folder}: missing {', '.join(missing)}. Resume from a folder written by "
            "segtutor's train() (a checkpoint-<step> folder or the output folder), or start without --resume."
        )
    meta = json.loads((folder / STATE_FILES[1]).read_text(encoding="utf-8"))
    tensors = load_file(str(folder / STATE_FILES[0]))
    groups = meta["optimizer_param_groups"]
    if len(groups) != len(optimizer.param_groups):
        raise ValueError(
            f"{folder / STATE_FILES[1]}: optimizer_param_groups: saved {len(groups)} groups, the current "
            f"optimizer has {len(optimizer.param_groups)}. Resume with the same model and settings."
        )
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("optimizer."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    for index, values in meta["optimizer_scalars"].items():
        state.setdefault(int(index), {}).update(values)
    optimizer.load_state_dict({"state": state, "param_groups": groups})
    scheduler.load_state_dict({**meta["scheduler"], "lr_lambdas": [None] * len(optimizer.param_groups)})
    if _rng_key(process_index) in tensors:
        torch.set_rng_state(tensors[_rng_key(process_index)])
    return int(meta["step"])


def _rng_key(process_index: int) -> str:
    return "rng.torch" if process_index == 0 else f"rng.torch.{process_index}"


def save_checkpoint(
    folder: str | Path,
    model: Any,
    processor: Any | None,
    log: dict[str, Any],
    *,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    step: int | None = None,
    rng_states: list[torch.Tensor] | None = None,
) -> Path:
    """Write a loadable (and, with optimizer and scheduler, resumable) checkpoint to ``folder``.

    In a multi-process run only the main process calls it, with the unwrapped model and the random states
    of all processes (``rng_states``, see :func:`save_training_state`).

    Returns
    -------
    Path
        ``folder``, created if needed.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)  # safetensors, config.json with id2label / label2id
    if processor is not None:
        processor.save_pretrained(folder)
    write_json(folder / LOG_FILE, log)
    if optimizer is not None and scheduler is not None and step is not None:
        save_training_state(folder, optimizer, scheduler, step, rng_states=rng_states)
    return folder
