"""The exercise API, plain data, the grader on honest and cheating submissions, reports and progress."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import numpy as np
import pytest

from tests.fixtures.submissions import write_all
from utils.cli import main
from utils.grading import Exercise, Incorrect, expect
from utils.grading import grader, progress
from utils.grading.plain import NotPlain, roundtrip
from utils.grading.report import Result, write_reports

FIXTURES = Path(__file__).parent / "fixtures"


def _double(**kw):
    args = dict(cases=lambda rng: [[int(x)] for x in rng.integers(-50, 50, size=4)], expected=lambda c: 2 * c[0],
                hints=["Multiply.", "Use `2 * x`."], lesson="99")
    args.update(kw)
    return Exercise("q9", 3, "double", **args)


# -- the exercise in the notebook -----------------------------------------------------------------
def test_check_prints_a_verdict_and_records_it(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", str(tmp_path / "p.json"))
    ex = _double()
    ex.check(lambda x: 2 * x)
    ex.check(lambda x: x + 2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "✓ q9 correct (3/3 points)"
    assert lines[1].startswith("✗ q9: double(") and "; expected " in lines[1]
    stored = progress.read(tmp_path / "p.json")["99"]["q9"]
    assert stored["status"] == "incorrect" and stored["points"] == 0 and stored["when"]


def test_one_point_is_singular():
    assert _double().evaluate(lambda x: 2 * x).line().endswith("(3/3 points)")
    one = Exercise("q1", 1, "f", expected=lambda c: 1, cases=lambda rng: [[0]], lesson="99")
    assert one.evaluate(lambda x: 1).line() == "✓ q1 correct (1/1 point)"


def test_placeholder_errors_and_non_functions_never_raise():
    def placeholder(x):
        raise NotImplementedError("write your solution here")

    ex = _double()
    assert ex.evaluate(placeholder).status == "not attempted"
    broken = ex.evaluate(lambda x: x / 0)
    assert broken.status == "error" and "ZeroDivisionError" in broken.message
    assert ex.evaluate(41).message == "`double` should be a function, not a int"
    assert ex.evaluate().status == "not attempted"


def test_an_unexpected_error_is_explained():
    def metric(x):
        from sklearn.metrics import f1_score

        return f1_score([0, 1, 1], [0.2, 0.7, 0.9])

    out = _double().evaluate(metric)
    assert out.status == "error" and "take `argmax`" in out.message


def test_inputs_are_drawn_anew_and_reproducible_from_the_seed():
    ex = _double()
    assert ex.draw(1) == ex.draw(1) and ex.draw(1) != ex.draw(2)


def test_hints_are_tiered_and_the_solution_comes_from_the_notebook(capsys):
    ex = _double()
    for _ in range(3):
        ex.hint()
    out = capsys.readouterr().out
    assert out.count("Hint 1/2") == 1 and out.count("Hint 2/2 for q9 (last hint)") == 2
    with pytest.raises(ValueError, match="hints 1..2"):
        ex.hint(3)
    from utils.exercises.lesson00 import q3

    q3.solution()
    assert "def count_parameters(model):" in capsys.readouterr().out
    nb = nbformat.read(Path(__file__).parents[1] / "solutions/00-setup.ipynb", as_version=4)
    assert any(q3.solution_code().splitlines()[1] in c.source for c in nb.cells if "BEGIN SOLUTION" in c.source)


def test_bad_declarations_are_rejected():
    with pytest.raises(ValueError, match="identifier"):
        Exercise("q1", 1, "not a name", expected=abs)
    with pytest.raises(ValueError, match="q1, q2"):
        Exercise("first", 1, "f", expected=abs)
    with pytest.raises(ValueError, match="points"):
        Exercise("q1", 0, "f", expected=abs)
    with pytest.raises(TypeError, match="expected"):
        Exercise("q1", 1, "f", expected="nope")


# -- plain data --------------------------------------------------------------------------------------
def test_forged_equality_does_not_survive_the_trip():
    class Yes(int):
        def __eq__(self, other):
            return True

    class Liar(str):
        def __eq__(self, other):
            return True

    assert roundtrip(Yes(0)) == 0 and type(roundtrip(Yes(0))) is int and roundtrip(Yes(0)) != 5
    assert roundtrip(Liar("no")) == "no" and type(roundtrip(Liar("no"))) is str


def test_arrays_tensors_and_dicts_keep_their_form():
    import torch

    arr = roundtrip(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert isinstance(arr, np.ndarray) and arr.shape == (2, 3) and arr.dtype == np.float32
    t = roundtrip(torch.tensor(0.5))
    assert isinstance(t, np.ndarray) and t.shape == () and float(t) == 0.5  # a tensor is not a float
    assert roundtrip({1: "a", "b": [1, 2.5]}) == {1: "a", "b": [1, 2.5]}
    with pytest.raises(NotPlain):
        roundtrip(object())


# -- which notebooks, which lesson, which limits ------------------------------------------------------
def test_lesson_is_read_from_metadata_then_setup_call_then_name():
    assert grader.lesson_of("x.ipynb", nbformat.v4.new_notebook(metadata={"course": {"lesson": "07"}})) == "07"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('from utils import setup_lesson\nsetup_lesson("05")')])
    assert grader.lesson_of("alice.ipynb", nb) == "05"
    assert grader.lesson_of("05-fine-tuning.ipynb") == "05"
    assert grader.lesson_of("my-copy.ipynb", nbformat.v4.new_notebook()) is None


def test_folders_are_searched_recursively_and_skips_are_explained(tmp_path):
    for rel in ("bob/sub/a.ipynb", "alice/b.ipynb", "alice/.ipynb_checkpoints/b-checkpoint.ipynb"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
    (tmp_path / "notes.txt").write_text("x")
    found, skipped = grader.find_submissions([tmp_path, tmp_path / "notes.txt"])
    assert sorted(p.relative_to(tmp_path).as_posix() for p in found) == ["alice/b.ipynb", "bob/sub/a.ipynb"]
    assert {p.name for p, _ in skipped} == {"b-checkpoint.ipynb", "notes.txt"}
    with pytest.raises(FileNotFoundError):
        grader.find_submissions([tmp_path / "nope.ipynb"])


def test_time_limits_come_from_the_lesson_budget_and_can_be_overridden():
    from utils.lesson import find_lesson

    budget = grader._budget_seconds("05")
    assert budget >= 60, find_lesson("05")
    limits = grader.limits_for("05")
    assert limits["cell_s"] == max(120, 2 * budget) and limits["total_s"] == max(600, 4 * budget + 120)
    assert grader.limits_for("05", cell=7, total=9) == {"cell_s": 7, "total_s": 9, "lesson_budget_s": budget}


# -- the grader on honest and cheating submissions -----------------------------------------------------
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade every fixture submission once; the tampering one alone, so the blame is certain."""
    folder = tmp_path_factory.mktemp("subs")
    paths = write_all(folder)
    tamper = paths.pop("tamper")
    results = grader.grade(list(paths.values()), cell_timeout=6, total_timeout=150,
                           exercises_dir=folder / "fixture_exercises", jobs=2, show_progress=False)
    results += grader.grade([tamper], cell_timeout=6, total_timeout=60,
                            exercises_dir=folder / "fixture_exercises", show_progress=False)
    out = {Path(r.path).stem.split("-", 1)[1]: r for r in results}
    out["_folder"] = folder
    return out


