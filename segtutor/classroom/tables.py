"""Write the class report's rows as a CSV table and a Markdown summary."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from segtutor.classroom.grading import Graded

__all__ = ["SYMBOLS", "write_csv", "write_markdown"]

SYMBOLS = {"correct": "✓", "wrong": "✗", "unanswered": "–", "missing": "?"}
"""How the Markdown summary shows each outcome."""

_LEGEND = (
    "✓ correct, ✗ not quite, – not answered yet, ? no self-check output (the check cell did not run or "
    "was removed)"
)


def _questions(rows: Sequence[Graded]) -> list[str]:
    questions: list[str] = []
    for row in rows:
        questions += [q for q in row.outcomes if q not in questions]
    return sorted(questions, key=lambda q: (len(q), q))  # "Exercise 2" before "Exercise 10"


def write_csv(rows: Sequence[Graded], path: Path) -> Path:
    """Write one line per learner and lesson: who, which file, status, reason, then one column per exercise.

    Parameters
    ----------
    rows : sequence of Graded
    path : Path
        The CSV file (UTF-8, comma-separated, a header line).

    Returns
    -------
    Path
        ``path``.
    """
    questions = _questions(rows)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["learner", "lesson", "file", "status", "reason", "executed", "seconds", "passed", *questions]
        )
        for row in rows:
            passed = f"{row.passed}/{len(row.outcomes)}" if row.outcomes else ""
            writer.writerow(
                [
                    row.learner,
                    row.lesson,
                    row.file,
                    row.status,
                    row.reason,
                    "yes" if row.executed else "no",
                    f"{row.seconds:.1f}",
                    passed,
                    *(row.outcomes.get(q, "") for q in questions),
                ]
            )
    return path


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_markdown(rows: Sequence[Graded], path: Path, *, settings: str = "") -> Path:
    """Write the summary: per lesson a table of learners × exercises with each exercise's pass rate, then
    every notebook that did not run cleanly, with the reason.

    Parameters
    ----------
    rows : sequence of Graded
    path : Path
        The Markdown file.
    settings : str
        One line about how the report was made (execute mode, time limit), shown under the title.

    Returns
    -------
    Path
        ``path``.
    """
    learners = {row.learner for row in rows}
    lines = [
        "# Class report",
        "",
        f"{len(rows)} notebooks from {len(learners)} learners. {settings}".strip(),
        "",
    ]
    for lesson in sorted({row.lesson for row in rows if row.lesson}):
        group = sorted((row for row in rows if row.lesson == lesson), key=lambda r: (r.learner, r.file))
        questions = _questions(group)
        lines += [f"## {lesson}", ""]
        if not questions:
            ran = sum(row.status == "ok" for row in group)
            lines += [f"No exercises; {ran} of {len(group)} notebooks ran without an error.", ""]
            continue
        lines += [
            "| learner | status | " + " | ".join(questions) + " | passed |",
            "|---|---|" + "---|" * len(questions) + "---|",
        ]
        for row in group:
            marks = " | ".join(SYMBOLS[row.outcomes[q]] if q in row.outcomes else "" for q in questions)
            lines.append(f"| {_cell(row.learner)} | {row.status} | {marks} | {row.passed}/{len(questions)} |")
        rates = []
        for question in questions:
            right = sum(row.outcomes.get(question) == "correct" for row in group)
            rates.append(f"{right}/{len(group)} ({100 * right / len(group):.0f} %)")
        lines += [f"| **pass rate** | | {' | '.join(rates)} | |", ""]
    lines += [
        _LEGEND + ". Pass rates count every notebook of the lesson, those that failed to run included.",
        "",
    ]
    failed = [row for row in rows if row.status != "ok"]
    lines += ["## Notebooks that did not run cleanly", ""]
    if not failed:
        lines += ["None: every notebook ran without an error.", ""]
    for row in sorted(failed, key=lambda r: (r.learner, r.file)):
        lines.append(f"* **{_cell(row.learner)}**, `{_cell(row.file)}`: {row.status}: {_cell(row.reason)}")
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return path
