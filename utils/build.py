"""Learner notebooks from solution notebooks, the sync check, and the README lesson table.

``solutions/NN-name.ipynb`` is the source. In its code cells, the lines from ``# BEGIN SOLUTION`` to
``# END SOLUTION`` (inclusive) become a placeholder at the same indentation::

    def count_vowels(text):
        # BEGIN SOLUTION                  def count_vowels(text):
        return sum(...)          →            # YOUR CODE HERE
        # END SOLUTION                        raise NotImplementedError("write your solution here")

Outputs and execution counts are cleared, cell ids kept, notebook metadata reduced to the kernel.
The first cell of every notebook (both folders) is the generated Colab install cell.
"""
from __future__ import annotations

import copy
import hashlib
import os
import re
import tomllib
from pathlib import Path

import nbformat

__all__ = ["BuildError", "strip_solutions", "learner_notebook", "colab_cell_source", "build_all",
           "readme_table", "update_readme", "course_settings", "REPO_ROOT"]

REPO_ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
PLACEHOLDER = ("# YOUR CODE HERE", 'raise NotImplementedError("write your solution here")')
from utils.colab import CELL_MARKER as COLAB_MARKER  # noqa: E402
COLAB_CELL_ID = "colab-setup"
README_START, README_END = "<!-- lessons:start -->", "<!-- lessons:end -->"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
_DROPPED_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled")


class BuildError(ValueError):
    """A solution notebook cannot be turned into a learner notebook."""


def strip_solutions(source: str, where: str = "cell") -> str:
    """Replace each ``# BEGIN SOLUTION`` … ``# END SOLUTION`` block by the placeholder."""
    out: list[str] = []
    begin_line: int | None = None
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if begin_line is not None:
                raise BuildError(f"{where}: '{BEGIN}' on line {number} inside the block opened on line {begin_line}")
            begin_line = number
            indent = line[: len(line) - len(line.lstrip())]
            out += [indent + text for text in PLACEHOLDER]
        elif stripped.startswith(END):
            if begin_line is None:
                raise BuildError(f"{where}: '{END}' on line {number} without a '{BEGIN}' before it")
            begin_line = None
        elif begin_line is None:
            out.append(line)
    if begin_line is not None:
        raise BuildError(f"{where}: '{BEGIN}' on line {begin_line} is never closed by '{END}'")
    return "\n".join(out)


def _stable_id(name: str, index: int) -> str:
    return hashlib.sha1(f"{name}:{index}".encode()).hexdigest()[:8]


def _with_ids(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Upgrade to nbformat 4.5 and give cells without an id a stable one."""
    nb.nbformat, nb.nbformat_minor = 4, max(nb.get("nbformat_minor", 0), 5)
    for index, cell in enumerate(nb.cells):
        if not cell.get("id"):
            cell["id"] = _stable_id(name, index)
    return nb


def learner_notebook(solution: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The learner version of a solution notebook (the input is not modified)."""
    nb = _with_ids(copy.deepcopy(solution), name)
    for index, cell in enumerate(nb.cells):
        for key in _DROPPED_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, f"{name}, cell {index} (id {cell.id})")
            cell.outputs = []
            cell.execution_count = None
    metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    if "course" in solution.metadata:
        metadata["course"] = copy.deepcopy(solution.metadata["course"])
    nb.metadata = nbformat.from_dict(metadata)
    return nb


def course_settings(root: str | os.PathLike | None = None) -> dict:
    """``[tool.course]`` of pyproject.toml: ``repository`` (owner/name slug) and ``branch``."""
    pyproject = Path(root or REPO_ROOT) / "pyproject.toml"
    with pyproject.open("rb") as f:
        settings = tomllib.load(f).get("tool", {}).get("course", {})
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", settings.get("repository", "")):
        raise BuildError(f"{pyproject}: [tool.course] repository must look like 'owner/name'")
    return {"repository": settings["repository"], "branch": settings.get("branch", "main")}


def colab_cell_source(root: str | os.PathLike | None = None) -> str:
    """The install cell every notebook starts with (its logic lives in :mod:`utils.colab`)."""
    from utils.colab import colab_cell_source as source

    return source(root)