def _points(result):
    return {e.name: e.points for e in result.exercises}


def test_the_solution_gets_full_marks(graded):
    r = graded["solution"]
    assert (r.status, r.total, r.max_points, r.failed_cells) == ("graded", 5, 5, []), r.table()


@pytest.mark.parametrize("family", ["printed", "redefined-checks", "stdlib", "numpy", "import-hook", "ipython-hooks",
                                    "thread", "atexit", "forged-eq", "stack-walk"])
def test_cheating_earns_nothing(graded, family):
    r = graded[family]
    assert r.total == 0 and r.max_points == 5, r.table()


def test_inflated_points_are_clamped_to_the_graders_table(graded):
    r = graded["inflated"]
    assert _points(r) == {"q1": 2, "q2": 0, "q3": 0} and r.max_points == 5, r.table()


def test_editing_the_course_files_marks_the_submission_and_is_undone(graded):
    r = graded["tamper"]
    assert r.status == "tampered" and r.total == 0 and "lesson99.py" in r.reason, r.table()
    text = (graded["_folder"] / "fixture_exercises" / "lesson99.py").read_text()
    assert "points=300" not in text and "q1.expected" not in text


def test_a_crash_after_partial_work_keeps_the_rest(graded):
    r = graded["crash-partial"]
    assert _points(r) == {"q1": 2, "q2": 2, "q3": 0}, r.table()
    assert any("killed the kernel" in note for note in r.notes)
    assert [c.index for c in r.failed_cells] == [2]


def test_a_cell_ignoring_its_time_limit_is_skipped_and_the_rest_graded(graded):
    r = graded["hang-partial"]
    assert _points(r) == {"q1": 2, "q2": 2, "q3": 0}, r.table()
    assert any(note.startswith("cell 2 ") and "re-ran the notebook without it" in note for note in r.notes)
    assert [c.index for c in r.failed_cells] == [2]


def test_a_function_that_never_returns_loses_only_its_exercise(graded):
    r = graded["slow-function"]
    assert {e.name: e.status for e in r.exercises} == {"q1": "correct", "q2": "timeout", "q3": "correct"}, r.table()


def test_a_syntax_error_is_reported_with_its_cell(graded):
    r = graded["syntax-error"]
    assert _points(r) == {"q1": 2, "q2": 0, "q3": 1}, r.table()
    [cell] = r.failed_cells
    assert cell.index == 2 and cell.first_line.startswith("def softmax") and cell.error.startswith("SyntaxError")
    assert "cell 2" in r.table() and "SyntaxError" in r.table()


