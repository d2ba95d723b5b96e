"""Measure each lesson's fast-profile wall time: ``python benchmarks/lesson_times.py [--write] [NN ...]``.

Executes ``solutions/NN-*.ipynb`` top to bottom in a fresh kernel (as a learner's "Run all" would) and
prints the seconds. With ``--write`` the figures go into ``utils/lessons.toml`` (``fast_seconds`` and
``measured``), from where `course build` / `course readme` put them in each lesson's header, its
banner and the README. Measure on an otherwise idle machine.
"""
from __future__ import annotations

import argparse
import os
import re
import time
from datetime import date
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
LESSONS_FILE = ROOT / "utils" / "lessons.toml"


def measure(path: Path, save: bool = False) -> float:
    """Seconds to run the notebook top to bottom; with ``save`` the executed notebook replaces the file."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    if save:
        nbformat.write(nb, path)
    return seconds


def write(seconds: dict[str, float], day: str) -> None:
    """Set ``fast_seconds`` and ``measured`` in each measured lesson's entry of lessons.toml."""
    text = LESSONS_FILE.read_text(encoding="utf-8")
    entries = re.split(r"(?=^\[\[lesson\]\]$)", text, flags=re.MULTILINE)
    out = []
    for entry in entries:
        match = re.search(r'^id = "(\d\d)"$', entry, flags=re.MULTILINE)
        if match and match.group(1) in seconds:
            entry = re.sub(r"^(fast_seconds|measured) = .*\n", "", entry, flags=re.MULTILINE)
            entry = re.sub(r'^(fast = .*)$', rf'\1\nfast_seconds = {seconds[match.group(1)]:.0f}\nmeasured = "{day}"',
                           entry, count=1, flags=re.MULTILINE)
        out.append(entry)
    LESSONS_FILE.write_text("".join(out), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="lesson ids (default: all)")
    parser.add_argument("--write", action="store_true", help="record the figures in utils/lessons.toml")
    parser.add_argument("--save", action="store_true", help="keep the executed notebooks (fresh outputs)")
    args = parser.parse_args()
    os.environ.setdefault("COURSE_PROFILE", "fast")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as make sets it: spinning OpenMP threads stall a busy 2-core machine
    paths = sorted((ROOT / "solutions").glob("*.ipynb"))
    if args.lessons:
        paths = [p for p in paths if p.name[:2] in args.lessons]
    seconds = {}
    for path in paths:
        seconds[path.name[:2]] = measure(path, save=args.save)
        print(f"{path.name:<32} {seconds[path.name[:2]]:7.1f} s", flush=True)
    if args.write:
        write(seconds, date.today().isoformat())
        print(f"recorded in {LESSONS_FILE.relative_to(ROOT)}; run `course build` and `course readme`")


if __name__ == "__main__":
    main()
