"""Tools for a teacher: worked solutions of the exercises and a report of a class's notebooks.

* :mod:`segtutor.classroom.solutions`: each lesson's worked answer cell, and a solved copy of a notebook
  (``segtutor-solutions``). The learners' notebooks never contain them.
* :mod:`segtutor.classroom.report`: ``segtutor-class-report`` runs a folder of learners' notebooks headless
  and writes who passed which exercise (CSV and Markdown).

Nothing in the lessons imports this package; it sits on top of the library, beside the notebooks.
"""

from __future__ import annotations

from segtutor.classroom.grading import Graded, grade
from segtutor.classroom.lessons import Lesson, find_lessons, identify_lesson
from segtutor.classroom.report import class_report
from segtutor.classroom.solutions import SOLUTIONS, solve_notebook

__all__ = [
    "SOLUTIONS",
    "Graded",
    "Lesson",
    "class_report",
    "find_lessons",
    "grade",
    "identify_lesson",
    "solve_notebook",
]