def test_reports_json_and_csv(graded, tmp_path):
    results = [graded["solution"], graded["syntax-error"]]
    written = write_reports(results, tmp_path)
    assert {p.name for p in written} == {"99-solution.json", "99-syntax-error.json", "grades.csv"}
    data = json.loads((tmp_path / "99-syntax-error.json").read_text())
    assert data["failed_cells"][0]["error"].startswith("SyntaxError") and data["limits"]["cell_s"] == 6
    rows = list(csv.DictReader((tmp_path / "grades.csv").open()))
    assert [(Path(r["file"]).name, r["total"], r["99.q1"]) for r in rows] == [
        ("99-solution.ipynb", "5", "2"), ("99-syntax-error.ipynb", "3", "2")]
    assert "SyntaxError" in rows[1]["failed_cells"]


def test_cli_grade_fails_unless_all_were_graded(graded, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(grader, "grade", lambda *a, **k: [graded["solution"], graded["tamper"]])
    assert main(["grade", "x.ipynb", "--out", str(tmp_path)]) == 1
    monkeypatch.setattr(grader, "grade", lambda *a, **k: [graded["solution"]])
    assert main(["grade", "x.ipynb", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "grades.csv").exists()


def test_cli_grade_help_says_how_lessons_are_found(capsys):
    assert main(["grade", "--help"]) == 0
    out = capsys.readouterr().out
    assert "setup_lesson" in out and "COURSE_PROFILE" in out and "grades.csv" in out and "example" in out


def test_a_notebook_of_no_lesson_is_not_executed(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nbformat.write(nb, tmp_path / "42-nothing.ipynb")
    monkeypatch.setattr(grader, "_execute", lambda *a, **k: pytest.fail("a notebook without exercises was executed"))
    [r] = grader.grade([tmp_path], exercises_dir=FIXTURES / "fixture_exercises", show_progress=False)
    assert r.status == "no exercises" and "lesson42.py" in r.reason


def test_check_outputs_makes_the_grading_run_an_nbval_run(tmp_path):
    """With ``check_outputs`` the stored outputs of # NBVAL_CHECK_OUTPUT cells are compared (sanitized);
    without it they are cleared and play no part. A mismatch is a failed cell, not lost points."""
    [path] = write_all(tmp_path, ["solution"]).values()
    nb = nbformat.read(path, as_version=4)

    def checked(source, stored):
        cell = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\n" + source)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
        cell.execution_count = 1  # nbval refuses a stored output without one
        return cell

    nb.cells[2:2] = [checked("print(2 + 2)", "4\n"),
                     checked("print(f'took {0.123:.3f} s')", "took 9.5 s\n"),  # equal once durations are sanitized
                     checked("print(2 + 3)", "6\n")]                           # a real mismatch: cell 4
    nbformat.write(nb, path)
    sanitize = Path(__file__).parent / "sanitize.cfg"
    kwargs = dict(cell_timeout=20, total_timeout=120, exercises_dir=tmp_path / "fixture_exercises",
                  show_progress=False)
    [compared] = grader.grade([path], check_outputs=sanitize, **kwargs)
    assert [c.index for c in compared.failed_cells] == [4], compared.table()
    assert compared.total == compared.max_points == 5, compared.table()
    [plain] = grader.grade([path], **kwargs)
    assert plain.failed_cells == [] and plain.total == 5, plain.table()
    with pytest.raises(FileNotFoundError, match="sanitizer"):
        grader.grade_notebook(path, check_outputs=tmp_path / "missing.cfg", exercises_dir=tmp_path / "fixture_exercises")


def test_reports_of_same_named_submissions_do_not_collide(tmp_path):
    alice, bob = (Result(str(tmp_path / who / "99-demo.ipynb"), "99", "graded") for who in ("alice", "bob"))
    names = {p.name for p in write_reports([alice, bob], tmp_path / "out")}
    assert names == {"alice__99-demo.json", "bob__99-demo.json", "grades.csv"}


# -- progress ------------------------------------------------------------------------------------------
def test_progress_is_read_from_the_record_at_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_PROGRESS", str(tmp_path / "p.json"))
    from utils.exercises.lesson00 import q3

    q3.check(lambda model: sum(p.numel() for p in model.parameters() if p.requires_grad))
    capsys.readouterr()
    monkeypatch.setattr(grader, "grade", lambda *a, **k: pytest.fail("progress must not execute notebooks"))
    code = main(["progress"])
    out = capsys.readouterr().out
    assert "✓ correct" in out and "not checked yet" in out and code == 1
    assert "00      q3        1/1 point" in out


def test_hints_and_solutions_render_as_markdown_in_jupyter(monkeypatch):
    import IPython
    import IPython.display

    class ZMQInteractiveShell:  # the name Jupyter's kernel shell has
        pass

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: ZMQInteractiveShell())
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    from utils.exercises.lesson00 import q3

    _double().hint(1)
    q3.solution()
    assert all(isinstance(obj, IPython.display.Markdown) for obj in shown) and len(shown) == 2
    assert "**Hint 1/2 for q9:** Multiply." in shown[0].data
    assert "```python\ndef count_parameters(model):" in shown[1].data
