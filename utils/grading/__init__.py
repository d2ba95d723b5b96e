"""Exercises and their grading, in four small modules.

* :mod:`.exercise` — the declaration of one exercise and the learner's ``check`` / ``hint`` / ``solution``;
* :mod:`.kernel` — the only code that runs in a submission's kernel: call, record plain data;
* :mod:`.grader` — execute submissions, judge them in the grader's process, guard the course code;
* :mod:`.report` and :mod:`.progress` — what instructors and learners read.

Exercise modules import from here: ``from utils.grading import Exercise, expect, close``.
"""
from utils.grading.exercise import (MISSING, STATUSES, Exercise, Incorrect, Outcome, close, expect,
                                    points_text, same)

__all__ = ["Exercise", "Incorrect", "Outcome", "expect", "close", "same", "MISSING", "STATUSES", "points_text"]
