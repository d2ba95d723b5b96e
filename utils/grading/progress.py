"""A learner's own progress: every ``qN.check()`` is recorded locally as it happens.

``course progress`` reads the record and answers at once. It is a convenience for the learner, kept
in the user's data folder (``$COURSE_PROGRESS`` overrides the file); it counts for nothing in grading.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["progress_file", "record", "read", "table"]


def progress_file() -> Path:
    """``$COURSE_PROGRESS``, else ``progress.json`` in the user's data folder for the course."""
    env = os.environ.get("COURSE_PROGRESS", "").strip()
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("hands-on-nlp-course", appauthor=False)) / "progress.json"


def _notebook() -> str:
    """The notebook the check ran in, as far as the front end tells the kernel."""
    main = sys.modules.get("__main__")
    for name in ("__vsc_ipynb_file__", "__session__"):
        value = getattr(main, name, None)
        if isinstance(value, str) and value:
            return value
    return os.environ.get("JPY_SESSION_NAME", "") or "?"


def read(path: Path | None = None) -> dict:
    """``{lesson: {exercise: {status, points, max_points, message, when, notebook}}}``; {} when none."""
    try:
        data = json.loads((path or progress_file()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(lesson: str | None, outcome, path: Path | None = None) -> None:
    """Store the latest result of one exercise (written atomically)."""
    path = path or progress_file()
    data = read(path)
    data.setdefault(lesson or "?", {})[outcome.name] = {
        "status": outcome.status, "points": outcome.points, "max_points": outcome.max_points,
        "message": outcome.message[:300], "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "notebook": _notebook(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".progress-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def table(data: dict, exercises: dict[str, list]) -> tuple[list[tuple], float, float]:
    """Rows (lesson, exercise, points, status, when, notebook) for every known exercise, and totals.

    ``exercises`` maps lesson id → that lesson's exercises, so unchecked ones show as "not checked".
    """
    from utils.grading.exercise import points_text

    rows, total, most = [], 0.0, 0.0
    for lesson in sorted(set(exercises) | set(data)):
        for ex in exercises.get(lesson, []):
            seen = data.get(lesson, {}).get(ex.name)
            most += ex.points
            if seen is None:
                rows.append((lesson, ex.name, points_text(0, ex.points), "· not checked yet", "", ""))
                continue
            points = min(float(seen.get("points", 0)), ex.points)
            total += points
            mark = "✓" if seen.get("status") == "correct" else "✗"
            when = str(seen.get("when", ""))[:16].replace("T", " ")
            rows.append((lesson, ex.name, points_text(points, ex.points), f"{mark} {seen.get('status', '?')}",
                         when, Path(str(seen.get("notebook", ""))).name))
    return rows, total, most


def lesson_exercises(exercises_dir: Path | None = None) -> dict[str, list]:
    """Every lesson's exercises, imported from ``utils/exercises/lessonNN.py``."""
    import importlib

    out = {}  # (the grader module is not imported here: nbformat alone takes seconds to import)
    folder = exercises_dir or Path(__file__).resolve().parent.parent / "exercises"
    for file in sorted(Path(folder).glob("lesson*.py")):
        out[file.stem[len("lesson"):]] = list(importlib.import_module(f"utils.exercises.{file.stem}").EXERCISES)
    return out


def show(path: Path | None = None) -> int:
    """Print the recorded progress; exit code 0 when every exercise of the course passes."""
    from utils.grading.exercise import points_text
    from utils.grading.report import render_table

    data = read(path)
    rows, total, most = table(data, lesson_exercises())
    print(render_table(("lesson", "exercise", "points", "last check", "when (UTC)", "notebook"), rows))
    print(f"\n{points_text(total, most)} from your last checks "
          f"(recorded in {path or progress_file()}; `course progress --verify` re-runs your notebooks)")
    return 0 if most and total == most else 1


def verify(folder: str | os.PathLike = "notebooks", jobs: int = 1) -> int:
    """Re-execute the learner's notebooks in ``folder`` as the grader would, one status line per lesson."""
    from utils.grading.exercise import points_text
    from utils.grading.grader import grade
    from utils.grading.report import render_table

    results = grade([folder], jobs=jobs, show_progress=True)
    graded = [r for r in results if r.status != "no exercises"]
    if not graded:
        print(f"No notebooks with exercises in {folder}.")
        return 1
    rows = []
    for r in graded:
        passed = sum(e.status == "correct" for e in r.exercises)
        status = r.status + (f": {r.reason}" if r.reason else "")
        rows.append((r.lesson, Path(r.path).name, points_text(r.total, r.max_points),
                     f"{passed}/{len(r.exercises)} exercises", status))
    print(render_table(("lesson", "notebook", "points", "passed", "status"), rows))
    return 0 if all(r.status == "graded" and r.total == r.max_points for r in graded) else 1
