"""Every stand-in recipe's ``build()`` runs end to end at a tiny size and leaves a folder that loads
with the real library API, carries ``metrics.json``, a model card and the shared timing keys.

``course fetch`` builds the full-size models with these same functions; these tests keep the code
path honest without the minutes of training. They skip when the encoder is not in the cache.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

for _key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_key, "1")

from utils.resources import ResourceMissing, resource_path  # noqa: E402
from utils.standins import _train, fill_mask, ner, qa, zero_shot  # noqa: E402

TIMINGS = {"train_seconds", "eval_seconds", "build_seconds", "build_cpu_seconds"}


@pytest.fixture
def encoder(monkeypatch) -> Path:
    try:
        folder = resource_path("encoder")
    except ResourceMissing as err:
        pytest.skip(f"the encoder is not in the cache: {err}")
    monkeypatch.setattr(_train, "encoder_dir", lambda: folder)
    return folder


def _check_folder(folder: Path, metrics: dict, headline: str) -> None:
    assert TIMINGS <= set(metrics) and metrics["build_seconds"] >= metrics["train_seconds"] >= 0
    assert 0.0 <= metrics[headline] <= 1.0
    assert json.loads((folder / "metrics.json").read_text())[headline] == metrics[headline]
    card = (folder / "README.md").read_text()
    assert headline in card and "stand-in" in card
    assert (folder / "config.json").is_file() and (folder / "tokenizer.json").is_file()


def test_ner_build_tiny(tmp_path, encoder, monkeypatch):
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value
    from transformers import pipeline

    names = ["O", "B-person", "I-person", "B-geo-loc", "I-geo-loc"]
    features = Features({"tokens": Sequence(Value("string")), "ner_tags": Sequence(ClassLabel(names=names))})
    rows = {"tokens": [["Emma", "Woodhouse", "visited", "London"], ["nothing", "here"]] * 4,
            "ner_tags": [[1, 2, 0, 3], [0, 0]] * 4}
    split = Dataset.from_dict(rows, features=features)
    monkeypatch.setattr(ner, "_load_data", lambda: DatasetDict(train=split, validation=split, test=split))
    monkeypatch.setattr(ner, "CONFIG", {**ner.CONFIG, "epochs": 1, "batch_size": 4})
    metrics = ner.build(tmp_path)
    _check_folder(tmp_path, metrics, "test_f1")
    tagger = pipeline("token-classification", model=str(tmp_path), aggregation_strategy="simple")
    assert isinstance(tagger("Emma Woodhouse visited London"), list)


def test_fill_mask_build_tiny(tmp_path, encoder, monkeypatch):
    from transformers import pipeline

    texts = ["she walked to the house in the morning", "the film was a great delight to watch"] * 8
    corpora = {role: {split: {"text": texts} for split in ("train", "validation", "test")}
               for role in fill_mask.DATA_ROLES}
    monkeypatch.setattr(fill_mask, "_load_corpora", lambda: corpora)
    monkeypatch.setattr(fill_mask, "CONFIG", {**fill_mask.CONFIG, "examples": 16, "batch_size": 8})
    metrics = fill_mask.build(tmp_path)
    _check_folder(tmp_path, metrics, "test_top5")
    unmask = pipeline("fill-mask", model=str(tmp_path))
    assert len(unmask("she walked to the [MASK] in the morning", top_k=5)) == 5


def test_zero_shot_build_tiny(tmp_path, encoder):
    from transformers import pipeline

    metrics = zero_shot.build(tmp_path, premises=16, batch_size=4, eval_split="validation", eval_texts=16)
    _check_folder(tmp_path, metrics, "validation_accuracy")
    assert metrics["train_premises"] == 16 and metrics["validation_texts"] == 16
    again = zero_shot.evaluate(tmp_path, 16, split="validation")  # evaluate() names its keys like the build
    assert again["validation_accuracy"] == pytest.approx(metrics["validation_accuracy"])
    assert json.loads((tmp_path / zero_shot.RECIPE_FILE).read_text())["premises"] == 16
    classify = pipeline("zero-shot-classification", model=str(tmp_path))
    out = classify("Oil prices rose after the OPEC meeting.", candidate_labels=["crude oil", "grain"])
    assert sorted(out["labels"]) == ["crude oil", "grain"]


def test_qa_build_tiny(tmp_path, encoder, monkeypatch):
    real = qa.training_records

    def few(n_generated, *args, **kwargs):
        generated, course = real(n_generated, *args, **kwargs)
        return generated[:8], course[:16]

    monkeypatch.setattr(qa, "training_records", few)
    metrics = qa.build(tmp_path, n_generated=40, course_epochs=1, polish_epochs=1, eval_split="validation")
    _check_folder(tmp_path, metrics, "validation_f1")
    assert metrics["train_questions_course"] == 16 and metrics["validation_questions"] > 0
    assert qa.evaluate(tmp_path, "validation")["validation_f1"] == pytest.approx(metrics["validation_f1"])
    context = "It is set in Denmark."
    answer = qa.QuestionAnswerer(tmp_path)(question="Where is it set?", context=context)
    assert context[answer["start"]:answer["end"]] == answer["answer"]
