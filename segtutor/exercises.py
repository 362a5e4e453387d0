"""Self-check cells for the exercises at the end of each notebook.

A learner writes an answer into a variable and runs the check cell; :func:`check` says whether it is right,
gives a hint when it is not, and says "not answered yet" while the variable is still ``None``.

The first words of each feedback line are fixed (``"Exercise 3: correct"``, ``"...: not quite"``,
``"...: not answered yet"``): :func:`read_feedback_line` reads them back, which is how the class report
(``segtutor-class-report``) learns each learner's outcome from a notebook's printed output.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Feedback", "check", "read_feedback_line"]

_STATUS_WORDS = {"correct": "correct", "wrong": "not quite", "unanswered": "not answered yet"}
_FEEDBACK_LINE = re.compile(
    r"^(?P<question>Exercise \d+): (?P<words>" + "|".join(_STATUS_WORDS.values()) + r")(?: \(|\.)"
)


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
        text = f"{question}: {_STATUS_WORDS['unanswered']}. Set the variable, then run this cell."
        return Feedback(question, "unanswered", text)
    if _matches(answer, expected, rel_tol):
        return Feedback(question, "correct", f"{question}: {_STATUS_WORDS['correct']} ({answer!r}).")
    tip = f" Hint: {hint}" if hint else ""
    return Feedback(question, "wrong", f"{question}: {_STATUS_WORDS['wrong']} ({answer!r}).{tip}")


def read_feedback_line(line: str) -> tuple[str, str] | None:
    """Read the question and status back from one line that :func:`check`'s feedback printed.

    Parameters
    ----------
    line : str
        One line of a notebook's output.

    Returns
    -------
    tuple of (str, str) or None
        ``(question, status)``, e.g. ``("Exercise 3", "wrong")`` with status ``"correct"``, ``"wrong"`` or
        ``"unanswered"``; ``None`` when the line is not the start of a feedback text. Only questions named
        ``"Exercise N"`` are read, and only at the start of the line.
    """
    found = _FEEDBACK_LINE.match(line)
    if found is None:
        return None
    status = next(key for key, words in _STATUS_WORDS.items() if words == found["words"])
    return found["question"], status
