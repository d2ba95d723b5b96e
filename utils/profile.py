"""The two course profiles and the one call every notebook starts with.

* ``fast``: CPU, offline, small data; models and data come from the course's own cache
  (filled by ``course fetch``). The hub is never contacted.
* ``full``: GPU, hub checkpoints, full datasets.

One switch: the ``COURSE_PROFILE`` environment variable (``fast`` or ``full``). Without it the course
chooses ``full`` only when a CUDA GPU is present *and* the hub answers within a second.

**Full-profile dry run** (``COURSE_PROFILE=full COURSE_DRY_RUN=1``): the full profile's code path on any
CPU, offline, so that a crash in a full branch shows up in ``make test``. ``get_profile()`` says ``full``
(so :func:`pick` returns the full values and full branches run; device moves and fp16 flags stay as
written), but ``checkpoint(role)`` / ``load(role)`` resolve to the fast profile's models and data (each
line they print says "dry run"), ``load`` returns the fast lesson-sized subsets, and :func:`pick`
clips every integer of a full value to the fast one (a dry run checks the code path, not the scale), so
a lesson runs about as long as in the fast profile.
"""
from __future__ import annotations

import os
import random
import socket
import sys
import warnings

PROFILES = ("fast", "full")
HUB_HOST = "huggingface.co"

# Environment switches that keep the Hugging Face libraries from touching the network.
OFFLINE_SWITCHES = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
}

DRY_RUN_VARIABLE = "COURSE_DRY_RUN"

_profile: str | None = None


def hub_reachable(timeout: float = 1.0) -> bool:
    """True when a TCP connection to the hub opens within ``timeout`` seconds."""
    try:
        with socket.create_connection((HUB_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


def on_colab() -> bool:
    """True inside a Google Colab runtime (its kernel imports ``google.colab``; its VMs set
    ``COLAB_RELEASE_TAG``)."""
    return "google.colab" in sys.modules or bool(os.environ.get("COLAB_RELEASE_TAG"))


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def get_profile() -> str:
    """Return the active profile, deciding it once per process (see module docstring)."""
    global _profile
    if _profile is None:
        chosen = os.environ.get("COURSE_PROFILE", "").strip().lower()
        if chosen and chosen not in PROFILES:
            raise ValueError(f"COURSE_PROFILE={chosen!r}: expected one of {', '.join(PROFILES)}")
        if not chosen:
            chosen = "full" if _cuda_available() and hub_reachable() else "fast"
        _profile = chosen
        if chosen == "fast" or dry_run():
            for key, value in OFFLINE_SWITCHES.items():
                os.environ.setdefault(key, value)
        if dry_run():
            print(f"full profile, dry run ({DRY_RUN_VARIABLE}=1): the full code path on the fast profile's models "
                  "and data, offline; sizes from pick() clipped to the fast ones.")
    return _profile


def dry_run() -> bool:
    """True in a full-profile dry run: the full profile (``COURSE_PROFILE=full``) and ``COURSE_DRY_RUN=1``
    (see the module docstring). ``COURSE_DRY_RUN`` alone, in the fast profile, changes nothing."""
    if os.environ.get(DRY_RUN_VARIABLE, "").strip().lower() not in ("1", "true", "yes"):
        return False
    return get_profile() == "full"


def is_fast() -> bool:
    return get_profile() == "fast"


def pick(*, fast, full):
    """The value for the active profile: ``MAX_LENGTH = pick(fast=64, full=256)``.

    The one way lessons size things per profile, so a reader sees both values side by side.
    In a full-profile dry run (:func:`dry_run`) the full value comes back with each of its integers
    clipped to the fast one: ``pick(fast=64, full=256)`` gives 64, ``pick(fast=1e-4, full=3e-5)`` 3e-5.
    """
    if get_profile() == "fast":
        return fast
    return _clip(full, fast) if dry_run() else full


def _clip(full, fast):
    """``full`` with every integer (not bool) at most the matching one of ``fast``; dicts by key, lists and
    tuples by position, anything else unchanged."""
    if isinstance(full, bool) or isinstance(fast, bool):
        return full
    if isinstance(full, int) and isinstance(fast, int):
        return min(full, fast)
    if isinstance(full, dict) and isinstance(fast, dict):
        return {key: _clip(value, fast[key]) if key in fast else value for key, value in full.items()}
    if isinstance(full, (list, tuple)) and isinstance(fast, (list, tuple)) and len(full) == len(fast):
        return type(full)(_clip(a, b) for a, b in zip(full, fast))
    return full


def device() -> str:
    """``"cuda"`` when a GPU is usable, else ``"cpu"``."""
    return "cuda" if _cuda_available() else "cpu"


def seed_everything(seed: int = 0) -> None:
    """Seed python, numpy and torch (and make torch deterministic where that is cheap)."""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.benchmark = False


def quiet_logging() -> None:
    """Hide the known, harmless noise of the HF libraries; real warnings still show."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for pattern in (
        ".*TypedStorage is deprecated.*",
        ".*`resume_download` is deprecated.*",
        ".*IProgress not found.*",
        ".*clean_up_tokenization_spaces.*",
    ):
        warnings.filterwarnings("ignore", message=pattern)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:
        pass
    try:
        import datasets

        datasets.logging.set_verbosity_error()
        datasets.disable_progress_bars()
    except ImportError:
        pass
