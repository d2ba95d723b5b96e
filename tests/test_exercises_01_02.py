"""Lessons 01 and 02: each reference solution passes its own check; typical mistakes fail."""
import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score
from sklearn.metrics.pairwise import cosine_similarity

from utils.exercises import lesson01, lesson02
from utils.resources import ResourceMissing


def _define(exercise, **namespace):
    """The function defined by an exercise's reference solution."""
    namespace = {"np": np, "torch": torch, "cosine_similarity": cosine_similarity, "accuracy_score": accuracy_score,
                 "f1_score": f1_score, "balanced_accuracy_score": balanced_accuracy_score, **namespace}
    exec(exercise.solution_code, namespace)
    return namespace[exercise.target]


@pytest.mark.parametrize("exercise", [lesson01.q1, lesson01.q3, *lesson02.EXERCISES], ids=lambda e: e.target)
def test_solutions_without_models_pass(exercise):
    outcome = exercise.evaluate(_define(exercise))
    assert outcome.correct, outcome.message


def test_probabilities_solution_passes():
    try:
        lesson01._sentiment()
    except ResourceMissing as err:
        pytest.skip(f"not fetched: {err}")
    outcome = lesson01.q2.evaluate(_define(lesson01.q2))
    assert outcome.correct, outcome.message

    def no_mask(texts, tokenizer, model):  # padding without the attention mask changes the short texts' scores
        inputs = tokenizer(texts, padding=True, return_tensors="pt")
        with torch.no_grad():
            return model(input_ids=inputs["input_ids"]).logits.softmax(-1).numpy()

    assert lesson01.q2.evaluate(no_mask).status == "incorrect"


def test_reference_best_span_matches_brute_force():
    rng = np.random.default_rng(0)
    for n, max_len in [(1, 1), (7, 3), (40, 15), (40, 100)]:
        start, end = rng.normal(size=n), rng.normal(size=n)
        assert lesson01.reference_best_span(start, end, max_len) == lesson01._brute_force(start, end, max_len)


def test_lesson01_mistakes_fail():
    argmaxes = lesson01.q3.evaluate(lambda s, e, max_answer_len=15: (int(np.argmax(s)), int(np.argmax(e))))
    assert argmaxes.status == "incorrect"
    unlimited = lesson01.q3.evaluate(lambda s, e, max_answer_len=15: lesson01.reference_best_span(s, e, 10**6))
    assert unlimited.status == "incorrect"
    strict = lesson01.q1.evaluate(lambda texts, clf, min_score=0.9: [
        t for t, r in zip(texts, clf(texts)) if r["label"] == "POSITIVE" and r["score"] > min_score])
    assert strict.status == "incorrect"  # a score equal to min_score counts
    any_label = lesson01.q1.evaluate(lambda texts, clf, min_score=0.9: [
        t for t, r in zip(texts, clf(texts)) if r["score"] >= min_score])
    assert any_label.status == "incorrect"


def test_lesson02_mistakes_fail():
    default_template = lesson02.q1.evaluate(
        lambda texts, clf, labels, template: [r["labels"][0] for r in clf(texts, candidate_labels=labels)])
    assert default_template.status == "incorrect"
    one_by_one = lesson02.q1.evaluate(lambda texts, clf, labels, template: [
        clf(t, candidate_labels=labels, hypothesis_template=template)["labels"][0] for t in texts])
    assert one_by_one.status == "incorrect"
    weighted = lesson02.q2.evaluate(lambda y, p: {"accuracy": accuracy_score(y, p), "macro_f1": f1_score(y, p, average="weighted"),
                                                  "balanced_accuracy": balanced_accuracy_score(y, p)})
    assert weighted.status == "incorrect"
    dot = lesson02.q3.evaluate(lambda texts, labels, embed, template: [
        labels[i] for i in (embed(texts) @ embed([template.format(x) for x in labels]).T).argmax(axis=1)])
    assert dot.status == "incorrect" and "dot products" in dot.message
    bare = lesson02.q3.evaluate(lambda texts, labels, embed, template: [
        labels[i] for i in cosine_similarity(embed(texts), embed(list(labels))).argmax(axis=1)])
    assert bare.status == "incorrect"
