"""The profile switch, seeding and the lesson banner."""
import os
import random

import numpy as np
import pytest

from utils import lesson, profile


@pytest.fixture
def fresh_profile(monkeypatch):
    monkeypatch.setattr(profile, "_profile", None)
    for key in profile.OFFLINE_SWITCHES:
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


def test_explicit_fast_sets_offline_switches(fresh_profile):
    fresh_profile.setenv("COURSE_PROFILE", "fast")
    assert profile.get_profile() == "fast"
    assert all(os.environ[key] == value for key, value in profile.OFFLINE_SWITCHES.items())


def test_explicit_full_leaves_network_alone(fresh_profile):
    fresh_profile.setenv("COURSE_PROFILE", "FULL")
    assert profile.get_profile() == "full"
    assert "HF_HUB_OFFLINE" not in os.environ


def test_unknown_profile_is_a_clear_error(fresh_profile):
    fresh_profile.setenv("COURSE_PROFILE", "turbo")
    with pytest.raises(ValueError, match="expected one of fast, full"):
        profile.get_profile()


def test_default_is_fast_without_a_gpu(fresh_profile):
    fresh_profile.delenv("COURSE_PROFILE", raising=False)
    fresh_profile.setattr(profile, "_cuda_available", lambda: False)
    fresh_profile.setattr(profile, "hub_reachable", lambda timeout=1.0: pytest.fail("no network probe without a GPU"))
    assert profile.get_profile() == "fast"


def test_default_is_full_only_with_gpu_and_hub(fresh_profile):
    fresh_profile.delenv("COURSE_PROFILE", raising=False)
    fresh_profile.setattr(profile, "_cuda_available", lambda: True)
    fresh_profile.setattr(profile, "hub_reachable", lambda timeout=1.0: False)
    assert profile.get_profile() == "fast"
    fresh_profile.setattr(profile, "_profile", None)
    fresh_profile.setattr(profile, "hub_reachable", lambda timeout=1.0: True)
    assert profile.get_profile() == "full"


def test_hub_probe_gives_up_quickly():
    import time

    start = time.perf_counter()
    profile.hub_reachable(timeout=0.5)  # unreachable here; must not hang on retries
    assert time.perf_counter() - start < 5


def test_seeding_repeats_random_numbers():
    import torch

    profile.seed_everything(3)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    profile.seed_everything(3)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


def test_setup_lesson_banner(capsys, fresh_profile):
    fresh_profile.setenv("COURSE_PROFILE", "fast")
    lesson.setup_lesson("00")
    facts = lesson.banner_facts
    out = capsys.readouterr().out
    assert facts["profile"] == "fast" and facts["seed"] == 0
    for word in ("profile", "device", "torch", "transformers", "budget"):
        assert word in out
    assert "fast profile: offline" in out


def test_unknown_lesson_lists_the_known_ones():
    with pytest.raises(ValueError, match="known lessons: 00"):
        lesson.find_lesson("99")


def test_every_lesson_in_the_map_has_a_solution_notebook():
    from pathlib import Path

    solutions = {p.stem for p in Path(__file__).parents[1].joinpath("solutions").glob("*.ipynb")}
    missing = [entry.slug for entry in lesson.lessons() if entry.slug not in solutions]
    assert not missing, f"lessons.toml lists lessons without a notebook: {missing}"


def test_pick_returns_the_active_profiles_value(monkeypatch):
    from utils import profile

    monkeypatch.setattr(profile, "_profile", "fast")
    assert profile.pick(fast=64, full=256) == 64
    monkeypatch.setattr(profile, "_profile", "full")
    assert profile.pick(fast=64, full=256) == 256


def test_course_file_is_found_from_a_lesson_folder(monkeypatch, tmp_path):
    from pathlib import Path

    import pytest

    from utils.lesson import course_file

    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(root / "notebooks")
    assert course_file(".ci/run") == root / ".ci" / "run"
    with pytest.raises(FileNotFoundError, match="not in the course folder"):
        course_file("no/such/file")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="no course folder"):
        course_file(".ci/run")
