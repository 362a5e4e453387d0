"""File names written inside annotation files, resolved inside their dataset folder (never outside it)."""

from __future__ import annotations

import os
from pathlib import Path

from segtutor.data.errors import DatasetFormatError

__all__ = ["resolve_inside"]


def resolve_inside(folder: Path, name: str, annotation_file: str | Path, field: str) -> Path:
    """Return ``folder / name``, refusing a name that leaves ``folder``.

    ``name`` comes from an annotation file (``images[k].file_name``); an absolute path or a ``..`` that
    climbs out of ``folder`` would read a file the dataset does not own. The check is on the names only
    (symbolic links inside the folder are followed as usual), so subfolders such as ``"train2017/a.jpg"``
    are fine.

    Raises
    ------
    DatasetFormatError
        Naming ``annotation_file`` and ``field`` if ``name`` is absolute or climbs out of ``folder``.
    """
    base = os.path.normpath(folder)
    joined = os.path.normpath(os.path.join(base, name))
    if os.path.isabs(name) or os.path.commonpath([base, joined]) != base or joined == base:
        raise DatasetFormatError(
            annotation_file,
            field,
            f"file name {name!r} points outside the dataset folder {Path(folder)}.",
            "write file names relative to the dataset's folder (e.g. 'img_001.jpg'), without '..' or a "
            "leading '/'; move the files into the folder if they live elsewhere.",
        )
    return Path(joined)
