"""Lessons 03 and 04: each reference solution passes its own check; typical mistakes fail."""
import html
import re

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from utils.exercises import lesson03, lesson04
from utils.resources import ResourceMissing


def _define(exercise, **namespace):
    """The function defined by an exercise's reference solution."""
    namespace = {"html": html, "re": re, "make_pipeline": make_pipeline, "TfidfVectorizer": TfidfVectorizer,
                 "LogisticRegression": LogisticRegression, **namespace}
    exec(exercise.solution_code, namespace)
    return namespace[exercise.target]


@pytest.fixture(scope="module")
def tokenizers():
    try:
        return lesson03._tokenizers()
    except ResourceMissing as err:
        pytest.skip(f"not fetched: {err}")


@pytest.mark.parametrize("exercise", lesson04.EXERCISES, ids=lambda e: e.name)
def test_lesson04_solutions_pass(exercise):
    outcome = exercise.evaluate(_define(exercise))
    assert outcome.correct, outcome.message


@pytest.mark.parametrize("exercise", lesson03.EXERCISES, ids=lambda e: e.name)
def test_lesson03_solutions_pass(exercise, tokenizers):
    outcome = exercise.evaluate(_define(exercise))
    assert outcome.correct, outcome.message


def test_lesson03_mistakes_fail(tokenizers):
    with_specials = lesson03.q1.evaluate(lambda tok, texts: [len(ids) for ids in tok(list(texts))["input_ids"]])
    assert with_specials.status == "incorrect" and "special tokens" in with_specials.message
    assert not lesson03.q2.evaluate(lambda ids, pad: (ids != 0).long()).correct  # ignores pad_token_id
    assert not lesson03.q3.evaluate(lambda tok, text, s, e: [tok(text).char_to_token(s)]).correct  # first token only


def test_lesson04_mistakes_fail():
    assert not lesson04.q1.evaluate(lambda t: " ".join(re.sub(r"https?://\S+", "", t).lower().split())).correct
    assert not lesson04.q2.evaluate(str.title).correct
    solution = _define(lesson04.q3)
    swapped = lesson04.q3.evaluate(lambda tr, te, fn: dict(zip(("clean", "raw"), solution(tr, te, fn).values())))
    assert swapped.status == "incorrect"
    assert lesson04.q1.evaluate(lambda t: (_ for _ in ()).throw(NotImplementedError)).status == "not attempted"
