"""Write a ToyShapes dataset to disk: every split in three formats, plus a data card (README.md).

A dataset is written whole: into a fresh folder, or replacing an earlier ToyShapes folder completely (no
file of the old dataset survives, so readers never see a mix of two generations). A non-empty folder that
is not a ToyShapes dataset is refused, never deleted.
"""

from __future__ import annotations

import shutil
import textwrap
import uuid
from collections import Counter
from pathlib import Path

from segtutor.categories import Category
from segtutor.data.coco_instances import InstancesWriter
from segtutor.data.coco_masks import POLYGON_MARGIN
from segtutor.data.coco_panoptic import PanopticWriter
from segtutor.data.image_io import MAX_IMAGE_PIXELS, write_png
from segtutor.data.layout import DatasetLayout
from segtutor.data.semantic_png import SemanticWriter
from segtutor.data.toyshapes import ToyShapesConfig, generate_split, toyshapes_categories

__all__ = ["is_toyshapes_folder", "write_toyshapes"]

# What a ToyShapes folder holds at its top level (hidden files such as .DS_Store are tolerated).
_TOP_LEVEL = {"README.md", "images", "annotations", "semantic"}


def write_toyshapes(
    root: str | Path,
    *,
    seed: int = 0,
    n_train: int = 400,
    n_val: int = 100,
    config: ToyShapesConfig | None = None,
) -> dict[str, dict[str, int]]:
    """Generate ToyShapes and write it in the segtutor layout (COCO panoptic, COCO instances, semantic PNGs).

    Parameters
    ----------
    root : str or Path
        Output folder: created if missing; an existing ToyShapes folder (see :func:`is_toyshapes_folder`)
        is replaced whole, so no stale file survives.
    seed : int
        Dataset seed: the same seed and arguments give byte-identical files.
    n_train, n_val : int
        Number of images per split.
    config : ToyShapesConfig, optional
        Scene parameters (size, star class, ...).

    Returns
    -------
    dict
        Per split, counts: ``images``, ``images_without_things`` and one entry per category name (segments).

    Raises
    ------
    FileExistsError
        If ``root`` is a file, or a non-empty folder that is not a ToyShapes dataset.
    ValueError
        If ``seed``, ``n_train`` or ``n_val`` is negative.
    """
    root = Path(root)
    config = config or ToyShapesConfig()
    for name, value in (("seed", seed), ("n_train", n_train), ("n_val", n_val)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"write_toyshapes: {name} must be a non-negative integer, got {value!r}.")
    target = root.resolve() if root.is_symlink() else root  # replace the folder a link points to
    _check_replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = _sibling(target, "new")
    staging.mkdir()
    try:
        counts = _write_all(staging, root, seed, n_train, n_val, config)
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return counts


def is_toyshapes_folder(folder: str | Path) -> bool:
    """True if ``folder`` holds a ToyShapes dataset and nothing else (its data card says ``# ToyShapes``)."""
    folder = Path(folder)
    card = folder / "README.md"
    if not card.is_file():
        return False
    with card.open(encoding="utf-8", errors="replace") as handle:
        if not handle.readline().startswith("# ToyShapes"):
            return False
    return all(p.name in _TOP_LEVEL or p.name.startswith(".") for p in folder.iterdir())


