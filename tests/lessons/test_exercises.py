from __future__ import annotations

import pytest

from segtutor.exercises import check


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
