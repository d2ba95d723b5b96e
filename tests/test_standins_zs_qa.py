"""Zero-shot and QA stand-ins: their metric and data helpers, and the cached models' behaviour.

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
from utils.standins import qa, zero_shot  # noqa: E402

R8_LABELS = ["earnings", "acquisitions", "crude oil", "trade", "currency markets", "interest rates",
             "shipping", "grain"]


def _cached(role: str) -> Path:
    try:
        return resource_path(role)
    except ResourceMissing as err:
        pytest.skip(f"{role} is not in the cache: {err}")


# ------------------------------------------------------------------------------ QA metrics
def test_squad_normalisation_ignores_case_punctuation_and_articles():
    assert qa.normalize_answer("The  Prince, of Denmark!") == "prince of denmark"
    assert qa.normalize_answer("‘a wife’") == "wife"


def test_squad_scores_take_the_best_gold_answer():
    scores = qa.squad_scores(["a wife", "Mr. Bingley of Netherfield", "nothing"],
                             [["wife"], ["Bingley", "Mr. Bingley"], ["Hamlet"]])
    assert scores["questions"] == 3
    assert scores["exact_match"] == pytest.approx(1 / 3)
    # 2nd: pred {mr, bingley, of, netherfield} vs gold {mr, bingley}: P=1/2, R=1 → F1=2/3
    assert scores["f1"] == pytest.approx((1 + 2 / 3 + 0) / 3)
    with pytest.raises(ValueError, match="predictions"):
        qa.squad_scores(["x"], [["x"], ["y"]])
    with pytest.raises(ValueError):
        qa.squad_scores([], [])


# --------------------------------------------------------------------- generated questions
PARAGRAPHS = [
    "Elizabeth walked to Meryton with her sister Jane on a fine morning. They met Mr. Wickham near the "
    "shop, and he talked with them for an hour because he had nothing else to do. Elizabeth thought him "
    "very agreeable, and Jane said that he had three brothers in the army. The officers were to dine "
    "with Mrs. Philips the next day, and all the young ladies were invited.",
    "Mr. Darcy wrote a long letter to Elizabeth and gave it to her in the park at Rosings. Elizabeth "
    "read it twice before she returned to the house, and Elizabeth could not speak of it to Jane for "
    "many days. Darcy left Rosings the next morning with Colonel Fitzwilliam, and Darcy did not call "
    "again that spring at the house.",
] * 3


def test_generated_questions_point_at_exact_spans():
    records = qa.generated_questions(PARAGRAPHS, 10, min_words=20, max_words=200)
    assert records, "no question generated"
    assert len(records) <= 6  # at most one per paragraph
    for r in records:
        start, text = r["answers"]["answer_start"][0], r["answers"]["text"][0]
        assert r["context"][start:start + len(text)] == text
        assert r["question"].endswith("?") and text not in r["question"]


def test_generated_questions_skip_held_out_passages():
    held_out = [PARAGRAPHS[0][:200]]  # shares many 8-word runs with the first paragraph
    records = qa.generated_questions(PARAGRAPHS, 10, exclude=held_out, min_words=20, max_words=200)
    assert records and all(r["context"] != PARAGRAPHS[0] for r in records)
    with pytest.raises(ValueError):
        qa.generated_questions(PARAGRAPHS, -1)


def test_qa_features_label_the_answer_tokens():
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(_cached("encoder"))
    record = {"question": "Where did Elizabeth walk?", "context": PARAGRAPHS[0],
              "answers": {"text": ["Meryton"], "answer_start": [PARAGRAPHS[0].index("Meryton")]}}
    (short,) = qa.features([record], tokenizer)
    span = short["input_ids"][short["start_positions"]:short["end_positions"] + 1]
    assert tokenizer.decode(span) == "meryton"
    # a window too small for the answer points at [CLS]
    windows = qa.features([record], tokenizer, max_length=24, stride=4)
    assert len(windows) > 1 and any(w["start_positions"] == w["end_positions"] == 0 for w in windows)


# ------------------------------------------------------------------ zero-shot training data
def test_zero_shot_pairs_put_the_true_topic_first():
    groups = [([("sugar prices rose", "sugar"), ("gold fell", "gold")], ["sugar", "gold", "tin", "zinc"])]
    items = zero_shot._pairs(groups, negatives=2, seed=0)
    assert len(items) == 2
    for premise, hypotheses, null in items:
        topic = "sugar" if "sugar" in premise else "gold"
        assert not null and len(hypotheses) == 3 and topic in hypotheses[0]
        assert all(topic not in h for h in hypotheses[1:])


def test_zero_shot_null_items_use_only_the_other_label_set():
    groups = [([("sugar prices rose", "sugar")] * 20, ["sugar", "gold", "tin"]),
              ([("the goalie saved it", "hockey")] * 20, ["hockey", "space", "cars"])]
    items = zero_shot._pairs(groups, negatives=2, seed=0, null_share=0.5)
    nulls = [(p, h) for p, h, null in items if null]
    assert 5 < len(nulls) < 35
    for premise, hypotheses in nulls:
        own = groups[0][1] if "sugar" in premise else groups[1][1]
        assert len(hypotheses) == 3 and not any(t in h for t in own for h in hypotheses)


def test_zero_shot_training_topics_exclude_r8():
    r8_names = {"earnings", "acquisitions", "crude oil", "trade", "currency markets", "interest rates",
                "shipping", "grain"}
    assert not r8_names & set(zero_shot.R52_NAMES.values())
    assert not zero_shot.R8_CODES & set(zero_shot.R52_NAMES)
    assert len(zero_shot.R52_NAMES) == 44 and len(zero_shot.NEWSGROUP_NAMES) == 20


# ---------------------------------------------------------------------- cached stand-ins
def test_zero_shot_standin_runs_in_its_pipeline():
    from transformers import pipeline

    folder = _cached("zero-shot-model")
    classifier = pipeline("zero-shot-classification", model=str(folder), device=-1)
    assert classifier.entailment_id >= 0
    oil = classifier("Oil prices jumped after OPEC agreed to cut crude output, and refiners paid more "
                     "per barrel.", candidate_labels=["earn", "crude", "trade", "grain"],
                     hypothesis_template=zero_shot.TEMPLATE)
    assert oil["labels"][0] == "crude"
    assert sum(oil["scores"]) == pytest.approx(1.0, abs=1e-4)
    earnings = classifier("The company said its quarterly net profit rose to 12 million dlrs, or 40 cts "
                          "a share, on higher sales.", candidate_labels=R8_LABELS,
                          hypothesis_template=zero_shot.TEMPLATE)
    assert earnings["labels"][0] == "earnings"


def test_question_answerer_returns_spans_of_the_context(tmp_path):
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    encoder = _cached("encoder")
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    tokenizer.model_max_length = 32  # forces several windows
    AutoModelForQuestionAnswering.from_pretrained(encoder).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    answerer = qa.QuestionAnswerer(tmp_path, max_answer_len=4, stride=8)
    contexts = [PARAGRAPHS[0], "It happened in Denmark."]
    answers = answerer(["Where did Elizabeth walk?", "Where?"], contexts)
    for answer, context in zip(answers, contexts):
        assert context[answer["start"]:answer["end"]] == answer["answer"] != ""
        assert 0 < answer["score"] <= 1 and len(tokenizer.tokenize(answer["answer"])) <= 4
    alone = answerer(question="Where?", context=contexts[1])  # unpadded: same span, same score
    assert (alone["answer"], alone["start"]) == (answers[1]["answer"], answers[1]["start"])
    assert alone["score"] == pytest.approx(answers[1]["score"], rel=1e-3)
    with pytest.raises(ValueError):
        answerer(["a", "b"], ["only one context"] * 3)


def test_qa_standin_answers_obvious_questions():
    folder = _cached("qa-model")
    answerer = qa.QuestionAnswerer(folder)
    context = ("Hamlet is a tragedy written by William Shakespeare around 1600. It is set in Denmark, "
               "where Prince Hamlet seeks revenge on his uncle Claudius.")
    where = answerer(question="Where is the play set?", context=context)
    assert "denmark" in where["answer"].lower()
    assert where["answer"] == context[where["start"]:where["end"]]


@pytest.mark.xfail(reason="known gap of the small QA stand-in (test F1 0.39): it answers '1600' here", strict=False)
def test_qa_standin_who_wrote_hamlet():
    answerer = qa.QuestionAnswerer(_cached("qa-model"))
    context = ("Hamlet is a tragedy written by William Shakespeare around 1600. It is set in Denmark, "
               "where Prince Hamlet seeks revenge on his uncle Claudius.")
    assert "shakespeare" in answerer(question="Who wrote Hamlet?", context=context)["answer"].lower()
