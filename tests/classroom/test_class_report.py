"""segtutor-class-report on a folder of tiny synthetic notebooks: right, wrong, missing, crashing,
timed-out, malformed and already-executed answers, each reported for what it is."""

from __future__ import annotations

import csv

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from segtutor.classroom.cli import class_report_main
from segtutor.classroom.execute import run_notebook
from segtutor.classroom.report import class_report

LESSON = "91_tiny_lesson"
BADGE = f"[![Open In Colab](badge.svg)](https://colab.research.google.com/github/x/y/blob/main/notebooks/{LESSON}.ipynb)"
CHECKS = (
    "from segtutor.exercises import check\n"
    'print(check("Exercise 1", answer_1, 1 + bonus, hint="add one and one"))\n'
    'print(check("Exercise 2", answer_2, "sky", hint="look up"))'
)


def _lesson(answers: str = "answer_1 = None\nanswer_2 = None", *, checks: str = CHECKS, title: str = BADGE):
    cells = [
        new_markdown_cell(title),
        new_code_cell("bonus = 1", metadata={"tags": ["parameters"]}),
        new_markdown_cell("## Exercises"),
        new_code_cell(answers),
        new_code_cell(checks),
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def _write(path, notebook):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def lessons(tmp_path):
    folder = tmp_path / "lessons"
    _write(folder / f"{LESSON}.ipynb", _lesson())
    _write(folder / "90_no_exercises.ipynb", new_notebook(cells=[new_code_cell("x = 1")]))
    return folder


def _executed_earlier():
    """Saved outputs that say 'correct' while the answer cell says None: read, not re-run, in auto mode."""
    notebook = _lesson()
    notebook.cells[4].outputs = [
        new_output("stream", name="stdout", text="Exercise 1: correct (2).\nExercise 2: correct ('sky').\n")
    ]
    return notebook


@pytest.fixture
def submissions(tmp_path):
    folder = tmp_path / "submissions"
    _write(folder / "alice" / f"{LESSON}.ipynb", _lesson('answer_1 = 2\nanswer_2 = "Sky"'))
    _write(folder / f"bob_{LESSON}.ipynb", _lesson('answer_1 = 3\nanswer_2 = "sky"'))
    _write(folder / "carol" / f"{LESSON}.ipynb", _lesson())
    _write(folder / "dave" / f"{LESSON}.ipynb", _lesson("answer_1 = 1 / 0\nanswer_2 = 'sky'"))
    _write(folder / "erin" / "homework.ipynb", _executed_earlier())  # lesson known from its Colab badge
    (folder / "frank").mkdir()
    (folder / "frank" / f"{LESSON}.ipynb").write_text('{"cells": [', encoding="utf-8")
    _write(folder / "grace" / "notes.ipynb", _lesson(title="# My own notes"))
    _write(folder / "heidi" / f"{LESSON}.ipynb", _lesson("answer_1 = 2\nanswer_2 = 'sky'", checks="pass"))
    _write(folder / "alice" / ".ipynb_checkpoints" / f"{LESSON}-checkpoint.ipynb", _lesson())
    return folder


def _rows(out):
    with open(out / "class_report.csv", encoding="utf-8") as file:
        return {row["learner"]: row for row in csv.DictReader(file)}


@pytest.mark.slow
def test_report_says_who_passed_which_exercise_and_why_others_failed(tmp_path, lessons, submissions):
    out = tmp_path / "report"
    arguments = ["--out", str(out), "--lessons", str(lessons), "--timeout", "120", "--parallel", "2"]
    code = class_report_main([str(submissions), *arguments])
    assert code == 0
    rows = _rows(out)
    assert set(rows) == {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"}
    outcomes = {name: (row["status"], row["Exercise 1"], row["Exercise 2"]) for name, row in rows.items()}
    assert outcomes["alice"] == ("ok", "correct", "correct")
    assert outcomes["bob"] == ("ok", "wrong", "correct")
    assert outcomes["carol"] == ("ok", "unanswered", "unanswered")
    assert outcomes["dave"] == ("error", "missing", "missing")
    assert outcomes["erin"] == ("ok", "correct", "correct")
    assert outcomes["frank"] == ("malformed", "", "")
    assert outcomes["grace"] == ("unknown lesson", "", "")
    assert outcomes["heidi"] == ("ok", "missing", "missing")
    assert "cell 4 (answer_1 = 1 / 0) raised ZeroDivisionError: division by zero" == rows["dave"]["reason"]
    assert rows["frank"]["reason"].startswith("not a readable notebook")
    assert rows["erin"]["executed"] == "no" and rows["alice"]["executed"] == "yes"
    assert rows["alice"]["passed"] == "2/2" and rows["bob"]["passed"] == "1/2"
    assert (out / "executed" / "bob_91_tiny_lesson.ipynb").is_file()
    summary = (out / "class_report.md").read_text(encoding="utf-8")
    assert "| alice | ok | ✓ | ✓ | 2/2 |" in summary and "| bob | ok | ✗ | ✓ | 1/2 |" in summary
    assert "| carol | ok | – | – | 0/2 |" in summary
    assert "| frank | malformed |  |  | 0/2 |" in summary  # its file name says which lesson
    # pass rates count all 7 notebooks of the lesson: alice, erin right on 1; alice, bob, erin on 2
    assert "| **pass rate** | | 2/7 (29 %) | 3/7 (43 %) | |" in summary
    assert "* **dave**, `dave/91_tiny_lesson.ipynb`: error: cell 4" in summary
    assert "* **frank**" in summary and "* **grace**" in summary and "* **alice**" not in summary


@pytest.mark.slow
def test_execute_always_ignores_saved_outputs(tmp_path, lessons):
    folder = tmp_path / "submissions"
    _write(folder / f"erin_{LESSON}.ipynb", _executed_earlier())
    rows = class_report(folder, tmp_path / "report", lessons_dir=lessons, execute="always", timeout=120)
    assert [(r.learner, r.executed, r.outcomes) for r in rows] == [
        ("erin", True, {"Exercise 1": "unanswered", "Exercise 2": "unanswered"})
    ]


def test_execute_never_reads_only_saved_outputs(tmp_path, lessons):
    folder = tmp_path / "submissions"
    _write(folder / f"{LESSON}_carol.ipynb", _lesson('answer_1 = 2\nanswer_2 = "sky"'))
    rows = class_report(folder, tmp_path / "report", lessons_dir=lessons, execute="never")
    assert [(r.learner, r.status, r.executed, r.passed) for r in rows] == [("carol", "ok", False, 0)]
    assert rows[0].outcomes == {"Exercise 1": "missing", "Exercise 2": "missing"}


@pytest.mark.slow
def test_a_notebook_past_its_time_limit_is_stopped_and_reported(tmp_path):
    source = _write(tmp_path / "slow.ipynb", _lesson("import time\ntime.sleep(600)"))
    run = run_notebook(source, tmp_path / "out" / "slow.ipynb", timeout=8)
    assert run.status == "timeout"
    assert run.reason == "stopped after 8 s, the time limit for one notebook (--timeout)"


@pytest.mark.parametrize(
    "text", ['{"cells": [', "[1, 2]", '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "\u00ff"]
)
def test_a_file_that_is_no_notebook_is_reported_as_malformed(tmp_path, lessons, text):
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / f"frank_{LESSON}.ipynb").write_text(text, encoding="latin-1")
    [row] = class_report(folder, tmp_path / "report", lessons_dir=lessons, execute="never")
    assert (row.learner, row.lesson, row.status) == ("frank", LESSON, "malformed")
    assert row.reason.startswith("not a readable notebook (")


def test_no_notebooks_is_an_error_with_exit_code_2(tmp_path, lessons, capsys):
    (tmp_path / "empty").mkdir()
    assert (
        class_report_main([str(tmp_path / "empty"), "--out", str(tmp_path / "r"), "--lessons", str(lessons)])
        == 2
    )
    assert "no notebooks (*.ipynb) under" in capsys.readouterr().err