def _with_colab_cell(nb: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    """Title first, then the Colab install cell (an outdated one is replaced, a missing one inserted).

    The title is the first markdown cell starting with ``# ``; a notebook without one gets the
    Colab cell first.
    """
    cell = nbformat.v4.new_code_cell(source)
    cell.id = COLAB_CELL_ID
    old = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(COLAB_MARKER)]
    if old:
        cell.outputs, cell.execution_count = old[0].get("outputs", []), old[0].get("execution_count")
    cells = [c for c in nb.cells if not (c.cell_type == "code" and c.source.startswith(COLAB_MARKER))]
    title = next((c for c in cells if c.cell_type == "markdown" and c.source.startswith("# ")), None)
    if title is None:
        nb.cells = [cell, *cells]
    else:
        cells.remove(title)
        nb.cells = [title, cell, *cells]
    return nb


ROLE_CALL_RE = re.compile(r"""\b(?:checkpoint|load|resource_path)\(\s*["']([\w-]+)["']""")
PROFILE_CELL_ID = "about-this-profile"


def roles_used(nb: nbformat.NotebookNode) -> list[str]:
    """The roles a notebook asks for (``checkpoint("…")``, ``load("…")``, ``resource_path("…")``), in order."""
    found: dict[str, None] = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            found.update(dict.fromkeys(ROLE_CALL_RE.findall(cell.source)))
    return list(found)


def profile_callout(roles: list[str]) -> str:
    """The lesson's one "about this profile" note, from the manifest: what each role is in each profile."""
    from utils.resources import manifest

    known = manifest()["roles"]
    lines = ["> **About this profile.** The same cells run in both profiles; the banner above says which one is",
             "> active. This lesson asks for:"]
    for role in roles:
        spec = known.get(role)
        if spec is None:
            raise BuildError(f"the lesson asks for role {role!r}, which utils/manifest.toml does not define")
        full = f"`{spec['full']['id']}`" if "full" in spec else "the same as fast (no hub counterpart)"
        lines.append(f"> - `{role}` — full: {full}; fast: {spec.get('substitution', 'the same').rstrip('.')}.")
    lines += [">", "> In the fast profile, each substitution is also printed the first time a cell uses it."]
    return "\n".join(lines)


