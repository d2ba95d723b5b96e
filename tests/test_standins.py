"""Stand-in models: the recipes' helpers, a tiny end-to-end build, and the cached stand-ins' behaviour.

Tests that need the encoder or a built stand-in skip (with the reason) when ``course fetch`` has not
put them in the cache.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

for _key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_key, "1")

from utils.resources import ResourceMissing, resource_path  # noqa: E402
from utils.standins import _train, fill_mask, ner, sentiment  # noqa: E402


def _cached(role: str) -> Path:
    try:
        return resource_path(role)
    except ResourceMissing as err:
        pytest.skip(f"{role} is not in the cache: {err}")


# ------------------------------------------------------------------------------ helpers
def test_entity_spans_follow_conlleval_rules():
    tags = ["B-person", "I-person", "O", "I-geo-loc", "B-geo-loc", "I-company", "O"]
    assert ner.entity_spans(tags) == {("person", 0, 1), ("geo-loc", 3, 3), ("geo-loc", 4, 4), ("company", 5, 5)}
    assert ner.entity_spans(["O", "O"]) == set()
    with pytest.raises(ValueError, match="BIO"):
        ner.entity_spans(["PER"])


def test_entity_scores_need_exact_type_and_boundaries():
    gold = [["B-person", "I-person", "O", "B-geo-loc"], ["B-company", "O"]]
    pred = [["B-person", "O", "O", "B-geo-loc"], ["B-company", "O"]]  # one span too short
    scores = ner.entity_scores(gold, pred)
    assert scores["entities"] == 3
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 / 3)
    assert ner.entity_scores([["O"]], [["O"]])["f1"] == 0.0
    with pytest.raises(ValueError, match="predicted"):
        ner.entity_scores(gold, pred[:1])


def test_length_batches_cover_every_index_once():
    lengths = [5, 1, 9, 3, 3, 7, 2, 8, 4, 6, 1]
    batches = _train.length_batches(lengths, 4, seed=0)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(1 <= len(b) <= 4 for b in batches)
    assert _train.length_batches(lengths, 4, seed=0) == batches  # seeded
    ordered = _train.length_batches(lengths, 4, shuffle=False)
    assert [lengths[i] for b in ordered for i in b] == sorted(lengths)
    with pytest.raises(ValueError):
        _train.length_batches(lengths, 0)


def _tiny_bert(num_labels: int = 2):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(vocab_size=40, hidden_size=8, num_hidden_layers=3, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=16, num_labels=num_labels)
    return BertForSequenceClassification(config)


def test_freeze_fixes_the_embeddings_and_the_lowest_layers():
    model = _tiny_bert()
    _train.freeze(model, layers=1)
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert frozen and all(n.startswith(("bert.embeddings.", "bert.encoder.layer.0.")) for n in frozen)
    assert any(n.startswith("bert.embeddings.word_embeddings") for n in frozen)
    assert all(p.requires_grad for n, p in model.named_parameters() if n.startswith("bert.encoder.layer.1."))


def test_train_moves_only_trainable_weights_and_speeds_up_the_head():
    import torch

    model = _tiny_bert()
    _train.freeze(model)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    batch = {"input_ids": torch.randint(1, 40, (4, 6)), "labels": torch.tensor([0, 1, 0, 1])}
    seen = []

    def batches(epoch):
        seen.append(epoch)
        yield dict(batch)

    losses = _train.train(model, batches, steps_per_epoch=1, epochs=2, lr=1e-3, warmup_ratio=0.0,
                          head=("classifier",), head_lr_factor=10, desc="tiny")
    assert seen == [0, 1] and len(losses) == 2 and not model.training
    moved = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert not any(n.startswith("bert.embeddings.") for n in moved)
    assert "classifier.weight" in moved and "bert.encoder.layer.2.output.dense.weight" in moved
    with pytest.raises(ValueError):
        _train.train(model, batches, steps_per_epoch=0)


def test_held_out_scores_prefix_each_split():
    data = {"validation": [1, 2], "test": [3]}
    score = _train.held_out_scores(lambda model, tokenizer, split: {"n": len(split), "sum": sum(split)}, data)
    assert score(None, None) == {"validation_n": 2, "validation_sum": 3, "test_n": 1, "test_sum": 3}


def test_fill_mask_masking_shares():
    import torch

    class Tok:
        mask_token_id = 3

        def __len__(self):
            return 40

    ids = torch.full((1, 4000), 7)
    special = torch.zeros_like(ids, dtype=torch.bool)
    special[0, 0] = True
    masked, labels = fill_mask._mask(ids, special, Tok(), 0.5, torch.Generator().manual_seed(0), mask_share=1.0)
    picked = labels.ne(-100)
    assert not picked[0, 0] and 0.45 < picked.float().mean() < 0.55
    assert torch.equal(masked[picked], torch.full_like(masked[picked], 3)) and torch.equal(masked[~picked], ids[~picked])
    masked, labels = fill_mask._mask(ids, special, Tok(), 0.5, torch.Generator().manual_seed(0))  # BERT 80/10/10
    share = masked[labels.ne(-100)].eq(3).float().mean()
    assert 0.75 < share < 0.85


def test_sentiment_label_names_are_mapped_by_meaning():
    from datasets import ClassLabel, Dataset, Features, Value

    def ds(names):
        return Dataset.from_dict({"text": ["x"], "label": [0]},
                                 features=Features({"text": Value("string"), "label": ClassLabel(names=names)}))

    assert sentiment._label_map(ds(["neg", "pos"])) == [0, 1]
    assert sentiment._label_map(ds(["positive", "negative"])) == [1, 0]
    with pytest.raises(ValueError, match="neutral"):
        sentiment._label_map(ds(["neutral", "positive"]))


class _WordTokenizer:
    """Enough of a tokenizer for ``masked_examples``: words of up to 6 letters are one token."""
    mask_token = "[MASK]"

    def tokenize(self, word):
        return [word] if len(word) <= 6 else [word[:6], "##" + word[6:]]


def test_masked_examples_mask_one_single_token_word():
    texts = ["The plot is thin, but the cast is lovely.", "Unwatchable!!!", "Extraordinarily good"]
    pairs = fill_mask.masked_examples(_WordTokenizer(), texts, seed=0)
    assert len(pairs) == 2  # "unwatchable!!!" has no single-token word
    for sentence, word in pairs:
        assert sentence.count("[MASK]") == 1
        assert len(word) <= 6 and word.isalpha()
    assert pairs[1] == ("extraordinarily [MASK]", "good")
    assert fill_mask.masked_examples(_WordTokenizer(), texts, seed=0) == pairs


# ------------------------------------------------------------------- tiny end-to-end build
def _tiny_reviews():
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    features = Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    rows = {"text": ["great fun", "awful and dull", "a delight", "a mess"] * 4, "label": [1, 0, 1, 0] * 4}
    split = Dataset.from_dict(rows, features=features)
    return DatasetDict(train=split, validation=split, test=split)


def test_sentiment_build_writes_a_pipeline_folder(tmp_path, monkeypatch):
    encoder = _cached("encoder")
    from transformers import pipeline

    monkeypatch.setattr(sentiment, "_load_data", _tiny_reviews)
    monkeypatch.setattr(sentiment, "CONFIG", {**sentiment.CONFIG, "train_examples": 16, "batch_size": 8})
    monkeypatch.setattr(_train, "encoder_dir", lambda: encoder)
    metrics = sentiment.build(tmp_path)
    assert set(metrics) >= {"test_accuracy", "test_macro_f1", "build_seconds"}
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert (tmp_path / "README.md").read_text().count("test_accuracy") == 1
    assert _train.read_metrics(tmp_path)["test_accuracy"] == metrics["test_accuracy"]
    assert sentiment.evaluate(tmp_path)["test_accuracy"] == pytest.approx(metrics["test_accuracy"])
    result = pipeline("sentiment-analysis", model=str(tmp_path))("great fun")[0]
    assert result["label"] in ("NEGATIVE", "POSITIVE")


# ------------------------------------------------------------------ the cached stand-ins
def test_sentiment_standin_gets_obvious_reviews_right():
    from transformers import pipeline

    classify = pipeline("sentiment-analysis", model=str(_cached("sentiment-model")))
    positive = ["I loved this movie", "a warm, funny and beautifully acted film"]
    negative = ["a dull, lifeless mess", "boring, predictable and far too long"]
    assert [r["label"] for r in classify(positive)] == ["POSITIVE"] * 2
    assert [r["label"] for r in classify(negative)] == ["NEGATIVE"] * 2


def test_fill_mask_standin_predicts_obvious_words():
    from transformers import pipeline

    fill = pipeline("fill-mask", model=str(_cached("fill-mask-model")), top_k=5)
    cases = {  # obvious words only: this small stand-in is far weaker than a real BERT
        "one of the best films [MASK] the year.": {"of", "in"},
        "a movie that is both funny [MASK] moving.": {"and"},
        "i [MASK] this movie.": {"saw", "loved", "liked", "love", "like", "enjoyed", "hated", "watched"},
        "he did not know what to [MASK].": {"say", "do", "think"},
    }
    for sentence, expected in cases.items():
        words = {r["token_str"].strip() for r in fill(sentence)}
        assert words & expected, f"{sentence!r} → {sorted(words)}"


def test_ner_standin_finds_people_and_places():
    from transformers import pipeline

    tag = pipeline("token-classification", model=str(_cached("ner-model")), aggregation_strategy="simple")
    entities = tag("barack obama visited paris with michelle obama yesterday")
    people = [e["word"] for e in entities if e["entity_group"] == "person"]
    assert any("obama" in p for p in people), entities
