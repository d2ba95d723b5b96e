"""The resource layer: manifest consistency, fetch (checksums, atomic unpacking, warm cache), lookups.

Fetch tests run on small fake archives in a temporary cache: ``resources.download`` is replaced by a
copy of a locally built file, so everything after the download (hash check, unpacking, markers,
summary) is the real code.
"""
from __future__ import annotations

import hashlib
import io
import re
import shutil
import sys
import tarfile
import time
import types
import zipfile
from pathlib import Path

import pytest

from utils import profile, resources, standins
from utils.resources import ChecksumError, ResourceMissing

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


def _spec(path: Path, client: str, kind: str, members: list[str]) -> dict:
    data = path.read_bytes()
    return {"client": client, "package": "toy", "version": "1.0", "kind": kind, "filename": path.name,
            "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "licence": "MIT", "members": members}


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A fake manifest over three local archives, a cache folder and a download counter."""
    src = tmp_path / "src"
    src.mkdir()
    _wheel(src / "toy-1.0-py3-none-any.whl")
    _sdist(src / "toy-1.0.tar.gz")
    _deb(src / "toy_1.0_all.deb")
    manifest = {
        "archives": {
            "toy-wheel": _spec(src / "toy-1.0-py3-none-any.whl", "pip", "wheel",
                               ["toy/data/reviews.csv", "toy/data/sub/"]),
            "toy-sdist": _spec(src / "toy-1.0.tar.gz", "pip", "sdist", ["toy-1.0/extra/table.tsv"]),
            "toy-deb": _spec(src / "toy_1.0_all.deb", "apt", "deb", ["usr/share/toy/words.txt"]),
        },
        "roles": {
            "toy-data": {"kind": "data", "substitution": "toy data",
                         "fast": {"archive": ["toy-wheel", "toy-sdist", "toy-deb"], "member": "toy/data/reviews.csv",
                                  "loader": "data.toy"}},
        },
    }
    calls = []

    def fake_download(spec, dest):
        calls.append(spec["filename"])
        return Path(shutil.copy(src / spec["filename"], dest / spec["filename"]))

    monkeypatch.setattr(resources, "download", fake_download)
    return types.SimpleNamespace(manifest=manifest, cache=tmp_path / "cache", src=src, calls=calls)


def _fetch(toy, **kwargs):
    return resources.fetch(["toy-data"], cache=toy.cache, manifest_data=toy.manifest, **kwargs)


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
        resources.fetch(["toy-wheel"], cache=toy.cache, manifest_data=toy.manifest)
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
        resources.fetch(["toy-sdist"], cache=toy.cache, manifest_data=toy.manifest, force=True)
    assert toy.calls == [stored.name]
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == toy.manifest["archives"]["toy-sdist"]["sha256"]


def test_an_interrupted_unpack_leaves_no_half_entry(toy, monkeypatch):
    def broken_unpack(path, spec, dest):
        (dest / "partial.txt").write_text("half written")
        raise KeyboardInterrupt

    monkeypatch.setattr(resources, "unpack", broken_unpack)
    with pytest.raises(KeyboardInterrupt):
        resources.fetch(["toy-wheel"], cache=toy.cache, manifest_data=toy.manifest)
    assert list((toy.cache / "unpacked").iterdir()) == []
    monkeypatch.undo()
    monkeypatch.setattr(resources, "download", lambda spec, dest: pytest.fail("archive should be reused"))
    rows = resources.fetch(["toy-wheel"], cache=toy.cache, manifest_data=toy.manifest)
    assert rows[0]["status"].startswith("unpacked")


def test_fetch_sweeps_only_stale_temporary_folders(toy):
    import os

    stale, fresh = toy.cache / "unpacked" / ".tmp-toy-wheel-old", toy.cache / "models" / ".tmp-x-new"
    for folder in (stale, fresh):
        folder.mkdir(parents=True)
    os.utime(stale, (time.time() - 2 * resources.STALE_AFTER_S,) * 2)
    _fetch(toy)
    assert not stale.exists() and fresh.exists()


def test_a_manifest_member_missing_from_the_archive_is_an_error(toy):
    toy.manifest["archives"]["toy-wheel"]["members"].append("toy/data/absent.csv")
    with pytest.raises(RuntimeError, match="absent.csv"):
        resources.fetch(["toy-wheel"], cache=toy.cache, manifest_data=toy.manifest)
    assert not (toy.cache / "unpacked" / "toy-wheel").exists()


# ------------------------------------------------------------------------------ stand-ins
def test_fetch_skips_a_recipe_whose_module_does_not_exist_yet(toy, monkeypatch):
    monkeypatch.delenv("COURSE_SKIP_STANDINS", raising=False)
    toy.manifest["roles"]["toy-model"] = {"kind": "model", "substitution": "toy",
                                          "fast": {"recipe": "no_such_recipe", "requires": ["toy-data"]}}
    with pytest.warns(UserWarning, match="no_such_recipe"):
        rows = resources.fetch(["toy-model"], cache=toy.cache, manifest_data=toy.manifest)
    assert (rows[-1]["name"], rows[-1]["status"]) == ("toy-model", "skipped (no recipe yet)")
    assert not (toy.cache / "models" / "toy-model").exists()


def test_fetch_builds_a_recipe_into_the_cache_it_was_given(toy, monkeypatch):
    seen = {}

    def build(out_dir):
        seen["cache"] = resources.cache_dir()
        (out_dir / "README.md").write_text("# toy\n")
        return {"accuracy": 0.75}

    monkeypatch.delenv("COURSE_SKIP_STANDINS", raising=False)
    monkeypatch.setitem(sys.modules, "utils.standins.toy_recipe", types.SimpleNamespace(build=build))
    monkeypatch.setitem(standins.RECIPES, "toy-model", "toy_recipe")
    monkeypatch.setattr(standins, "available", lambda recipe: recipe == "toy_recipe")
    toy.manifest["roles"]["toy-model"] = {"kind": "model", "substitution": "toy",
                                          "fast": {"recipe": "toy_recipe", "requires": ["toy-data"]}}
    rows = resources.fetch(["toy-model"], cache=toy.cache, manifest_data=toy.manifest)
    assert seen["cache"] == toy.cache
    folder = toy.cache / "models" / "toy-model"
    assert rows[-1]["status"] == "built" and (folder / "metrics.json").is_file() and (folder / resources.MARKER).is_file()
    assert resources.fetch(["toy-model"], cache=toy.cache, manifest_data=toy.manifest)[-1]["status"] == "cached"
    rows = resources.fetch(["toy-model"], cache=toy.cache, manifest_data=toy.manifest, standins=False)
    assert rows[-1]["status"] == "cached"  # a built stand-in stays usable when stand-ins are switched off
    monkeypatch.setattr(standins, "fingerprint", lambda recipe: "edited recipe")
    assert resources.fetch(["toy-model"], cache=toy.cache, manifest_data=toy.manifest)[-1]["status"] == "built"


def test_recipe_fingerprint_follows_the_recipe_code():
    first = standins.fingerprint("sentiment")
    assert first and first == standins.fingerprint("sentiment") != standins.fingerprint("ner")
    assert standins.fingerprint("no_such_recipe") is None


def test_standins_build_writes_metrics_and_requires_a_model_card(tmp_path, monkeypatch):
    def build(out_dir):
        (out_dir / "README.md").write_text("# toy\n")
        return {"accuracy": 0.5}

    monkeypatch.setitem(sys.modules, "utils.standins.toy_recipe", types.SimpleNamespace(build=build))
    monkeypatch.setitem(standins.RECIPES, "toy-model", "toy_recipe")
    assert standins.build("toy-model", tmp_path / "a") == {"accuracy": 0.5}
    assert '"accuracy": 0.5' in (tmp_path / "a" / "metrics.json").read_text()
    monkeypatch.setitem(sys.modules, "utils.standins.toy_recipe", types.SimpleNamespace(build=lambda out: {}))
    with pytest.raises(RuntimeError, match="README.md"):
        standins.build("toy-model", tmp_path / "b")


# ------------------------------------------------------------------------ lookups, profiles
@pytest.fixture
def empty_fast_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "empty"))
    monkeypatch.setattr(profile, "_profile", "fast")
    monkeypatch.setattr(resources, "_announced", set())


@pytest.mark.parametrize("role", ["sentiment-model", "encoder", "causal-lm"])
def test_fast_profile_with_an_empty_cache_fails_fast_naming_course_fetch(empty_fast_cache, role):
    start = time.perf_counter()
    with pytest.raises(ResourceMissing, match=rf"`course fetch --roles {role}`"):
        resources.checkpoint(role)
    assert time.perf_counter() - start < 1


def test_data_loaders_raise_resource_missing_on_an_empty_cache(empty_fast_cache):
    from utils.data import load

    with pytest.raises(ResourceMissing, match="`course fetch --roles movie-reviews`"):
        load("movie-reviews")


def test_checkpoint_rejects_data_roles_and_unknown_roles(empty_fast_cache):
    with pytest.raises(ValueError, match="data role"):
        resources.checkpoint("movie-reviews")
    with pytest.raises(ValueError, match="known roles"):
        resources.checkpoint("sentiment")


def test_full_profile_downloads_the_pinned_revision(monkeypatch, capsys):
    import huggingface_hub

    seen = {}

    def fake_snapshot_download(repo_id, revision=None, **kwargs):
        seen.update(repo_id=repo_id, revision=revision, **kwargs)
        return f"/hub/{repo_id}"

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    monkeypatch.setattr(huggingface_hub, "list_repo_files",
                        lambda repo_id, revision=None: ["config.json", "model.safetensors", "pytorch_model.bin"])
    monkeypatch.setattr(profile, "_profile", "full")
    monkeypatch.setattr(resources, "_announced", set())
    path = resources.checkpoint("sentiment-model")
    assert path == "/hub/distilbert/distilbert-base-uncased-finetuned-sst-2-english"
    assert seen["revision"] == "714eb0fa89d2f80546fda750413ed43d93601a13"
    assert "*.bin" in seen["ignore_patterns"] and "*.h5" in seen["ignore_patterns"]
    resources.checkpoint("sentiment-model")
    assert capsys.readouterr().out.count("full profile: sentiment-model") == 1
    seen.clear()
    resources.checkpoint("gpt2-tokenizer")
    assert seen["repo_id"] == "openai-community/gpt2" and "*.safetensors" not in seen["allow_patterns"]


def test_fast_substitution_is_announced_once(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "models" / "sentiment-model"
    folder.mkdir(parents=True)
    (folder / resources.MARKER).write_text("{}")
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    monkeypatch.setattr(profile, "_profile", "fast")
    monkeypatch.setattr(resources, "_announced", set())
    assert resources.checkpoint("sentiment-model") == str(folder)
    resources.checkpoint("sentiment-model")
    out = capsys.readouterr().out
    assert out.count("fast profile: sentiment-model → ") == 1
    assert "in place of distilbert/distilbert-base-uncased-finetuned-sst-2-english" in out


def test_cache_dir_follows_course_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    assert resources.cache_dir() == tmp_path
    monkeypatch.delenv("COURSE_CACHE")
    assert "hands-on-nlp-course" in str(resources.cache_dir())


# ----------------------------------------------------------------------------- the manifest
MANIFEST = resources.manifest()


@pytest.mark.parametrize("name", list(MANIFEST["archives"]))
def test_archive_entries_are_complete(name):
    spec = MANIFEST["archives"][name]
    assert set(spec) >= {"client", "package", "version", "kind", "filename", "sha256", "bytes", "licence", "members"}
    assert re.fullmatch(r"[0-9a-f]{64}", spec["sha256"])
    assert spec["client"] in ("pip", "apt") and spec["kind"] in ("wheel", "sdist", "deb")
    assert (spec["client"] == "apt") == (spec["kind"] == "deb")
    assert spec["members"] and spec["bytes"] > 0


@pytest.mark.parametrize("role", list(MANIFEST["roles"]))
def test_role_entries_are_consistent(role):
    spec = MANIFEST["roles"][role]
    assert spec["kind"] in ("model", "tokenizer", "data") and spec["substitution"]
    if "full" in spec:
        assert spec["full"]["id"].count("/") == 1 and spec["full"]["revision"]
        if spec["full"]["revision"] == "main":
            assert spec.get("pin_note"), f"{role}: an unpinned revision needs a pin_note"
    fast = spec["fast"]
    if "recipe" in fast:
        assert standins.RECIPES[role] == fast["recipe"]
        for dep in fast["requires"]:
            assert dep in MANIFEST["roles"]
    elif "file" in fast:
        assert fast["loader"].startswith("data.")
    else:
        archives, members = resources._as_list(fast["archive"]), resources._as_list(fast["member"])
        for archive in archives:
            assert archive in MANIFEST["archives"]
        unpacked = [m for a in archives for m in MANIFEST["archives"][a]["members"]]
        for member in members:  # a file or folder that `course fetch` unpacks
            assert resources._member_matches(member, unpacked) or any(m.startswith(member) for m in unpacked), member
        module, func = fast["loader"].split(".")
        if module == "converted":
            from utils.standins import converted

            assert callable(getattr(converted, func))
        else:
            assert module == "data"


def test_every_role_named_in_contributing_is_in_the_manifest():
    text = (REPO / "CONTRIBUTING.md").read_text()
    section = text[text.index("Model roles:"):text.index("## A lesson's cells")]
    named = set(re.findall(r"`([a-z0-9-]+)`", section))
    assert named == set(MANIFEST["roles"])
    assert set(standins.RECIPES) == {r for r, s in MANIFEST["roles"].items() if "recipe" in s["fast"]}


# --------------------------------------------------------------------- the real cache, if any
def _real(role: str) -> Path:
    try:
        return resources.resource_path(role)
    except ResourceMissing as err:
        pytest.skip(f"not fetched: {err}")


def test_real_gpt2_tokenizer_folder_reproduces_gpt2_ids():
    folder = _real("gpt2-tokenizer")
    assert (folder / "vocab.json").is_file() and (folder / "merges.txt").is_file()
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert len(tokenizer) == 50257
    assert tokenizer("Hello world").input_ids == [15496, 995]


def test_real_encoder_and_causal_lm_folders_have_configs():
    import json

    encoder = json.loads((_real("encoder") / "config.json").read_text())
    assert (encoder["model_type"], encoder["hidden_size"], encoder["num_hidden_layers"]) == ("bert", 384, 6)
    lm = json.loads((_real("causal-lm") / "config.json").read_text())
    assert lm["model_type"] == "llama" and "quantization_config" not in lm
    assert (_real("causal-lm") / "model.safetensors").stat().st_size > 500_000_000
