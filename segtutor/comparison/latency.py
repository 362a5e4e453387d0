"""Forward-pass latency of several models measured side by side, fairly, in one process.

Timing one model after the other is unfair on a shared or thermally throttled machine: whoever runs while
the CPU is busy loses. So every model is warmed up first, then the repeats are *interleaved* (round r runs
each model once, in an order that rotates every round) and each model's *median* is reported.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping

import torch

from segtutor.metrics.table import Table

__all__ = ["measure_latency"]


def measure_latency(
    models: Mapping[str, torch.nn.Module],
    *,
    height: int = 384,
    width: int = 384,
    batch_size: int = 1,
    repeats: int = 5,
    warmup: int = 1,
    num_threads: int | None = None,
    seed: int = 0,
    title: str = "",
) -> Table:
    """Time one forward pass (no post-processing) of each model on the CPU, interleaved.

    Parameters
    ----------
    models : mapping of str to model
        Display name → model taking ``pixel_values`` and ``pixel_mask`` (DETR, MaskFormer, Mask2Former).
        Each is run in evaluation mode and put back in its previous mode afterwards.
    height, width : int
        Input resolution in pixels (what the image processor would produce).
    batch_size : int
        Images per forward pass.
    repeats : int
        Timed forward passes per model (the median is reported).
    warmup : int
        Untimed passes per model first (allocations, lazy initialisation).
    num_threads : int, optional
        ``torch.set_num_threads`` for the measurement (restored afterwards); default: leave it as it is.
    seed : int
        Seed of the random input image.
    title : str
        Table caption; default "CPU forward latency, <n> thread(s)".

    Returns
    -------
    Table
        One row per model: ``model``, ``median_ms``, ``min_ms``, ``max_ms``, ``relative`` (median / the
        fastest median), ``repeats``, ``threads`` and ``input`` (B×3×H×W).
    """
    if repeats < 1 or warmup < 0 or batch_size < 1:
        raise ValueError(
            f"Need repeats >= 1, warmup >= 0, batch_size >= 1; got {repeats}, {warmup}, {batch_size}."
        )
    if not models:
        raise ValueError("measure_latency needs at least one model, got an empty mapping.")
    generator = torch.Generator().manual_seed(seed)
    pixel_values = torch.randn(batch_size, 3, height, width, generator=generator)
    pixel_mask = torch.ones(batch_size, height, width, dtype=torch.long)
    names = list(models)
    modes = {name: models[name].training for name in names}
    previous_threads = torch.get_num_threads()
    times: dict[str, list[float]] = {name: [] for name in names}
    try:
        if num_threads is not None:
            torch.set_num_threads(num_threads)
        for name in names:
            models[name].eval()
        with torch.inference_mode():
            for name in names:
                for _ in range(warmup):
                    models[name](pixel_values=pixel_values, pixel_mask=pixel_mask)
            for round_index in range(repeats):
                shift = round_index % len(names)
                for name in names[shift:] + names[:shift]:
                    start = time.perf_counter()
                    models[name](pixel_values=pixel_values, pixel_mask=pixel_mask)
                    times[name].append(time.perf_counter() - start)
        threads = torch.get_num_threads()
    finally:
        torch.set_num_threads(previous_threads)
        for name in names:
            models[name].train(modes[name])

    medians = {name: statistics.median(values) for name, values in times.items()}
    fastest = min(medians.values())
    rows = [
        {
            "model": name,
            "median_ms": 1000 * medians[name],
            "min_ms": 1000 * min(times[name]),
            "max_ms": 1000 * max(times[name]),
            "relative": medians[name] / fastest,
            "repeats": repeats,
            "threads": threads,
            "input": f"{batch_size}×3×{height}×{width}",
        }
        for name in names
    ]
    formats = {"median_ms": ".1f", "min_ms": ".1f", "max_ms": ".1f", "relative": ".2f"}
    return Table(rows, title=title or f"CPU forward latency, {threads} thread(s)", formats=formats)
