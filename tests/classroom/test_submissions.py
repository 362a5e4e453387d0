"""Which lesson and which learner a submitted notebook is, and how its outcomes are read."""

from __future__ import annotations

from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from segtutor.classroom.execute import first_error
from segtutor.classroom.grading import learner_name
from segtutor.classroom.lessons import Lesson, exercises_checked, identify_lesson
from segtutor.classroom.outcomes import has_every_outcome, read_outcomes

LESSONS = {stem: Lesson(stem, ("Exercise 1",)) for stem in ("01_types", "01_types_extra", "02_inference")}


@pytest.mark.parametrize(
    "relative, learner",
    [
        ("alice/01_types.ipynb", "alice"),
        ("alice/week 1/whatever.ipynb", "alice"),
        ("bob_01_types.ipynb", "bob"),
        ("01_types - Bob Smith.ipynb", "Bob Smith"),
        ("Copy of 01_types.ipynb", "Copy of 01_types"),
        ("carol_01_TYPES (1).ipynb", "carol"),
    ],
)
def test_learner_is_the_folder_or_the_file_name_without_the_lesson(relative, learner):
    assert learner_name(Path(relative), "01_types") == learner


@pytest.mark.parametrize(
    "file_name, lesson",
    [("alice_01_types.ipynb", "01_types"), ("01_types_extra.ipynb", "01_types_extra"), ("x.ipynb", None)],
)
def test_lesson_from_the_file_name_longest_stem_first(file_name, lesson):
    found = identify_lesson(file_name, new_notebook(), LESSONS)
    assert (found.stem if found else None) == lesson


def test_lesson_from_the_colab_badge_when_the_file_was_renamed():
    badge = "[![Open In Colab](b.svg)](https://colab.research.google.com/github/o/r/blob/main/notebooks/02_inference.ipynb)"
    assert identify_lesson(
        "homework.ipynb", new_notebook(cells=[new_markdown_cell(badge)]), LESSONS
    ).stem == ("02_inference")


def test_exercises_are_the_questions_the_check_cells_ask():
    cells = [
        new_code_cell(
            'print(check("Exercise 2", a, 1))\ncheck( "Exercise 1", b, 2)\ncheck("Exercise 2", c, 3)'
        )
    ]
    assert exercises_checked(new_notebook(cells=cells)) == ("Exercise 2", "Exercise 1")


def _printed(*texts, kind="stream"):
    cell = new_code_cell("print(...)")
    if kind == "stream":
        cell.outputs = [new_output("stream", name="stdout", text=t) for t in texts]
    else:
        cell.outputs = [
            new_output("execute_result", data={"text/plain": t}, execution_count=1) for t in texts
        ]
    return new_notebook(cells=[cell])


def test_outcomes_come_from_feedback_lines_only_and_the_last_one_wins():
    notebook = _printed(
        "Exercise 1: not quite (3). Hint: x\nExercise 3: correct (1).\n",
        "I think Exercise 2: correct\nExercise 1: correct (2).\n",
    )
    assert read_outcomes(notebook, ("Exercise 1", "Exercise 2")) == {
        "Exercise 1": "correct",
        "Exercise 2": "missing",
    }
    assert not has_every_outcome(notebook, ("Exercise 1", "Exercise 2"))


def test_outcomes_are_read_from_a_displayed_feedback_too():
    notebook = _printed("Exercise 1: not answered yet. Set the variable, then run this cell.", kind="result")
    assert read_outcomes(notebook, ("Exercise 1",)) == {"Exercise 1": "unanswered"}
    assert has_every_outcome(notebook, ("Exercise 1",))


def test_first_error_names_the_cell_and_the_exception_without_colour_codes():
    cell = new_code_cell("\nanswer_1 = int('x')")
    cell.outputs = [
        new_output("error", ename="ValueError", evalue="\x1b[0;31minvalid literal\x1b[0m", traceback=[])
    ]
    notebook = new_notebook(cells=[new_markdown_cell("# title"), cell])
    assert first_error(notebook) == "cell 2 (answer_1 = int('x')) raised ValueError: invalid literal"
    assert first_error(new_notebook(cells=[new_code_cell("x = 1")])) == ""
