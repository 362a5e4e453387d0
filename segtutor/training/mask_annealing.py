"""EoMT's mask annealing: masked attention helps early in training and is switched off by the end.

In EoMT the queries join the ViT's last ``num_blocks`` blocks. In each of those blocks a query may attend
only to the patches its current mask prediction covers (masked attention, as in Mask2Former), but every
query drops its mask with probability ``1 - p`` (``p`` per block, kept in the model's ``attn_mask_probs``
buffer). Training starts with ``p = 1`` in every block and lowers ``p`` to 0 block by block, so the trained
model attends without masks and inference needs none (no intermediate mask predictions at all).

The schedule is the one of the authors' training code (github.com/tue-mps/eomt,
``training/lightning_module.py``, ``mask_annealing``, and the COCO configs, e.g.
``configs/dinov2/coco/panoptic/eomt_large_640.yaml``): block ``i`` keeps ``p = 1`` until its start step,
then ``p = (1 - progress) ** 0.9`` (a polynomial decay, ``progress`` from 0 to 1 over its window), and
``p = 0`` from its end step on. With ``B`` blocks the training is cut into ``B + 2`` equal parts: block ``i``
anneals during part ``i + 1`` (COCO, 4 blocks, 12 epochs of about 88,700 steps: windows 14,782-29,564,
29,564-44,346, 44,346-59,128 and 59,128-73,910), so the last part trains with no mask at all.

transformers keeps the buffer (``EomtForUniversalSegmentation.attn_mask_probs``, saved with the weights)
but leaves the schedule to the training loop: :func:`anneal_attention_masks` is called after every step.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["POLY_POWER", "anneal_attention_masks", "annealing_windows", "mask_probability"]

#: Exponent of the polynomial decay (the authors' default ``poly_power``).
POLY_POWER = 0.9


def annealing_windows(total_steps: int, num_blocks: int) -> list[tuple[int, int]]:
    """Return ``(start, end)`` steps of each masked block's annealing, first block first.

    The ``total_steps`` are cut into ``num_blocks + 2`` equal parts and block ``i`` anneals during part
    ``i + 1``: the first part trains with every mask on, the last with every mask off.

    Raises
    ------
    ValueError
        If ``total_steps`` or ``num_blocks`` is not a positive int.
    """
    for name, value in (("total_steps", total_steps), ("num_blocks", num_blocks)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}.")
    part = total_steps / (num_blocks + 2)
    return [(round((i + 1) * part), round((i + 2) * part)) for i in range(num_blocks)]


def mask_probability(step: int, start: int, end: int, power: float = POLY_POWER) -> float:
    """Probability that a query keeps its attention mask after ``step`` steps, for a window ``start``-``end``.

    1 before ``start``, ``(1 - (step - start) / (end - start)) ** power`` inside the window, 0 from ``end``.
    """
    if step < start:
        return 1.0
    if step >= end:
        return 0.0
    return (1.0 - (step - start) / (end - start)) ** power


def anneal_attention_masks(model: Any, step: int, total_steps: int) -> list[float] | None:
    """Set an EoMT model's ``attn_mask_probs`` for ``step`` of ``total_steps``; return them.

    Models without masked-attention probabilities (DETR, MaskFormer, Mask2Former) are left alone and
    ``None`` is returned, so the training loop can call this for every family.
    """
    probs = getattr(model, "attn_mask_probs", None)
    if not isinstance(probs, torch.Tensor):
        return None
    windows = annealing_windows(total_steps, int(probs.numel()))
    values = [mask_probability(step, start, end) for start, end in windows]
    with torch.no_grad():
        probs.copy_(torch.tensor(values, dtype=probs.dtype, device=probs.device))
    return values
