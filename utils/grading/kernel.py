"""The only grading code that runs inside a submission's kernel.

The grader appends one cell that loads this file from the grader's private copy of ``utils`` and
calls :func:`main`. It reads the inputs the grader drew for this submission, calls the learner's
objects on them through each exercise's ``observe`` and writes what came out as plain JSON. It
decides nothing: no references, no points, no verdicts live here, so nothing the learner's code
does to this process can turn a wrong answer into a right one.
"""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
import time

__all__ = ["main", "cell_source"]


class _TimeUp(BaseException):
    """Raised by the alarm when one exercise runs past its limit."""


def cell_source(kernel_file: str, request_file: str) -> str:
    """The hidden cell the grader appends to a submission."""
    return (
        "# Hidden grading cell appended by the course grader; it is not part of the lesson.\n"
        "import importlib.util as _course_u\n"
        f"_course_s = _course_u.spec_from_file_location('_course_grading_kernel', {kernel_file!r})\n"
        "_course_m = _course_u.module_from_spec(_course_s)\n"
        "_course_s.loader.exec_module(_course_m)\n"
        f"_course_m.main(globals(), {request_file!r})\n"
    )


def _write(path: str, report: dict) -> None:
    with open(path + ".part", "w", encoding="utf-8") as f:
        json.dump(report, f)
    os.replace(path + ".part", path)


def _load(exercises_file: str, snapshot: str):
    """The lesson's exercises, imported from the grader's copy (never from the learner's ``utils``)."""
    for name in [m for m in sys.modules if m == "utils" or m.startswith("utils.")]:
        del sys.modules[name]
    sys.path.insert(0, snapshot)
    spec = importlib.util.spec_from_file_location("_course_grading_exercises", exercises_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(namespace: dict, request_file: str) -> None:
    """Observe every exercise named in the request; write ``{name: observation}`` as JSON."""
    with open(request_file, encoding="utf-8") as f:
        request = json.load(f)
    result_file = request["result_file"]
    report: dict = {"observations": {}, "complete": False}
    try:
        module = _load(request["exercises_file"], request["snapshot"])
        from utils.grading.exercise import MISSING
    except Exception as exc:
        report["load_error"] = f"{type(exc).__name__}: {exc}"
        _write(result_file, report)
        return
    exercises = {ex.name: ex for ex in module.EXERCISES}

    def on_alarm(signum, frame):
        raise _TimeUp()

    alarm = hasattr(signal, "setitimer")
    previous = signal.signal(signal.SIGALRM, on_alarm) if alarm else None
    try:
        for name, cases in request["cases"].items():
            ex, limit = exercises[name], float(request["limits"][name])
            obj = namespace.get(ex.target, MISSING)
            try:
                if alarm:
                    signal.setitimer(signal.ITIMER_REAL, limit)
                observation = ex.observe(obj, cases, time.monotonic() + limit)
            except _TimeUp:
                observation = {"state": "ran", "outputs": [{"timeout": f"stopped after {limit:.0f} s"}]}
            finally:
                if alarm:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            report["observations"][name] = observation
            _write(result_file, report)
    finally:
        if alarm:
            signal.signal(signal.SIGALRM, previous)
    report["complete"] = True
    _write(result_file, report)
