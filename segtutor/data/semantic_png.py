"""Semantic segmentation PNGs: one class index per pixel, paired with images by file stem.

ToyShapes and most datasets store the class id directly with 255 = ignore. ADE20K stores 0 = "other /
void" and classes from 1; with ``reduce_labels=True`` the reader maps 0 to ignore and ``v`` to ``v - 1``
(as the transformers image processors' ``do_reduce_labels`` does), so the ids match ``id2label``.

Label PNGs must be real PNG files (a JPEG renamed ``.png`` is refused: lossy compression invents labels)
and single-channel: 8-bit gray (``L``), palette (``P``; the index is the class, as in Pascal VOC) or
16-bit (``I;16`` / ``I``) for more than 255 classes. Two images with the same stem (``a.jpg``, ``a.png``)
are refused, as they would share one label PNG.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from segtutor.categories import Category, categories_from_id2label
from segtutor.data.errors import DatasetFormatError
from segtutor.data.image_io import read_label_png, read_rgb, write_png
from segtutor.data.reader_base import SampleSequence, check_same_size
from segtutor.data.targets import Sample

__all__ = [
    "IMAGE_EXTENSIONS",
    "SemanticPngReader",
    "SemanticWriter",
    "read_semantic_pngs",
    "write_semantic_pngs",
]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
_LABEL_MODES = ("L", "P", "I;16", "I;16L", "I;16B", "I")


class SemanticPngReader(SampleSequence):
    """Lazy semantic segmentation dataset; build it with :func:`read_semantic_pngs`."""

    kind = "semantic"

    def __init__(
        self,
        image_dir: Path,
        mask_dir: Path,
        categories: list[Category],
        reduce_labels: bool,
        ignore_index: int,
    ) -> None:
        self.image_dir, self.mask_dir = image_dir, mask_dir
        self.reduce_labels, self.ignore_index = reduce_labels, ignore_index
        if not image_dir.is_dir():
            raise DatasetFormatError(
                image_dir,
                "folder",
                "the image folder does not exist.",
                "pass the folder that holds the images of this split.",
            )
        names = sorted(
            p.name
            for p in image_dir.iterdir()
            if p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".")  # ._a.png: macOS
        )
        stems: dict[str, str] = {}
        for name in names:
            stem = Path(name).stem
            if stem in stems:
                raise DatasetFormatError(
                    image_dir / name,
                    "file name",
                    f"{stems[stem]!r} and {name!r} would share the label PNG {stem}.png.",
                    "give every image its own file stem; remove or rename the duplicate.",
                )
            stems[stem] = name
        super().__init__(categories, names)
        self._known = np.array(sorted(c.id for c in self.categories), dtype=np.int64)

    def _labels(self, mask_path: Path) -> np.ndarray:
        raw = read_label_png(
            mask_path,
            allowed_modes=_LABEL_MODES,
            what="semantic label PNG",
            fix="save label maps as single-channel PNGs (mode L, P or I;16) holding class ids, "
            "not as RGB colour pictures.",
        )
        if self.reduce_labels:
            return np.where(raw == 0, self.ignore_index, np.where(raw == 255, self.ignore_index, raw - 1))
        return raw

    def _load(self, index: int) -> Sample:
        name = self.file_names[index]
        image_path = self.image_dir / name
        image = read_rgb(image_path)
        mask_path = self.mask_dir / (Path(name).stem + ".png")
        labels = self._labels(mask_path)
        check_same_size(image, labels, mask_path, image_path)
        ignore = labels == self.ignore_index
        present = np.unique(labels[~ignore])
        unknown = present[~np.isin(present, self._known)]
        if unknown.size:
            hint = (
                " (ADE20K-style files with 0 = void need reduce_labels=True)"
                if not self.reduce_labels
                else ""
            )
            raise DatasetFormatError(
                mask_path,
                "pixel values",
                f"class ids {unknown.tolist()} are not in the categories (known ids: {self._known.tolist()}; "
                f"ignore = {self.ignore_index}){hint}.",
                "pass the dataset's full categories / id2label, or fix the label values.",
            )
        h, w = labels.shape
        masks = labels[None] == present[:, None, None] if present.size else np.zeros((0, h, w), dtype=bool)
        return Sample(
            image, masks, present.astype(np.int64), ignore, "semantic", self.categories, name, index
        )


def read_semantic_pngs(
    image_dir: str | Path,
    mask_dir: str | Path,
    categories: list[Category] | Mapping[int | str, str],
    *,
    reduce_labels: bool = False,
    ignore_index: int = 255,
) -> SemanticPngReader:
    """Open a folder of images and a folder of semantic label PNGs lazily.

    Parameters
    ----------
    image_dir : str or Path
        Images (``.png``, ``.jpg``, ...), sorted by name; each item is one image. Hidden files (names
        starting with ``.``, such as the ``._name.png`` files macOS leaves on USB drives) are skipped.
    mask_dir : str or Path
        Label PNGs named like the images with ``.png`` (``ADE_val_00000001.jpg`` ->
        ``ADE_val_00000001.png``).
    categories : list of Category or mapping of int to str
        The classes; an ``id2label`` mapping gives stuff categories with fallback colours.
    reduce_labels : bool
        ADE20K convention: 0 = void becomes ignore and every other value ``v`` becomes ``v - 1``.
    ignore_index : int
        Label value meaning "unlabelled" (after reduction).

    Returns
    -------
    SemanticPngReader
        A sequence of semantic :class:`Sample`: one mask per class present, ``ignore`` where the label is
        ``ignore_index``. An image whose pixels are all ignored is kept with ``N = 0``.

    Raises
    ------
    DatasetFormatError
        When an item is read (or by ``validate()``): missing or corrupt files, size mismatch, a label PNG
        that is not single-channel, class ids not in ``categories``.
    """
    if isinstance(categories, Mapping):
        categories = categories_from_id2label(categories, thing_ids=())
    return SemanticPngReader(Path(image_dir), Path(mask_dir), list(categories), reduce_labels, ignore_index)


class SemanticWriter:
    """Write samples as semantic label PNGs (mode ``L``: class id per pixel, 255 = ignore).

    Where instance masks overlap, the later mask wins (:meth:`Sample.semantic_map`).

    Parameters
    ----------
    mask_dir : str or Path
        Folder for the label PNGs (named like the images, with ``.png``).
    image_dir : str or Path, optional
        If given, the images are written there as PNG too.
    """

    def __init__(self, mask_dir: str | Path, image_dir: str | Path | None = None) -> None:
        self.mask_dir = Path(mask_dir)
        self.image_dir = None if image_dir is None else Path(image_dir)

    def add(self, sample: Sample) -> None:
        """Write ``sample``'s label PNG (and image)."""
        if sample.category_ids.size and sample.category_ids.max() >= 255:
            raise ValueError(
                f"Sample {sample.file_name!r}: 8-bit semantic PNGs hold class ids 0..254, "
                f"got {int(sample.category_ids.max())}; remap the ids to fewer classes."
            )
        labels = sample.semantic_map(ignore_index=255).astype(np.uint8)
        write_png(self.mask_dir / (Path(sample.file_name).stem + ".png"), labels)
        if self.image_dir is not None:
            write_png(self.image_dir / sample.file_name, sample.image)


def write_semantic_pngs(
    samples: Iterable[Sample], mask_dir: str | Path, image_dir: str | Path | None = None
) -> None:
    """Write samples as semantic label PNGs (see :class:`SemanticWriter`)."""
    writer = SemanticWriter(mask_dir, image_dir)
    for sample in samples:
        writer.add(sample)
