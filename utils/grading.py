"""Exercises a learner can check in the notebook: ``q1.check()``, ``q1.hint()``, ``q1.solution()``.

An exercise is one small declarative object, defined in ``utils/exercises/lessonNN.py``::

    q1 = Exercise(
        "q1", points=2, target="count_vowels", grade=_grade_count_vowels,
        hints=["Loop over the characters.", "`sum(ch in 'aeiou' for ch in text.lower())`"],
        solution="def count_vowels(text):\n    return sum(ch in 'aeiou' for ch in text.lower())",
        prompt="Write `count_vowels(text)`.",
    )
    EXERCISES = [q1, ...]

``target`` names the learner's variable or function in the notebook. ``grade(obj)`` returns
nothing when the answer is right and raises :class:`Incorrect` (or ``AssertionError``) with a
friendly reason when it is wrong. Grade functions recompute what they expect themselves, call the
learner's functions on hidden inputs kept inside the exercise module, and compare with tolerances
or properties rather than exact floats. The same ``evaluate`` method backs ``check()`` in the
notebook and the grader (:mod:`utils.grader`), which re-runs it from a fresh copy of the module.
"""
from __future__ import annotations

import inspect
import sys
from dataclasses import asdict, dataclass
from typing import Any, Callable, Sequence

__all__ = ["Exercise", "Incorrect", "Outcome", "expect", "MISSING"]

CORRECT, INCORRECT, NOT_ATTEMPTED, ERROR, TIMEOUT = (
    "correct", "incorrect", "not attempted", "error", "timeout")


class Incorrect(AssertionError):
    """Raised by a grade function: the answer is wrong; the message tells the learner why."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""Stands for "the learner has not defined the target yet"."""


def expect(condition: bool, message: str) -> None:
    """Raise :class:`Incorrect` with ``message`` unless ``condition`` holds (for grade functions)."""
    if not condition:
        raise Incorrect(message)


@dataclass(frozen=True)
class Outcome:
    """The result of grading one answer."""

    name: str
    status: str  # correct | incorrect | not attempted | error | timeout
    points: float
    max_points: float
    message: str = ""

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def to_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        """The one line shown in the notebook."""
        if self.correct:
            return f"✓ {self.name} correct ({_fmt(self.points)}/{_fmt(self.max_points)} points)"
        if self.status == NOT_ATTEMPTED:
            return f"✗ {self.name}: not attempted yet — {self.message}"
        return f"✗ {self.name}: {self.message}"


def _fmt(x: float) -> str:
    return f"{x:g}"


class Exercise:
    """One graded exercise: what to look for in the notebook, how to grade it, hints and solution."""

    def __init__(
        self,
        name: str,
        points: float,
        target: str,
        grade: Callable[[Any], None],
        hints: Sequence[str] = (),
        solution: str = "",
        prompt: str = "",
    ) -> None:
        if not name or not isinstance(name, str):
            raise ValueError("an exercise needs a non-empty name, e.g. 'q1'")
        if not isinstance(target, str) or not target.isidentifier():
            raise ValueError(f"{name}: target must be a Python identifier, got {target!r}")
        if not callable(grade):
            raise TypeError(f"{name}: grade must be a function taking the learner's answer")
        if points < 0:
            raise ValueError(f"{name}: points must be >= 0, got {points}")
        self.name = name
        self.points = points
        self.target = target
        self.grade = grade
        self.hints = list(hints)
        self.solution_code = solution.strip("\n")
        self.prompt = prompt
        self._hints_shown = 0

    def __repr__(self) -> str:
        return f"<Exercise {self.name} ({_fmt(self.points)} points): define `{self.target}`>"

    def _repr_markdown_(self) -> str:
        text = f"**{self.name}** ({_fmt(self.points)} points) — define `{self.target}`"
        return f"{text}\n\n{self.prompt}" if self.prompt else text

    # -- grading -------------------------------------------------------------------------------
    def evaluate(self, answer: Any = MISSING) -> Outcome:
        """Grade ``answer`` and return an :class:`Outcome`; never raises for a wrong or broken answer."""
        def outcome(status: str, message: str = "") -> Outcome:
            points = self.points if status == CORRECT else 0
            return Outcome(self.name, status, points, self.points, message)

        if answer is MISSING:
            return outcome(NOT_ATTEMPTED, f"`{self.target}` is not defined; run your solution cell first")
        try:
            self.grade(answer)
        except NotImplementedError:
            return outcome(NOT_ATTEMPTED, f"replace the placeholder in `{self.target}` with your code")
        except AssertionError as exc:  # Incorrect is an AssertionError
            return outcome(INCORRECT, str(exc) or "not the expected answer")
        except (Exception, SystemExit) as exc:  # the learner's code failed on an input
            return outcome(ERROR, f"your code raised {type(exc).__name__}: {exc}")
        return outcome(CORRECT)

    def check(self, answer: Any = MISSING) -> None:
        """Print ✓ or ✗ with a reason. Without ``answer``, reads ``target`` from the notebook."""
        try:
            if answer is MISSING:
                answer = _lookup(self.target, inspect.currentframe())
            result = self.evaluate(answer)
        except Exception as exc:  # a check must never break the learner's notebook
            result = Outcome(self.name, ERROR, 0, self.points,
                             f"could not check: {type(exc).__name__}: {exc}")
        print(result.line())

    # -- help ----------------------------------------------------------------------------------
    def hint(self, level: int | None = None) -> None:
        """Print the next hint (or hint number ``level``, counting from 1)."""
        if not self.hints:
            print(f"No hints for {self.name}; {self.name}.solution() shows the answer.")
            return
        if level is None:
            level = min(self._hints_shown + 1, len(self.hints))
        if not isinstance(level, int) or not 1 <= level <= len(self.hints):
            raise ValueError(f"{self.name} has hints 1..{len(self.hints)}, not {level!r}")
        self._hints_shown = max(self._hints_shown, level)
        more = "" if level < len(self.hints) else " (last hint)"
        print(f"Hint {level}/{len(self.hints)} for {self.name}{more}: {self.hints[level - 1]}")

    def solution(self) -> None:
        """Print the reference solution."""
        if not self.solution_code:
            print(f"No reference solution is stored for {self.name}.")
            return
        print(f"Solution for {self.name}:\n\n{self.solution_code}")


def _lookup(name: str, frame) -> Any:
    """``name`` from the globals of the caller of ``frame`` (``check``), else from ``__main__``."""
    caller = frame.f_back if frame is not None else None
    try:
        if caller is not None and name in caller.f_globals:
            return caller.f_globals[name]
    finally:
        del frame, caller
    main = sys.modules.get("__main__")
    return getattr(main, name, MISSING)
