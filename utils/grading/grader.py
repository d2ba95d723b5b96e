"""Grade submitted notebooks: the kernel computes, the grader judges.

For each submission the grader

1. finds its lesson (notebook metadata, else its ``setup_lesson("NN")`` call, else its file name);
2. draws fresh inputs for every exercise from a seed only it holds;
3. executes a copy of the notebook under pytest + nbval in a fresh kernel (per-cell time limit from
   the lesson's measured budget; nbval goes on after a failing cell), with one hidden cell appended
   that loads :mod:`utils.grading.kernel` from the grader's private copy of ``utils`` and records,
   as plain JSON, what the learner's objects return on those inputs;
4. re-runs without the cell that killed or hung the kernel, when that happened, so that what was
   done before and after it is still graded;
5. checks that no file of the course's code (``utils/``, the private copy) changed during the run —
   a changed file marks the submission ``tampered`` and is restored before the next one;
6. judges every exercise in its own process: references computed here, points from its own table.

Outputs stored in a submission play no part in grading: they are cleared before the run. The test suite
passes ``check_outputs=<nbval sanitizer file>`` instead, which keeps them so that nbval also compares the
cells marked ``# NBVAL_CHECK_OUTPUT`` — one execution of a lesson's solution is then both its nbval run and
its grading (``tests/test_lesson_grades.py``).

It is not a sandbox: the submission runs with the grader's user rights. See README, "Grading".
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import nbformat
import psutil
from tqdm.auto import tqdm

from utils.grading.exercise import NOT_GRADED, Outcome
from utils.grading.kernel import cell_source
from utils.grading.report import FailedCell, Result

__all__ = ["grade", "grade_notebook", "find_submissions", "lesson_of", "limits_for", "Guard", "EXERCISES_DIR"]

UTILS_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = UTILS_DIR.parent
EXERCISES_DIR = UTILS_DIR / "exercises"
_ANSI = re.compile(r"(\x1b|#x1B)\[[0-9;]*m")  # colour codes, raw or as junit XML writes them
_NAME_RE = re.compile(r"^(\d{2})(?:[-_.]|$)")
_SETUP_RE = re.compile(r"""setup_lesson\(\s*["'](\d{2})["']""")
_WATCHED = (".py", ".toml", ".json", ".pth", ".pyc")
MAX_ATTEMPTS = 3

# Runs first in the grading kernel (IPython startup file): work where the submission lives, and log
# which cell starts and how it ends (diagnostics only: nothing here counts for points).
_STARTUP = '''\
import hashlib as _h, json as _j, os as _o, sys as _s
_o.chdir({folder!r})
_s.path.insert(0, {folder!r})
_s.dont_write_bytecode = True
def _course_log(entry, _path={log!r}):
    with open(_path, "a", encoding="utf-8") as f:
        f.write(_j.dumps(entry) + "\\n")
def _course_start(info, _t=__import__("time")):
    _course_log({{"start": _h.sha1(info.raw_cell.strip().encode()).hexdigest(), "t": _t.time()}})
def _course_end(result):
    err = result.error_in_exec or result.error_before_exec
    _course_log({{"end": _h.sha1(result.info.raw_cell.strip().encode()).hexdigest(),
                 "error": None if err is None else f"{{type(err).__name__}}: {{err}}"[:300]}})
get_ipython().events.register("pre_run_cell", _course_start)
get_ipython().events.register("post_run_cell", _course_end)
del _course_start, _course_end
'''


# -- which notebooks, which lesson ---------------------------------------------------------------
def find_submissions(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Notebooks under ``paths`` (folders searched recursively) and what was skipped, with why."""
    found, skipped = [], []
    for p in map(Path, paths):
        if p.is_dir():
            for q in sorted(p.rglob("*.ipynb")):
                rel = q.relative_to(p).parts
                if any(part.startswith(".") for part in rel):
                    skipped.append((q, "hidden or checkpoint copy (.ipynb_checkpoints, dot-folder)"))
                else:
                    found.append(q)
        elif p.is_file() and p.suffix == ".ipynb":
            found.append(p)
        elif not p.exists():
            raise FileNotFoundError(f"no such notebook or folder: {p}")
        else:
            skipped.append((p, "not a notebook (.ipynb)"))
    return found, skipped


def lesson_of(path: str | os.PathLike, nb: nbformat.NotebookNode | None = None) -> str | None:
    """The lesson of a notebook: ``metadata.course.lesson``, its ``setup_lesson("NN")`` call, its name."""
    if nb is not None:
        lesson = nb.metadata.get("course", {}).get("lesson")
        if lesson:
            return str(lesson)
        for cell in nb.cells:
            if cell.cell_type == "code" and (match := _SETUP_RE.search(cell.source)):
                return match.group(1)
    match = _NAME_RE.match(Path(path).name)
    return match.group(1) if match else None


def limits_for(lesson: str | None, cell: float | None = None, total: float | None = None) -> dict:
    """Per-cell and total time limits: from the lesson's measured fast budget with a margin.

    A cell may take up to twice the whole lesson's budget (at least 120 s), the notebook four times
    it plus two minutes (at least 600 s): a busy 2-core machine runs lessons up to twice slower.
    """
    budget = _budget_seconds(lesson)
    cell = cell if cell is not None else max(120.0, 2 * budget)
    total = total if total is not None else max(600.0, 4 * budget + 120)
    return {"cell_s": float(cell), "total_s": float(total), "lesson_budget_s": budget}


def _budget_seconds(lesson: str | None) -> float:
    try:
        with (UTILS_DIR / "lessons.toml").open("rb") as f:
            entries = tomllib.load(f)["lesson"]
    except (OSError, ValueError, KeyError):
        return 60.0
    for entry in entries:
        if entry.get("id") == lesson:
            if "fast_seconds" in entry:
                return float(entry["fast_seconds"])
            numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", str(entry.get("fast", "")))]
            scale = 60.0 if "min" in str(entry.get("fast", "")) else 1.0
            return max(numbers) * scale if numbers else 60.0
    return 60.0


def _exercises_module(lesson: str, exercises_dir: Path):
    """A lesson's exercise module, loaded in the grader's process from its file."""
    file = exercises_dir / f"lesson{lesson}.py"
    spec = importlib.util.spec_from_file_location(f"_course_grader_lesson{lesson}_{abs(hash(exercises_dir))}", file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the grader's private copy and the tamper check ------------------------------------------------
class Guard:
    """A private copy of the course code for the kernel, and hashes of the files that must not change.

    Watched: the whole private copy, the grading package, the exercise modules of the lessons being
    graded and the course's settings (``utils/*.toml``): what the kernel loads and what the grader's
    process judges with. Other files of the working tree are not watched, so that instructors (and
    course developers) can go on editing other lessons while a batch is graded.
    """

    def __init__(self, exercises_dir: Path, lessons: Iterable[str | None] = ()) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="course-grader-code-"))
        shutil.copytree(UTILS_DIR, self.root / "utils", ignore=shutil.ignore_patterns("__pycache__", "static"))
        exercises_dir = exercises_dir.resolve()
        self.exercises_dir = self.root / "utils" / "exercises"
        if exercises_dir != EXERCISES_DIR:
            self.exercises_dir = self.root / "_exercises"
            shutil.copytree(exercises_dir, self.exercises_dir, ignore=shutil.ignore_patterns("__pycache__"))
        self.watched = [*(UTILS_DIR / "grading").glob("*.py"), *UTILS_DIR.glob("*.toml"), UTILS_DIR / "__init__.py",
                        *(exercises_dir / f"lesson{lesson}.py" for lesson in set(lessons) if lesson)]
        self.baseline = {path: path.read_bytes() for path in self._files()}
        self.hashes = {path: _sha(data) for path, data in self.baseline.items()}

    def _files(self) -> list[Path]:
        files = {p for p in self.watched if p.is_file()}
        files |= {p for p in self.root.rglob("*") if p.is_file() and p.suffix in _WATCHED}
        return sorted(files)

    def changed(self) -> list[Path]:
        """Watched files changed, added or removed since the copy was made."""
        now = set(self._files())
        out = [p for p in now if p not in self.hashes or _sha(p.read_bytes()) != self.hashes[p]]
        out += [p for p in self.hashes if p not in now]
        return sorted(out)

    def restore(self, paths: list[Path]) -> None:
        for path in paths:
            if path in self.baseline:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(self.baseline[path])
            else:
                path.unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- running one submission ------------------------------------------------------------------------
@dataclass
class _Run:
    report: dict | None
    log: list[dict]
    junit: list[tuple[int, str]]  # (code-cell number, message) of failing cells, from pytest
    timed_out: bool
    kernel_died: bool
    stuck: bool
    output: str


def _kill_tree(proc: subprocess.Popen) -> None:
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        children = []
    for child in children:
        try:
            child.kill()
        except psutil.Error:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _live_kernels(proc: subprocess.Popen) -> set[int]:
    found = set()
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        return found
    for child in children:
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "ipykernel" in " ".join(child.cmdline()):
                found.add(child.pid)
        except psutil.Error:
            pass
    return found


def _watch(proc: subprocess.Popen, deadline: float, result_file: Path, log_file: Path, cell_timeout: float,
           grace: float = 5.0) -> str:
    """Wait for pytest. Returns "done", or why it was stopped: "timeout" (the notebook's deadline),
    "died" (the kernel is gone before the report was complete) or "stuck" (a cell went on past its
    limit, ignoring nbval's interrupt)."""
    seen: set[int] = set()
    gone_since = None
    while proc.poll() is None:
        now = time.monotonic()
        if now > deadline:
            _kill_tree(proc)
            return "timeout"
        alive = _live_kernels(proc)
        seen |= alive
        if alive or not seen or (_read_json(result_file) or {}).get("complete"):
            gone_since = None
        else:
            gone_since = gone_since or now
            if now - gone_since >= grace:
                _kill_tree(proc)
                return "died"
        last = _last_log_entry(log_file)
        if last and "start" in last and time.time() - float(last.get("t", time.time())) > cell_timeout + 3 * grace:
            _kill_tree(proc)
            return "stuck"
        time.sleep(0.25)
    return "done"


def _last_log_entry(log_file: Path) -> dict | None:
    try:
        with log_file.open("rb") as f:
            f.seek(max(0, f.seek(0, 2) - 4096))
            lines = f.read().decode("utf-8", errors="replace").strip().splitlines()
        entry = json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None
    return entry if isinstance(entry, dict) else None


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _junit_failures(path: Path) -> list[tuple[int, str]]:
    if not path.exists():
        return []
    out = []
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return []
    for case in root.iter("testcase"):
        for bad in [*case.findall("failure"), *case.findall("error")]:
            match = re.search(r"Cell (\d+)", case.get("name", ""))
            text = _ANSI.sub("", (bad.get("message") or "") + "\n" + (bad.text or ""))
            out.append((int(match.group(1)) if match else -1, text))
    return out


def _execute(nb: nbformat.NotebookNode, folder: Path, request: dict, workdir: Path, cell_timeout: float,
             deadline: float, sanitize: Path | None = None) -> _Run:
    """Run one copy of the notebook (with the hidden cell) under pytest + nbval."""
    for item in workdir.iterdir():
        shutil.rmtree(item) if item.is_dir() else item.unlink()
    request_file, log_file = workdir / "request.json", workdir / "cells.log"
    request_file.write_text(json.dumps(request), encoding="utf-8")
    nb.cells.append(nbformat.v4.new_code_cell(
        cell_source(str(Path(request["snapshot"]) / "utils" / "grading" / "kernel.py"), str(request_file))))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    copy = workdir / "submission.ipynb"
    nbformat.write(nb, copy)
    startup = workdir / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-submission.py").write_text(_STARTUP.format(folder=str(folder), log=str(log_file)))
    (workdir / "pytest.ini").write_text("[pytest]\n")
    env = dict(os.environ)
    env.setdefault("COURSE_PROFILE", "fast")
    env.update(IPYTHONDIR=str(workdir / "ipython"), PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=os.pathsep.join([str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])]))
    env.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env["COURSE_PROGRESS"] = str(workdir / "progress.json")  # the learner's own record stays untouched
    cmd = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
           f"--nbval-cell-timeout={cell_timeout:g}", "-p", "no:cacheprovider", "--noconftest",
           "-c", str(workdir / "pytest.ini"), "--rootdir", str(workdir),
           f"--junitxml={workdir / 'cells.xml'}", "-q", "-rN", str(copy)]
    if sanitize is not None:
        cmd[-3:-3] = ["--nbval-sanitize-with", str(sanitize)]
    result_file = Path(request["result_file"])
    with (workdir / "pytest.log").open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        how = _watch(proc, deadline, result_file, log_file, cell_timeout)
    log = []
    if log_file.exists():
        for line in log_file.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                log.append(entry)
    return _Run(_read_json(result_file), log, _junit_failures(workdir / "cells.xml"), how == "timeout",
                how == "died", how == "stuck", (workdir / "pytest.log").read_text(errors="replace"))


def _cell_key(source: str) -> str:
    return hashlib.sha1(source.strip().encode()).hexdigest()


def _failed_cells(nb: nbformat.NotebookNode, run: _Run, cell_timeout: float,
                  compared: bool = False) -> tuple[list[FailedCell], int | None]:
    """Failing cells by index, and the index of a cell that started and never ended (crash or hang).
    ``compared``: outputs were compared by nbval, so a cell pytest failed without an error in the kernel's
    log is one whose output differs from the stored one."""
    index_of: dict[str, list[int]] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            index_of.setdefault(_cell_key(cell.source), []).append(index)
    failed, pending, seen = [], None, {k: 0 for k in index_of}
    for entry in run.log:
        key = entry.get("start") or entry.get("end")
        if key not in index_of:
            continue  # the hidden cell
        position = index_of[key][min(seen[key], len(index_of[key]) - 1)]
        if "start" in entry:
            pending = position
        else:
            seen[key] += 1
            pending = None
            if entry.get("error"):
                error = str(entry["error"])
                if error.startswith("KeyboardInterrupt"):
                    error = f"stopped at the cell time limit ({cell_timeout:g} s)"
                failed.append(FailedCell(position, _first_line(nb.cells[position].source), error))
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    if not run.log and run.junit:  # no log (the kernel could not start it): fall back on pytest's report
        for number, text in run.junit:
            if 0 <= number < len(code_cells):
                failed.append(FailedCell(code_cells[number], _first_line(nb.cells[code_cells[number]].source),
                                         _last_error_line(text)))
    elif compared:
        errored = {cell.index for cell in failed}
        for number, text in run.junit:
            if 0 <= number < len(code_cells) and code_cells[number] not in errored:
                lines = [ln for ln in text.splitlines() if ln.strip()]
                failed.append(FailedCell(code_cells[number], _first_line(nb.cells[code_cells[number]].source),
                                         "output differs from the stored one (nbval): "
                                         + " / ".join(lines[:3])[:300]))
    return failed, pending


def _first_line(source: str) -> str:
    return next((line.strip() for line in source.splitlines() if line.strip()), "")


def _last_error_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if re.match(r"\s*\w*(Error|Exception|Exit|Interrupt)\b", ln)]
    return (lines[-1] if lines else text.strip().splitlines()[0] if text.strip() else "failed")[:300]


def grade_notebook(path: str | os.PathLike, *, cell_timeout: float | None = None, total_timeout: float | None = None,
                   exercises_dir: str | os.PathLike | None = None, seed: int | None = None,
                   guard: Guard | None = None, check_outputs: str | os.PathLike | None = None) -> Result:
    """Execute one submission and grade it (see the module docstring). ``check_outputs``: an nbval
    sanitizer file; the stored outputs are kept and the ``# NBVAL_CHECK_OUTPUT`` cells compared (a
    mismatch is a failed cell)."""
    path = Path(path).resolve()
    start = time.perf_counter()
    exercises_dir = Path(exercises_dir or EXERCISES_DIR).resolve()
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:
        return Result(str(path), None, "error", f"cannot read the notebook: {exc}")
    lesson = lesson_of(path, nb)
    if lesson is None or not (exercises_dir / f"lesson{lesson}.py").exists():
        why = ("no lesson found (no course metadata, no setup_lesson(\"NN\") call, no NN- file name)"
               if lesson is None else f"lesson {lesson} has no exercises (no lesson{lesson}.py)")
        return Result(str(path), lesson, "no exercises", why)
    own_guard = guard is None
    guard = guard or Guard(exercises_dir, [lesson])
    try:
        sanitize = None if check_outputs is None else Path(check_outputs).resolve()
        if sanitize is not None and not sanitize.is_file():
            raise FileNotFoundError(f"check_outputs: no sanitizer file at {sanitize}")
        return _grade(path, nb, lesson, exercises_dir, guard, limits_for(lesson, cell_timeout, total_timeout),
                      secrets.randbits(32) if seed is None else seed, start, sanitize)
    finally:
        if own_guard:
            guard.close()


def _grade(path: Path, nb: nbformat.NotebookNode, lesson: str, exercises_dir: Path, guard: Guard,
           limits: dict, seed: int, start: float, sanitize: Path | None = None) -> Result:
    module = _exercises_module(lesson, exercises_dir)
    exercises = list(module.EXERCISES)
    cases = {ex.name: ex.draw(seed + ex.number) for ex in exercises}
    per_exercise = {ex.name: max(1.0, min(ex.time_limit, limits["cell_s"] / len(exercises) - 0.5))
                    for ex in exercises}
    result = Result(str(path), lesson, "graded", limits=limits, seed=seed,
                    exercises=[Outcome(ex.name, NOT_GRADED, 0, ex.points, "") for ex in exercises])
    for cell in nb.cells:  # outputs play no part in grading (kept only for nbval to compare, when asked)
        if cell.cell_type == "code" and sanitize is None:
            cell.outputs, cell.execution_count = [], None
    deadline = time.monotonic() + limits["total_s"]
    workdir, report_dir = Path(tempfile.mkdtemp(prefix="course-grade-")), Path(tempfile.mkdtemp())
    skipped: list[int] = []
    try:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            copy = nbformat.from_dict(json.loads(json.dumps(nb)))
            for index in skipped:
                copy.cells[index].source = f"# cell {index} skipped by the grader (it crashed or hung the kernel)"
            request = {"snapshot": str(guard.root), "result_file": str(report_dir / f"{secrets.token_hex(16)}.json"),
                       "exercises_file": str(guard.exercises_dir / f"lesson{lesson}.py"),
                       "cases": cases, "limits": per_exercise}
            run = _execute(copy, path.parent, request, workdir, limits["cell_s"], deadline, sanitize)
            failed, pending = _failed_cells(nb, run, limits["cell_s"], compared=sanitize is not None)
            complete = bool(run.report and run.report.get("complete"))
            if complete or pending is None or pending in skipped or attempt == MAX_ATTEMPTS \
                    or time.monotonic() >= deadline - 5:
                break
            what = ("killed the kernel" if run.kernel_died else
                    "ignored the time limit" if run.stuck else "did not finish")
            result.notes.append(f"cell {pending} ({_first_line(nb.cells[pending].source)[:40]!r}) {what}; "
                                "re-ran the notebook without it to grade the rest")
            skipped.append(pending)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(report_dir, ignore_errors=True)
    result.failed_cells = failed
    for index in skipped:
        if not any(c.index == index for c in result.failed_cells):
            result.failed_cells.append(FailedCell(index, _first_line(nb.cells[index].source),
                                                  "crashed or hung the kernel; skipped"))
    result.failed_cells.sort(key=lambda c: c.index)

    changed = guard.changed()
    if changed:
        guard.restore(changed)
        shown = ", ".join(str(p) for p in changed[:3]) + (" …" if len(changed) > 3 else "")
        result.status, result.reason = "tampered", f"the submission changed the course's code ({shown}); restored"
        result.exercises = [Outcome(ex.name, NOT_GRADED, 0, ex.points, "submission tampered with the grader")
                            for ex in exercises]
    else:
        _judge(result, exercises, cases, run, skipped, limits)
    result.seconds = time.perf_counter() - start
    return result


def _judge(result: Result, exercises: list, cases: dict, run: _Run, skipped: list[int], limits: dict) -> None:
    report = run.report or {}
    observations = report.get("observations") if isinstance(report.get("observations"), dict) else {}
    if report.get("load_error"):
        result.status, result.reason = "error", f"the exercises did not load in the kernel: {report['load_error']}"
    elif run.timed_out:
        result.status, result.reason = "timeout", f"stopped after {limits['total_s']:g} s in total"
    elif not report.get("complete") and run.kernel_died:
        result.status, result.reason = "crashed", "the kernel died (the Python process exited or crashed)"
    elif not report.get("complete") and run.stuck:
        result.status, result.reason = "timeout", f"a cell ignored the {limits['cell_s']:g} s cell limit"
    elif not report.get("complete"):
        result.status = "error"
        result.reason = "no complete grading report; pytest said: " + run.output[-300:].strip()
    elif skipped:
        result.reason = f"graded without {len(skipped)} cell(s) that crashed or hung the kernel"
    elif result.failed_cells:
        result.reason = f"{len(result.failed_cells)} cell(s) raised errors"
    outcomes = []
    for ex in exercises:
        if ex.name in observations:
            outcome = ex.judge(observations[ex.name], cases[ex.name])
        else:
            outcome = Outcome(ex.name, NOT_GRADED, 0, ex.points, result.reason or "grading stopped before this exercise")
        outcome.points = min(outcome.points, ex.points)  # only the grader's table decides points
        outcomes.append(outcome)
    result.exercises = outcomes


def _peek_lesson(path: Path) -> str | None:
    try:
        return lesson_of(path, nbformat.read(path, as_version=4))
    except Exception:
        return lesson_of(path)


def grade(paths: Iterable[str | os.PathLike] | str | os.PathLike, *, cell_timeout: float | None = None,
          total_timeout: float | None = None, exercises_dir: str | os.PathLike | None = None, jobs: int = 1,
          show_progress: bool = True, skipped: list | None = None,
          check_outputs: str | os.PathLike | None = None) -> list[Result]:
    """Grade notebooks (files, or folders searched recursively); one :class:`Result` each, in order.

    ``skipped`` (a list), when given, receives ``(path, reason)`` for every file not graded;
    ``check_outputs`` (an nbval sanitizer file) is passed to :func:`grade_notebook`.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    notebooks, ignored = find_submissions(paths)
    if skipped is not None:
        skipped.extend(ignored)
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    guard = Guard(Path(exercises_dir or EXERCISES_DIR), [_peek_lesson(nb) for nb in notebooks])
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool, \
                tqdm(total=len(notebooks), desc="grading", unit="notebook", disable=not show_progress) as bar:
            futures = [pool.submit(grade_notebook, nb, cell_timeout=cell_timeout, total_timeout=total_timeout,
                                   exercises_dir=exercises_dir, guard=guard, check_outputs=check_outputs)
                       for nb in notebooks]
            for _ in as_completed(futures):
                bar.update()
            return [f.result() for f in futures]
    finally:
        guard.close()
