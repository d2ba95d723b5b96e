"""Every lesson's exercises: well formed, one solution each from the notebook, every listed wrong answer rejected."""
from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from utils.grading import Exercise
from utils.grading.exercise import CORRECT, SOLUTIONS_FILE

EXERCISES_DIR = Path(__file__).resolve().parents[1] / "utils" / "exercises"
MODULES = sorted(p.stem for p in EXERCISES_DIR.glob("lesson*.py"))


def _module(name):
    return importlib.import_module(f"utils.exercises.{name}")


@pytest.mark.parametrize("name", MODULES)
def test_exercise_module_is_well_formed(name):
    module = _module(name)
    exercises = module.EXERCISES
    assert exercises and all(isinstance(ex, Exercise) for ex in exercises)
    assert [ex.name for ex in exercises] == [f"q{i}" for i in range(1, len(exercises) + 1)], "q1, q2, … in order"
    lesson = name[len("lesson"):]
    solutions = json.loads(SOLUTIONS_FILE.read_text())[lesson]
    for ex in exercises:
        assert getattr(module, ex.name) is ex, f"{ex.name} should be importable by its name"
        assert ex.lesson == lesson
        assert ex.name in solutions and ex.solution_code() == solutions[ex.name], \
            f"{ex.name}: no solution block before `{ex.name}.check()` in the lesson's notebook"
        assert ex.wrong, f"{ex.name}: list the plausible wrong answers it must reject"
        assert ex.evaluate().status == "not attempted"


def _wrong_answers():
    for name in MODULES:
        for ex in _module(name).EXERCISES:
            for label in ex.wrong:
                yield pytest.param(name, ex.name, label, id=f"{name}-{ex.name}-{label}")


@pytest.mark.parametrize("name, qname, label", list(_wrong_answers()))
def test_plausible_wrong_answers_are_rejected_with_a_reason(name, qname, label):
    ex = getattr(_module(name), qname)
    namespace: dict = {}
    exec(compile(ex.wrong[label], f"<{qname}: {label}>", "exec"), namespace)
    answer = namespace[ex.target]
    for seed in (0, 1, 2):  # fresh inputs each time, as at every grading
        outcome = ex.evaluate(answer, seed=seed)
        assert outcome.status != CORRECT and outcome.points == 0, f"{label!r} passed with seed {seed}"
        assert len(outcome.message) > 15, outcome.message
