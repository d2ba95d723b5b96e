"""The course's shared package. Notebooks start with::

    from utils import setup_lesson
    setup_lesson("00")

and ask for models and data by role: ``checkpoint("sentiment-model")``, ``load("movie-reviews")``.
Heavy modules are imported only when first used, so ``import utils`` stays fast.
"""
from importlib import import_module

from utils.lesson import course_file, setup_lesson
from utils.profile import device, get_profile, is_fast, pick, seed_everything

_LAZY = {
    "checkpoint": "utils.resources",
    "resource_path": "utils.resources",
    "model_card": "utils.resources",
    "ResourceMissing": "utils.resources",
    "load": "utils.data",
}

__all__ = ["setup_lesson", "get_profile", "is_fast", "pick", "device", "seed_everything", "course_file", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'utils' has no attribute {name!r}")
