"""The stand-ins the course ships as small weights (``data/standins/<role>/``): compression and
assembly on a tiny model, the manifest pins, the budgets, and — with the encoder in the cache — that
every shipped stand-in assembles and reproduces its recorded held-out figure.
"""
from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path

import pytest

for _key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_key, "1")

from utils import fetch, resources, standins  # noqa: E402
from utils.resources import ChecksumError, ResourceMissing  # noqa: E402
from utils.standins import shipped  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MANIFEST = resources.manifest()
SHIPPED_ROLES = [r for r, s in MANIFEST["roles"].items() if "shipped" in s.get("fast", {})]
MAX_BYTES_PER_ROLE = 4 * 1024 * 1024
MAX_BYTES_ALL = 16 * 1024 * 1024


# --------------------------------------------------------------------------------- tiny models
def _tiny_pair(tmp_path: Path, delta_rank: int = 2):
    """A tiny BERT base folder (with a WordPiece tokenizer) and a 'fine-tuned' sequence classifier whose
    weight matrices differ from the base by an exact rank-``delta_rank`` delta; returns both folders."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertModel, BertTokenizerFast

    torch.manual_seed(0)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(95)]) + "\n")
    config = BertConfig(vocab_size=100, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=128, max_position_embeddings=64)
    base_dir, tuned_dir = tmp_path / "base", tmp_path / "tuned"
    BertModel(config).save_pretrained(base_dir)
    tokenizer = BertTokenizerFast(vocab_file=str(vocab))
    tokenizer.save_pretrained(base_dir)
    tuned = BertForSequenceClassification.from_pretrained(base_dir, num_labels=2)
    with torch.no_grad():
        for name, param in tuned.named_parameters():
            if "encoder.layer.0" in name and name.endswith("dense.weight"):
                out, inp = param.shape
                param += 0.01 * torch.randn(out, delta_rank) @ torch.randn(delta_rank, inp)
            elif name.endswith("LayerNorm.bias"):
                param += 0.01
    tuned.save_pretrained(tuned_dir)
    tokenizer.model_max_length = 32
    tokenizer.save_pretrained(tuned_dir)
    return base_dir, tuned_dir


def _ship(tmp_path: Path, base_dir: Path, tuned_dir: Path, rank: int, bits: int = 16) -> Path:
    import tempfile

    out = Path(tempfile.mkdtemp(prefix=f"ship-{rank}-{bits}-", dir=tmp_path))
    tensors, layout = shipped.compress(tuned_dir, base_dir, rank, bits=bits)
    shipped.write_weights(out / shipped.WEIGHTS, tensors, layout, shipped._sha256(base_dir / "model.safetensors"))
    for name in shipped.CARRIED:
        (out / name).write_bytes((tuned_dir / name).read_bytes())
    (out / "metrics.json").write_text('{"test_accuracy": 0.5}\n')
    return out


def _max_difference(a_dir: Path, b_dir: Path) -> float:
    from safetensors.torch import load_file

    a, b = load_file(str(a_dir / "model.safetensors")), load_file(str(b_dir / "model.safetensors"))
    assert set(a) == set(b)
    return max(float((a[k].float() - b[k].float()).abs().max()) for k in a)


@pytest.mark.parametrize("bits", [16, 8, 4])
def test_a_delta_of_the_stored_rank_is_reassembled(tmp_path, bits):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    base_dir, tuned_dir = _tiny_pair(tmp_path, delta_rank=2)
    out = tmp_path / "assembled"
    shipped.assemble(_ship(tmp_path, base_dir, tuned_dir, rank=2, bits=bits), base_dir, out)
    # fp16 factors: relative error ~1e-3 of a delta of ~0.01-0.1; int8: ~1e-2 of it; 4-bit: ~1e-1
    assert _max_difference(out, tuned_dir) < {16: 2e-4, 8: 2e-3, 4: 2e-2}[bits]
    model = AutoModelForSequenceClassification.from_pretrained(out)  # an ordinary folder
    assert model.config.num_labels == 2
    assert AutoTokenizer.from_pretrained(out).model_max_length == 32  # the recipe's tokenizer setting


def test_the_shipped_file_is_byte_reproducible(tmp_path):
    """Compressing the same model twice gives the same bytes (so a deterministic retrain gives the same pin)."""
    base_dir, tuned_dir = _tiny_pair(tmp_path)
    first, second = _ship(tmp_path, base_dir, tuned_dir, rank=2), _ship(tmp_path, base_dir, tuned_dir, rank=2, bits=16)
    assert (first / shipped.WEIGHTS).read_bytes() == (second / shipped.WEIGHTS).read_bytes()


def test_too_low_a_rank_loses_the_delta(tmp_path):
    base_dir, tuned_dir = _tiny_pair(tmp_path, delta_rank=4)
    out = tmp_path / "assembled"
    shipped.assemble(_ship(tmp_path, base_dir, tuned_dir, rank=1), base_dir, out)
    assert _max_difference(out, tuned_dir) > 1e-3


def test_unchanged_tensors_come_from_the_base_and_changed_small_ones_in_full(tmp_path):
    base_dir, tuned_dir = _tiny_pair(tmp_path)
    _, layout = shipped.compress(tuned_dir, base_dir, 2)
    assert layout["bert.encoder.layer.0.attention.self.query.weight"] == ["base", "encoder.layer.0.attention.self.query.weight"]
    assert layout["bert.encoder.layer.1.output.dense.weight"][0] == "base"
    assert layout["bert.encoder.layer.0.output.dense.weight"] == ["lowrank", 2, 16]
    assert layout["bert.encoder.layer.0.output.LayerNorm.bias"] == ["full"]
    assert layout["classifier.weight"] == ["full"]  # the new head


def test_assembly_checks_the_pinned_sha256_and_the_base(tmp_path):
    base_dir, tuned_dir = _tiny_pair(tmp_path)
    ship = _ship(tmp_path, base_dir, tuned_dir, rank=2)
    good = shipped._sha256(ship / shipped.WEIGHTS)
    with pytest.raises(ChecksumError, match="pinned"):
        shipped.assemble(ship, base_dir, tmp_path / "a", sha256="0" * 64)
    shipped.assemble(ship, base_dir, tmp_path / "b", sha256=good)
    other_base = tmp_path / "other-base"
    other_base.mkdir()
    for f in base_dir.iterdir():
        (other_base / f.name).write_bytes(f.read_bytes())
    from safetensors.torch import load_file, save_file

    weights = load_file(str(other_base / "model.safetensors"))
    first = next(iter(weights))
    weights[first] = weights[first] + 1
    save_file(weights, str(other_base / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(ValueError, match="base encoder"):
        shipped.assemble(ship, other_base, tmp_path / "c")


def test_fetch_assembles_a_current_shipped_standin_and_trains_a_stale_one(tmp_path, monkeypatch):
    """``course fetch``: a role with current shipped weights is assembled (no training), re-assembled when
    the pin changes; when the recipe changed since the weights were made, it is trained as before."""
    base_dir, tuned_dir = _tiny_pair(tmp_path)
    repo = tmp_path / "repo"
    ship = repo / "data" / "standins" / "toy-model"
    ship.parent.mkdir(parents=True)
    _ship(tmp_path, base_dir, tuned_dir, rank=2).rename(ship)
    (ship / "metrics.json").write_text(json.dumps({"recipe_sha256": "current recipe", "test_accuracy": 0.5}))
    cache = tmp_path / "cache"
    encoder = cache / "models" / "encoder"
    encoder.mkdir(parents=True)
    for f in base_dir.iterdir():
        (encoder / f.name).write_bytes(f.read_bytes())
    (encoder / resources.MARKER).write_text("{}")
    built = []

    def build(out_dir):
        built.append(out_dir)
        (out_dir / "README.md").write_text("# toy\n")
        (out_dir / "metrics.json").write_text('{"accuracy": 0.75}')
        return {"accuracy": 0.75}

    monkeypatch.delenv("COURSE_SKIP_STANDINS", raising=False)
    monkeypatch.setattr(fetch, "REPO_ROOT", repo)
    monkeypatch.setitem(sys.modules, "utils.standins.toy_recipe", types.SimpleNamespace(build=build))
    monkeypatch.setattr(standins, "fingerprint", lambda recipe: "current recipe")
    pin = {"dir": "data/standins/toy-model", "sha256": shipped._sha256(ship / shipped.WEIGHTS)}
    toy_manifest = {"archives": {}, "roles": {"toy-model": {
        "kind": "model", "substitution": "toy", "fast": {"recipe": "toy_recipe", "requires": [], "shipped": pin}}}}

    rows = fetch.fetch(["toy-model"], cache=cache, manifest_data=toy_manifest)
    folder = cache / "models" / "toy-model"
    assert rows[-1]["status"].startswith("assembled") and not built
    assert _max_difference(folder, tuned_dir) < 2e-4
    assert json.loads((folder / resources.MARKER).read_text())["shipped_sha256"] == pin["sha256"]
    assert fetch.fetch(["toy-model"], cache=cache, manifest_data=toy_manifest)[-1]["status"] == "cached"

    pin["sha256"] = "0" * 64  # a shipped file that is not the pinned one is refused
    with pytest.raises(ChecksumError):
        fetch.fetch(["toy-model"], cache=cache, manifest_data=toy_manifest)
    pin["sha256"] = shipped._sha256(ship / shipped.WEIGHTS)

    monkeypatch.setattr(standins, "fingerprint", lambda recipe: "edited recipe")
    fetch._stale_warned.discard("toy-model")
    with pytest.warns(UserWarning, match="course standins train toy-model"):
        rows = fetch.fetch(["toy-model"], cache=cache, manifest_data=toy_manifest)
    assert rows[-1]["status"] == "built" and len(built) == 1
    assert "shipped_sha256" not in json.loads((folder / resources.MARKER).read_text())


# ---------------------------------------------------------------------- the shipped stand-ins
def test_every_recipe_role_ships_its_weights():
    assert set(SHIPPED_ROLES) == set(standins.recipes()), "a course-trained stand-in without shipped weights"


@pytest.mark.parametrize("role", SHIPPED_ROLES)
def test_shipped_files_match_their_pins_and_the_budget(role):
    pin = MANIFEST["roles"][role]["fast"]["shipped"]
    folder = REPO / pin["dir"]
    weights = folder / shipped.WEIGHTS
    assert shipped._sha256(weights) == pin["sha256"], f"{weights} is not the file pinned in utils/manifest.toml"
    size = sum(f.stat().st_size for f in folder.iterdir())
    assert size <= MAX_BYTES_PER_ROLE, f"{pin['dir']}: {size:,} bytes > 4 MiB"
    for name in (*shipped.CARRIED, "metrics.json", "README.md"):
        assert (folder / name).is_file(), f"{pin['dir']} lacks {name}"


def test_all_shipped_files_fit_the_budget():
    total = sum(f.stat().st_size for role in SHIPPED_ROLES
                for f in (REPO / MANIFEST["roles"][role]["fast"]["shipped"]["dir"]).iterdir())
    assert total <= MAX_BYTES_ALL, f"shipped stand-ins: {total:,} bytes > 16 MiB"


@pytest.mark.parametrize("role", SHIPPED_ROLES)
def test_shipped_metrics_record_the_recipe_and_hold_the_quality_bar(role):
    metrics = shipped.recorded(role)
    recipe = MANIFEST["roles"][role]["fast"]["recipe"]
    assert metrics["recipe_sha256"] == standins.fingerprint(recipe), (
        f"utils/standins/{recipe}.py (or _train.py) changed since the shipped weights were made: "
        f"run `course standins train {role}` and pin the new sha256")
    assert metrics["training_command"] == f"course standins train {role}"
    assert metrics["weights_sha256"] == MANIFEST["roles"][role]["fast"]["shipped"]["sha256"]
    key = shipped.KEY_METRIC[role]
    full, ours = metrics["full_model"][f"validation_{key}"], metrics[f"validation_{key}"]
    assert ours >= full - 0.01, f"{role}: validation {key} {ours:.4f} loses more than 1 point against {full:.4f}"
    assert f"test_{key}" in metrics and f"test_{key}" in metrics["full_model"]


@pytest.fixture(scope="module")
def encoder_dir() -> Path:
    try:
        return resources.resource_path("encoder")
    except ResourceMissing as err:
        pytest.skip(f"the encoder is not in the cache: {err}")


@pytest.mark.parametrize("role", SHIPPED_ROLES)
def test_shipped_standin_assembles_and_reproduces_its_test_figure(role, encoder_dir, tmp_path):
    """Assemble from the pinned file and re-measure the held-out test split with the recipe's scorer:
    within two examples' worth of the recorded figure (``shipped.tolerance``)."""
    pin = MANIFEST["roles"][role]["fast"]["shipped"]
    shipped.assemble(REPO / pin["dir"], encoder_dir, tmp_path, sha256=pin["sha256"])
    got = shipped.held_out(role, tmp_path, splits=("test",))
    want = shipped.recorded(role)
    key = f"test_{shipped.KEY_METRIC[role]}"
    assert abs(got[key] - want[key]) <= shipped.tolerance(role, want, "test"), (
        f"{role}: assembled {key} {got[key]:.4f}, recorded {want[key]:.4f}")
