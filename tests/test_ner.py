"""utils.ner: label alignment, strict and lenient entities, scores, the gazetteer, the highest-loss table."""
from __future__ import annotations

import numpy as np
import pytest

from utils import ner

NAMES = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def test_first_sub_token_policy_and_specials():
    word_ids = [None, 0, 1, 1, 1, 2, None]
    assert ner.align_labels(word_ids, [1, 2, 3]) == [-100, 1, 2, -100, -100, 3, -100]


def test_label_all_tokens_turns_b_into_i_on_later_pieces():
    word_ids = [None, 0, 0, 1, 1, None]
    b_to_i = ner.b_to_i_map(NAMES)
    assert b_to_i == {1: 2, 3: 4}
    assert ner.align_labels(word_ids, [3, 0], label_all_tokens=True, b_to_i=b_to_i) == [-100, 3, 4, 0, 0, -100]
    assert ner.align_labels(word_ids, [3, 0], label_all_tokens=True) == [-100, 3, 3, 0, 0, -100]


def test_strict_and_lenient_entities_differ_on_stray_inside_tags():
    tags = ["I-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "B-PER", "I-LOC"]
    assert ner.entities(tags) == [("LOC", 3, 4), ("LOC", 4, 6), ("PER", 6, 7)]
    assert ner.entities(tags, strict=False) == [("PER", 0, 2), ("LOC", 3, 4), ("LOC", 4, 6), ("PER", 6, 7),
                                                ("LOC", 7, 8)]
    assert ner.entities(["O", "B-PER", "I-PER"]) == [("PER", 1, 3)]  # an entity at the very end is kept


def test_scores_strict_below_lenient_for_an_i_start():
    gold, pred = [["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "I-LOC"]]
    assert ner.scores(gold, pred, strict=False)["f1"] == pytest.approx(1.0)
    strict = ner.scores(gold, pred)
    assert strict["precision"] == pytest.approx(1.0) and strict["recall"] == pytest.approx(0.5)
    assert strict["f1"] == pytest.approx(2 / 3)


def test_gazetteer_prefers_the_longest_phrase_and_the_most_frequent_type():
    sentences = [["New", "York", "is", "big"], ["York", "won"], ["york", "again"], ["I", "met", "York"]]
    tags = [["B-LOC", "I-LOC", "O", "O"], ["B-PER", "O"], ["B-PER", "O"], ["O", "O", "B-LOC"]]
    gaz = ner.build_gazetteer(sentences, tags)
    assert gaz == {("new", "york"): "LOC", ("york",): "PER"}
    assert ner.gazetteer_tags(["in", "new", "York", "and", "York"], gaz) == ["O", "B-LOC", "I-LOC", "O", "B-PER"]
    assert ner.gazetteer_tags(["nothing", "here"], gaz) == ["O", "O"]


def test_highest_loss_sorts_and_skips_nan():
    table = ner.highest_loss([["a", "b", "c"], ["d"]], [["O", "B-PER", "O"], ["B-LOC"]],
                             [["O", "O", "O"], ["B-LOC"]], [np.array([0.1, 3.0, np.nan]), np.array([0.5])], k=2)
    assert list(table["word"]) == ["b", "d"]
    assert table.loc[0, "context"] == "a [b] c" and table.loc[0, "predicted"] == "O"


def test_tokenize_and_align_and_predict_words_with_the_encoder():
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from utils.resources import checkpoint

    path = checkpoint("encoder")
    tokenizer = AutoTokenizer.from_pretrained(path)
    batch = {"tokens": [["Josielovesmcr", "went", "home"]], "ner_tags": [[1, 0, 3]]}
    enc = ner.tokenize_and_align(batch, tokenizer, max_length=16)
    labels, word_ids = enc["labels"][0], enc.word_ids(0)
    assert labels[0] == labels[-1] == -100 and len(labels) == len(enc["input_ids"][0])
    assert [label for label in labels if label != -100] == [1, 0, 3]
    assert word_ids.count(0) > 1  # the made-up word is cut into pieces
    model = AutoModelForTokenClassification.from_pretrained(
        path, num_labels=len(NAMES), id2label=dict(enumerate(NAMES)), label2id={n: i for i, n in enumerate(NAMES)})
    out = ner.predict_words(model, tokenizer, batch["tokens"], NAMES, gold=[["B-PER", "O", "B-LOC"]], max_length=16)
    assert len(out) == 1 and len(out[0]["tags"]) == 3 and set(out[0]["tags"]) <= set(NAMES)
    assert out[0]["losses"].shape == (3,) and np.all(out[0]["losses"] > 0)
