"""The lessons' exercise cells: Exercise N is checked by qN, its statement is shown, its answer is not leaked."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from utils.build import BEGIN, END, CHECK_RE

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb"))
HEADING = re.compile(r"^#+ .*\bExercise (\d+)\b", re.MULTILINE)


def _cells(folder, name):
    return nbformat.read(ROOT / folder / name, as_version=4).cells


@pytest.mark.parametrize("name", LESSONS)
def test_exercise_n_is_checked_by_qn_after_its_statement(name):
    cells = _cells("solutions", name)
    heading = None
    checks = []
    for cell in cells:
        if cell.cell_type == "markdown" and (m := HEADING.search(cell.source)):
            heading = int(m.group(1))
        elif cell.cell_type == "code" and (m := CHECK_RE.search(cell.source)):
            checks.append(m.group(1))
            assert heading is not None, f"{m.group(1)}.check() before any 'Exercise N' heading"
            assert m.group(1) == f"q{heading}", f"Exercise {heading} is checked with {m.group(1)}"
    assert checks == [f"q{i}" for i in range(1, len(checks) + 1)], f"checks out of order: {checks}"


def _answer_lines(source: str) -> list[str]:
    lines, inside = [], False
    for line in source.splitlines():
        s = line.strip()
        if s.startswith(BEGIN):
            inside = True
        elif s.startswith(END):
            inside = False
        elif inside and len(s) >= 20 and not s.startswith("#"):
            lines.append(s)
    return lines


@pytest.mark.parametrize("name", LESSONS)
def test_no_cell_before_a_check_contains_its_answer(name):
    solution, learner = _cells("solutions", name), _cells("notebooks", name)
    assert len(solution) == len(learner)
    answers: list[str] = []
    for index, cell in enumerate(solution):
        if cell.cell_type != "code":
            continue
        answers += _answer_lines(cell.source)
        if CHECK_RE.search(cell.source):
            shown = "\n".join(c.source for c in learner[:index] if c.cell_type == "code")
            leaked = [a for a in answers if a in shown]
            assert not leaked, f"the learner notebook shows the answer before cell {index}: {leaked}"


@pytest.mark.parametrize("name", LESSONS)
def test_header_runtime_is_the_lesson_maps(name):
    from utils.lesson import find_lesson

    lesson = find_lesson(name[:2])
    title = next(c.source for c in _cells("solutions", name) if c.cell_type == "markdown")
    assert lesson.header_line() in title, "run `course build`: the header line comes from utils/lessons.toml"
    readme = (ROOT / "README.md").read_text()
    assert f"| {lesson.fast_runtime} / {lesson.full} |" in readme.replace("\\|", "|")


@pytest.mark.parametrize("name", LESSONS)
def test_each_exercise_statement_names_what_to_write(name):
    """The markdown from 'Exercise N' to qN.check() names the target the check reads."""
    import importlib

    module = ROOT / "utils" / "exercises" / f"lesson{name[:2]}.py"
    if not module.exists():
        pytest.skip("no exercises")
    targets = {ex.name: ex.target for ex in importlib.import_module(f"utils.exercises.lesson{name[:2]}").EXERCISES}
    statement, current = {}, None
    for cell in _cells("notebooks", name):
        if cell.cell_type == "markdown" and (m := HEADING.search(cell.source)):
            current = f"q{m.group(1)}"
            statement[current] = cell.source
        elif cell.cell_type == "markdown" and current:
            statement[current] += "\n" + cell.source
        elif cell.cell_type == "code" and CHECK_RE.search(cell.source):
            current = None
    assert set(statement) == set(targets), f"exercise headings {sorted(statement)} vs exercises {sorted(targets)}"
    for q, target in targets.items():
        assert f"`{target}" in statement[q], f"Exercise {q[1:]}'s statement never names `{target}`"
