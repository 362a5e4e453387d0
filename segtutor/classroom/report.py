"""The class report: grade a folder of learners' notebooks and write the CSV table and Markdown summary."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from segtutor.classroom.execute import stop_all
from segtutor.classroom.grading import Graded, find_submissions, grade
from segtutor.classroom.lessons import find_lessons
from segtutor.classroom.tables import write_csv, write_markdown
from segtutor.cpu_sharing import usable_cpus

__all__ = ["CSV_NAME", "MARKDOWN_NAME", "class_report"]

CSV_NAME = "class_report.csv"
MARKDOWN_NAME = "class_report.md"


def class_report(
    submissions: Path,
    out_dir: Path,
    *,
    lessons_dir: Path,
    execute: str = "auto",
    timeout: float = 600.0,
    parallel: int = 1,
    kernel_name: str = "python3",
) -> list[Graded]:
    """Grade every notebook under ``submissions`` and write ``class_report.csv`` and ``class_report.md``.

    Parameters
    ----------
    submissions : Path
        A folder of learners' notebooks: ``<learner>/<lesson>.ipynb`` or ``<learner>_<lesson>.ipynb``
        (any depth; a sub-folder names its learner).
    out_dir : Path
        Gets the two report files and ``executed/``, the executed copies (to open when a row looks odd).
    lessons_dir : Path
        The project's ``notebooks/`` folder: which lessons exist and which exercises each one checks.
    execute : {"auto", "always", "never"}
        When to run a notebook (see :data:`segtutor.classroom.grading.EXECUTE_MODES`).
    timeout : float
        Seconds one notebook may run before it is stopped and reported as ``timeout``.
    parallel : int
        Notebooks run at the same time. With more than one, each kernel gets an equal share of the CPU
        cores (``OMP_NUM_THREADS``), so that the runs do not slow each other down by over-subscription.
    kernel_name : str
        Jupyter kernel for the runs.

    Returns
    -------
    list of Graded
        One row per notebook, sorted by learner and file.

    Raises
    ------
    ValueError
        If ``parallel`` or ``timeout`` is not positive.
    FileNotFoundError
        If ``submissions`` is not a folder or holds no notebook, or ``lessons_dir`` holds no lesson.
    """
    if parallel < 1 or timeout <= 0:
        raise ValueError(f"parallel must be ≥ 1 and timeout > 0, got parallel={parallel}, timeout={timeout}")
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise FileNotFoundError(f"the submissions folder {submissions} does not exist")
    paths = find_submissions(submissions)
    if not paths:
        raise FileNotFoundError(f"no notebooks (*.ipynb) under {submissions}")
    lessons = find_lessons(lessons_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    threads = max(1, usable_cpus() // parallel) if parallel > 1 else None

    def one(path: Path) -> Graded:
        return grade(
            path,
            submissions,
            lessons,
            work_dir=out_dir / "executed",
            execute=execute,
            timeout=timeout,
            kernel_name=kernel_name,
            threads=threads,
        )

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        try:
            rows = sorted(pool.map(one, paths), key=lambda row: (row.learner, row.file))
        except KeyboardInterrupt:  # stop the runs now instead of waiting for them
            pool.shutdown(wait=False, cancel_futures=True)
            stop_all()
            raise
    write_csv(rows, out_dir / CSV_NAME)
    settings = f"Execute mode `{execute}`, at most {timeout:g} s per notebook, {parallel} at a time."
    write_markdown(rows, out_dir / MARKDOWN_NAME, settings=settings)
    return rows
