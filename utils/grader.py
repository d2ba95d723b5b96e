"""Grade submitted notebooks: execute each under pytest + nbval, then re-check every exercise.

For each submission the grader copies the notebook to a private temporary folder and appends one
hidden grading cell. ``python -m pytest --nbval-lax`` runs the copy in a fresh kernel (per-cell
timeout; nbval goes on after a failing cell) whose working directory is the submission's folder,
so relative paths behave as they did for the learner. The grading cell forgets every ``utils``
module, loads the lesson's exercises module fresh from the file on disk, grades the object named by
each exercise's ``target`` in the kernel's globals and writes JSON to a random path that only the
grader knows. Only that JSON counts: printed ``✓`` lines, a redefined ``check`` or a patched
exercises module in the learner's kernel change nothing. No JSON (kernel crash, total timeout)
means 0 points, with the reason.

This isolates the grading code from the learner's *edits in memory*; it is not a sandbox against
hostile code, which runs with the learner's rights in the same kernel.
"""
from __future__ import annotations

import csv
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
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import nbformat
import psutil
from tqdm.auto import tqdm

from utils.exercises import EXERCISES_DIR

__all__ = ["Result", "ExerciseResult", "grade", "grade_notebook", "write_reports", "progress",
           "lesson_of", "EXERCISES_DIR"]

REPO_ROOT = Path(__file__).resolve().parent.parent
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LESSON_RE = re.compile(r"^(\d{2})(?:[-_.]|$)")

# The hidden cell. Format fields are Python literals written by the grader.
_GRADING_CELL = '''\
# Hidden grading cell appended by utils.grader; it is not part of the lesson.
def __course_grade(namespace, exercises_file={exercises_file!r}, result_file={result_file!r},
                   repo_root={repo_root!r}, cell_timeout={cell_timeout!r}):
    import importlib.util, json, os, signal, sys, time
    class GradingTimeout(BaseException):
        pass
    def on_alarm(signum, frame):
        raise GradingTimeout()
    def flush(report):
        with open(result_file + ".part", "w", encoding="utf-8") as f:
            json.dump(report, f)
        os.replace(result_file + ".part", result_file)
    report = {{"complete": False, "exercises": [], "load_error": None}}
    sys.path.insert(0, repo_root)
    for name in [m for m in sys.modules if m == "utils" or m.startswith("utils.")]:
        del sys.modules[name]
    try:
        spec = importlib.util.spec_from_file_location("_course_hidden_exercises", exercises_file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        exercises = list(module.EXERCISES)
    except Exception as exc:
        report["load_error"] = f"{{type(exc).__name__}}: {{exc}}"
        flush(report)
        return
    limit = max(1.0, cell_timeout / max(1, len(exercises)) - 0.5)
    from utils.grading import MISSING as missing
    alarm = hasattr(signal, "setitimer")  # per-exercise time limit (POSIX)
    previous = signal.signal(signal.SIGALRM, on_alarm) if alarm else None
    try:
        for ex in exercises:
            entry = {{"name": ex.name, "points": 0, "max_points": ex.points}}
            start = time.perf_counter()
            try:
                if alarm:
                    signal.setitimer(signal.ITIMER_REAL, limit)
                outcome = ex.evaluate(namespace.get(ex.target, missing))
                entry.update(outcome.to_dict())
            except GradingTimeout:
                entry.update(status="timeout", message=f"grading took longer than {{limit:.0f}} s")
            except KeyboardInterrupt:
                entry.update(status="timeout", message="the grading cell was interrupted (cell timeout)")
                report["exercises"].append(entry)
                flush(report)
                raise
            finally:
                if alarm:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            entry["seconds"] = round(time.perf_counter() - start, 3)
            report["exercises"].append(entry)
            flush(report)
    finally:
        if alarm:
            signal.signal(signal.SIGALRM, previous)
    report["complete"] = True
    flush(report)
import builtins as __course_builtins
__course_grade(__course_builtins.globals())
del __course_grade, __course_builtins
'''

# Runs first in the grading kernel (IPython startup file): work where the submission lives.
_STARTUP = '''\
import os, sys
os.chdir({folder!r})
sys.path.insert(0, {folder!r})
'''


@dataclass
class ExerciseResult:
    """How one exercise of one submission was graded."""

    name: str
    points: float
    max_points: float
    status: str
    message: str = ""


