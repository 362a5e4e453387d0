"""Where the files of a ToyShapes-style dataset live, and one call to open any split in any format.

The layout follows COCO::

    <root>/images/{split}/*.png
    <root>/annotations/panoptic_{split}.json
    <root>/annotations/panoptic_{split}/*.png
    <root>/annotations/instances_{split}.json
    <root>/semantic/{split}/*.png
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from segtutor.data.coco_instances import CocoInstancesReader, read_coco_instances
from segtutor.data.coco_json import load_json, parse_categories
from segtutor.data.coco_panoptic import CocoPanopticReader, read_coco_panoptic
from segtutor.data.errors import DatasetFormatError
from segtutor.data.semantic_png import SemanticPngReader, read_semantic_pngs

__all__ = ["DEFAULT_TOYSHAPES_ROOT", "DatasetLayout", "open_dataset"]

Format = Literal["panoptic", "instance", "semantic"]

#: The committed dataset, ``data/toy-shapes`` at the repository root.
DEFAULT_TOYSHAPES_ROOT = Path(__file__).resolve().parents[2] / "data" / "toy-shapes"


@dataclass(frozen=True)
class DatasetLayout:
    """Paths of one split of a dataset in the segtutor (COCO-like) layout."""

    root: Path
    split: str

    @property
    def image_dir(self) -> Path:
        return self.root / "images" / self.split

    @property
    def panoptic_json(self) -> Path:
        return self.root / "annotations" / f"panoptic_{self.split}.json"

    @property
    def panoptic_dir(self) -> Path:
        return self.root / "annotations" / f"panoptic_{self.split}"

    @property
    def instances_json(self) -> Path:
        return self.root / "annotations" / f"instances_{self.split}.json"

    @property
    def semantic_dir(self) -> Path:
        return self.root / "semantic" / self.split


def open_dataset(
    root: str | Path | None = None, split: str = "train", format: Format = "panoptic"
) -> CocoPanopticReader | CocoInstancesReader | SemanticPngReader:
    """Open one split of a dataset in the ToyShapes layout, in one of its three formats.

    Parameters
    ----------
    root : str or Path, optional
        Dataset folder; defaults to the committed ToyShapes dataset (``data/toy-shapes``).
    split : str
        ``"train"`` or ``"val"`` (any split folder present).
    format : {"panoptic", "instance", "semantic"}
        Which annotation files to read. Semantic reads its categories from the panoptic JSON.

    Returns
    -------
    CocoPanopticReader or CocoInstancesReader or SemanticPngReader
        A lazy sequence of :class:`~segtutor.data.targets.Sample` with ``.categories``.

    Raises
    ------
    DatasetFormatError
        If the split's files are missing or malformed.
    ValueError
        If ``format`` is not one of the three.
    """
    layout = DatasetLayout(Path(root) if root is not None else DEFAULT_TOYSHAPES_ROOT, split)
    if not layout.image_dir.is_dir():
        raise DatasetFormatError(
            layout.image_dir,
            "split",
            f"no image folder for split {split!r}.",
            "check root and split; regenerate ToyShapes with `segtutor-toyshapes --out <root>`.",
        )
    if format == "panoptic":
        return read_coco_panoptic(layout.panoptic_json, layout.image_dir, layout.panoptic_dir)
    if format == "instance":
        return read_coco_instances(layout.instances_json, layout.image_dir)
    if format == "semantic":
        data = load_json(layout.panoptic_json, ("categories",))
        categories = parse_categories(data, layout.panoptic_json, default_isthing=None)
        return read_semantic_pngs(layout.image_dir, layout.semantic_dir, categories)
    raise ValueError(f"format must be 'panoptic', 'instance' or 'semantic', got {format!r}.")
