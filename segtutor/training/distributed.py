"""What changes when :func:`~segtutor.training.train` runs in several processes: the Accelerate pieces.

``accelerate launch --num_processes N segtutor-train ...`` starts ``N`` copies of the same program, one per
GPU (or CPU process). Each copy builds the same model, takes its own share of every global batch and
computes gradients on it; Accelerate averages the gradients between the copies before every optimizer step,
so all copies keep identical weights. Alone (``python`` / ``segtutor-train``), Accelerate is a single
process and changes nothing. This module holds the three details that are not one Accelerate call:

* :func:`make_accelerator`: the ``Accelerator`` for a :class:`~segtutor.training.TrainConfig`;
* :func:`process_share`: which images of a global batch this process trains on;
* :func:`counts_summed_across_processes`: a fix for transformers' loss normalisation (below);
* :func:`use_main_process_buffers`: BatchNorm's running statistics of the main process everywhere, before an
  evaluation (each process updates its own copy from its own images during training).

**The loss normalisation.** DETR, MaskFormer and Mask2Former divide their mask (and box) losses by the
number of target masks. With several processes, the original implementations sum the counts of all
processes and divide by the number of processes: every process then divides by the *average* count, and
averaging the gradients gives the loss of the global batch. transformers 5.24 counts with Accelerate's
``reduce``, whose default already averages, and then divides by the number of processes once more: the
mask and box terms come out ``N`` times too large next to the class term (checked in
``transformers/models/mask2former/modeling_mask2former.py``, ``Mask2FormerLoss.get_num_masks``; the same in
MaskFormer and in ``transformers/loss/loss_for_object_detection.py`` for DETR). While training in several
processes, :func:`counts_summed_across_processes` makes that ``reduce`` a sum, so the division gives the
average again. A single process is untouched: there ``reduce`` returns the count unchanged.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from collections.abc import Iterator

import accelerate.utils
import torch
from accelerate import Accelerator
from accelerate.state import AcceleratorState, PartialState

__all__ = ["counts_summed_across_processes", "make_accelerator", "process_share", "use_main_process_buffers"]

# The transformers modules that count target masks / boxes with ``accelerate.utils.reduce``.
_LOSS_MODULES = (
    "transformers.models.mask2former.modeling_mask2former",
    "transformers.models.maskformer.modeling_maskformer",
    "transformers.loss.loss_for_object_detection",
)


def make_accelerator(device: str | None, precision: str, grad_accum: int) -> Accelerator:
    """The ``Accelerator`` of one training run.

    Parameters
    ----------
    device : str or None
        ``"cpu"`` forces the CPU; ``"cuda"`` / ``"mps"`` / ``None`` let Accelerate pick this process's device
        (``cuda:<local rank>`` under ``accelerate launch``).
    precision : {"auto", "bf16", "fp16", "fp32", "no"}
        Autocast dtype, see :func:`~segtutor.training.steps.resolve_precision` (``"auto"``: bf16 on CUDA).
    grad_accum : int
        Micro-batches per optimizer step.

    Raises
    ------
    ValueError
        If the device Accelerate chose is not the kind asked for (e.g. ``device="cpu"`` when the launcher
        already set up CUDA: pass ``--cpu`` to ``accelerate launch``).
    """
    from segtutor.training.steps import resolve_precision

    if AcceleratorState._shared_state and PartialState().num_processes == 1:
        # One process (a notebook, a plain script): start afresh, so that every train() call may choose its
        # own precision and device. Accelerate otherwise keeps the first call's settings for the session.
        AcceleratorState._reset_state(reset_partial_state=True)
    process_device = PartialState(cpu=device == "cpu").device
    wanted = None if device is None else device.split(":")[0]
    if wanted is not None and process_device.type != wanted:
        raise ValueError(
            f"TrainConfig.device is {device!r} but Accelerate set up {process_device} for this process. "
            "Under accelerate launch, pass --cpu to train on CPUs, or omit --device to use the GPUs."
        )
    return Accelerator(
        cpu=device == "cpu",
        mixed_precision=resolve_precision(precision, process_device),
        gradient_accumulation_steps=grad_accum,
    )


def process_share(
    global_batch: list[int], *, micro_batch: int, micro_step: int, process_index: int, num_processes: int
) -> list[int]:
    """The sample indices that one process trains on in one micro-step of a global batch.

    The global batch of an optimizer step is cut into ``num_processes * grad_accum`` consecutive chunks of
    ``micro_batch`` indices; micro-step ``a`` of process ``r`` takes chunk ``a * num_processes + r``. So the
    same global batch is split the same way whatever the layout: 1 process × 4 micro-steps, 2 × 2, 4 × 1.
    """
    chunk = micro_step * num_processes + process_index
    return global_batch[chunk * micro_batch : (chunk + 1) * micro_batch]


@contextlib.contextmanager
def counts_summed_across_processes() -> Iterator[None]:
    """While active, transformers' losses sum (not average) target counts across processes.

    See the module docstring for why. Each module's ``reduce`` is swapped only if it is still Accelerate's
    own function, and restored on exit.
    """
    summed = functools.partial(accelerate.utils.reduce, reduction="sum")
    swapped = []
    for name in _LOSS_MODULES:
        module = importlib.import_module(name)
        if getattr(module, "reduce", None) is accelerate.utils.reduce:
            module.reduce = summed
            swapped.append(module)
    try:
        yield
    finally:
        for module in swapped:
            module.reduce = accelerate.utils.reduce


def use_main_process_buffers(model: torch.nn.Module) -> None:
    """Copy the main process's buffers (BatchNorm running statistics) into every process's model.

    The gradients, hence the weights, are the same in every process, but each process's BatchNorm layers
    update their running statistics from that process's images. The checkpoint holds the main process's;
    evaluating with them everywhere makes a distributed evaluation score the model that is saved.
    """
    for buffer in model.buffers():
        buffer.copy_(accelerate.utils.broadcast(buffer.detach().clone(), from_process=0))
