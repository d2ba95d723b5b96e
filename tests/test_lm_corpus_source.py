"""``lm-corpus``: the Austen text the course ships, its sha256, and its identity with the Debian package.

The stand-in recipes (QA cloze questions, fill-mask texts) and the QA set's Austen contexts were made
from Debian's ``r-cran-janeaustenr``; the shipped file must give exactly the same line vectors.
"""
from __future__ import annotations

import shutil
from pathlib import PurePosixPath

import pytest

from utils import data, resources
from utils.resources import ChecksumError, ResourceMissing

SPEC = resources.manifest()["roles"]["lm-corpus"]


def test_the_shipped_file_is_the_pinned_one():
    path = resources.REPO_ROOT / SPEC["fast"]["file"]
    assert path.stat().st_size == SPEC["fast"]["bytes"]
    assert resources.sha256_of(path) == SPEC["fast"]["sha256"]
    assert resources.resource_path("lm-corpus") == path


def test_a_changed_shipped_file_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / SPEC["fast"]["file"]
    copy.parent.mkdir(parents=True)
    shutil.copyfile(resources.REPO_ROOT / SPEC["fast"]["file"], copy)
    with copy.open("ab") as f:
        f.write(b"\0")
    monkeypatch.setattr(resources, "REPO_ROOT", tmp_path)
    with pytest.raises(ChecksumError, match="pinned in utils/manifest.toml"):
        resources.resource_path("lm-corpus")


def test_the_shipped_novels_are_the_debian_packages_line_for_line():
    try:
        deb = data.austen_novels_from_deb()
    except ResourceMissing as err:
        pytest.skip(f"the Debian package is not fetched (`course fetch --roles r-cran-janeaustenr`, Debian only): {err}")
    shipped = data.austen_novels()
    assert list(shipped) == list(deb) == sorted(data.AUSTEN_BOOKS)  # object order fixes the seeded splits
    for name in deb:
        assert shipped[name] == deb[name], name


def test_the_origin_is_the_debian_packages_lazy_load_database():
    origin = resources.members("lm-corpus", "origin")
    assert {archive for archive, _ in origin} == {"r-cran-janeaustenr"}
    assert resources.manifest()["archives"]["r-cran-janeaustenr"]["kind"] == "deb"
    assert sorted(PurePosixPath(member).name for _, member in origin) == ["Rdata.rdb", "Rdata.rdx"]
