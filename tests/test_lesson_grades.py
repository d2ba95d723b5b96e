"""End to end on every lesson: the solution earns full marks, the untouched learner notebook none.

The solution's grading run is also its nbval run: the grader executes it under pytest + nbval, and with
``check_outputs`` it keeps the stored outputs so that the cells marked ``# NBVAL_CHECK_OUTPUT`` are compared
(sanitized by ``tests/sanitize.cfg``, as ``make notebooks`` does). A failed or mismatching cell fails the test.
``make test`` therefore executes each solution once for both checks.

``pytest tests/test_lesson_grades.py -k 05`` grades one lesson (what ``make test-lesson L=05`` runs).
"""
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from utils.grading.grader import grade

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted(p.name for p in (ROOT / "solutions").glob("[0-9][0-9]-*.ipynb"))
LESSONS = [name for name in SOLUTIONS if (ROOT / "utils" / "exercises" / f"lesson{name[:2]}.py").exists()]
SANITIZE = ROOT / "tests" / "sanitize.cfg"


def test_every_lesson_is_graded_so_every_solution_runs_under_nbval():
    assert LESSONS == SOLUTIONS, f"lessons without exercises are not executed by this file: {set(SOLUTIONS) - set(LESSONS)}"


@pytest.mark.parametrize("name", LESSONS, ids=[n[:-len(".ipynb")] for n in LESSONS])
def test_solution_full_marks_learner_zero(name):
    with ThreadPoolExecutor(max_workers=2) as pool:
        solution_run = pool.submit(grade, [ROOT / "solutions" / name], show_progress=False, check_outputs=SANITIZE)
        learner_run = pool.submit(grade, [ROOT / "notebooks" / name], show_progress=False)
        [solution], [learner] = solution_run.result(), learner_run.result()
    assert solution.status == "graded" and solution.max_points > 0, solution.table()
    assert solution.total == solution.max_points and not solution.failed_cells, solution.table()
    assert learner.total == 0 and learner.max_points == solution.max_points, learner.table()
    assert {e.status for e in learner.exercises} == {"not attempted"}, learner.table()
