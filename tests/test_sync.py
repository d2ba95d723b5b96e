"""notebooks/ is exactly what `course build` makes of solutions/ (run `course build` to fix)."""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from utils.build import build_all

REPO = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "99-solution.ipynb"


def test_repository_notebooks_are_in_sync():
    out_of_sync = build_all(check=True)
    assert out_of_sync == [], f"run `course build`; out of sync: {out_of_sync}"


def _copy_of_repo(tmp_path: Path) -> tuple[Path, str]:
    """pyproject + solutions/ + notebooks/ in a temp folder, built, and one solution's name."""
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    for folder in ("solutions", "notebooks"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, tmp_path / folder)
    (tmp_path / "solutions").mkdir(exist_ok=True)
    names = sorted(p.name for p in (tmp_path / "solutions").glob("*.ipynb"))
    if not names:  # no lessons yet: use the fixture as one
        shutil.copy(FIXTURE, tmp_path / "solutions" / "99-fixture.ipynb")
        names = ["99-fixture.ipynb"]
    build_all(root=tmp_path)
    assert build_all(check=True, root=tmp_path) == []
    return tmp_path, names[0]


def _edit_first_code_cell(path: Path, skip_colab: bool = True) -> None:
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"][1 if skip_colab else 0:]
    cells[0].source += "\nedited = True"
    nbformat.write(nb, path)


def test_editing_a_solution_is_reported(tmp_path):
    root, name = _copy_of_repo(tmp_path)
    _edit_first_code_cell(root / "solutions" / name)
    assert f"notebooks/{name}" in build_all(check=True, root=root)
    build_all(root=root)
    assert build_all(check=True, root=root) == []


def test_editing_a_learner_notebook_or_its_colab_cell_is_reported(tmp_path):
    root, name = _copy_of_repo(tmp_path)
    _edit_first_code_cell(root / "notebooks" / name)
    assert build_all(check=True, root=root) == [f"notebooks/{name}"]
    build_all(root=root)
    _edit_first_code_cell(root / "solutions" / name, skip_colab=False)  # the Colab cell itself
    assert build_all(check=True, root=root) == [f"solutions/{name}"]  # build restores it


def test_a_learner_notebook_without_solution_is_reported(tmp_path):
    root, _ = _copy_of_repo(tmp_path)
    shutil.copy(FIXTURE, root / "notebooks" / "98-orphan.ipynb")
    assert "notebooks/98-orphan.ipynb" in build_all(check=True, root=root)


def test_readme_lesson_table_is_current():
    from utils.build import update_readme

    assert not update_readme(check=True), "README lesson table is stale: run `course readme`"
