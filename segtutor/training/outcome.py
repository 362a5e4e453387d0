"""Did fine-tuning work? Checks and sentences computed from the scores before and after training.

A training run's numbers differ in their last digits from CPU to CPU, so a lesson cannot quote them as
fixed text. What it can state, and what any correct run meets, are directions and floors: "the loss fell",
"star PQ rose from 0 to at least 40 %". :func:`fine_tuning_checks` turns the scores into such claims, each
marked ✓ or ✗, and :func:`fine_tuning_summary` writes the sentences that interpret the numbers, so the
text of the lesson stays true whatever parameters a learner sets.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segtutor.metrics.result import EvaluationResult

__all__ = [
    "PER_CLASS_KEY",
    "Check",
    "fine_tuning_checks",
    "fine_tuning_summary",
    "read_run_record",
    "write_run_record",
]

# The per-class score that goes with each dataset-level metric.
PER_CLASS_KEY = {"PQ": "PQ", "mAP": "AP", "mIoU": "IoU"}


@dataclass(frozen=True)
class Check:
    """One claim about a run, and whether this run meets it.

    Attributes
    ----------
    claim : str
        The claim, worded so that it holds for any correct run (no volatile number in it).
    holds : bool
        Whether this run meets it.
    """

    claim: str
    holds: bool

    def line(self) -> str:
        """Return ``"✓ claim"`` or ``"✗ claim"``."""
        return f"{'✓' if self.holds else '✗'} {self.claim}"


def fine_tuning_checks(
    before: EvaluationResult,
    after: EvaluationResult,
    history: Sequence[dict[str, Any]],
    *,
    new_classes: Sequence[str],
    metric: str = "PQ",
    new_class_floor: float = 0.4,
    overall_tolerance: float = 0.0,
    new_class_key: str | None = None,
) -> list[Check]:
    """Check that a fine-tuning run did what the lesson says it does.

    Parameters
    ----------
    before, after : EvaluationResult
        Scores of the model before and after training, on the same validation images.
    history : sequence of dict
        The training records (``TrainResult.history``): ``{"step", "loss", ...}``, in order.
    new_classes : sequence of str
        Names of the classes the starting checkpoint did not know.
    metric : {"PQ", "mAP", "mIoU"}
        The dataset-level metric of the annotation format; the per-class score is ``PER_CLASS_KEY[metric]``.
    new_class_floor : float
        The least per-class score, as a fraction, that each new class must reach after training (0: it
        only has to rise above its score before training).
    overall_tolerance : float
        How far, as a fraction, the overall metric may fall and still pass (0: it must rise). A short run
        on a few validation images moves the overall score by a point or two either way.
    new_class_key : {"PQ", "AP", "IoU"}, optional
        Which per-class score the new-class checks read; default: the one of ``metric``. ``"IoU"`` (pixels
        named as the class) moves more steadily than PQ after a short run, which also needs whole matched
        segments.

    Returns
    -------
    list of Check
        The loss fell; the overall metric rose; each new class reached the floor and rose.

    Raises
    ------
    ValueError
        If ``metric`` is unknown or a new class is not scored.
    """
    if metric not in PER_CLASS_KEY:
        raise ValueError(f"metric must be one of {sorted(PER_CLASS_KEY)}, got {metric!r}")
    loss_fell = (
        Check("the training loss fell (the last logged steps average below the first)",
              history[-1]["loss"] < history[0]["loss"])
        if len(history) >= 2
        else Check(f"the training loss fell (cannot tell from {len(history)} logged record: train for more "
                   "steps or log more often)", False)
    )
    checks = [
        loss_fell,
        Check(f"overall {metric} is higher after training than before", after[metric] > before[metric])
        if overall_tolerance == 0
        else Check(f"overall {metric} did not fall by more than {100 * overall_tolerance:g} points",
                   after[metric] >= before[metric] - overall_tolerance),
    ]
    key = new_class_key or PER_CLASS_KEY[metric]
    if key not in PER_CLASS_KEY.values():
        raise ValueError(f"new_class_key must be one of {sorted(PER_CLASS_KEY.values())}, got {key!r}")
    for name in new_classes:
        start, end = _class_score(before, name, key), _class_score(after, name, key)
        claim = (
            f"rose from {_start_text(start, new_class_floor)} to at least {new_class_floor:.0%}"
            if new_class_floor > 0
            else f"rose above {'0' if start == 0 else 'its score before training'}"
        )
        checks.append(
            Check(
                f"{name} (new class): {key} {claim}",
                end >= new_class_floor and end > start,
            )
        )
    return checks


def fine_tuning_summary(
    before: EvaluationResult,
    after: EvaluationResult,
    *,
    new_classes: Sequence[str],
    steps: int,
    metric: str = "PQ",
) -> str:
    """Write the sentences that interpret a run's scores, computed from them (Markdown).

    Parameters
    ----------
    before, after : EvaluationResult
        Scores before and after training, on the same validation images.
    new_classes : sequence of str
        Names of the classes the starting checkpoint did not know.
    steps : int
        How many optimisation steps the run took.
    metric : {"PQ", "mAP", "mIoU"}
        The dataset-level metric of the annotation format.

    Returns
    -------
    str
        One paragraph: the overall change, each new class, the known class that gained and the one that
        lost most.
    """
    key = PER_CLASS_KEY[metric]
    change = 100 * (after[metric] - before[metric])
    direction = "rose" if change > 0.05 else "fell" if change < -0.05 else "stayed"
    text = (
        f"After {steps} steps, {metric} over all classes {direction} "
        f"from {100 * before[metric]:.1f} % to {100 * after[metric]:.1f} %."
    )
    for name in new_classes:
        start, end = _class_score(before, name, key), _class_score(after, name, key)
        verdict = ("the model has learned it" if end >= 0.4 else "partly learned" if end > 0
                   else "not learned yet")
        text += (
            f" The new class **{name}** went from {key} {100 * start:.1f} % to {100 * end:.1f} % ({verdict})."
        )
    known = [row["name"] for row in after.per_class if row["name"] not in new_classes and key in row]
    deltas = {name: _class_score(after, name, key) - _class_score(before, name, key) for name in known}
    if deltas:
        best, worst = max(deltas, key=deltas.get), min(deltas, key=deltas.get)
        rise, fall = (f"({100 * deltas[name]:+.1f} points)" for name in (best, worst))
        if deltas[worst] < 0 < deltas[best]:
            text += f" Among the classes the checkpoint knew, {best} rose most {rise}"
            text += f" and {worst} fell most {fall}."
        elif deltas[best] > 0:
            text += f" Every class the checkpoint knew kept or raised its score; {best} {rise} rose most."
        else:
            text += f" No class the checkpoint knew rose; {worst} {fall} fell most."
    return text


def write_run_record(
    path: str | Path,
    *,
    command: str,
    parameters: Mapping[str, Any],
    before: EvaluationResult,
    after: EvaluationResult,
    history: Sequence[dict[str, Any]],
    evaluations: Sequence[dict[str, Any]],
    seconds: float,
) -> Path:
    """Write one fine-tuning run (how it was made, its curves, its scores) as JSON, to ship with a lesson.

    Parameters
    ----------
    path : str or Path
        The JSON file to write (folders are created).
    command : str
        The exact command that made the run, so that anyone can make it again.
    parameters : mapping
        The lesson parameters of the run (JSON-ready values).
    before, after : EvaluationResult
        Scores before and after training.
    history, evaluations : sequence of dict
        ``TrainResult.history`` and ``TrainResult.evaluations``.
    seconds : float
        Wall time of the training.

    Returns
    -------
    Path
        The file written.
    """
    record = {
        "command": command,
        "parameters": dict(parameters),
        "seconds": round(float(seconds), 1),
        "before": {**before.as_dict(), "per_class": _json_rows(before.per_class)},
        "after": {**after.as_dict(), "per_class": _json_rows(after.per_class)},
        "history": [{k: v for k, v in r.items() if k in ("step", "loss")} for r in history],
        "evaluations": [dict(r) for r in evaluations],
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return path


def read_run_record(path: str | Path) -> tuple[dict[str, Any], EvaluationResult, EvaluationResult]:
    """Read a record written by :func:`write_run_record`: ``(record, before, after)``.

    Raises
    ------
    FileNotFoundError
        If the file is missing (the message names it).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: this checkout lacks the shipped fine-tuning run")
    record = json.loads(path.read_text(encoding="utf-8"))
    scores = [
        EvaluationResult(
            model=f"{record[key]['model']} ({key} training)",
            tasks=tuple(record[key]["tasks"]),
            num_images=record[key]["num_images"],
            metrics={k: math.nan if v is None else v for k, v in record[key].items()
                     if k not in ("model", "tasks", "num_images", "seconds", "per_class")},
            per_class=[{k: math.nan if v is None else v for k, v in row.items()}
                       for row in record[key]["per_class"]],
        )
        for key in ("before", "after")
    ]
    return record, scores[0], scores[1]


def _json_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()} for row in rows
    ]


def _class_score(result: EvaluationResult, name: str, key: str) -> float:
    for row in result.per_class:
        if row["name"] == name:
            value = row.get(key)
            if value is None:
                raise ValueError(f"class {name!r} has no {key} score in {result.model!r} ({result.tasks})")
            return 0.0 if math.isnan(value) else float(value)
    names = [row["name"] for row in result.per_class]
    raise ValueError(f"class {name!r} is not among the scored classes {names}")


def _start_text(start: float, floor: float) -> str:
    if start == 0:
        return "0"
    return f"below {floor:.0%}" if start < floor else "its score before training"
