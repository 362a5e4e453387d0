"""Read each exercise's self-check outcome from a notebook's saved output."""

from __future__ import annotations

from segtutor.exercises import read_feedback_line

__all__ = ["MISSING", "has_every_outcome", "read_outcomes"]

MISSING = "missing"
"""Outcome of an exercise whose check printed nothing: the check cell did not run, or was removed."""


def _printed_lines(notebook) -> list[str]:
    """Every line the code cells printed (stdout) or displayed as text, in cell order."""
    lines = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                lines += "".join(output.get("text", "")).splitlines()
            elif output.get("output_type") in ("execute_result", "display_data"):
                lines += "".join(output.get("data", {}).get("text/plain", "")).splitlines()
    return lines


def read_outcomes(notebook, exercises: tuple[str, ...]) -> dict[str, str]:
    """Return the outcome of every exercise in ``exercises``, read from the notebook's outputs.

    Only lines that start exactly like :func:`segtutor.exercises.check`'s feedback count (``"Exercise 2:
    correct (...)"``); when an exercise was checked twice, the later line wins.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        A learner's notebook, executed or as saved.
    exercises : tuple of str
        The questions of its lesson, e.g. ``("Exercise 1", "Exercise 2")``.

    Returns
    -------
    dict of str to str
        Question → ``"correct"``, ``"wrong"``, ``"unanswered"`` or :data:`MISSING`, in the order of
        ``exercises``.
    """
    found: dict[str, str] = {}
    for line in _printed_lines(notebook):
        parsed = read_feedback_line(line)
        if parsed is not None:
            found[parsed[0]] = parsed[1]
    return {question: found.get(question, MISSING) for question in exercises}


def has_every_outcome(notebook, exercises: tuple[str, ...]) -> bool:
    """Tell whether the saved outputs already say something for every exercise (nothing to execute)."""
    return bool(exercises) and MISSING not in read_outcomes(notebook, exercises).values()
