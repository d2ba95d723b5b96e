"""What the grader writes: one :class:`Result` per submission, as a table, JSON and a CSV row."""
from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from utils.grading.exercise import Outcome, points_text

__all__ = ["Result", "FailedCell", "write_reports", "render_table"]


@dataclass
class FailedCell:
    """A cell of the submission that raised (or never finished)."""

    index: int  # position among all cells of the notebook, counting from 0
    first_line: str
    error: str  # "ZeroDivisionError: division by zero", "SyntaxError: …", "timeout after 120 s"

    def text(self) -> str:
        return f"cell {self.index} ({self.first_line[:40]!r}): {self.error}"


@dataclass
class Result:
    """The grade of one submission."""

    path: str
    lesson: str | None
    status: str  # graded | crashed | timeout | tampered | error | no exercises
    reason: str = ""
    exercises: list[Outcome] = field(default_factory=list)
    failed_cells: list[FailedCell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    limits: dict = field(default_factory=dict)
    seed: int | None = None
    seconds: float = 0.0

    @property
    def total(self) -> float:
        return sum(min(e.points, e.max_points) for e in self.exercises)

    @property
    def max_points(self) -> float:
        return sum(e.max_points for e in self.exercises)

    def to_dict(self) -> dict:
        return {
            "path": self.path, "lesson": self.lesson, "status": self.status, "reason": self.reason,
            "total": self.total, "max": self.max_points, "seconds": round(self.seconds, 2),
            "limits": self.limits, "seed": self.seed, "notes": self.notes,
            "failed_cells": [vars(c).copy() for c in self.failed_cells],
            "exercises": [e.to_dict() for e in self.exercises],
        }

    def table(self) -> str:
        """Readable: a head line, the exercises, then failing cells and notes."""
        head = (f"{_display(self.path)} (lesson {self.lesson or '?'}): "
                f"{points_text(self.total, self.max_points)} [{self.status}{': ' + self.reason if self.reason else ''}]")
        lines = [head]
        if self.exercises:
            rows = [(e.name, points_text(e.points, e.max_points), e.status, e.message) for e in self.exercises]
            lines.append(render_table(("exercise", "points", "status", "why"), rows))
        lines += [f"  failing {cell.text()}" for cell in self.failed_cells]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def render_table(header: tuple[str, ...], rows: list[tuple]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    return "\n".join("  ".join([str(c).ljust(w) for c, w in zip(row, widths)] + [str(row[-1])]).rstrip()
                     for row in [header, *rows])


def _display(path: str | os.PathLike) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _report_names(results: list[Result]) -> list[str]:
    """Distinct JSON names: ``alice__05-fine-tuning.json`` when several folders hold the same name."""
    paths = [Path(r.path).resolve() for r in results]
    if len({p.stem for p in paths}) == len(paths):
        return [f"{p.stem}.json" for p in paths]
    common = Path(os.path.commonpath([p.parent for p in paths]))
    return ["__".join(p.relative_to(common).with_suffix("").parts) + ".json" for p in paths]


def write_reports(results: list[Result], out_dir: str | os.PathLike) -> list[Path]:
    """``<submission>.json`` per submission and ``grades.csv`` with one row per submission."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for r, name in zip(results, _report_names(results)) if results else []:
        target = out / name
        target.write_text(json.dumps(r.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    columns = list(dict.fromkeys(f"{r.lesson}.{e.name}" for r in results for e in r.exercises))
    with (out / "grades.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["file", "lesson", "total", "max", *columns, "status", "reason", "failed_cells"])
        writer.writeheader()
        for r in results:
            row = {"file": _display(r.path), "lesson": r.lesson, "total": f"{r.total:g}", "max": f"{r.max_points:g}",
                   "status": r.status, "reason": r.reason,
                   "failed_cells": "; ".join(c.text() for c in r.failed_cells)}
            row.update({f"{r.lesson}.{e.name}": f"{e.points:g}" for e in r.exercises})
            writer.writerow(row)
    written.append(out / "grades.csv")
    return written
