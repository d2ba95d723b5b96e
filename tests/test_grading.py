"""Exercises in the notebook (check / hint / solution) and the nbval-driven grader."""
from __future__ import annotations

import csv
import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from utils import grader
from utils.cli import main
from utils.grading import Exercise, Incorrect, expect

FIXTURES = Path(__file__).parent / "fixtures"
EXERCISES = FIXTURES / "fixture_exercises"


def _grade_double(fn):
    expect(callable(fn), "`double` should be a function")
    for x in (-3, 0, 11):  # hidden inputs
        if fn(x) != 2 * x:
            raise Incorrect(f"double({x}) returned {fn(x)!r}; expected {2 * x}")


def _exercise(**kw):
    args = dict(name="q9", points=3, target="double", grade=_grade_double,
                hints=["Multiply.", "Use `2 * x`."], solution="def double(x):\n    return 2 * x")
    args.update(kw)
    return Exercise(**args)


# -- Exercise in the notebook ------------------------------------------------------------------
def test_check_with_explicit_answers(capsys):
    ex = _exercise()
    ex.check(lambda x: 2 * x)
    ex.check(lambda x: x + 2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "✓ q9 correct (3/3 points)"
    assert lines[1].startswith("✗ q9: double(-3) returned -1; expected -6")


def test_check_reads_the_target_from_the_callers_globals(capsys, monkeypatch):
    ex = _exercise()
    ex.check()
    assert "not attempted yet" in capsys.readouterr().out
    monkeypatch.setitem(globals(), "double", lambda x: x * 2)
    ex.check()
    assert capsys.readouterr().out.startswith("✓ q9 correct")


def test_placeholder_and_learner_errors_never_raise(capsys):
    def placeholder(x):
        raise NotImplementedError("write your solution here")

    def broken(x):
        return x / 0

    ex = _exercise()
    ex.check(placeholder)
    ex.check(broken)
    ex.check(41)  # not even a function
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✗ q9: not attempted yet")
    assert out[1] == "✗ q9: your code raised ZeroDivisionError: division by zero"
    assert out[2] == "✗ q9: `double` should be a function"


def test_evaluate_outcomes():
    ex = _exercise()
    assert ex.evaluate(lambda x: 2 * x).points == 3
    wrong = ex.evaluate(lambda x: x)
    assert (wrong.status, wrong.points, wrong.max_points) == ("incorrect", 0, 3)
    assert ex.evaluate().status == "not attempted"


def test_hints_are_tiered_and_solution_prints_code(capsys):
    ex = _exercise()
    ex.hint()
    ex.hint()
    ex.hint()  # stays on the last one
    ex.hint(1)
    ex.solution()
    out = capsys.readouterr().out
    assert out.count("Hint 1/2") == 2 and out.count("Hint 2/2") == 2
    assert "(last hint)" in out
    assert "def double(x):\n    return 2 * x" in out
    with pytest.raises(ValueError, match="hints 1..2"):
        ex.hint(3)


def test_bad_exercise_definitions_are_rejected():
    with pytest.raises(ValueError, match="identifier"):
        _exercise(target="not a name")
    with pytest.raises(TypeError, match="grade"):
        _exercise(grade="nope")
    with pytest.raises(ValueError, match="points"):
        _exercise(points=-1)


def test_lesson_of_reads_metadata_then_file_name():
    nb = nbformat.v4.new_notebook(metadata={"course": {"lesson": "07"}})
    assert grader.lesson_of("whatever.ipynb", nb) == "07"
    assert grader.lesson_of("05-fine-tuning.ipynb") == "05"
    assert grader.lesson_of("my-copy.ipynb") is None


# -- the grader on fixture notebooks -----------------------------------------------------------
@pytest.fixture(scope="module")
def graded():
    """Grade every fixture notebook once (two batches side by side, to keep the suite quick)."""
    names = ["solution", "learner", "cheat", "hang", "crash"]
    paths = [FIXTURES / f"99-{n}.ipynb" for n in names]
    with ThreadPoolExecutor(2) as pool:
        batch = pool.submit(grader.grade, paths, timeout_cell=4, timeout_total=150,
                            exercises_dir=EXERCISES, jobs=2, show_progress=False)
        stubborn = pool.submit(grader.grade, [FIXTURES / "99-stubborn.ipynb"], timeout_cell=60,
                               timeout_total=15, exercises_dir=EXERCISES, show_progress=False)
        results = batch.result() + stubborn.result()
    return {Path(r.path).stem.split("-", 1)[1]: r for r in results}


def _points(result):
    return {e.name: e.points for e in result.exercises}


def test_solution_gets_full_marks(graded):
    r = graded["solution"]
    assert (r.status, r.total, r.max_points) == ("graded", 5, 5)
    assert r.failed_cells == 0


def test_untouched_learner_notebook_scores_zero(graded):
    r = graded["learner"]
    assert (r.status, r.total, r.max_points) == ("graded", 0, 5)
    assert {e.status for e in r.exercises} == {"not attempted"}


def test_cheating_gains_nothing(graded):
    r = graded["cheat"]
    assert r.total == 0
    assert _points(r) == {"q1": 0, "q2": 0, "q3": 0}
    assert "returned 0; expected 10" in r.exercises[0].message  # a hidden input, not the visible one


def test_hanging_cell_is_reported_as_timeout(graded):
    r = graded["hang"]
    assert r.status == "timeout" and "4 s" in r.reason
    statuses = {e.name: e.status for e in r.exercises}
    # q2's function loops forever on the hidden input: only that exercise times out
    assert statuses == {"q1": "correct", "q2": "timeout", "q3": "correct"}
    assert r.total == 3


def test_total_timeout_kills_the_run(graded):
    r = graded["stubborn"]
    assert r.status == "timeout" and "15 s in total" in r.reason
    assert r.seconds < 15 + 10
    assert r.total == 0 and all(e.status == "not graded" for e in r.exercises)


def test_kernel_crash_is_reported(graded):
    r = graded["crash"]
    assert r.status == "crashed" and "kernel died" in r.reason
    assert r.total == 0 and len(r.exercises) == 3


def test_reports_json_and_csv(graded, tmp_path):
    results = [graded["solution"], graded["learner"]]
    written = grader.write_reports(results, tmp_path)
    assert {p.name for p in written} == {"99-solution.json", "99-learner.json", "grades.csv"}
    data = json.loads((tmp_path / "99-solution.json").read_text())
    assert data["total"] == 5 and data["exercises"][0]["status"] == "correct"
    rows = list(csv.DictReader((tmp_path / "grades.csv").open()))
    assert [(Path(r["file"]).name, r["total"], r["99.q1"]) for r in rows] == [
        ("99-solution.ipynb", "5", "2"), ("99-learner.ipynb", "0", "0")]
    table = graded["learner"].table()
    assert "not attempted" in table and "0/5 points" in table


def test_cli_grade_writes_reports_and_fails_on_ungraded(graded, tmp_path, monkeypatch):
    canned = [graded["solution"], graded["crash"]]
    monkeypatch.setattr(grader, "grade", lambda *a, **k: canned)
    assert main(["grade", "x.ipynb", "--out", str(tmp_path)]) == 1
    assert (tmp_path / "grades.csv").exists()
    monkeypatch.setattr(grader, "grade", lambda *a, **k: canned[:1])
    assert main(["grade", "x.ipynb", "--out", str(tmp_path)]) == 0


def test_progress_grades_only_notebooks_with_exercises(graded, tmp_path, monkeypatch, capsys):
    for name in ("99-solution.ipynb", "42-other.ipynb", "notes.ipynb"):
        shutil.copy(FIXTURES / "99-solution.ipynb", tmp_path / name)
    seen = []
    monkeypatch.setattr(grader, "grade", lambda nbs, *a, **k: seen.extend(nbs) or [graded["hang"]])
    grader.progress(tmp_path, exercises_dir=EXERCISES)
    assert [p.name for p in seen] == ["99-solution.ipynb"]
    out = capsys.readouterr().out
    assert "✓ correct" in out and "✗ timeout" in out and "3/5 points" in out


def test_missing_submission_is_a_usage_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        grader.grade([tmp_path / "nope.ipynb"])
    assert main(["grade", str(tmp_path / "nope.ipynb")]) == 2


def test_notebook_without_exercises_module(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nbformat.write(nb, tmp_path / "42-nothing.ipynb")
    start = time.perf_counter()
    [r] = grader.grade([tmp_path], exercises_dir=EXERCISES, show_progress=False)
    assert r.status == "no exercises" and "lesson42.py" in r.reason
    assert time.perf_counter() - start < 2  # nothing was executed


def test_reports_of_same_named_submissions_do_not_collide(tmp_path):
    alice, bob = (grader.Result(str(tmp_path / who / "99-demo.ipynb"), "99", "graded",
                                exercises=[grader.ExerciseResult("q1", pts, 2, "correct")])
                  for who, pts in (("alice", 2), ("bob", 0)))
    names = {p.name for p in grader.write_reports([alice, bob], tmp_path / "out")}
    assert names == {"alice__99-demo.json", "bob__99-demo.json", "grades.csv"}


def test_a_learner_function_calling_exit_is_just_wrong(capsys):
    import sys

    _exercise().check(lambda x: sys.exit(1))
    assert capsys.readouterr().out == "✗ q9: your code raised SystemExit: 1\n"


@pytest.mark.parametrize("module_file", sorted(grader.EXERCISES_DIR.glob("lesson*.py")), ids=lambda p: p.stem)
def test_lesson_exercise_modules_are_well_formed(module_file):
    """Every utils/exercises/lessonNN.py: EXERCISES of distinct, exported exercises with solutions."""
    import importlib

    module = importlib.import_module(f"utils.exercises.{module_file.stem}")
    exercises = module.EXERCISES
    assert exercises and all(isinstance(ex, Exercise) for ex in exercises)
    assert len({ex.name for ex in exercises}) == len(exercises)
    for ex in exercises:
        assert getattr(module, ex.name) is ex, f"{ex.name} should be importable by its name"
        assert ex.points > 0 and ex.solution_code.strip(), f"{ex.name} needs points and a solution"
        assert ex.evaluate().status == "not attempted"  # nothing defined yet: no crash, no points
