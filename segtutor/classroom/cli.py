"""Command lines for teachers: ``segtutor-class-report`` and ``segtutor-solutions``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["class_report_main", "solutions_main"]


def _lessons_default() -> Path:
    from segtutor.paths import repo_root

    return repo_root() / "notebooks"


def class_report_main(argv: list[str] | None = None) -> int:
    """Entry point of ``segtutor-class-report``; returns 0 when the report was written, 2 when it was not."""
    from segtutor.classroom.grading import EXECUTE_MODES
    from segtutor.classroom.report import CSV_NAME, MARKDOWN_NAME, class_report

    parser = argparse.ArgumentParser(
        prog="segtutor-class-report",
        description="Run a folder of learners' notebooks headless and report who passed which exercise "
        f"({CSV_NAME} and {MARKDOWN_NAME}).",
    )
    parser.add_argument(
        "submissions",
        type=Path,
        help="folder of notebooks: <learner>/<lesson>.ipynb or <learner>_<lesson>.ipynb",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the report and executed copies")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per notebook (default 600)")
    parser.add_argument("--parallel", type=int, default=1, help="notebooks run at once (default 1)")
    parser.add_argument(
        "--execute",
        choices=EXECUTE_MODES,
        default="auto",
        help="auto: run only notebooks whose saved outputs lack a self-check line (default); "
        "always: run every notebook afresh (use it for grading); never: read saved outputs",
    )
    parser.add_argument(
        "--lessons",
        type=Path,
        default=_lessons_default(),
        help="the lesson notebooks (default: this checkout's notebooks/)",
    )
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel (default python3)")
    args = parser.parse_args(argv)
    try:
        rows = class_report(
            args.submissions,
            args.out,
            lessons_dir=args.lessons,
            execute=args.execute,
            timeout=args.timeout,
            parallel=args.parallel,
            kernel_name=args.kernel,
        )
    except (FileNotFoundError, ValueError) as err:
        print(f"segtutor-class-report: {err}", file=sys.stderr)
        return 2
    failed = sum(row.status != "ok" for row in rows)
    print(
        f"{len(rows)} notebooks, {failed} did not run cleanly; report: {args.out / MARKDOWN_NAME} and "
        f"{args.out / CSV_NAME}"
    )
    return 0


def solutions_main(argv: list[str] | None = None) -> int:
    """Entry point of ``segtutor-solutions``: write solved copies of lesson notebooks; 0 on success."""
    import nbformat

    from segtutor.classroom.lessons import find_lessons, identify_lesson
    from segtutor.classroom.solutions import SOLUTIONS, solve_notebook

    parser = argparse.ArgumentParser(
        prog="segtutor-solutions",
        description="Write a teacher's copy of lesson notebooks whose answer cell holds the worked solution.",
    )
    parser.add_argument("notebooks", nargs="+", type=Path, help="lesson notebooks, e.g. notebooks/01_*.ipynb")
    parser.add_argument("-o", "--out", type=Path, required=True, help="folder for the solved copies")
    parser.add_argument("--lessons", type=Path, default=_lessons_default(), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    lessons = find_lessons(args.lessons)
    args.out.mkdir(parents=True, exist_ok=True)
    status = 0
    for path in args.notebooks:
        notebook = nbformat.read(path, as_version=4)
        lesson = identify_lesson(path.name, notebook, lessons)
        if lesson is None or lesson.stem not in SOLUTIONS:
            print(
                f"{path}: no worked solutions (lessons with solutions: {', '.join(SOLUTIONS)})",
                file=sys.stderr,
            )
            status = 1
            continue
        try:
            solved = solve_notebook(notebook, lesson.stem)
        except ValueError as err:
            print(f"{path}: {err}", file=sys.stderr)
            status = 1
            continue
        target = args.out / path.name
        nbformat.write(solved, target)
        print(f"{target}: solved copy of {lesson.stem} (run it top to bottom to see every check say correct)")
    return status