@dataclass
class Result:
    """The grade of one submission."""

    path: str
    lesson: str | None
    status: str  # graded | timeout | crashed | error | no exercises
    reason: str = ""
    exercises: list[ExerciseResult] = field(default_factory=list)
    failed_cells: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> float:
        return sum(e.points for e in self.exercises)

    @property
    def max_points(self) -> float:
        return sum(e.max_points for e in self.exercises)

    def to_dict(self) -> dict:
        return {
            "path": self.path, "lesson": self.lesson, "status": self.status, "reason": self.reason,
            "total": self.total, "max": self.max_points, "failed_cells": self.failed_cells,
            "seconds": round(self.seconds, 2),
            "exercises": [vars(e).copy() for e in self.exercises],
        }

    def table(self) -> str:
        """A readable table: exercise, points, status, why."""
        head = (f"{_display(self.path)}: {_fmt(self.total)}/{_fmt(self.max_points)} points"
                f" [{self.status}{': ' + self.reason if self.reason else ''}]")
        rows = [(e.name, f"{_fmt(e.points)}/{_fmt(e.max_points)}", e.status, e.message)
                for e in self.exercises]
        return head + ("\n" + _table(("exercise", "points", "status", "why"), rows) if rows else "")


def _fmt(x: float) -> str:
    return f"{x:g}"


