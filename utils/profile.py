"""The two course profiles and the one call every notebook starts with.

* ``fast``: CPU, offline, small data; models and data come from the course's own cache
  (filled by ``course fetch``). The hub is never contacted.
* ``full``: GPU, hub checkpoints, full datasets.

One switch: the ``COURSE_PROFILE`` environment variable (``fast`` or ``full``). Without it the course
chooses ``full`` only when a CUDA GPU is present *and* the hub answers within a second.
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
        if chosen == "fast":
            for key, value in OFFLINE_SWITCHES.items():
                os.environ.setdefault(key, value)
    return _profile


def is_fast() -> bool:
    return get_profile() == "fast"


def pick(*, fast, full):
    """The value for the active profile: ``MAX_LENGTH = pick(fast=64, full=256)``.

    The one way lessons size things per profile, so a reader sees both values side by side.
    """
    return fast if get_profile() == "fast" else full


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
