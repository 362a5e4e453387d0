"""The lazy sequence every reader returns: files are opened only when an item is asked for."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from segtutor.categories import Category
from segtutor.data.errors import DatasetFormatError
from segtutor.data.targets import Kind, Sample

__all__ = ["SampleSequence", "check_declared_size", "check_same_size"]


class SampleSequence(Sequence[Sample]):
    """A read-only, lazy list of :class:`~segtutor.data.targets.Sample`.

    Subclasses implement ``_load(index)``; this base class gives ``len``, indexing (negative indices and
    slices too), iteration and :meth:`validate`.

    Attributes
    ----------
    categories : list of Category
        Every category of the dataset, sorted by id.
    kind : {"panoptic", "instance", "semantic"}
        The annotation format.
    file_names : list of str
        Image file names, in item order.
    """

    kind: Kind

    def __init__(self, categories: list[Category], file_names: list[str]) -> None:
        self.categories = sorted(categories, key=lambda c: c.id)
        self.file_names = list(file_names)

    def _load(self, index: int) -> Sample:  # pragma: no cover - abstract
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.file_names)

    def __getitem__(self, index: int | slice) -> Sample | list[Sample]:  # type: ignore[override]
        """Item ``index`` (negative counts from the end); a slice gives a list of samples."""
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not isinstance(index, (int, np.integer)):
            raise TypeError(f"index must be an int or a slice, got {type(index).__name__}.")
        n = len(self)
        i = int(index) + n if index < 0 else int(index)
        if not 0 <= i < n:
            raise IndexError(f"index {index} out of range for a dataset of {n} images.")
        return self._load(i)

    def __iter__(self) -> Iterator[Sample]:
        for i in range(len(self)):
            yield self._load(i)

    def __repr__(self) -> str:
        names = ", ".join(c.name for c in self.categories[:6]) + (", ..." if len(self.categories) > 6 else "")
        return f"{type(self).__name__}({len(self)} images, {len(self.categories)} categories: {names})"

    def validate(self) -> None:
        """Read every item and check it; raise the first :class:`DatasetFormatError` found.

        Loading an item already runs every check (files exist and decode, sizes agree, ids match the
        annotation file), so this simply loads them all. An image without annotations is valid.
        """
        for i in range(len(self)):
            self._load(i)


def check_same_size(
    image: np.ndarray, label: np.ndarray, label_path: str | Path, image_path: str | Path
) -> None:
    """Raise a :class:`DatasetFormatError` unless a label map has the image's height and width."""
    if label.shape[:2] != image.shape[:2]:
        raise DatasetFormatError(
            label_path,
            "size",
            f"mask is {label.shape[1]}x{label.shape[0]} (WxH) but its image {Path(image_path).name} is "
            f"{image.shape[1]}x{image.shape[0]}.",
            "masks must have exactly the image's size: re-export the mask, or resize it with NEAREST "
            "interpolation (never bilinear, which invents ids).",
        )


def check_declared_size(
    entry: dict, image: np.ndarray, annotation_file: str | Path, where: str, image_path: str | Path
) -> None:
    """Raise a :class:`DatasetFormatError` unless an ``images`` entry's ``width``/``height`` (when given)
    are the decoded image's."""
    h, w = image.shape[:2]
    for key, real in (("width", w), ("height", h)):
        if key in entry and entry[key] != real:
            raise DatasetFormatError(
                annotation_file,
                f"{where}.{key}",
                f"declared {entry.get('width')}x{entry.get('height')} (WxH) but {Path(image_path).name} is "
                f"{w}x{h}.",
                "if the image was resized after annotating, resize (scale) its annotations too and update "
                "width/height; otherwise restore the original image.",
            )
