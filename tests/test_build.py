"""Learner-notebook generation, the Colab cell, the README table and the `course` command."""
from __future__ import annotations

import ast
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from utils import build
from utils.cli import main
from utils.lesson import lessons

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
RAISE = 'raise NotImplementedError("write your solution here")'


def test_block_inside_a_function_keeps_the_def_and_indentation():
    source = ("def f(x):\n    y = x + 1\n    # BEGIN SOLUTION\n    return y * 2\n"
              "    # END SOLUTION\n\nprint(f(1))")
    assert build.strip_solutions(source) == (
        f"def f(x):\n    y = x + 1\n    # YOUR CODE HERE\n    {RAISE}\n\nprint(f(1))")


def test_top_level_and_nested_blocks_and_several_per_cell():
    source = ("# BEGIN SOLUTION\na = 1\n# END SOLUTION\nclass C:\n    def m(self):\n"
              "        # BEGIN SOLUTION\n        return 2\n        # END SOLUTION")
    out = build.strip_solutions(source)
    assert out.splitlines() == ["# YOUR CODE HERE", RAISE, "class C:", "    def m(self):",
                                "        # YOUR CODE HERE", f"        {RAISE}"]
    ast.parse(out)  # still valid Python


def test_cells_without_markers_are_unchanged():
    source = "import math\n\nmath.sqrt(2)  # a comment"
    assert build.strip_solutions(source) == source


@pytest.mark.parametrize("source, problem", [
    ("x = 1\n# END SOLUTION", "without a '# BEGIN SOLUTION'"),
    ("# BEGIN SOLUTION\nx = 1", "never closed"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "inside the block opened on line 1"),
])
def test_unbalanced_markers_name_the_notebook_and_cell(source, problem):
    nb = new_notebook(cells=[new_markdown_cell("hi"), new_code_cell(source)])
    with pytest.raises(build.BuildError, match=problem) as err:
        build.learner_notebook(nb, "solutions/07-x.ipynb")
    assert "solutions/07-x.ipynb, cell 1" in str(err.value)


def test_learner_notebook_clears_outputs_and_keeps_ids():
    cell = new_code_cell("# BEGIN SOLUTION\nprint(1)\n# END SOLUTION", execution_count=3,
                         outputs=[new_output("stream", name="stdout", text="1\n")],
                         metadata={"tags": ["keep"], "ExecuteTime": {"start": "x"}})
    nb = new_notebook(cells=[new_markdown_cell("title"), cell],
                      metadata={"kernelspec": {"name": "conda-env-x", "display_name": "X"},
                                "widgets": {"big": "state"}, "course": {"lesson": "07"}})
    learner = build.learner_notebook(nb, "x")
    code = learner.cells[1]
    assert (code.outputs, code.execution_count) == ([], None)
    assert code.metadata == {"tags": ["keep"]}
    assert [c.id for c in learner.cells] == [c.id for c in nb.cells]
    assert learner.metadata.kernelspec.name == "python3"
    assert set(learner.metadata) == {"kernelspec", "language_info", "course"}
    assert nb.cells[1].outputs and nb.metadata.kernelspec.name == "conda-env-x"  # input untouched
    nbformat.validate(learner)


def test_fixture_learner_notebook_is_the_build_of_its_solution():
    solution = nbformat.read(FIXTURES / "99-solution.ipynb", as_version=4)
    expected = nbformat.read(FIXTURES / "99-learner.ipynb", as_version=4)
    assert build.learner_notebook(solution, "99-solution.ipynb") == expected


def _temp_repo(tmp_path: Path) -> Path:
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "solutions").mkdir()
    shutil.copy(FIXTURES / "99-solution.ipynb", tmp_path / "solutions" / "99-demo.ipynb")
    return tmp_path


def test_build_all_adds_the_colab_cell_and_is_idempotent(tmp_path):
    root = _temp_repo(tmp_path)
    built = ["solutions/99-demo.ipynb", "notebooks/99-demo.ipynb", "utils/exercises/solutions.json"]
    assert build.build_all(check=True, root=root) == built
    assert build.build_all(root=root) == built
    assert build.build_all(root=root) == []
    assert build.build_all(check=True, root=root) == []
    colab = build.colab_cell_source(root)
    for folder in ("solutions", "notebooks"):
        nb = nbformat.read(root / folder / "99-demo.ipynb", as_version=4)
        assert nb.cells[0].source.startswith("# Lesson 99")  # the title comes first
        assert nb.cells[1].source == colab and nb.cells[1].id == build.COLAB_CELL_ID
    learner = nbformat.read(root / "notebooks" / "99-demo.ipynb", as_version=4)
    assert all(not c.outputs for c in learner.cells if c.cell_type == "code")
    assert RAISE in learner.cells[4].source


def test_colab_cell_moves_behind_the_title_and_an_old_one_is_replaced():
    nb = new_notebook(cells=[new_code_cell("# Colab setup (old)\nprint(1)"), new_code_cell("setup_lesson('07')"),
                             new_markdown_cell("# 07 · A lesson"), new_markdown_cell("text")])
    out = build._with_colab_cell(nb, "# Colab setup (new)")
    assert [c.source for c in out.cells] == ["# 07 · A lesson", "# Colab setup (new)", "setup_lesson('07')", "text"]


