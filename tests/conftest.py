"""Shared pytest set-up: what several test files need.

* fixture notebooks are test data, not tests;
* the fast profile's offline switches are set before any test module imports transformers, so the
  tests never reach the hub (the profile tests remove them where they check them);
* ``fetched``: a resource from the real course cache, or a skip naming ``course fetch``;
* ``empty_cache``: an empty course cache, nothing fetched on first use, no announcement made yet.
"""
from __future__ import annotations

import os

import pytest

from utils import profile

collect_ignore_glob = ["fixtures/*"]

for _key, _value in profile.OFFLINE_SWITCHES.items():
    os.environ.setdefault(_key, _value)


@pytest.fixture
def fetched():
    """``fetched(role)``: the cached folder or file of ``role``; the test is skipped, with the reason,
    when ``course fetch`` has not put it in the cache."""
    from utils.resources import ResourceMissing, resource_path

    def get(role: str):
        try:
            return resource_path(role)
        except ResourceMissing as err:
            pytest.skip(f"{role} is not in the cache: {err}")

    return get


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    """An empty course cache (returned), no Colab, no forced fetch on first use, no announcement made yet."""
    from utils import resources

    cache = tmp_path / "empty-cache"
    monkeypatch.setenv("COURSE_CACHE", str(cache))
    monkeypatch.delenv("COURSE_AUTO_FETCH", raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.setattr(resources, "_announced", set())
    return cache
