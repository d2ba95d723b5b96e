"""End to end on every lesson: the solution earns full marks, the untouched learner notebook none.

``pytest tests/test_lesson_grades.py -k 05`` grades one lesson (what ``make test-lesson L=05`` runs).
"""
from pathlib import Path

import pytest

from utils.grading.grader import grade

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb")
                 if (ROOT / "utils" / "exercises" / f"lesson{p.name[:2]}.py").exists())


@pytest.mark.parametrize("name", LESSONS, ids=[n[:-len(".ipynb")] for n in LESSONS])
def test_solution_full_marks_learner_zero(name):
    solution, learner = grade([ROOT / "solutions" / name, ROOT / "notebooks" / name], jobs=2, show_progress=False)
    assert solution.status == "graded" and solution.max_points > 0, solution.table()
    assert solution.total == solution.max_points and not solution.failed_cells, solution.table()
    assert learner.total == 0 and learner.max_points == solution.max_points, learner.table()
    assert {e.status for e in learner.exercises} == {"not attempted"}, learner.table()
