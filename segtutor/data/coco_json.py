"""Shared pieces of the COCO annotation files: loading, type checks, the ``categories`` and ``images`` lists.

Every field a reader uses is checked here or in the reader before it is used, so a malformed file gives a
:class:`~segtutor.data.errors.DatasetFormatError` naming the file and the field, never a ``TypeError`` from
deep inside the reader.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from segtutor.categories import Category, fallback_color
from segtutor.data.errors import DatasetFormatError

__all__ = ["dump_json", "load_json", "parse_categories", "parse_flag", "parse_images", "require"]

# The spellings of a yes / no flag (``isthing``, ``iscrowd``) that exporters write.
_TRUE = (True, 1, "1", "true", "True", "TRUE")
_FALSE = (False, 0, "0", "false", "False", "FALSE")


def load_json(path: str | Path, required_keys: tuple[str, ...]) -> dict[str, Any]:
    """Load a COCO-style JSON file and check that each of ``required_keys`` holds a list.

    The file may be UTF-8 with or without a byte-order mark (some Windows tools write one), or UTF-16/32
    with a BOM; any other encoding is an error.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetFormatError(
            path,
            "file",
            "the annotation JSON does not exist.",
            "check the path; COCO puts it in annotations/, e.g. annotations/panoptic_val2017.json.",
        )
    try:
        data = json.loads(path.read_bytes())  # bytes: json detects UTF-8 (BOM or not), UTF-16, UTF-32
    except UnicodeDecodeError as exc:
        raise DatasetFormatError(
            path,
            "file",
            f"the file is not UTF-8 text ({exc}).",
            "save the annotation file as UTF-8 (JSON's encoding), e.g. re-export it or convert it with "
            "`iconv -f latin1 -t utf-8`.",
        ) from exc
    except (json.JSONDecodeError, RecursionError) as exc:
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
        if not isinstance(data[key], list):
            raise DatasetFormatError(
                path,
                key,
                f"expected a list, got {_describe(data[key])}.",
                f"store {key!r} as a JSON list ([] if there is nothing to list).",
            )
        for k, entry in enumerate(data[key]):
            if not isinstance(entry, dict):
                raise DatasetFormatError(
                    path,
                    f"{key}[{k}]",
                    f"expected a JSON object, got {_describe(entry)}.",
                    f'every entry of {key!r} must be an object such as {{"id": ...}}.',
                )
    return data


def dump_json(path: str | Path, data: dict[str, Any]) -> None:
    """Write JSON with deterministic bytes (sorted keys are *not* used: COCO order is kept)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def require(entry: Any, key: str, path: str | Path, where: str, kind: type | tuple[type, ...]) -> Any:
    """Return ``entry[key]`` or raise a :class:`DatasetFormatError` naming ``where.key``.

    ``bool`` is never accepted for ``int`` (JSON ``true`` is not an id).
    """
    if not isinstance(entry, dict) or key not in entry:
        raise DatasetFormatError(
            path, f"{where}.{key}", "missing.", f"add {key!r} to every entry of {where.rsplit('[', 1)[0]}."
        )
    value = entry[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise DatasetFormatError(
            path,
            f"{where}.{key}",
            f"expected {names}, got {_describe(value)}.",
            f"store {key!r} as a JSON {names}.",
        )
    return value


def parse_flag(entry: dict[str, Any], key: str, path: str | Path, where: str, default: bool | None) -> bool:
    """Read a yes / no field: ``true``/``false``, ``1``/``0``, ``"1"``/``"0"`` or ``"true"``/``"false"``.

    ``default`` is used when the key is absent; ``None`` makes the key required.
    """
    if key not in entry:
        if default is None:
            raise DatasetFormatError(
                path,
                f"{where}.{key}",
                "missing: a panoptic category must say whether it is a thing (countable objects) or stuff.",
                f'add "{key}": 1 for things (person, car) or 0 for stuff (sky, road) to every category.',
            )
        return default
    value = entry[key]
    if any(value == v and type(value) is type(v) for v in _TRUE):
        return True
    if any(value == v and type(value) is type(v) for v in _FALSE):
        return False
    raise DatasetFormatError(
        path,
        f"{where}.{key}",
        f"expected 0 or 1 (or true / false), got {_describe(value)}.",
        f"write {key!r} as 1 (yes) or 0 (no).",
    )


def _color(entry: dict[str, Any], cid: int, path: str | Path, where: str) -> tuple[int, int, int]:
    color = entry.get("color")
    if color is None:
        return fallback_color(cid)
    if not (
        isinstance(color, list)
        and len(color) == 3
        and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in color)
    ):
        raise DatasetFormatError(
            path,
            f"{where}.color",
            f"expected three integers 0-255 [R, G, B], got {_describe(color)}.",
            "fix the colour or remove the 'color' key (a fixed colour is then chosen).",
        )
    return (color[0], color[1], color[2])


def parse_categories(
    data: dict[str, Any], path: str | Path, *, default_isthing: bool | None
) -> list[Category]:
    """Turn the ``categories`` list into :class:`Category` objects, checking ids are unique.

    ``isthing`` defaults to ``default_isthing`` (COCO instance files omit it: every class is a thing);
    ``default_isthing=None`` makes it required (COCO panoptic). ``color`` defaults to a fixed colour.
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
        isthing = parse_flag(entry, "isthing", path, where, default_isthing)
        categories.append(Category(cid, name, isthing, _color(entry, cid, path, where)))
    return sorted(categories, key=lambda c: c.id)


def _declared_size(entry: dict[str, Any], key: str, path: str | Path, where: str) -> None:
    if key not in entry:
        return
    value = require(entry, key, path, where, int)
    if value < 1:
        raise DatasetFormatError(
            path,
            f"{where}.{key}",
            f"expected a positive number of pixels, got {value}.",
            f"write the image's real {key} in pixels (or remove the key).",
        )


def parse_images(data: dict[str, Any], path: str | Path) -> dict[Any, dict[str, Any]]:
    """Map image id to its ``images`` entry, checking ``id`` and ``file_name`` are present and unique.

    ``width`` and ``height``, when present, must be positive integers; the readers compare them with the
    decoded image.
    """
    images: dict[Any, dict[str, Any]] = {}
    names: dict[str, int] = {}
    for k, entry in enumerate(data["images"]):
        where = f"images[{k}]"
        image_id = require(entry, "id", path, where, (int, str))
        name = require(entry, "file_name", path, where, str)
        if not name.strip():
            raise DatasetFormatError(
                path, f"{where}.file_name", "empty file name.", "write the image's file name."
            )
        if image_id in images:
            raise DatasetFormatError(
                path, f"{where}.id", f"image id {image_id!r} appears twice.", "give every image a unique id."
            )
        if name in names:
            raise DatasetFormatError(
                path,
                f"{where}.file_name",
                f"{name!r} is already the file of images[{names[name]}].",
                "list every image once; remove the duplicate entry.",
            )
        for key in ("width", "height"):
            _declared_size(entry, key, path, where)
        images[image_id] = entry
        names[name] = k
    return images
