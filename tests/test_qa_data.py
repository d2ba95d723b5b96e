"""Checks on the course's extractive QA set, data/qa/course-qa.json, and its build helpers."""

import importlib.util
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

QA_DIR = Path(__file__).resolve().parents[1] / "data" / "qa"
SPLITS = ("train", "validation", "test")
SOURCES = {"austen", "grimm", "hamlet"}


@pytest.fixture(scope="module")
def records():
    payload = json.loads((QA_DIR / "course-qa.json").read_text(encoding="utf-8"))
    assert payload["version"] == "1.0"
    return payload["data"]


@pytest.fixture(scope="module")
def build():
    spec = importlib.util.spec_from_file_location("build_qa", QA_DIR / "build_qa.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_record_fields_and_values(records):
    for r in records:
        assert set(r) == {"id", "title", "context", "question", "answers", "source", "split"}, r["id"]
        assert r["source"] in SOURCES and r["split"] in SPLITS, r["id"]
        assert len(r["answers"]["text"]) == len(r["answers"]["answer_start"]) >= 1, r["id"]
        assert r["question"].strip().endswith("?"), r["id"]


def test_every_answer_is_the_span_at_answer_start(records):
    for r in records:
        for text, start in zip(r["answers"]["text"], r["answers"]["answer_start"]):
            assert text and text == text.strip(), r["id"]
            assert r["context"][start:start + len(text)] == text, r["id"]


def test_answer_spans_sit_on_word_boundaries(records):
    for r in records:
        c, text, start = r["context"], r["answers"]["text"][0], r["answers"]["answer_start"][0]
        before = c[start - 1] if start else " "
        after = c[start + len(text)] if start + len(text) < len(c) else " "
        assert not before.isalnum() and not after.isalnum(), (r["id"], text)


def _longest_shared_run(question, context):
    """Length of the longest run of consecutive words of ``question`` that also appears in ``context``."""
    q = re.findall(r"[\w'’-]+", question.lower())
    c = " " + " ".join(re.findall(r"[\w'’-]+", context.lower())) + " "
    best = 0
    for i in range(len(q)):
        while i + best < len(q) and f" {' '.join(q[i:i + best + 1])} " in c:
            best += 1
    return best


def test_size_and_ids(records):
    assert len(records) >= 300
    ids = [r["id"] for r in records]
    assert len(set(ids)) == len(ids), [i for i, n in Counter(ids).items() if n > 1]


def test_no_context_shared_between_splits(records):
    splits_of = defaultdict(set)
    for r in records:
        splits_of[r["context"]].add(r["split"])
    leaked = [c[:60] for c, s in splits_of.items() if len(s) > 1]
    assert not leaked, leaked


def test_each_split_non_empty_and_roughly_70_10_20(records):
    counts = Counter(r["split"] for r in records)
    assert all(counts[s] > 0 for s in SPLITS), counts
    share = {s: counts[s] / len(records) for s in SPLITS}
    assert 0.6 <= share["train"] <= 0.8 and 0.05 <= share["validation"] <= 0.2 and 0.1 <= share["test"] <= 0.3, share


def test_passages_are_60_to_200_words_and_all_sources_used(records):
    contexts = {r["context"]: r["source"] for r in records}
    assert all(60 <= len(c.split()) <= 200 for c in contexts), "passage length out of range"
    assert set(contexts.values()) == SOURCES
    assert len(contexts) >= 80


def test_questions_are_own_words_and_varied(records):
    for r in records:
        assert _longest_shared_run(r["question"], r["context"]) < 8, r["id"]
    per_passage = Counter((r["context"], r["question"]) for r in records)
    assert max(per_passage.values()) == 1, "a question repeated within one passage"
    openers = Counter(r["question"].split()[0].lower() for r in records)
    assert {"who", "what", "where", "how", "why"} <= set(openers), openers


def test_answer_start_picks_the_requested_occurrence(build):
    context = "the cat saw the dog and the bird"
    assert build.answer_start(context, "the") == 0
    assert build.answer_start(context, "the", 2) == context.rindex("the")
    with pytest.raises(ValueError, match="not in context"):
        build.answer_start(context, "the fox")
    with pytest.raises(ValueError):
        build.answer_start(context, "dog", 1)


def test_chunks_respect_word_limits(build):
    units = tuple((f"sentence number {i} has exactly seven words.", " " if i else "") for i in range(60))
    doc = build.Document("t", "grimm", units)
    parts = build.chunks(doc)
    assert parts and all(build.MIN_WORDS <= len(p.split()) <= build.MAX_WORDS for p in parts)
    assert " ".join(parts).startswith("sentence number 0 ")


def test_split_of_is_deterministic_and_covers_all_splits(build):
    keys = [f"doc:{i}#0" for i in range(200)]
    assert [build.split_of(k) for k in keys] == [build.split_of(k) for k in keys]
    assert set(map(build.split_of, keys)) == set(SPLITS)


def test_the_build_reproduces_the_committed_set_byte_for_byte(build, tmp_path):
    from utils.resources import ResourceMissing, resource_paths

    try:
        resource_paths("qa", origin=True)
    except ResourceMissing as err:
        pytest.skip(f"the Grimm and Hamlet texts are not fetched: {err}")
    out = tmp_path / "course-qa.json"
    build.main(["--out", str(out)])
    assert out.read_bytes() == (QA_DIR / "course-qa.json").read_bytes()
