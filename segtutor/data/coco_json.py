"""Shared pieces of the COCO annotation files: loading, the ``categories`` and ``images`` lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from segtutor.categories import Category, fallback_color
from segtutor.data.errors import DatasetFormatError

__all__ = ["dump_json", "load_json", "parse_categories", "parse_images", "require"]


def load_json(path: str | Path, required_keys: tuple[str, ...]) -> dict[str, Any]:
    """Load a COCO-style JSON file and check its top-level keys."""
    path = Path(path)
    if not path.is_file():
        raise DatasetFormatError(
            path,
            "file",
            "the annotation JSON does not exist.",
            "check the path; COCO puts it in annotations/, e.g. annotations/panoptic_val2017.json.",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetFormatError(
            path, "file", f"not valid JSON ({exc}).", "re-download or re-export the annotation file."
        ) from exc
    if not isinstance(data, dict):
        raise DatasetFormatError(
            path,
            "(top level)",
            f"expected a JSON object, got {type(data).__name__}.",
            "the file must be a COCO annotation object with 'images' and 'categories'.",
        )
    for key in required_keys:
        if key not in data:
            raise DatasetFormatError(
                path,
                key,
                f"missing top-level key {key!r} (found {sorted(data)}).",
                f"add the {key!r} list; is this the right kind of COCO file?",
            )
    return data


def dump_json(path: str | Path, data: dict[str, Any]) -> None:
    """Write JSON with deterministic bytes (sorted keys are *not* used: COCO order is kept)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")


def require(entry: Any, key: str, path: str | Path, where: str, kind: type | tuple[type, ...]) -> Any:
    """Return ``entry[key]`` or raise a :class:`DatasetFormatError` naming ``where.key``."""
    if not isinstance(entry, dict) or key not in entry:
        raise DatasetFormatError(
            path, f"{where}.{key}", "missing.", f"add {key!r} to every entry of {where}."
        )
    value = entry[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise DatasetFormatError(
            path,
            f"{where}.{key}",
            f"expected {names}, got {type(value).__name__} {value!r}.",
            f"store {key!r} as a JSON {names}.",
        )
    return value


def parse_categories(data: dict[str, Any], path: str | Path, *, default_isthing: bool) -> list[Category]:
    """Turn the ``categories`` list into :class:`Category` objects, checking ids are unique.

    ``isthing`` defaults to ``default_isthing`` (COCO instance files omit it: every class is a thing) and
    ``color`` to a fixed fallback colour.
    """
    categories: list[Category] = []
    seen: set[int] = set()
    for k, entry in enumerate(data["categories"]):
        where = f"categories[{k}]"
        cid = require(entry, "id", path, where, int)
        name = require(entry, "name", path, where, str)
        if cid in seen:
            raise DatasetFormatError(
                path, f"{where}.id", f"category id {cid} appears twice.", "give every category a unique id."
            )
        seen.add(cid)
        color = entry.get("color")
        if not (isinstance(color, list) and len(color) == 3):
            color = fallback_color(cid)
        isthing = bool(entry.get("isthing", default_isthing))
        categories.append(Category(cid, name, isthing, tuple(int(c) for c in color)))
    return sorted(categories, key=lambda c: c.id)


def parse_images(data: dict[str, Any], path: str | Path) -> dict[Any, dict[str, Any]]:
    """Map image id to its ``images`` entry, checking ``id`` and ``file_name`` are present and unique."""
    images: dict[Any, dict[str, Any]] = {}
    for k, entry in enumerate(data["images"]):
        where = f"images[{k}]"
        image_id = require(entry, "id", path, where, (int, str))
        require(entry, "file_name", path, where, str)
        if image_id in images:
            raise DatasetFormatError(
                path, f"{where}.id", f"image id {image_id!r} appears twice.", "give every image a unique id."
            )
        images[image_id] = entry
    return images
