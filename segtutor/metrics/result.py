"""The result of :func:`segtutor.metrics.evaluate`: one model's scores on one dataset, shown as a table."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from segtutor.metrics.describe import PredictionReview
from segtutor.metrics.table import Table

__all__ = ["EvaluationResult"]

# (label shown in the table, key for "all", key for things, key for stuff)
_ROWS = (
    ("PQ", "PQ", "PQ_th", "PQ_st"),
    ("SQ", "SQ", "SQ_th", "SQ_st"),
    ("RQ", "RQ", "RQ_th", "RQ_st"),
    ("mask mAP", "mAP", None, None),
    ("mask AP50", "mAP_50", None, None),
    ("mask AP75", "mAP_75", None, None),
    ("mIoU", "mIoU", None, None),
)


@dataclass(frozen=True)
class EvaluationResult:
    """Scores of one model on one dataset.

    Attributes
    ----------
    model : str
        The model's name (checkpoint path or class name).
    tasks : tuple of str
        Which of "panoptic", "instance", "semantic" were scored.
    num_images : int
        How many images were evaluated.
    metrics : dict of str to float
        Fractions in [0, 1]: ``PQ, SQ, RQ`` and their ``_th`` (things) / ``_st`` (stuff) variants for the
        panoptic task, ``mAP, mAP_50, mAP_75`` for instances, ``mIoU`` for semantic. ``nan`` where undefined
        (e.g. no stuff category occurs).
    per_class : list of dict
        One row per category with the per-category scores of every task that was run (PQ, SQ, RQ, AP, IoU).
    seconds : float
        Wall-clock time of the evaluation (forward passes, post-processing and scoring).
    review : PredictionReview or None
        With the panoptic task and ``evaluate(..., review=True)``: every annotated thing of every image,
        sorted into found, found roughly, confused (with which class), missed, and the invented
        predictions (see :func:`~segtutor.metrics.describe.describe_class_review`). ``None`` otherwise.
    """

    model: str
    tasks: tuple[str, ...]
    num_images: int
    metrics: dict[str, float]
    per_class: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    review: PredictionReview | None = None

    def __getitem__(self, key: str) -> float:
        """``result["PQ"]`` is ``result.metrics["PQ"]``."""
        if key not in self.metrics:
            raise KeyError(
                f"No metric {key!r}: this evaluation computed {sorted(self.metrics)} (tasks {self.tasks})."
            )
        return self.metrics[key]

    def as_dict(self) -> dict[str, Any]:
        """Return a flat JSON-ready dict: model, tasks, num_images, seconds, every metric (nan → None)."""
        out: dict[str, Any] = {
            "model": self.model,
            "tasks": list(self.tasks),
            "num_images": self.num_images,
            "seconds": round(self.seconds, 3),
        }
        for key, value in self.metrics.items():
            out[key] = None if math.isnan(value) else float(value)
        return out

    def table(self) -> Table:
        """Return the summary as a :class:`Table`: one row per metric, columns all / things / stuff, in %."""
        rows = []
        for label, key_all, key_th, key_st in _ROWS:
            if key_all not in self.metrics:
                continue
            rows.append(
                {
                    "metric": label,
                    "all": _percent(self.metrics.get(key_all)),
                    "things": _percent(self.metrics.get(key_th)) if key_th else None,
                    "stuff": _percent(self.metrics.get(key_st)) if key_st else None,
                }
            )
        title = f"{self.model}: {', '.join(self.tasks)} on {self.num_images} images (values in %)"
        return Table(rows, columns=["metric", "all", "things", "stuff"], title=title, formats=_formats())

    def per_class_table(self) -> Table:
        """Return the per-category scores as a :class:`Table` (values in %)."""
        score_keys = ("PQ", "SQ", "RQ", "AP", "IoU")
        rows = [
            {
                k: (_percent(v) if k in score_keys else v)
                for k, v in row.items()
                if k not in ("TP", "FP", "FN")
            }
            for row in self.per_class
        ]
        present = [k for k in score_keys if any(k in row for row in rows)]
        return Table(
            rows,
            columns=["id", "name", "isthing", *present],
            title=f"{self.model}: per category (values in %)",
            formats=_formats(score_keys),
        )

    def to_markdown(self, *, per_class: bool = False) -> str:
        """Render the summary (and, with ``per_class=True``, the per-category table) as Markdown."""
        text = self.table().to_markdown()
        if per_class and self.per_class:
            text += "\n\n" + self.per_class_table().to_markdown()
        return text

    def _repr_markdown_(self) -> str:  # Jupyter display hook
        return self.to_markdown()

    def __str__(self) -> str:
        return self.to_markdown()


def _percent(value: float | None) -> float | None:
    if value is None or math.isnan(value):
        return None
    return 100.0 * value


def _formats(keys: tuple[str, ...] = ("all", "things", "stuff")) -> dict[str, str]:
    return dict.fromkeys(keys, ".1f")
