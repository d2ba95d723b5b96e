"""``utils.data.load``: documented sizes, label sets and fixed splits.

The fast-profile tests read the real cache and are skipped (with the reason) when ``course fetch``
has not been run; the full-profile tests replace ``load_dataset`` with small in-memory data sets.
"""
from __future__ import annotations

from collections import Counter

import pytest
from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value

from utils import data, profile, resources
from utils.resources import ResourceMissing

# role -> (options, sizes with small=False, label names or None)
FAST = {
    "movie-reviews": ({}, (10808, 1000, 1000), ["neg", "pos"]),
    "sentiment-fine": ({}, (8605, 1000, 1000), ["negative", "neutral", "positive"]),
    "news-topics": ({}, (4936, 549, 2189), list(data.R8_NAMES.values())),
    "newsgroups": ({}, (10163, 1130, 7528), None),
    "tweets": ({}, (4944, 500, 1000), ["HillaryClinton", "realDonaldTrump"]),
    "ner": ({}, (1694, 300, 400), None),
    "party-labels": ({}, (7934, 1000, 1000), ["democrat", "republican"]),
    "lm-corpus": ({}, (9005, 501, 501), None),
}


@pytest.fixture(autouse=True)
def fast_profile(monkeypatch):
    monkeypatch.setattr(profile, "_profile", "fast")


@pytest.fixture(scope="module")
def loaded():
    """Each role loaded once with everything (``small=False``), or the reason it cannot be."""
    cache = {}

    def get(role: str, **options) -> DatasetDict:
        key = (role, tuple(sorted(options.items())))
        if key not in cache:
            try:
                cache[key] = data.load(role, small=False, **options)
            except ResourceMissing as err:
                cache[key] = err
        if isinstance(cache[key], ResourceMissing):
            pytest.skip(f"not fetched: {cache[key]}")
        return cache[key]

    return get


def _sizes(dd: DatasetDict) -> tuple[int, int, int]:
    return tuple(len(dd[s]) for s in data.SPLITS)


@pytest.mark.parametrize("role", list(FAST))
def test_fast_sizes_and_labels(loaded, role):
    options, sizes, names = FAST[role]
    dd = loaded(role, **options)
    assert _sizes(dd) == sizes
    assert all(dd[split].cache_files == [] for split in data.SPLITS)  # built in memory, nothing cached
    if names is not None:
        assert dd["train"].features["label"].names == names
        for split in data.SPLITS:
            assert set(dd[split]["label"]) == set(range(len(names))), split


@pytest.mark.parametrize("role", list(FAST))
def test_lesson_sized_subsets(loaded, role):
    dd = loaded(role)
    small = data.subset(dd, *data.SMALL[role])
    assert _sizes(small) == tuple(min(n, cap) for n, cap in zip(_sizes(dd), data.SMALL[role]))
    assert 300 <= len(small["train"]) <= 2000 and len(small["validation"]) <= 500 and len(small["test"]) <= 500
    again = data.subset(dd, *data.SMALL[role])
    assert small["test"][:5] == again["test"][:5]  # seeded


def test_load_uses_subsets_in_the_fast_profile_and_everything_when_asked(loaded):
    loaded("movie-reviews")
    assert _sizes(data.load("movie-reviews")) == (2000, 500, 500)
    assert _sizes(data.load("movie-reviews", small=False)) == (10808, 1000, 1000)


def test_splits_are_fixed_and_disjoint(loaded):
    dd = loaded("movie-reviews")
    again = data.movie_reviews()
    assert dd["test"]["text"] == again["test"]["text"]
    train, test = Counter(dd["train"]["text"]), Counter(dd["test"]["text"])
    # the corpus repeats a few short snippets ("Wow."): overlap can only come from those
    assert sum(min(train[t], n) for t, n in test.items() if t in train) <= 10


