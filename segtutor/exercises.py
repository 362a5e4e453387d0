"""Self-check cells for the exercises at the end of each notebook.

A learner writes an answer into a variable and runs the check cell; :func:`check` says whether it is right,
gives a hint when it is not, and says "not answered yet" while the variable is still ``None``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Feedback", "check"]


@dataclass(frozen=True)
class Feedback:
    """The result of one self-check; its text is what the notebook shows."""

    question: str
    status: str  # "correct", "wrong" or "unanswered"
    text: str

    def __repr__(self) -> str:
        return self.text

    @property
    def correct(self) -> bool:
        return self.status == "correct"


def _matches(answer: Any, expected: Any, rel_tol: float) -> bool:
    if isinstance(expected, float) or isinstance(answer, float):
        try:
            return math.isclose(float(answer), float(expected), rel_tol=rel_tol, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    if isinstance(expected, str) and isinstance(answer, str):
        return answer.strip().lower() == expected.strip().lower()
    if isinstance(expected, (set, frozenset)):
        try:
            return set(answer) == set(expected)
        except TypeError:
            return False
    return answer == expected


def check(question: str, answer: Any, expected: Any, hint: str = "", rel_tol: float = 0.02) -> Feedback:
    """Compare a learner's ``answer`` with ``expected`` and return friendly feedback.

    Parameters
    ----------
    question : str
        Short name of the exercise, e.g. ``"Exercise 1"``.
    answer : Any
        The learner's answer; ``None`` means "not answered yet".
    expected : Any
        The right answer. Floats compare with ``rel_tol``, strings ignore case and surrounding spaces,
        sets ignore order.
    hint : str
        Shown when the answer is wrong.
    rel_tol : float
        Relative tolerance for numbers.
    """
    if answer is None:
        text = f"{question}: not answered yet. Set the variable, then run this cell."
        return Feedback(question, "unanswered", text)
    if _matches(answer, expected, rel_tol):
        return Feedback(question, "correct", f"{question}: correct ({answer!r}).")
    tip = f" Hint: {hint}" if hint else ""
    return Feedback(question, "wrong", f"{question}: not quite ({answer!r}).{tip}")
