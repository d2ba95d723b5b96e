"""End to end on a real lesson: the solution earns full marks, the untouched learner notebook none."""
from pathlib import Path

import pytest

from utils.grader import grade

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(900)
def test_lesson00_solution_full_marks_learner_zero():
    solution, learner = grade([ROOT / "solutions/00-setup.ipynb", ROOT / "notebooks/00-setup.ipynb"],
                              timeout_cell=300, timeout_total=600, jobs=2, show_progress=False)
    assert solution.max_points == 3
    assert solution.total == solution.max_points, solution.table()
    assert learner.total == 0, learner.table()
