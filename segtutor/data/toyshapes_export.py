"""Write a ToyShapes dataset to disk: every split in three formats, plus a data card (README.md)."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

from segtutor.categories import Category
from segtutor.data.coco_instances import InstancesWriter
from segtutor.data.coco_panoptic import PanopticWriter
from segtutor.data.image_io import write_png
from segtutor.data.layout import DatasetLayout
from segtutor.data.semantic_png import SemanticWriter
from segtutor.data.toyshapes import ToyShapesConfig, generate_split, toyshapes_categories

__all__ = ["write_toyshapes"]


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
        Output folder (created; files of the same names are overwritten).
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
    """
    root = Path(root)
    config = config or ToyShapesConfig()
    categories = toyshapes_categories(config.with_star)
    counts: dict[str, dict[str, int]] = {}
    for split, n in (("train", n_train), ("val", n_val)):
        layout = DatasetLayout(root, split)
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
    out = root.as_posix() if not root.is_absolute() else root.name  # no machine-specific path in the card
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

## Regenerate

```
{_command(seed, n_train, n_val, config).replace("<root>", out)}
```

The generator is deterministic: the same seed and arguments give byte-identical files (with the same
versions of NumPy, Pillow, zlib and pycocotools).

## Licence

CC0 1.0 (public domain dedication): the data is procedurally generated by segtutor and may be used for any
purpose without attribution. The generator code is Apache-2.0, like the rest of segtutor.
"""