def _with_profile_callout(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Insert (or refresh) the callout right after the ``setup_lesson(...)`` cell."""
    nb.cells = [c for c in nb.cells if c.get("id") != PROFILE_CELL_ID]
    roles = roles_used(nb)
    setup = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "setup_lesson(" in c.source), None)
    if not roles or setup is None:
        return nb
    cell = nbformat.v4.new_markdown_cell(profile_callout(roles))
    cell.id = PROFILE_CELL_ID
    nb.cells.insert(setup + 1, cell)
    return nb


HEADER_RE = re.compile(r"^\*\*Level:\*\*.*$", re.MULTILINE)


def _with_header(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Write the lesson map's level/runtime line into the title cell (``# NN · Title``)."""
    from utils.lesson import lessons

    lesson = next((entry for entry in lessons() if entry.slug == Path(name).stem), None)
    if lesson is None:
        return nb
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith(f"# {lesson.id} "):
            if not HEADER_RE.search(cell.source):
                raise BuildError(f"{name}: the title cell needs a '**Level:** …' line for the generated header")
            cell.source = HEADER_RE.sub(lambda m: lesson.header_line(), cell.source, count=1)
            return nb
    raise BuildError(f"{name}: no title cell starting with '# {lesson.id} '")


def _text(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


CHECK_RE = re.compile(r"^\s*(q\d+)\.check\(", re.MULTILINE)


def exercise_solutions(nb: nbformat.NotebookNode, where: str = "notebook") -> dict[str, str]:
    """``{"q1": code, …}``: each exercise's solution cells, as the solution notebook has them.

    The cells with ``# BEGIN SOLUTION`` blocks between one ``qN.check()`` cell and the one before it
    belong to ``qN``; they are kept whole (so the answer shows with its context), marker lines removed.
    """
    found: dict[str, str] = {}
    pending: list[str] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if BEGIN in cell.source:
            strip_solutions(cell.source, f"{where}, cell {index}")  # validates the markers
            pending.append("\n".join(line for line in cell.source.splitlines()
                                     if not line.strip().startswith((BEGIN, END))).strip("\n"))
        match = CHECK_RE.search(cell.source)
        if match:
            if pending:
                found[match.group(1)] = "\n\n".join(pending)
            pending = []
    return found


def solutions_text(root: Path) -> str:
    """The content of ``utils/exercises/solutions.json`` for the solution notebooks under ``root``."""
    import json

    out = {}
    for path in sorted((root / "solutions").glob("*.ipynb")):
        lesson = path.name[:2]
        blocks = exercise_solutions(nbformat.read(path, as_version=4), f"solutions/{path.name}")
        if blocks:
            out[lesson] = blocks
    return json.dumps(out, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def build_all(check: bool = False, root: str | os.PathLike | None = None) -> list[str]:
    """Write ``notebooks/`` from ``solutions/`` (and normalise the solutions' first cell).

    With ``check=True`` nothing is written and the out-of-sync files are returned; otherwise the
    files written are returned. A learner notebook without a solution counts as out of sync.
    """
    root = Path(root or REPO_ROOT)
    solutions, notebooks = root / "solutions", root / "notebooks"
    source = colab_cell_source(root)
    changed: list[str] = []
    names = sorted(p.name for p in solutions.glob("*.ipynb")) if solutions.is_dir() else []
    for name in names:
        sol_path, nb_path = solutions / name, notebooks / name
        raw = sol_path.read_text(encoding="utf-8")
        solution = _with_ids(nbformat.reads(raw, as_version=4), name)
        solution = _with_profile_callout(_with_header(_with_colab_cell(solution, source), name))
        targets = {sol_path: _text(solution), nb_path: _text(learner_notebook(solution, f"solutions/{name}"))}
        for path, text in targets.items():
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current != text:
                changed.append(str(path.relative_to(root)))
                if not check:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text, encoding="utf-8")
    if check and notebooks.is_dir():
        changed += [f"notebooks/{p.name}" for p in sorted(notebooks.glob("*.ipynb")) if p.name not in names]
    stored = root / "utils" / "exercises" / "solutions.json"
    text = solutions_text(root)
    current = stored.read_text(encoding="utf-8") if stored.exists() else None
    if current != text and not (current is None and text == "{}\n"):
        changed.append(str(stored.relative_to(root)))
        if not check:
            stored.parent.mkdir(parents=True, exist_ok=True)
            stored.write_text(text, encoding="utf-8")
    return changed


def readme_table(root: str | os.PathLike | None = None) -> str:
    """The README lesson map (Markdown) from ``utils/lessons.toml`` and the repository slug."""
    from utils.lesson import lessons

    s = course_settings(root)
    badge = "https://colab.research.google.com/assets/colab-badge.svg"
    rows = ["| # | Lesson | Level | Topics | Runtime (fast / full) | Colab |",
            "|---|---|---|---|---|---|"]
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    for lesson in lessons():
        colab = f"https://colab.research.google.com/github/{s['repository']}/blob/{s['branch']}/notebooks/{lesson.slug}.ipynb"
        rows.append(f"| {lesson.id} | [{cell(lesson.title)}](notebooks/{lesson.slug}.ipynb) | {cell(lesson.level)} "
                    f"| {cell(lesson.topics)} | {cell(lesson.fast_runtime)} / {cell(lesson.full)} "
                    f"| [![Open in Colab]({badge})]({colab}) |")
    return "\n".join(rows)


def update_readme(check: bool = False, root: str | os.PathLike | None = None) -> bool:
    """Rewrite the lesson table between the README markers; True when it changed (or would)."""
    readme = Path(root or REPO_ROOT) / "README.md"
    if not readme.exists():
        raise BuildError(f"{readme} does not exist")
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise BuildError(f"{readme}: add the lines {README_START} and {README_END} around the lesson table")
    new = text[: start + len(README_START)] + "\n" + readme_table(root) + "\n" + text[end:]
    if new != text and not check:
        readme.write_text(new, encoding="utf-8")
    return new != text