def test_sentiment_fine_bins_follow_the_documented_edges(loaded):
    for classes, edges in ((3, [-1.0, 1.0]), (5, [-2.0, -1.0, 1.0, 2.0])):
        dd = loaded("sentiment-fine", classes=classes)
        names = dd["train"].features["label"].names
        assert len(names) == classes and names[len(names) // 2] == "neutral"
        for row in dd["test"].select(range(300)):
            assert row["label"] == sum(row["score"] >= e for e in edges)


def test_sentiment_fine_rejects_unknown_options():
    with pytest.raises(ValueError, match="classes"):
        data.sentiment_fine(classes=4)
    with pytest.raises(ValueError, match="source"):
        data.sentiment_fine(source="imdb")


def test_tweets_keep_urls_mentions_and_entities(loaded):
    text = " ".join(loaded("tweets")["train"]["text"])
    assert "https://t.co/" in text and "@" in text and "#" in text and "&amp;" in text
    no_rt = data.tweets(retweets=False)
    assert not any(no_rt["train"]["is_retweet"]) and sum(_sizes(no_rt)) == 6444 - 722


def test_ner_tokens_and_bio_tags(loaded):
    dd = loaded("ner")
    names = dd["train"].features["ner_tags"].feature.names
    assert names[0] == "O" and len(names) == 21 and {"B-person", "I-geo-loc"} <= set(names)
    for row in dd["validation"]:
        assert len(row["tokens"]) == len(row["ner_tags"]) > 0
    assert sum(len(r) for s in data.SPLITS for r in dd[s]["tokens"]) == 46469


def test_party_label_sources_and_no_moderators(loaded):
    dd = loaded("party-labels")
    sources = Counter(dd["train"]["source"])
    assert set(sources) == {"convention-2012", "debate-2016", "tweet-2016"}
    assert not any("QUIJANO" in t[:20] for t in dd["train"]["text"])


def test_lm_corpus_is_paragraphs_of_the_six_novels(loaded):
    dd = loaded("lm-corpus")
    assert dd["train"].features["book"].names == list(data.AUSTEN_BOOKS.values())
    texts = dd["train"]["text"]
    assert not any(data._HEADING.match(t) for t in texts)
    assert all("\n" not in t for t in texts[:500])
    assert "It is a truth universally acknowledged" in " ".join(t[:60] for s in data.SPLITS for t in dd[s]["text"])


def test_qa_reads_the_repository_set_in_squad_layout(loaded):
    try:
        resources.resource_path("qa")
    except ResourceMissing as err:
        pytest.skip(str(err))
    dd = loaded("qa")
    assert set(dd) == set(data.SPLITS) and all(len(dd[s]) > 0 for s in data.SPLITS)
    row = dd["train"][0]
    for text, start in zip(row["answers"]["text"], row["answers"]["answer_start"]):
        assert row["context"][start:start + len(text)] == text


def test_model_roles_are_refused():
    with pytest.raises(ValueError, match="checkpoint"):
        data.load("encoder")


# ------------------------------------------------------------------- full profile (no network)
def _fake_hub(monkeypatch, splits: dict[str, Dataset]):
    seen = {}

    def hub(hub_id, revision, **kwargs):
        seen.update(hub_id=hub_id, revision=revision)
        return DatasetDict(splits)

    monkeypatch.setattr(data, "_hub", hub)
    monkeypatch.setattr(profile, "_profile", "full")
    return seen


def _labelled(n: int, names: list[str]) -> Dataset:
    features = Features({"text": Value("string"), "label": ClassLabel(names=names)})
    return Dataset.from_dict({"text": [f"t{i}" for i in range(n)], "label": [i % len(names) for i in range(n)]},
                             features=features)


def test_full_movie_reviews_carves_validation_from_imdb_train(monkeypatch):
    seen = _fake_hub(monkeypatch, {"train": _labelled(5000, ["neg", "pos"]), "test": _labelled(300, ["neg", "pos"]),
                                   "unsupervised": _labelled(10, ["neg", "pos"])})
    dd = data.load("movie-reviews")
    assert seen == {"hub_id": "stanfordnlp/imdb", "revision": resources.role_spec("movie-reviews")["full"]["revision"]}
    assert _sizes(dd) == (2500, 2500, 300)
    assert not set(dd["train"]["text"]) & set(dd["validation"]["text"])


def test_full_newsgroups_names_labels_from_label_text(monkeypatch):
    def split(n):
        return Dataset.from_dict({"text": ["x"] * n, "label": [i % 3 for i in range(n)],
                                  "label_text": [["alt.atheism", "comp.graphics", "sci.med"][i % 3] for i in range(n)]})

    _fake_hub(monkeypatch, {"train": split(60), "test": split(30)})
    dd = data.load("newsgroups")
    assert dd["train"].features["label"].names == ["alt.atheism", "comp.graphics", "sci.med"]
    assert dd["train"].column_names == ["text", "label"] and _sizes(dd) == (54, 6, 30)


def test_full_ner_keeps_tokens_and_classlabel_tags(monkeypatch):
    ds = Dataset.from_dict({"id": ["0"], "tokens": [["EU", "rejects"]], "pos_tags": [[1, 2]], "ner_tags": [[3, 0]]})
    _fake_hub(monkeypatch, {"train": ds, "validation": ds, "test": ds})
    dd = data.load("ner")
    assert dd["test"].column_names == ["tokens", "ner_tags"]
    assert dd["test"].features["ner_tags"] == Sequence(ClassLabel(names=data.CONLL_TAGS))


def test_full_bias_names_babe_integer_labels(monkeypatch):
    def split(n):
        return Dataset.from_dict({"text": [f"s{i}" for i in range(n)], "label": [i % 2 for i in range(n)],
                                  "outlet": ["x"] * n, "news_link": ["u"] * n, "biased_words": [["w"]] * n})

    _fake_hub(monkeypatch, {"train": split(100), "test": split(40)})
    dd = data.load("bias")
    assert dd["train"].features["label"].names == data.BABE_NAMES
    assert dd["train"].column_names == ["text", "label", "outlet"] and _sizes(dd) == (90, 10, 40)