def _display(path: str | os.PathLike) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _report_names(results: list[Result]) -> list[str]:
    """Distinct JSON file names: ``alice__05-fine-tuning.json`` when several folders are graded."""
    paths = [Path(r.path).resolve() for r in results]
    if len({p.stem for p in paths}) == len(paths):
        return [f"{p.stem}.json" for p in paths]
    common = Path(os.path.commonpath([p.parent for p in paths]))
    return ["__".join(p.relative_to(common).with_suffix("").parts) + ".json" for p in paths]


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row, widths)] + [str(row[-1])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def lesson_of(path: str | os.PathLike, nb: nbformat.NotebookNode | None = None) -> str | None:
    """The lesson id of a notebook: ``metadata.course.lesson``, else the ``NN-`` file-name prefix."""
    if nb is not None:
        lesson = nb.metadata.get("course", {}).get("lesson")
        if lesson:
            return str(lesson)
    match = _LESSON_RE.match(Path(path).name)
    return match.group(1) if match else None


def _expected_exercises(exercises_file: Path) -> list[ExerciseResult]:
    """Names and points of a lesson's exercises (loaded here only to fill in 0-point rows)."""
    spec = importlib.util.spec_from_file_location(f"_course_exercises_{exercises_file.stem}", exercises_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [ExerciseResult(ex.name, 0, ex.points, "not graded") for ex in module.EXERCISES]


def _expand(paths: Iterable[str | os.PathLike]) -> list[Path]:
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(q for q in p.glob("*.ipynb") if not q.name.startswith("."))
        elif p.is_file() and p.suffix == ".ipynb":
            found.append(p)
        elif not p.exists():
            raise FileNotFoundError(f"no such notebook or folder: {p}")
        else:
            raise ValueError(f"not a notebook (.ipynb): {p}")
    return found


def _kill_tree(proc: subprocess.Popen) -> None:
    """Kill pytest and the kernel it started (the kernel runs in a session of its own)."""
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        children = []
    for child in children:
        try:
            child.kill()
        except Exception:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _live_kernels(proc: subprocess.Popen) -> set[int]:
    """Process ids of the running (not zombie) IPython kernels started by ``proc``."""
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


def _report_complete(result_file: Path) -> bool:
    return bool((_read_report(result_file) or {}).get("complete"))


def _watch(proc: subprocess.Popen, timeout_total: float, result_file: Path,
           grace: float = 5.0, poll: float = 0.25) -> tuple[bool, bool]:
    """Wait for pytest; kill everything on the total timeout or when the kernel has died.

    nbval notices a dead kernel only after a full cell timeout. When the kernel has gone before
    the grading report is complete and pytest has not finished ``grace`` seconds later (as it
    does at once when nbval itself stopped a stuck kernel), the kernel died: stop the run.
    Returns ``(timed_out, kernel_died)``.
    """
    deadline = time.monotonic() + timeout_total
    seen: set[int] = set()
    gone_since = None
    while proc.poll() is None:
        now = time.monotonic()
        if now > deadline:
            _kill_tree(proc)
            return True, False
        alive = _live_kernels(proc)
        seen |= alive
        if alive or not seen or _report_complete(result_file):
            gone_since = None
        else:
            gone_since = gone_since or now
            if now - gone_since >= grace:
                _kill_tree(proc)
                return False, True
        time.sleep(poll)
    return False, False


def _cell_failures(junit_xml: Path) -> tuple[int, list[str]]:
    """Number of failing cells and their short messages, from pytest's JUnit XML report."""
    if not junit_xml.exists():
        return 0, []
    messages = []
    for case in ET.parse(junit_xml).getroot().iter("testcase"):
        for bad in [*case.findall("failure"), *case.findall("error")]:
            cell = case.get("name", "?").replace("::", " ").strip()
            text = _ANSI.sub("", bad.get("message") or "").strip().splitlines()
            messages.append(f"{cell}: {' '.join(line.strip() for line in text[:2])[:200]}")
    return len(messages), messages


def _prepare(nb: nbformat.NotebookNode, folder: Path, exercises_file: Path, result_file: Path,
             workdir: Path, timeout_cell: float) -> tuple[list[str], dict]:
    """Write the copy with the grading cell and the kernel's startup file; the command and env."""
    for cell in nb.cells:  # outputs play no part in grading; without them nbval compares nothing
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.cells.append(nbformat.v4.new_code_cell(_GRADING_CELL.format(
        exercises_file=str(exercises_file), result_file=str(result_file),
        repo_root=str(REPO_ROOT), cell_timeout=float(timeout_cell))))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    copy = workdir / "submission.ipynb"
    nbformat.write(nb, copy)
    startup = workdir / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-submission-folder.py").write_text(_STARTUP.format(folder=str(folder)))
    (workdir / "pytest.ini").write_text("[pytest]\n")
    env = dict(os.environ)
    env.setdefault("COURSE_PROFILE", "fast")
    env["IPYTHONDIR"] = str(workdir / "ipython")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    cmd = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
           f"--nbval-cell-timeout={timeout_cell:g}", "-p", "no:cacheprovider", "--noconftest",
           "-c", str(workdir / "pytest.ini"), "--rootdir", str(workdir),
           f"--junitxml={workdir / 'cells.xml'}", "-q", "-rN", str(copy)]
    return cmd, env


def _read_report(result_file: Path) -> dict | None:
    try:
        return json.loads(result_file.read_text())
    except (OSError, ValueError):
        return None


def grade_notebook(path: str | os.PathLike, timeout_cell: float = 120, timeout_total: float = 900,
                   exercises_dir: str | os.PathLike | None = None) -> Result:
    """Execute one submission and grade it (see the module docstring)."""
    path = Path(path).resolve()
    start = time.perf_counter()
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:
        return Result(str(path), None, "error", f"cannot read the notebook: {exc}")
    lesson = lesson_of(path, nb)
    exercises_file = Path(exercises_dir or EXERCISES_DIR).resolve() / f"lesson{lesson}.py"
    if lesson is None or not exercises_file.exists():
        why = "no lesson id (name the file NN-….ipynb)" if lesson is None else f"no {exercises_file.name}"
        return Result(str(path), lesson, "no exercises", why)
    try:
        expected = _expected_exercises(exercises_file)
    except Exception as exc:
        return Result(str(path), lesson, "error", f"cannot load {exercises_file.name}: {exc}")

    # The report goes to a folder of its own: the kernel can learn where workdir is (IPYTHONDIR).
    workdir, report_dir = Path(tempfile.mkdtemp(prefix="course-grade-")), Path(tempfile.mkdtemp())
    try:
        result_file = report_dir / f"{secrets.token_hex(16)}.json"
        cmd, env = _prepare(nb, path.parent, exercises_file, result_file, workdir, timeout_cell)
        log = workdir / "pytest.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(cmd, cwd=path.parent, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            timed_out, kernel_died = _watch(proc, timeout_total, result_file)
        failed, messages = _cell_failures(workdir / "cells.xml")
        report = _read_report(result_file)
        output = log.read_text(errors="replace")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(report_dir, ignore_errors=True)
    result = _interpret(Result(str(path), lesson, "graded", exercises=expected, failed_cells=failed),
                        report, messages, output, timed_out, kernel_died, timeout_cell, timeout_total)
    result.seconds = time.perf_counter() - start
    return result


def _interpret(result: Result, report: dict | None, messages: list[str], output: str, timed_out: bool,
               kernel_died: bool, timeout_cell: float, timeout_total: float) -> Result:
    """Fill in points and status from the kernel's report and what pytest/nbval said."""
    if report is not None and report.get("load_error"):
        result.status, result.reason = "error", f"exercises module failed to load: {report['load_error']}"
        report = None
    if report is not None:
        graded = {e["name"]: e for e in report["exercises"]}
        result.exercises = [
            ExerciseResult(e.name, graded[e.name]["points"], graded[e.name]["max_points"],
                           graded[e.name]["status"], graded[e.name].get("message", ""))
            if e.name in graded else
            ExerciseResult(e.name, 0, e.max_points, "not graded", "grading stopped before this exercise")
            for e in result.exercises
        ]
    cell_timeouts = [m for m in messages if "Timeout of" in m]
    complete = report is not None and report.get("complete")
    if timed_out:
        result.status, result.reason = "timeout", f"stopped after {timeout_total:g} s in total"
    elif result.status == "error":
        pass  # the exercises module did not load in the kernel
    elif not complete and kernel_died:
        result.status, result.reason = "crashed", "the kernel died (the Python process exited or crashed)"
    elif not complete and cell_timeouts:
        result.status, result.reason = "timeout", cell_timeouts[0]
    elif not complete:
        result.status = "error"
        result.reason = messages[0] if messages else "no grading report; pytest said: " + output[-300:].strip()
    elif cell_timeouts:
        result.status = "timeout"
        result.reason = f"{len(cell_timeouts)} cell(s) ran past {timeout_cell:g} s"
    elif result.failed_cells:
        result.reason = f"{result.failed_cells} cell(s) raised errors"
    if report is None:
        for e in result.exercises:
            e.points, e.status, e.message = 0, "not graded", result.reason
    return result


def grade(paths: Iterable[str | os.PathLike] | str | os.PathLike, timeout_cell: float = 120,
          timeout_total: float = 900, exercises_dir: str | os.PathLike | None = None,
          jobs: int = 1, show_progress: bool = True) -> list[Result]:
    """Grade notebooks (files or folders of ``*.ipynb``); one :class:`Result` per notebook, in order.

    ``jobs`` submissions run at the same time (each in its own process and kernel).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    notebooks = _expand(paths)
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    with ThreadPoolExecutor(max_workers=jobs) as pool, \
            tqdm(total=len(notebooks), desc="grading", unit="notebook", disable=not show_progress) as bar:
        futures = [pool.submit(grade_notebook, nb, timeout_cell, timeout_total, exercises_dir)
                   for nb in notebooks]
        for future in as_completed(futures):
            bar.update()
        return [f.result() for f in futures]


def write_reports(results: list[Result], out_dir: str | os.PathLike) -> list[Path]:
    """Write ``<notebook>.json`` per submission and ``grades.csv`` (one row per submission)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for r, name in zip(results, _report_names(results)):
        target = out / name
        target.write_text(json.dumps(r.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    columns = list(dict.fromkeys(f"{r.lesson}.{e.name}" for r in results for e in r.exercises))
    with (out / "grades.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["file", "total", "max", *columns, "status", "reason"])
        writer.writeheader()
        for r in results:
            row = {"file": _display(r.path), "total": r.total, "max": r.max_points, "status": r.status,
                   "reason": r.reason}
            row.update({f"{r.lesson}.{e.name}": e.points for e in r.exercises})
            writer.writerow(row)
    written.append(out / "grades.csv")
    return written


def progress(folder: str | os.PathLike = "notebooks", timeout_cell: float = 120,
             timeout_total: float = 900, exercises_dir: str | os.PathLike | None = None,
             jobs: int = 1) -> list[Result]:
    """Run the learner's own notebooks in ``folder`` and print which exercises pass."""
    exercises_dir = Path(exercises_dir or EXERCISES_DIR)
    notebooks = [p for p in _expand([folder])
                 if (lesson := lesson_of(p)) and (exercises_dir / f"lesson{lesson}.py").exists()]
    if not notebooks:
        print(f"No notebooks with exercises in {folder}.")
        return []
    results = grade(notebooks, timeout_cell, timeout_total, exercises_dir, jobs)
    rows = []
    for r in results:
        mark = {"correct": "✓"}.get
        for e in r.exercises:
            rows.append((r.lesson or "?", e.name, f"{_fmt(e.points)}/{_fmt(e.max_points)}",
                         f"{mark(e.status, '✗')} {e.status}", e.message))
    print(_table(("lesson", "exercise", "points", "status", "why"), rows))
    total = sum(r.total for r in results)
    most = sum(r.max_points for r in results)
    print(f"\n{_fmt(total)}/{_fmt(most)} points over {len(results)} notebook(s)")
    for r in results:
        if r.status != "graded" or r.reason:
            print(f"note: {Path(r.path).name}: {r.status}{': ' + r.reason if r.reason else ''}")
    return results
