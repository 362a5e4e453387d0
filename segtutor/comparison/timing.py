"""Time any call (a forward pass, a post-processing step) fairly on CPU or GPU: warm-up, then the median.

GPU work is asynchronous: a CUDA call returns before the GPU has finished. :func:`time_call` therefore
waits for the device (``torch.cuda.synchronize``) before reading the clock, or the timing would only
measure how long it takes to *queue* the work.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

__all__ = ["Timing", "time_call"]


@dataclass(frozen=True)
class Timing:
    """Durations of repeated calls, in seconds.

    Attributes
    ----------
    median_s, min_s, max_s : float
        Median, fastest and slowest of the timed calls, in seconds.
    repeats : int
        How many calls were timed (after the warm-up).
    device : str
        The device that was synchronised around each call (``"cpu"`` when none).
    """

    median_s: float
    min_s: float
    max_s: float
    repeats: int
    device: str

    @property
    def median_ms(self) -> float:
        """The median in milliseconds."""
        return self.median_s * 1000.0

    def __str__(self) -> str:
        return f"{self.median_ms:.1f} ms (median of {self.repeats})"


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def time_call(
    function: Callable[[], Any],
    *,
    repeats: int = 5,
    warmup: int = 1,
    device: torch.device | str | None = None,
) -> Timing:
    """Call ``function()`` ``warmup + repeats`` times and return the durations of the last ``repeats``.

    Parameters
    ----------
    function : callable without arguments
        E.g. ``lambda: model(**inputs)``; wrap it in ``torch.no_grad()`` yourself if needed.
    repeats : int
        Timed calls (at least 1); the median is robust to one slow outlier.
    warmup : int
        Untimed calls first (lazy initialisation, memory allocation, CUDA kernel selection).
    device : torch.device or str, optional
        The device the work runs on; CUDA and MPS are synchronised before and after each call.

    Returns
    -------
    Timing

    Raises
    ------
    ValueError
        If ``repeats < 1`` or ``warmup < 0``.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(
            f"time_call needs repeats >= 1 and warmup >= 0; got repeats={repeats}, warmup={warmup}."
        )
    dev = torch.device(device) if device is not None else torch.device("cpu")
    for _ in range(warmup):
        function()
    durations = []
    for _ in range(repeats):
        _synchronize(dev)
        start = time.perf_counter()
        function()
        _synchronize(dev)
        durations.append(time.perf_counter() - start)
    return Timing(statistics.median(durations), min(durations), max(durations), repeats, str(dev))
