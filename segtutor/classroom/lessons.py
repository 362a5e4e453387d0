"""Which lessons exist, which exercises each one checks, and which lesson a learner's file is."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Lesson", "exercises_checked", "find_lessons", "identify_lesson"]

_CHECK_CALL = re.compile(r"""check\(\s*["'](Exercise \d+)["']""")
_BADGE_NOTEBOOK = re.compile(r"notebooks/([\w.-]+)\.ipynb")


@dataclass(frozen=True)
class Lesson:
    """One lesson notebook as the project ships it.

    Attributes
    ----------
    stem : str
        The notebook's file name without ``.ipynb``, e.g. ``"01_segmentation_types"``.
    exercises : tuple of str
        The questions its check cells ask, in order, e.g. ``("Exercise 1", "Exercise 2")``; empty for a
        lesson without exercises (``00_setup_check``).
    """

    stem: str
    exercises: tuple[str, ...]


def exercises_checked(notebook) -> tuple[str, ...]:
    """Return the questions that the code cells of ``notebook`` check, in order of first appearance.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        A notebook; a question counts when a code cell calls ``check("Exercise N", ...)``.

    Returns
    -------
    tuple of str
    """
    found: list[str] = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            for question in _CHECK_CALL.findall(cell.source):
                if question not in found:
                    found.append(question)
    return tuple(found)


def find_lessons(folder: Path) -> dict[str, Lesson]:
    """Read every lesson notebook in ``folder`` (the project's ``notebooks/``).

    Parameters
    ----------
    folder : Path
        A folder of ``*.ipynb`` lesson notebooks.

    Returns
    -------
    dict of str to Lesson
        Keyed by notebook stem.

    Raises
    ------
    FileNotFoundError
        If ``folder`` holds no notebook.
    """
    import nbformat

    paths = sorted(Path(folder).glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(
            f"no lesson notebooks (*.ipynb) in {folder}: pass the project's notebooks/ folder (--lessons)."
        )
    lessons = {}
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        lessons[path.stem] = Lesson(path.stem, exercises_checked(notebook))
    return lessons


def identify_lesson(file_name: str, notebook, lessons: dict[str, Lesson]) -> Lesson | None:
    """Decide which lesson a learner's notebook is a copy of.

    The file name wins when it contains a lesson's stem (``alice_01_segmentation_types.ipynb``,
    ``Copy of 01_segmentation_types.ipynb``); otherwise the notebook's Colab badge, which names the lesson's
    file, decides (a renamed copy such as ``homework.ipynb``).

    Parameters
    ----------
    file_name : str
        The submission's file name.
    notebook : nbformat.NotebookNode or None
        The submission, if it could be read.
    lessons : dict of str to Lesson
        From :func:`find_lessons`.

    Returns
    -------
    Lesson or None
        ``None`` when neither the name nor the badge names a known lesson.
    """
    name = file_name.casefold()
    by_name = [stem for stem in lessons if stem.casefold() in name]
    if by_name:
        return lessons[max(by_name, key=len)]
    for cell in notebook.cells if notebook is not None else []:
        if cell.cell_type == "markdown":
            for stem in _BADGE_NOTEBOOK.findall(cell.source):
                if stem in lessons:
                    return lessons[stem]
    return None