def test_colab_cell_follows_the_slug_and_does_nothing_here(tmp_path):
    root = _temp_repo(tmp_path)
    build.build_all(root=root)
    text = (root / "pyproject.toml").read_text().replace(
        'repository = "hands-on-nlp/nlp-with-transformers-course"', 'repository = "someone/fork"')
    (root / "pyproject.toml").write_text(text)
    source = build.colab_cell_source(root)
    assert "someone/fork" in source and "/content/fork" in source
    assert build.build_all(check=True, root=root) == ["solutions/99-demo.ipynb", "notebooks/99-demo.ipynb"]
    namespace = {}
    exec(compile(source, "colab-cell", "exec"), namespace)  # outside Colab: no clone, no chdir
    assert not Path("/content/fork").exists() and namespace["os"].getcwd() == str(Path.cwd())


def test_bad_slug_is_rejected(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.course]\nrepository = "no-slash"\n')
    with pytest.raises(build.BuildError, match="owner/name"):
        build.course_settings(tmp_path)


def test_empty_solutions_folder_builds_nothing(tmp_path):
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    assert build.build_all(root=tmp_path) == []
    assert build.build_all(check=True, root=tmp_path) == []


def test_readme_table_lists_every_lesson_with_a_badge():
    table = build.readme_table()
    rows = table.splitlines()[2:]
    assert len(rows) == len(lessons())
    for lesson, row in zip(lessons(), rows):
        assert row.startswith(f"| {lesson.id} | [{lesson.title}](notebooks/{lesson.slug}.ipynb)")
        assert (f"colab.research.google.com/github/hands-on-nlp/nlp-with-transformers-course/blob/main/"
                f"notebooks/{lesson.slug}.ipynb") in row
        assert lesson.fast_runtime in row and lesson.full in row


def test_update_readme_rewrites_only_the_marked_block(tmp_path):
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    readme = tmp_path / "README.md"
    readme.write_text("# Course\n\n<!-- lessons:start -->\nold table\n<!-- lessons:end -->\n\nMore.\n")
    assert build.update_readme(check=True, root=tmp_path) is True
    assert "old table" in readme.read_text()  # check mode writes nothing
    assert build.update_readme(root=tmp_path) is True
    text = readme.read_text()
    assert text.startswith("# Course\n\n<!-- lessons:start -->\n| # | Lesson")
    assert text.endswith("<!-- lessons:end -->\n\nMore.\n") and "old table" not in text
    assert build.update_readme(check=True, root=tmp_path) is False
    readme.write_text("# Course without markers\n")
    with pytest.raises(build.BuildError, match="lessons:start"):
        build.update_readme(root=tmp_path)


# -- the `course` command ----------------------------------------------------------------------
def test_cli_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["no-such-command"]) == 2
    assert main(["grade"]) == 2  # needs a path
    assert main(["grade", "x.ipynb", "--timeout", "soon"]) == 2
    assert main(["--help"]) == 0
    assert "build" in capsys.readouterr().out


def test_cli_build_check_reports_drift(tmp_path, monkeypatch, capsys):
    root = _temp_repo(tmp_path)
    monkeypatch.setattr(build, "REPO_ROOT", root)
    assert main(["build", "--check"]) == 1
    assert "out of sync: notebooks/99-demo.ipynb" in capsys.readouterr().out
    assert main(["build"]) == 0
    assert main(["build", "--check"]) == 0


def test_cli_dispatches_fetch_and_serve(monkeypatch):
    import sys
    import types

    calls = {}
    fake_fetch = types.SimpleNamespace(fetch=lambda **kw: calls.setdefault("fetch", kw) and [])
    fake_serving = types.SimpleNamespace(cli_main=lambda argv: calls.setdefault("serve", argv) and 0)
    monkeypatch.setitem(sys.modules, "utils.fetch", fake_fetch)
    monkeypatch.setitem(sys.modules, "utils.serving", fake_serving)
    assert main(["fetch", "--roles", "encoder", "qa", "--no-standins", "--cache", "/tmp/c"]) == 0
    assert calls["fetch"] == {"roles": ["encoder", "qa"], "standins": False, "cache": "/tmp/c", "force": False,
                              "data_only": False}
    assert main(["serve", "--port", "9000"]) == 0
    assert calls["serve"] == ["--port", "9000"]


def test_profile_callout_lists_the_lessons_roles_from_the_manifest():
    nb = new_notebook(cells=[new_markdown_cell("# 07 · A lesson"), new_code_cell('setup_lesson("07")'),
                             new_code_cell('m = checkpoint("sentiment-model")\nd = load("movie-reviews")')])
    out = build._with_profile_callout(build._with_profile_callout(nb))  # idempotent
    callouts = [c for c in out.cells if c.get("id") == build.PROFILE_CELL_ID]
    assert len(callouts) == 1 and out.cells.index(callouts[0]) == 2
    text = callouts[0].source
    assert "`sentiment-model` — full: `distilbert/distilbert-base-uncased-finetuned-sst-2-english`" in text
    assert "`movie-reviews`" in text and "Rotten Tomatoes" in text
    nb.cells.append(new_code_cell('load("no-such-role")'))
    with pytest.raises(build.BuildError, match="no-such-role"):
        build._with_profile_callout(nb)
