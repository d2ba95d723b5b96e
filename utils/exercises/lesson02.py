"""Lesson 02 exercises: zero-shot predictions with a template, honest metrics, embedding-similarity zero-shot."""
from __future__ import annotations

import zlib

import numpy as np

from utils.grading import Exercise, expect

# ------------------------------------------------------------------------------------------ q1
_HIDDEN_TEXTS = [
    "The central bank raised its key rate by half a point.",
    "Striker scores twice as the home side wins the cup final.",
    "A new vaccine trial reports strong results.",
    "Heavy snow closes mountain passes.",
]
_HIDDEN_LABELS = ["economy", "sport", "health", "weather"]
_TEMPLATES = ["This text is about {}.", "The topic of this news story is {}.", "{}"]


class _StubZeroShot:
    """Answers like ``pipeline("zero-shot-classification")`` with scores made from a hash of each hypothesis.

    A str gives one dict, a list gives a list of dicts; labels come back sorted by decreasing score.
    The scores depend on the template, so a function that ignores ``hypothesis_template`` gets different labels.
    """

    def __init__(self):
        self.calls = 0

    def __call__(self, sequences, candidate_labels=None, hypothesis_template="This example is {}.",
                 multi_label=False, **kwargs):
        if candidate_labels is None:
            raise TypeError("pass the candidate labels: classifier(texts, candidate_labels=labels, ...)")
        if isinstance(candidate_labels, str):
            candidate_labels = [candidate_labels]
        self.calls += 1
        single = isinstance(sequences, str)
        results = [self._one(text, list(candidate_labels), hypothesis_template) for text in
                   ([sequences] if single else sequences)]
        return results[0] if single else results

    @staticmethod
    def _one(text, labels, template):
        raw = np.array([zlib.crc32(f"{text}|{template.format(label)}".encode()) % 1000 / 100 for label in labels])
        scores = np.exp(raw - raw.max())
        scores /= scores.sum()
        order = np.argsort(-scores, kind="stable")
        return {"sequence": text, "labels": [labels[i] for i in order], "scores": [float(scores[i]) for i in order]}


def _grade_top_labels(top_labels) -> None:
    expect(callable(top_labels), "`top_labels` should be a function of (texts, classifier, labels, template)")
    answers = {}
    for template in _TEMPLATES:
        stub = _StubZeroShot()
        got = top_labels(_HIDDEN_TEXTS, stub, _HIDDEN_LABELS, template)
        expect(isinstance(got, list), f"return a list of labels, got {type(got).__name__}")
        want = [r["labels"][0] for r in _StubZeroShot()(_HIDDEN_TEXTS, _HIDDEN_LABELS, hypothesis_template=template)]
        expect(got == want, f"with template {template!r} the top labels are {want}, you returned {got} "
               "(pass the template as hypothesis_template=...; the pipeline sorts labels by score)")
        expect(stub.calls == 1, f"call the classifier once with the whole list of texts (it batches them), not {stub.calls} times")
        answers[template] = got
    expect(len({tuple(v) for v in answers.values()}) > 1, "the template should change the predictions")
    one = top_labels(_HIDDEN_TEXTS[:1], _StubZeroShot(), _HIDDEN_LABELS[:2], _TEMPLATES[0])
    expect(isinstance(one, list) and len(one) == 1, "a list with one text should give a list with one label")


# ------------------------------------------------------------------------------------------ q2
_HIDDEN_EVAL = [
    # a majority-class guesser on imbalanced data: accuracy looks fine, the other two do not
    (["earn"] * 8 + ["grain", "trade"], ["earn"] * 10),
    (["a", "b", "c", "a", "b", "c", "a"], ["a", "b", "b", "a", "c", "c", "c"]),
    ([0, 1, 2, 2, 1, 0, 3, 3], [0, 1, 2, 1, 1, 0, 3, 0]),
]


def _grade_score_predictions(score_predictions) -> None:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    expect(callable(score_predictions), "`score_predictions` should be a function of (y_true, y_pred)")
    for y_true, y_pred in _HIDDEN_EVAL:
        got = score_predictions(y_true, y_pred)
        expect(isinstance(got, dict), f"return a dict of metric name → number, got {type(got).__name__}")
        missing = {"accuracy", "macro_f1", "balanced_accuracy"} - set(got)
        expect(not missing, f"the dict lacks {sorted(missing)}")
        want = {"accuracy": accuracy_score(y_true, y_pred),
                "macro_f1": f1_score(y_true, y_pred, average="macro", zero_division=0),
                "balanced_accuracy": balanced_accuracy_score(y_true, y_pred)}
        for name, value in want.items():
            expect(abs(float(got[name]) - value) < 1e-6,
                   f"{name} is {float(got[name]):.4f} on a hidden example; expected {value:.4f} "
                   "(macro average over classes; zero_division=0)")


