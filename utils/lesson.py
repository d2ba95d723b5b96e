"""``setup_lesson()``: the one opening call of every notebook."""
from __future__ import annotations

import platform
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from utils import profile

LESSONS_FILE = Path(__file__).with_name("lessons.toml")
SHOWN_LIBRARIES = ("torch", "transformers", "datasets", "scikit-learn")
banner_facts: dict = {}


@dataclass(frozen=True)
class Lesson:
    id: str
    slug: str
    title: str
    level: str
    topics: str
    fast: str
    full: str


def lessons() -> list[Lesson]:
    """The lesson map from ``utils/lessons.toml``, in course order."""
    with LESSONS_FILE.open("rb") as f:
        return [Lesson(**entry) for entry in tomllib.load(f)["lesson"]]


def find_lesson(lesson_id: str) -> Lesson:
    for lesson in lessons():
        if lesson.id == lesson_id or lesson.slug == lesson_id:
            return lesson
    known = ", ".join(lesson.id for lesson in lessons())
    raise ValueError(f"unknown lesson {lesson_id!r}; known lessons: {known}")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def setup_lesson(lesson_id: str, seed: int = 0) -> None:
    """Decide the profile, go offline in fast, seed, quiet the logs, set the plot style, print a banner.

    The printed facts stay available as ``utils.lesson.banner_facts`` for tests and later cells.
    """
    global banner_facts
    lesson = find_lesson(lesson_id)
    chosen = profile.get_profile()  # also sets the offline switches in the fast profile
    profile.quiet_logging()
    profile.seed_everything(seed)
    from utils.plots import use_course_style

    use_course_style()
    facts = banner_facts = {
        "lesson": f"{lesson.id} · {lesson.title}",
        "profile": chosen,
        "device": profile.device(),
        "python": platform.python_version(),
        **{lib: _version(lib) for lib in SHOWN_LIBRARIES},
        "seed": seed,
        "budget": f"fast {lesson.fast} / full {lesson.full}",
    }
    width = max(map(len, facts))
    print("\n".join(f"{key:<{width}} : {value}" for key, value in facts.items()))
    if chosen == "fast":
        print("fast profile: offline, CPU-sized models and data; every substitution is printed below.")
