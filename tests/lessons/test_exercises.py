from __future__ import annotations

import pytest

from segtutor.exercises import check, read_feedback_line


def test_unanswered_is_reported_not_judged():
    feedback = check("Exercise 1", None, 3)
    assert feedback.status == "unanswered" and "not answered yet" in repr(feedback)


@pytest.mark.parametrize(
    "answer, expected",
    [(3, 3), (0.501, 0.5), (" Circle ", "circle"), ([2, 1], {1, 2})],
)
def test_right_answers_are_accepted(answer, expected):
    assert check("Q", answer, expected).correct


@pytest.mark.parametrize(
    "answer, expected", [(4, 3), (0.6, 0.5), ("square", "circle"), ([1], {1, 2}), ("x", 2.0)]
)
def test_wrong_answers_are_rejected_with_the_hint(answer, expected):
    feedback = check("Q", answer, expected, hint="count the outlines")
    assert feedback.status == "wrong"
    assert "Hint: count the outlines" in feedback.text


@pytest.mark.parametrize(
    "answer, status", [(None, "unanswered"), (3, "correct"), (4, "wrong"), ("3\n", "wrong")]
)
def test_feedback_text_reads_back_as_its_question_and_status(answer, status):
    text = check("Exercise 12", answer, 3, hint="count").text
    assert read_feedback_line(text.splitlines()[0]) == ("Exercise 12", status)


@pytest.mark.parametrize(
    "line",
    [
        "Exercise 1: correctly done",
        " Exercise 1: correct (1).",
        "Q: correct (1).",
        "exercise 1: correct (1).",
    ],
)
def test_lines_that_only_look_like_feedback_are_not_read(line):
    assert read_feedback_line(line) is None
