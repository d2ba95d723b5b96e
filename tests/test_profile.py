"""The profile switch, seeding and the lesson banner."""
import os
import random

import numpy as np
import pytest

from utils import lesson, profile


@pytest.fixture
def fresh_profile(monkeypatch):
    monkeypatch.setattr(profile, "_profile", None)
    monkeypatch.delenv("COURSE_DRY_RUN", raising=False)
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


def test_a_dry_run_is_the_full_profile_offline(fresh_profile, capsys):
    fresh_profile.setenv("COURSE_PROFILE", "full")
    fresh_profile.setenv("COURSE_DRY_RUN", "1")
    assert profile.get_profile() == "full" and profile.dry_run()
    assert all(os.environ[key] == value for key, value in profile.OFFLINE_SWITCHES.items())
    assert "full profile, dry run (COURSE_DRY_RUN=1)" in capsys.readouterr().out
    profile.get_profile()
    assert capsys.readouterr().out == ""  # said once, when the profile is decided


@pytest.mark.parametrize("chosen, flag", [("fast", "1"), ("full", "0"), ("full", "")])
def test_no_dry_run_without_both_switches(fresh_profile, chosen, flag):
    fresh_profile.setenv("COURSE_PROFILE", chosen)
    fresh_profile.setenv("COURSE_DRY_RUN", flag)
    assert not profile.dry_run()
    assert profile.pick(fast=64, full=256) == (64 if chosen == "fast" else 256)


def test_pick_in_a_dry_run_clips_every_integer_to_the_fast_value(monkeypatch):
    monkeypatch.setattr(profile, "_profile", "full")
    monkeypatch.setenv("COURSE_DRY_RUN", "1")
    assert profile.pick(fast=64, full=256) == 64
    assert profile.pick(fast=8, full=4) == 4  # already the smaller
    assert profile.pick(fast=1e-4, full=3e-5) == 3e-5  # not a size: the full value
    assert profile.pick(fast=True, full=False) is False
    assert profile.pick(fast="tiny", full="base") == "base"
    sizes = profile.pick(fast={"train": 480, "test": 400, "note": "a"},
                         full={"train": 25_000, "test": 25_000, "note": "b", "extra": 7})
    assert sizes == {"train": 480, "test": 400, "note": "b", "extra": 7}
    assert profile.pick(fast=[25, 50], full=(100, 10)) == (25, 10)


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


def test_every_full_budget_follows_from_its_basis():
    """``full`` is the sum that ends ``full_basis`` ("… = 12.8 min"), rounded up to a whole minute."""
    import math
    import re

    for entry in lesson.lessons():
        total = re.search(r"= (\d+(?:\.\d+)?) min$", entry.full_basis)
        assert total, f"lesson {entry.id}: full_basis must end with '= N min', the sum of its parts"
        assert entry.full == f"≈ {math.ceil(float(total.group(1)))} min T4", f"lesson {entry.id}"
