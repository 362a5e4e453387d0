"""Convergence of the bundled toy models: validation PQ against training steps, from their logs.

The bundled checkpoints (``data/checkpoints/toy-<architecture>-panoptic``) were trained with the same step
budget, batch size and evaluation cadence, and each saved a ``training_log.json``::

    {"config": {"steps", "batch_size", "eval_every", ...},
     "history": [{"step", "loss", "lr", "elapsed_s"}, ...],
     "evaluations": [{"step", "elapsed_s", "PQ", "PQ_th", "PQ_st", ...}, ...]}

:func:`build_convergence` gathers the curves into one small document, stored as
``data/comparison/convergence.json`` for the notebook; :func:`load_convergence` reads it back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from segtutor.metrics.table import Table

__all__ = [
    "ARCHITECTURE_NAMES",
    "build_convergence",
    "card_quality",
    "checkpoint_dirs",
    "load_convergence",
    "toy_quality",
    "write_convergence",
]

#: Display names of the bundled toy checkpoints' architectures, in the order of the papers.
ARCHITECTURE_NAMES: dict[str, str] = {
    "detr": "DETR",
    "maskformer": "MaskFormer",
    "mask2former": "Mask2Former",
    "eomt": "EoMT",
}

_CURVE_KEYS = ("PQ", "PQ_th", "PQ_st", "SQ", "RQ", "mAP", "mIoU")
_SAME_BUDGET_KEYS = ("steps", "batch_size", "eval_every")


def checkpoint_dirs(root: str | Path | None = None) -> dict[str, Path]:
    """Return ``{architecture: folder}`` of the bundled toy checkpoints that exist under ``root``.

    ``root`` defaults to ``<data dir>/checkpoints`` (see :func:`segtutor.paths.data_dir`).
    """
    if root is None:
        from segtutor.paths import data_dir

        root = data_dir() / "checkpoints"
    root = Path(root)
    found = {}
    for architecture in ARCHITECTURE_NAMES:
        folder = root / f"toy-{architecture}-panoptic"
        if (folder / "training_log.json").is_file():
            found[architecture] = folder
    return found


def _read_log(folder: Path) -> dict[str, Any]:
    path = folder / "training_log.json"
    try:
        log = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path}: not valid JSON ({error}). Re-create it by re-running the training."
        ) from error
    if not isinstance(log.get("evaluations"), list) or not log["evaluations"]:
        raise ValueError(
            f"{path}: field 'evaluations' must be a non-empty list of {{'step', 'PQ', ...}} records, got "
            f"{type(log.get('evaluations')).__name__}. Train with periodic evaluation (eval_every > 0)."
        )
    return log


def _number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def build_convergence(folders: Mapping[str, str | Path]) -> dict[str, Any]:
    """Assemble the PQ-against-steps curves of several training runs into one JSON-ready document.

    Parameters
    ----------
    folders : mapping of str to path
        Architecture (``"detr"``, ``"maskformer"``, ``"mask2former"``, ``"eomt"``) → checkpoint folder with a
        ``training_log.json``.

    Returns
    -------
    dict
        ``{"runs": [{"architecture", "name", "checkpoint", "config", "steps", "PQ", "PQ_th", ...,
        "loss_steps",
        "loss", "seconds"}], "same_budget": bool, "budget": {...}}``. Metric values are fractions in [0, 1]
        (``None`` where undefined). ``same_budget`` says whether all runs share steps, batch size and
        evaluation cadence, i.e. whether the curves are comparable step for step.

    Raises
    ------
    ValueError
        If a log is missing its evaluations (names the file and the fix).
    """
    runs = []
    for architecture, folder in folders.items():
        log = _read_log(Path(folder))
        config = log.get("config", {})
        evaluations = sorted(log["evaluations"], key=lambda r: r["step"])
        history = sorted(log.get("history", []), key=lambda r: r["step"])
        run: dict[str, Any] = {
            "architecture": architecture,
            "name": ARCHITECTURE_NAMES.get(architecture, architecture),
            "checkpoint": Path(folder).name,
            "config": {k: config.get(k) for k in (*_SAME_BUDGET_KEYS, "learning_rate", "seed")},
            "steps": [int(r["step"]) for r in evaluations],
            "elapsed_s": [_number(r.get("elapsed_s")) for r in evaluations],
        }
        for key in _CURVE_KEYS:
            if any(key in r for r in evaluations):
                run[key] = [_number(r.get(key)) for r in evaluations]
        run["loss_steps"] = [int(r["step"]) for r in history if "loss" in r]
        run["loss"] = [_number(r["loss"]) for r in history if "loss" in r]
        run["seconds"] = _number(log.get("seconds"))
        runs.append(run)
    budgets = [tuple(r["config"].get(k) for k in _SAME_BUDGET_KEYS) for r in runs]
    return {
        "description": "Validation metrics of the bundled toy checkpoints by training step (fractions).",
        "runs": runs,
        "same_budget": len(set(budgets)) <= 1,
        "budget": dict(zip(_SAME_BUDGET_KEYS, budgets[0], strict=True)) if budgets else {},
    }


def write_convergence(document: Mapping[str, Any], path: str | Path, *, command: str = "") -> Path:
    """Write a :func:`build_convergence` document as JSON (with the command that made it); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"command": command, **document}
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    return path


