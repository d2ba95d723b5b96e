"""The course's own bias set, ``data/bias/pairs/*.jsonl`` (see ``data/bias/README.md``): size, balance, the
split by pair, loaded words, duplicates. Each test prints what it counted (``pytest -s`` shows it)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from utils import bias, data

PAIRS_DIR = Path(__file__).resolve().parents[1] / "data" / "bias" / "pairs"
TOPICS = {"economy", "taxes", "immigration", "climate-energy", "health-care", "guns", "crime-policing", "education",
          "elections-voting", "foreign-policy", "technology", "labor"}


@pytest.fixture(scope="module")
def pairs():
    return bias.read_pairs(PAIRS_DIR)


@pytest.fixture(scope="module")
def dataset():
    return data.bias()


def test_every_pair_is_well_formed(pairs):
    problems = {p.get("pair_id", "?"): bias.pair_problems(p) for p in pairs}
    assert not {k: v for k, v in problems.items() if v}
    assert len({p["pair_id"] for p in pairs}) == len(pairs), "duplicate pair ids"
    for path in PAIRS_DIR.glob("*.jsonl"):
        for p in bias.read_pairs_file(path):
            assert p["topic"] == path.stem and p["pair_id"].startswith(f"{path.stem}-"), p["pair_id"]


def test_size_topics_and_directions(pairs):
    sentences = 2 * len(pairs)
    cells = Counter((p["topic"], p["direction"]) for p in pairs)
    print(f"\n{len(pairs)} pairs = {sentences} sentences; topic × direction: {dict(sorted(cells.items()))}")
    assert sentences >= 600
    assert {p["topic"] for p in pairs} == TOPICS
    for topic in TOPICS:
        left, right = cells[(topic, "left")], cells[(topic, "right")]
        assert left and right, f"{topic}: both directions needed, got left {left}, right {right}"
        assert abs(left - right) <= 2, f"{topic}: left {left} vs right {right}"


def test_labels_are_exactly_balanced(dataset):
    counts = Counter(label for split in data.SPLITS for label in dataset[split]["label"])
    print(f"\nlabels: {dict(counts)}")
    assert dataset["train"].features["label"].names == data.BABE_NAMES == ["non-biased", "biased"]
    assert counts[0] == counts[1] > 0
    for split in data.SPLITS:
        split_counts = Counter(dataset[split]["label"])
        assert split_counts[0] == split_counts[1], split


def test_split_sizes_and_no_pair_straddles_splits(pairs, dataset):
    sizes = {split: len(dataset[split]) for split in data.SPLITS}
    print(f"\nsplit sizes (sentences): {sizes}")
    total = sum(sizes.values())
    assert total == 2 * len(pairs)
    for split, fraction in bias.SPLIT_FRACTIONS.items():
        assert abs(sizes[split] / total - fraction) < 0.04, (split, sizes[split], total)
    where = {}
    for split in data.SPLITS:
        for pair_id in dataset[split]["pair_id"]:
            assert where.setdefault(pair_id, split) == split, f"{pair_id} is in {where[pair_id]} and {split}"
    assert Counter(pid for split in data.SPLITS for pid in dataset[split]["pair_id"]) == \
        Counter({p["pair_id"]: 2 for p in pairs})
    test_topics = Counter(dataset["test"]["topic"])
    assert set(test_topics) == TOPICS, "every topic has pairs in the test split"
    assert bias.split_pairs(pairs) == bias.split_pairs(list(reversed(pairs))), "the split depends on the file order"


def test_loaded_words_in_biased_only(dataset):
    for split in data.SPLITS:
        for row in dataset[split]:
            if row["label"] == 1:
                assert row["loaded_words"] and all(w in row["text"] for w in row["loaded_words"]), row["pair_id"]
            else:
                assert row["loaded_words"] == [], row["pair_id"]


def test_loaded_words_absent_from_their_neutral_rewrite(pairs):
    for p in pairs:
        found = bias.lexicon_predict([p["neutral"]], bias.loaded_lexicon([p["loaded_words"]]))[0]
        assert not found, f"{p['pair_id']}: a loaded word of the pair is in its neutral rewrite"
        assert bias.lexicon_predict([p["biased"]], bias.loaded_lexicon([p["loaded_words"]]))[0], p["pair_id"]


def test_no_duplicate_sentences(pairs):
    sentences = Counter(s.strip().lower() for p in pairs for s in (p["biased"], p["neutral"]))
    duplicates = [s for s, n in sentences.items() if n > 1]
    print(f"\n{len(sentences)} distinct sentences")
    assert not duplicates, duplicates[:5]