def _check_replaceable(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise FileExistsError(f"{root} is a file; pass a folder for the ToyShapes dataset.")
    if root.is_dir() and any(root.iterdir()) and not is_toyshapes_folder(root):
        raise FileExistsError(
            f"{root} is not empty and is not a ToyShapes dataset (no README.md starting with "
            "'# ToyShapes', or other files at its top level); refusing to replace it. Choose an empty or "
            "new folder, or delete this one yourself."
        )


def _sibling(root: Path, what: str) -> Path:
    """A hidden, unused name next to ``root`` (same file system, so renames are instant)."""
    return root.parent / f".{root.name}.{what}-{uuid.uuid4().hex[:12]}"


def _swap_in(staging: Path, root: Path) -> None:
    """Put the freshly written ``staging`` folder in place of ``root``, removing the old dataset whole."""
    if not root.exists():
        staging.rename(root)
        return
    old = _sibling(root, "old")
    root.rename(old)
    staging.rename(root)
    shutil.rmtree(old)


def _write_all(
    root: Path, named: Path, seed: int, n_train: int, n_val: int, config: ToyShapesConfig
) -> dict[str, dict[str, int]]:
    """Write every split into ``root``; the data card names the folder ``named``."""
    categories = toyshapes_categories(config.with_star)
    counts: dict[str, dict[str, int]] = {}
    for split, n in (("train", n_train), ("val", n_val)):
        layout = DatasetLayout(root, split)
        for folder in (layout.image_dir, layout.panoptic_dir, layout.semantic_dir):
            folder.mkdir(parents=True, exist_ok=True)  # also for a split of 0 images
        panoptic = PanopticWriter(layout.panoptic_json, layout.panoptic_dir, categories)
        instances = InstancesWriter(layout.instances_json, categories)
        semantic = SemanticWriter(layout.semantic_dir)
        tally: Counter[str] = Counter()
        by_id = {c.id: c for c in categories}
        for sample in generate_split(split, n, seed, config):
            write_png(layout.image_dir / sample.file_name, sample.image)
            panoptic.add(sample)
            instances.add(sample)
            semantic.add(sample)
            tally.update(by_id[int(c)].name for c in sample.category_ids)
            tally["images_without_things"] += not any(by_id[int(c)].isthing for c in sample.category_ids)
        panoptic.close()
        instances.close()
        counts[split] = {"images": n, "images_without_things": tally.pop("images_without_things", 0)}
        counts[split].update({c.name: tally.get(c.name, 0) for c in categories})
    out = named.as_posix() if not named.is_absolute() else named.name  # no machine-specific path in the card
    (root / "README.md").write_text(
        _data_card(categories, counts, seed, n_train, n_val, config, out), encoding="utf-8"
    )
    return counts


def _command(seed: int, n_train: int, n_val: int, config: ToyShapesConfig) -> str:
    star = " --with-star" if config.with_star else ""
    return (
        f"segtutor-toyshapes --out <root> --seed {seed} --train {n_train} --val {n_val} "
        f"--size {config.size}{star}"
    )


def _data_card(
    categories: list[Category],
    counts: dict[str, dict[str, int]],
    seed: int,
    n_train: int,
    n_val: int,
    config: ToyShapesConfig,
    out: str,
) -> str:
    rows = "\n".join(
        f"| {c.id} | {c.name} | {'thing' if c.isthing else 'stuff'} | {tuple(c.color)} | "
        f"{counts['train'][c.name]} | {counts['val'][c.name]} |"
        for c in categories
    )
    things = ", ".join(c.name for c in categories if c.isthing)
    variant = "ToyShapes + star" if config.with_star else "ToyShapes"
    margin = f"{POLYGON_MARGIN:g}"
    scale = config.size / 128
    intro = textwrap.fill(
        "Procedural scenes for learning semantic, instance and panoptic segmentation on a CPU: sky and "
        "grass (*stuff*, separated by a wavy horizon, with gradients and mowed-lawn stripes) and "
        f"0-{config.max_things} *things* per image ({things}) of {config.min_thing * scale:.0f}-"
        f"{config.max_thing * scale:.0f} px, in random colours so that a class can only be recognised by its "
        f"shape. Things touch and occlude each other; about {config.empty_fraction:.0%} of the images have "
        f"no things; luminance noise is added to {config.noise_fraction:.0%} of the pixels. Shapes are drawn "
        "whole-pixel, so every label is exact.",
        width=105,
    )
    splits = textwrap.fill(
        f"Images: {config.size} x {config.size} RGB PNG. Splits: train {counts['train']['images']} images "
        f"({counts['train']['images_without_things']} without things), val {counts['val']['images']} images "
        f"({counts['val']['images_without_things']} without things).",
        width=105,
    )
    return f"""# {variant} (synthetic segmentation dataset)

{intro}

{splits}

## Classes (ids are the model's label ids)

| id | name | kind | display colour | train segments | val segments |
|---|---|---|---|---|---|
{rows}

## Files (COCO-like layout)

- `images/{{train,val}}/*.png`: the images.
- `annotations/panoptic_{{split}}.json` + `annotations/panoptic_{{split}}/*.png`: COCO panoptic
  (segment id = R + 256 G + 256² B, 0 = void; `segments_info` with id, category_id, area, bbox, iscrowd).
- `annotations/instances_{{split}}.json`: COCO instance segmentation of the things, masks as compressed RLE.
- `semantic/{{split}}/*.png`: one class id per pixel (8-bit, 255 = ignore).

Read them with `segtutor.data.open_dataset(root, split, format="panoptic" | "instance" | "semantic")`.

## What the readers check

The same readers open your own files in these formats; a file that fails a check raises
`DatasetFormatError` naming the file, the field, the problem and the fix, when the dataset is opened
(JSON) or when an image is read (`validate()` reads them all):

- JSON: UTF-8 (a byte-order mark is fine); `images`, `annotations`, `categories` are lists of objects;
  every field used has its JSON type; ids of images, categories, annotations and segments are unique.
- File names stay inside the dataset folder (no `..`, no absolute path); every file exists and decodes;
  no image over {MAX_IMAGE_PIXELS:,} pixels (raise with `SEGTUTOR_MAX_IMAGE_PIXELS`).
- `width` / `height` in `images` equal the image file's size; masks have the image's size.
- Categories: `isthing` is required in panoptic files and must be 0/1, true/false or "0"/"1".
- Panoptic: every id painted in a PNG is in `segments_info` and vice versa; id 0 (void) is never a
  segment; PNGs are real 8-bit RGB PNGs.
- Instances: polygons have at least 3 points, an even number of finite coordinates and lie inside the
  image (up to {margin} px outside); RLE `size` is `[height, width]`, its counts are non-negative and cover
  exactly H x W pixels.
- Semantic: label maps are real single-channel PNGs (not JPEGs renamed `.png`), with only known class
  ids or the ignore value.

## Regenerate

```
{_command(seed, n_train, n_val, config).replace("<root>", out)}
```

The generator is deterministic: the same seed and arguments give byte-identical files (with the same
versions of NumPy, Pillow, zlib and pycocotools). It writes the folder whole: an existing ToyShapes folder
is replaced completely (no file of the old one survives); any other non-empty folder is refused.

## Licence

CC0 1.0 (public domain dedication): the data is procedurally generated by segtutor and may be used for any
purpose without attribution. The generator code is Apache-2.0, like the rest of segtutor.
"""
