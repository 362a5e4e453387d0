"""Grade one learner's notebook: identify its lesson and learner, run it if needed, read its outcomes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from segtutor.classroom.execute import first_error, run_notebook
from segtutor.classroom.lessons import Lesson, identify_lesson
from segtutor.classroom.outcomes import has_every_outcome, read_outcomes

__all__ = ["EXECUTE_MODES", "Graded", "find_submissions", "grade", "learner_name"]

_DOWNLOAD_COPY = re.compile(r"\s*\(\d+\)$")

EXECUTE_MODES = ("auto", "always", "never")
"""``auto``: run a notebook only when its saved outputs lack a self-check line of some exercise;
``always``: run every notebook afresh (for grading: saved outputs can be stale or edited);
``never``: only read the saved outputs."""


@dataclass(frozen=True)
class Graded:
    """One row of the class report: one learner's copy of one lesson.

    Attributes
    ----------
    learner : str
        From the submission's folder (``alice/01_...ipynb``) or file name (``alice_01_...ipynb``).
    lesson : str
        The lesson's stem; ``""`` when it could not be identified.
    file : str
        The submission's path inside the submissions folder.
    status : str
        ``"ok"``, ``"error"`` (a cell raised), ``"timeout"``, ``"malformed"`` (not a readable notebook) or
        ``"unknown lesson"``.
    reason : str
        Why the status is not ``"ok"``, in one sentence; empty when it is.
    executed : bool
        Whether the report ran the notebook (``False``: its saved outputs were read).
    seconds : float
        How long the run took (0 when not executed).
    outcomes : dict of str to str
        Question → ``"correct"``, ``"wrong"``, ``"unanswered"`` or ``"missing"``.
    """

    learner: str
    lesson: str
    file: str
    status: str
    reason: str = ""
    executed: bool = False
    seconds: float = 0.0
    outcomes: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        """Number of exercises answered correctly."""
        return sum(outcome == "correct" for outcome in self.outcomes.values())


def find_submissions(folder: Path) -> list[Path]:
    """Return every ``*.ipynb`` under ``folder``, sorted, without Jupyter's ``.ipynb_checkpoints`` copies."""
    return sorted(
        path
        for path in Path(folder).rglob("*.ipynb")
        if ".ipynb_checkpoints" not in path.parts and path.is_file()
    )


def learner_name(relative: Path, lesson: str | None) -> str:
    """Name the learner of a submission from its path inside the submissions folder.

    A file in a sub-folder belongs to the folder's learner (``alice/01_segmentation_types.ipynb`` →
    ``alice``); a file at the top level to its name without the lesson's stem and a leading "Copy of"
    (``bob_01_segmentation_types.ipynb`` → ``bob``), or to its whole stem when nothing is left.

    Parameters
    ----------
    relative : Path
        The submission's path relative to the submissions folder.
    lesson : str or None
        The lesson's stem, if known.

    Returns
    -------
    str
    """
    if len(relative.parts) > 1:
        return relative.parts[0]
    name = _DOWNLOAD_COPY.sub("", relative.stem)
    if lesson:
        at = name.casefold().find(lesson.casefold())
        if at >= 0:
            name = name[:at] + name[at + len(lesson) :]
    if name.casefold().startswith("copy of "):
        name = name[len("copy of ") :]
    name = name.strip(" _-.()")
    return name or relative.stem


def grade(
    path: Path,
    folder: Path,
    lessons: dict[str, Lesson],
    *,
    work_dir: Path,
    execute: str = "auto",
    timeout: float = 600.0,
    kernel_name: str = "python3",
    threads: int | None = None,
) -> Graded:
    """Grade the submission ``path`` (inside ``folder``); every failure becomes a status, none is raised.

    Parameters
    ----------
    path : Path
        The learner's notebook.
    folder : Path
        The submissions folder (names the learner and the executed copy).
    lessons : dict of str to Lesson
        From :func:`segtutor.classroom.find_lessons`.
    work_dir : Path
        Executed copies go to ``work_dir / <path inside folder>``; the kernel runs in the submission's folder.
    execute : {"auto", "always", "never"}
        See :data:`EXECUTE_MODES`.
    timeout : float
        Seconds one notebook may run.
    kernel_name : str
        Jupyter kernel.
    threads : int, optional
        Threads per kernel (see :func:`segtutor.classroom.execute.run_notebook`).

    Returns
    -------
    Graded
    """
    import nbformat

    if execute not in EXECUTE_MODES:
        raise ValueError(f"execute must be one of {EXECUTE_MODES}, got {execute!r}")
    relative = path.relative_to(folder)
    try:
        notebook = nbformat.read(path, as_version=4)
        if not isinstance(notebook.get("cells"), list):
            raise ValueError("it has no list of cells")
    except Exception as err:  # any unreadable file is a row of the report, not a crash
        reason = f"not a readable notebook ({type(err).__name__}: {_first_line(err)})"
        named = identify_lesson(path.name, None, lessons)  # the file name may still say which lesson
        stem = named.stem if named else ""
        return Graded(learner_name(relative, stem or None), stem, str(relative), "malformed", reason)
    lesson = identify_lesson(path.name, notebook, lessons)
    if lesson is None:
        reason = (
            f"no lesson named in the file name or the Colab badge (lessons: {', '.join(sorted(lessons))})"
        )
        return Graded(learner_name(relative, None), "", str(relative), "unknown lesson", reason)
    learner = learner_name(relative, lesson.stem)
    if execute == "never" or (execute == "auto" and has_every_outcome(notebook, lesson.exercises)):
        error = first_error(notebook)
        status, reason = ("error", f"saved outputs: {error}") if error else ("ok", "")
        outcomes = read_outcomes(notebook, lesson.exercises)
        return Graded(learner, lesson.stem, str(relative), status, reason, False, 0.0, outcomes)
    run = run_notebook(path, work_dir / relative, timeout=timeout, kernel_name=kernel_name, threads=threads)
    executed = _read_or_none(run.output)
    outcomes = read_outcomes(
        executed if executed is not None else nbformat.v4.new_notebook(), lesson.exercises
    )
    return Graded(learner, lesson.stem, str(relative), run.status, run.reason, True, run.seconds, outcomes)


def _read_or_none(path: Path):
    import nbformat

    try:
        return nbformat.read(path, as_version=4)
    except Exception:  # missing after a timeout or half-written: no outcomes to read
        return None


def _first_line(err: Exception) -> str:
    lines = [line for line in str(err).splitlines() if line.strip()]
    return lines[0][:160] if lines else "no message"
