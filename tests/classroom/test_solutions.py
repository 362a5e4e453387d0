"""The worked solutions: one per lesson with exercises, kept out of the learners' notebooks, and each one
run through its lesson's self-check by a parameter test (tests/notebooks/test_parameters_0N.py)."""

from __future__ import annotations

import ast

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from segtutor.classroom.cli import solutions_main
from segtutor.classroom.lessons import find_lessons
from segtutor.classroom.solutions import SOLUTIONS, answer_cell_index, solve_notebook
from segtutor.paths import repo_root

NOTEBOOKS = repo_root() / "notebooks"
LESSONS = find_lessons(NOTEBOOKS)
WITH_EXERCISES = sorted(stem for stem, lesson in LESSONS.items() if lesson.exercises)


def _assigned(source: str) -> dict[str, ast.expr]:
    """Name → value of every top-level ``answer_N = ...`` in ``source``."""
    return {
        target.id: node.value
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id.startswith("answer_")
    }


def _read(stem: str):
    return nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)


def test_every_lesson_with_exercises_has_solutions_and_no_other_does():
    assert WITH_EXERCISES and sorted(SOLUTIONS) == WITH_EXERCISES


@pytest.mark.parametrize("stem", WITH_EXERCISES)
def test_learners_answer_cell_holds_no_answer(stem):
    notebook = _read(stem)
    answers = _assigned(notebook.cells[answer_cell_index(notebook)].source)
    assert answers, f"{stem}: the answer cell sets no answer_N"
    for name, value in answers.items():
        assert isinstance(value, ast.Constant) and value.value is None, f"{stem}: {name} is not None"


@pytest.mark.parametrize("stem", WITH_EXERCISES)
def test_solution_answers_every_exercise_the_lesson_checks(stem):
    notebook = _read(stem)
    asked = set(_assigned(notebook.cells[answer_cell_index(notebook)].source))
    checked = {f"answer_{q.split()[-1]}" for q in LESSONS[stem].exercises}
    assert asked == checked
    assert set(_assigned(SOLUTIONS[stem])) == asked


@pytest.mark.parametrize("stem", WITH_EXERCISES)
def test_every_solution_is_run_through_the_self_check_by_a_parameter_test(stem):
    tests = [
        p.read_text(encoding="utf-8")
        for p in (repo_root() / "tests" / "notebooks").glob("test_parameters_*.py")
    ]
    assert any(f"{stem}.ipynb" in text and "solved=True" in text and "SOLVED" in text for text in tests)


def test_solving_replaces_the_answer_cell_and_clears_the_outputs_after_it():
    cells = [new_code_cell("x = 1"), new_code_cell("answer_1 = None"), new_code_cell("print(answer_1)")]
    for cell in cells:
        cell.outputs = [new_output("stream", name="stdout", text="old\n")]
        cell.execution_count = 1
    notebook = new_notebook(cells=cells)
    solved = solve_notebook(notebook, "02_inference_mask2former")
    assert solved.cells[1].source == SOLUTIONS["02_inference_mask2former"]
    assert solved.cells[0].outputs and not solved.cells[1].outputs and not solved.cells[2].outputs
    assert solved.metadata["segtutor"]["solved"] is True
    assert notebook.cells[1].source == "answer_1 = None" and notebook.cells[2].outputs  # input untouched


@pytest.mark.parametrize("sources", [["x = 1"], ["answer_1 = None", "answer_1 = 2"]])
def test_a_notebook_without_one_answer_cell_is_refused(sources):
    notebook = new_notebook(cells=[new_code_cell(s) for s in sources])
    with pytest.raises(ValueError, match="exactly one code cell that sets `answer_1"):
        solve_notebook(notebook, "01_segmentation_types")


def test_lesson_without_exercises_has_no_solutions():
    with pytest.raises(KeyError, match="no worked solutions for lesson '00_setup_check'"):
        solve_notebook(_read("00_setup_check"), "00_setup_check")


def test_command_writes_solved_copies_and_reports_lessons_without_solutions(tmp_path, capsys):
    paths = [NOTEBOOKS / f"{WITH_EXERCISES[0]}.ipynb", NOTEBOOKS / "00_setup_check.ipynb"]
    assert solutions_main([str(p) for p in paths] + ["-o", str(tmp_path)]) == 1
    solved = nbformat.read(tmp_path / paths[0].name, as_version=4)
    assert solved.cells[answer_cell_index(solved)].source == SOLUTIONS[WITH_EXERCISES[0]]
    assert not (tmp_path / "00_setup_check.ipynb").exists()
    assert "00_setup_check.ipynb: no worked solutions" in capsys.readouterr().err