def load_convergence(path: str | Path | None = None) -> dict[str, Any]:
    """Read ``convergence.json`` (default ``<data dir>/comparison/convergence.json``).

    Returns
    -------
    dict
        As written by :func:`write_convergence`; each run has aligned lists ``steps`` and ``PQ`` to plot.
    """
    if path is None:
        from segtutor.paths import data_dir

        path = data_dir() / "comparison" / "convergence.json"
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist. Create it with `python -m segtutor.comparison.build_data` once the "
            "bundled checkpoints (data/checkpoints/toy-*-panoptic) are trained."
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    for run in data.get("runs", []):
        if len(run.get("steps", [])) != len(run.get("PQ", [])):
            raise ValueError(
                f"{path}: run {run.get('architecture')!r} has {len(run.get('steps', []))} steps but "
                f"{len(run.get('PQ', []))} PQ values. Re-create the file with segtutor.comparison.build_data."
            )
    return data


def card_quality(
    root: str | Path | None = None, *, keys: Sequence[str] = ("PQ", "PQ_th", "PQ_st", "mAP", "mIoU")
) -> Table:
    """Return the scores of the bundled toy checkpoints from their model cards as a :class:`Table`, in %.

    Each checkpoint folder holds ``eval_results.json``, the final evaluation on the whole ToyShapes
    validation split that its model card reports; all checkpoints were scored by the same protocol. (The
    curves of :func:`build_convergence` come from the smaller evaluations made during training.)

    Parameters
    ----------
    root : path, optional
        Folder of the checkpoints (default: ``<data dir>/checkpoints``).
    keys : sequence of str
        Which metrics to show.

    Raises
    ------
    FileNotFoundError
        If a checkpoint has no ``eval_results.json`` (the message says how to make it).
    ValueError
        If the checkpoints were scored on different numbers of images.
    """
    rows, counts = [], set()
    for architecture, folder in checkpoint_dirs(root).items():
        path = folder / "eval_results.json"
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is missing: re-create it with `python -m segtutor.training.model_card {folder}`"
            )
        card = json.loads(path.read_text(encoding="utf-8"))
        counts.add(card["num_images"])
        row: dict[str, Any] = {"model": f"toy {ARCHITECTURE_NAMES[architecture]}"}
        for key in keys:
            value = card["metrics"].get(key)
            row[key] = None if value is None or math.isnan(value) else 100.0 * value
        rows.append(row)
    if len(counts) > 1:
        raise ValueError(f"the model cards were scored on different numbers of images: {sorted(counts)}")
    images = f"all {counts.pop()} images" if counts else "no checkpoint found"
    return Table(
        rows,
        columns=["model", *keys],
        title=f"ToyShapes val ({images}), bundled toy checkpoints, as in their model cards (values in %)",
        formats=dict.fromkeys(keys, ".1f"),
    )


def toy_quality(
    document: Mapping[str, Any], *, keys: Sequence[str] = ("PQ", "PQ_th", "PQ_st", "mAP", "mIoU")
) -> Table:
    """Return the final validation scores of each run (its last evaluation) as a :class:`Table`, in %."""
    rows = []
    for run in document.get("runs", []):
        row: dict[str, Any] = {
            "model": f"toy {run['name']}",
            "steps": run["steps"][-1] if run["steps"] else None,
        }
        for key in keys:
            values = run.get(key)
            last = values[-1] if values else None
            row[key] = None if last is None else 100.0 * last
        rows.append(row)
    return Table(
        rows,
        columns=["model", "steps", *keys],
        title="ToyShapes val, bundled toy checkpoints (values in %)",
        formats=dict.fromkeys(keys, ".1f"),
    )