# ------------------------------------------------------------------------------------------ q3
_EMB_TEMPLATE = "Topic: {}"
_EMB_LABELS = ["science", "politics", "cooking"]
# Hand-made vectors: a label's prompt with a large norm wins a plain dot product but not the cosine.
_VECTORS = {
    "Topic: science": [1.0, 0.0, 0.0],
    "Topic: politics": [0.0, 4.0, 0.0],
    "Topic: cooking": [0.0, 0.0, 1.0],
    "science": [0.0, 0.0, 1.0],
    "politics": [1.0, 0.0, 0.0],
    "cooking": [0.0, 1.0, 0.0],
    "Astronomers measured the mass of a distant planet.": [0.9, 0.3, 0.1],
    "The senate passed the budget after a long debate.": [0.1, 0.9, 0.2],
    "Whisk the eggs and fold in the flour.": [0.2, 0.35, 0.9],
    "A recipe for the perfect lab-grown burger.": [0.6, 0.2, 0.55],
}
_EMB_TEXTS = [t for t in _VECTORS if not t.startswith("Topic") and t not in _EMB_LABELS]


def _stub_embed(texts):
    if isinstance(texts, str):
        raise TypeError("embed takes a list of strings and returns one row per string")
    unknown = [t for t in texts if t not in _VECTORS]
    if unknown:
        raise KeyError(f"the grader's embed function does not know {unknown[0]!r}: fill the template with each label")
    return np.array([_VECTORS[t] for t in texts])


def reference_embedding_zero_shot(texts, labels, embed, template):
    """For each text, the label whose filled-in template is the most cosine-similar under ``embed``."""
    from sklearn.metrics.pairwise import cosine_similarity

    similarity = cosine_similarity(embed(list(texts)), embed([template.format(label) for label in labels]))
    return [labels[i] for i in similarity.argmax(axis=1)]


def _grade_embedding_zero_shot(embedding_zero_shot) -> None:
    expect(callable(embedding_zero_shot), "`embedding_zero_shot` should be a function of (texts, labels, embed, template)")
    got = embedding_zero_shot(_EMB_TEXTS, _EMB_LABELS, _stub_embed, _EMB_TEMPLATE)
    expect(isinstance(got, list) and len(got) == len(_EMB_TEXTS),
           f"return one label per text as a list, got {got!r}")
    want = reference_embedding_zero_shot(_EMB_TEXTS, _EMB_LABELS, _stub_embed, _EMB_TEMPLATE)
    dot = [_EMB_LABELS[i] for i in (_stub_embed(_EMB_TEXTS) @ _stub_embed(
        [_EMB_TEMPLATE.format(label) for label in _EMB_LABELS]).T).argmax(axis=1)]
    expect(got != dot, "these look like raw dot products: normalise the vectors (cosine similarity)")
    expect(got == want, f"on hidden texts the labels by cosine similarity are {want}, you returned {got}")
    rows = embedding_zero_shot(_EMB_TEXTS[:1], _EMB_LABELS[:2], _stub_embed, _EMB_TEMPLATE)
    expect(rows == reference_embedding_zero_shot(_EMB_TEXTS[:1], _EMB_LABELS[:2], _stub_embed, _EMB_TEMPLATE),
           "wrong answer for one text and two labels")


q1 = Exercise(
    "q1", points=1, target="top_labels", grade=_grade_top_labels,
    prompt="Write `top_labels(texts, classifier, labels, template)` returning the best-scoring label of each text "
           "from one call of the zero-shot classifier with `template` as the hypothesis template.",
    hints=[
        "`classifier(texts, candidate_labels=labels, hypothesis_template=template)` returns one dict per text.",
        "Each dict's `labels` list is sorted by decreasing score: the first one is the prediction.",
    ],
    solution="def top_labels(texts, classifier, labels, template):\n"
             "    results = classifier(list(texts), candidate_labels=labels, hypothesis_template=template)\n"
             "    return [r['labels'][0] for r in results]",
)

q2 = Exercise(
    "q2", points=1, target="score_predictions", grade=_grade_score_predictions,
    prompt="Write `score_predictions(y_true, y_pred)` returning a dict with `accuracy`, `macro_f1` and "
           "`balanced_accuracy` (scikit-learn).",
    hints=[
        "`from sklearn.metrics import accuracy_score, f1_score, balanced_accuracy_score`.",
        "`f1_score(y_true, y_pred, average='macro', zero_division=0)` averages the per-class F1 with equal weights.",
    ],
    solution="def score_predictions(y_true, y_pred):\n"
             "    return {'accuracy': accuracy_score(y_true, y_pred),\n"
             "            'macro_f1': f1_score(y_true, y_pred, average='macro', zero_division=0),\n"
             "            'balanced_accuracy': balanced_accuracy_score(y_true, y_pred)}",
)

q3 = Exercise(
    "q3", points=2, target="embedding_zero_shot", grade=_grade_embedding_zero_shot,
    prompt="Write `embedding_zero_shot(texts, labels, embed, template)`: embed the texts and one prompt per label "
           "(`template.format(label)`) with `embed(list_of_strings) -> array`, and return for each text the label "
           "whose prompt has the highest cosine similarity.",
    hints=[
        "Two calls: `embed(texts)` (n × d) and `embed([template.format(l) for l in labels])` (k × d).",
        "`sklearn.metrics.pairwise.cosine_similarity(A, B)` is n × k; `.argmax(axis=1)` picks each text's label.",
    ],
    solution="def embedding_zero_shot(texts, labels, embed, template):\n"
             "    similarity = cosine_similarity(embed(list(texts)), embed([template.format(l) for l in labels]))\n"
             "    return [labels[i] for i in similarity.argmax(axis=1)]",
)

EXERCISES = [q1, q2, q3]
