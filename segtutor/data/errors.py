"""The one error type the dataset readers raise: it names the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DatasetFormatError"]


class DatasetFormatError(ValueError):
    """Bad dataset input, explained.

    Parameters
    ----------
    file : str or Path
        The file at fault (an annotation JSON, an image, a mask PNG).
    field : str
        The field or property at fault, e.g. ``"annotations[3].segments_info[0].category_id"`` or ``"size"``.
    problem : str
        What was expected and what was found.
    fix : str
        How to fix it.
    """

    def __init__(self, file: str | Path, field: str, problem: str, fix: str) -> None:
        self.file = str(file)
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.file}: {field}: {problem}\n  How to fix: {fix}")
