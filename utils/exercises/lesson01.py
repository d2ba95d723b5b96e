"""Lesson 01 exercises: filter a pipeline's output, rebuild its probabilities by hand, decode a QA span."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from utils.grading import Exercise, expect

# Hidden inputs: the grader calls the learner's functions on these, never on the notebook's examples.
_STUB_RESULTS = {  # text -> what a sentiment pipeline would say about it
    "A delightful, moving film.": ("POSITIVE", 0.998),
    "The plot made no sense at all.": ("NEGATIVE", 0.97),
    "It was fine, I guess.": ("POSITIVE", 0.62),
    "Exactly on the line.": ("POSITIVE", 0.9),
    "Not bad, not great.": ("NEGATIVE", 0.55),
    "Best meal I have had this year!": ("POSITIVE", 0.93),
}
_HIDDEN_TEXTS = [
    "The soundtrack is gorgeous and the actors are wonderful.",
    "Dull.",
    "I would not recommend this hotel to my worst enemy: the rooms were dirty and the staff rude.",
    "An ordinary Tuesday.",
]


class _StubSentiment:
    """Answers like ``pipeline("sentiment-analysis")`` from a fixed table: a str → ``[dict]``, a list → list of dicts."""

    def __call__(self, inputs, **kwargs):
        if isinstance(inputs, str):
            return [self._one(inputs)]
        return [self._one(text) for text in inputs]

    @staticmethod
    def _one(text):
        if text not in _STUB_RESULTS:
            raise KeyError(f"the grader's classifier only knows its own hidden texts, not {text!r}")
        label, score = _STUB_RESULTS[text]
        return {"label": label, "score": score}


def _want_positives(texts, min_score):
    return [t for t in texts if _STUB_RESULTS[t][0] == "POSITIVE" and _STUB_RESULTS[t][1] >= min_score]


def _grade_confident_positives(confident_positives) -> None:
    expect(callable(confident_positives), "`confident_positives` should be a function of (texts, classifier, min_score)")
    texts = list(_STUB_RESULTS)
    for min_score in (0.9, 0.5, 0.99):
        got = confident_positives(texts, _StubSentiment(), min_score=min_score)
        expect(isinstance(got, list), f"return a list of texts, got {type(got).__name__}")
        want = _want_positives(texts, min_score)
        expect(got == want, f"with min_score={min_score} the confident positives are {want}, you returned {got} "
               "(keep the input order; a score equal to min_score counts)")
    expect(confident_positives([], _StubSentiment(), min_score=0.9) == [], "an empty list of texts should give []")
    expect(confident_positives(texts[:3], _StubSentiment()) == _want_positives(texts[:3], 0.9),
           "the default min_score should be 0.9")


@lru_cache(maxsize=1)
def _sentiment():
    """The reference pipeline, tokenizer and model of the ``sentiment-model`` role."""
    from transformers import pipeline

    from utils.resources import checkpoint

    # on the CPU in both profiles: the learner's tensors come from a tokenizer, on the CPU
    classifier = pipeline("sentiment-analysis", model=checkpoint("sentiment-model"), device="cpu")
    return classifier, classifier.tokenizer, classifier.model


def _grade_probabilities(sentiment_probabilities) -> None:
    expect(callable(sentiment_probabilities), "`sentiment_probabilities` should be a function of (texts, tokenizer, model)")
    classifier, tokenizer, model = _sentiment()
    got = sentiment_probabilities(_HIDDEN_TEXTS, tokenizer, model)
    if hasattr(got, "detach"):
        got = got.detach().cpu().numpy()
    got = np.asarray(got, dtype=float)
    n_labels = model.config.num_labels
    expect(got.shape == (len(_HIDDEN_TEXTS), n_labels),
           f"for {len(_HIDDEN_TEXTS)} texts expected an array of shape {(len(_HIDDEN_TEXTS), n_labels)}, got {got.shape}")
    expect(np.allclose(got.sum(axis=1), 1, atol=1e-4), "each row should be a probability distribution: apply softmax to the logits")
    want = np.zeros_like(got)
    for i, scores in enumerate(classifier(_HIDDEN_TEXTS, top_k=None)):
        for item in scores:
            want[i, model.config.label2id[item["label"]]] = item["score"]
    worst = float(np.abs(got - want).max())
    expect(worst < 1e-4, f"probabilities differ from the pipeline's by up to {worst:.3f}: texts of different lengths "
           "need padding=True, and the attention mask must go into the model with the ids (`model(**inputs)`)")


def reference_best_span(start_logits, end_logits, max_answer_len: int = 15) -> tuple[int, int]:
    """The (start, end) token pair with the highest ``start + end`` score, ``start <= end < start + max_answer_len``."""
    start_logits, end_logits = np.asarray(start_logits, dtype=float), np.asarray(end_logits, dtype=float)
    scores = start_logits[:, None] + end_logits[None, :]
    offset = np.subtract.outer(np.arange(len(end_logits)), np.arange(len(start_logits))).T  # end - start
    scores[(offset < 0) | (offset >= max_answer_len)] = -np.inf
    start, end = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return int(start), int(end)


def _brute_force(start_logits, end_logits, max_answer_len):
    best, pair = -np.inf, None
    for s in range(len(start_logits)):
        for e in range(s, min(len(end_logits), s + max_answer_len)):
            if start_logits[s] + end_logits[e] > best:
                best, pair = start_logits[s] + end_logits[e], (s, e)
    return pair


def _span_cases():
    rng = np.random.default_rng(101)
    cases = [
        # the highest end logit sits before the highest start logit: two separate argmaxes fail
        (np.array([0.0, 0.1, 0.2, 5.0, 0.3, 0.0]), np.array([0.0, 6.0, 0.1, 0.2, 2.0, 0.1]), 15),
        # the best pair is 6 tokens long; with max_answer_len=3 a shorter one must win
        (np.array([4.0, 0.0, 0.0, 0.0, 1.0, 0.0]), np.array([0.0, 0.0, 0.5, 0.0, 0.0, 4.0]), 3),
        # a one-token answer
        (np.array([-1.0, -1.0, 3.0, -1.0]), np.array([-1.0, -2.0, 3.0, -1.0]), 15),
    ]
    cases += [(rng.normal(size=n), rng.normal(size=n), m) for n, m in ((30, 5), (64, 15), (12, 1))]
    return cases


def _grade_best_span(best_span) -> None:
    expect(callable(best_span), "`best_span` should be a function of (start_logits, end_logits, max_answer_len)")
    for start_logits, end_logits, max_len in _span_cases():
        got = best_span(start_logits, end_logits, max_answer_len=max_len)
        expect(isinstance(got, tuple) and len(got) == 2, f"return a (start, end) tuple, got {got!r}")
        s, e = (int(x) for x in got)
        expect(0 <= s <= e < len(end_logits), f"({s}, {e}) is not a valid span: need 0 <= start <= end < length")
        expect(e - s + 1 <= max_len, f"({s}, {e}) is {e - s + 1} tokens long; max_answer_len is {max_len}")
        want = _brute_force(start_logits, end_logits, max_len)
        expect(np.isclose(start_logits[s] + end_logits[e], start_logits[want[0]] + end_logits[want[1]]),
               f"on a hidden example with max_answer_len={max_len} the best span is {want}, you returned ({s}, {e})")
    start_logits, end_logits = np.zeros(20), np.zeros(20)
    start_logits[0], end_logits[14], end_logits[15] = 10.0, 5.0, 10.0  # best pair (0, 15) is 16 tokens long
    default = best_span(start_logits, end_logits)
    expect(tuple(int(x) for x in default) == (0, 14), "the default max_answer_len should be 15 (the pipeline's default)")


q1 = Exercise(
    "q1", points=1, target="confident_positives", grade=_grade_confident_positives,
    prompt="Write `confident_positives(texts, classifier, min_score=0.9)` returning, in input order, the texts "
           "the classifier labels `POSITIVE` with a score of at least `min_score`.",
    hints=[
        "Call the classifier once on the whole list: it returns one `{'label': ..., 'score': ...}` per text.",
        "`zip(texts, classifier(texts))`, keep `text` when `r['label'] == 'POSITIVE' and r['score'] >= min_score`.",
    ],
    solution="def confident_positives(texts, classifier, min_score=0.9):\n"
             "    results = classifier(texts) if texts else []\n"
             "    return [text for text, r in zip(texts, results)\n"
             "            if r['label'] == 'POSITIVE' and r['score'] >= min_score]",
)

q2 = Exercise(
    "q2", points=2, target="sentiment_probabilities", grade=_grade_probabilities,
    prompt="Write `sentiment_probabilities(texts, tokenizer, model)` returning an array of shape "
           "(len(texts), number of labels): the probability of each label (columns in label-id order), "
           "computed with the tokenizer and model directly — no pipeline.",
    hints=[
        "Texts have different lengths: `tokenizer(texts, padding=True, truncation=True, return_tensors='pt')`.",
        "Under `torch.no_grad()`, `model(**inputs).logits.softmax(dim=-1)`; return `.numpy()`.",
    ],
    solution="def sentiment_probabilities(texts, tokenizer, model):\n"
             "    inputs = tokenizer(texts, padding=True, truncation=True, return_tensors='pt')\n"
             "    with torch.no_grad():\n"
             "        logits = model(**inputs).logits\n"
             "    return logits.softmax(dim=-1).numpy()",
)

q3 = Exercise(
    "q3", points=2, target="best_span", grade=_grade_best_span,
    prompt="Write `best_span(start_logits, end_logits, max_answer_len=15)` returning the `(start, end)` token "
           "positions with the highest `start_logits[start] + end_logits[end]` among spans with "
           "`start <= end` and at most `max_answer_len` tokens.",
    hints=[
        "Taking the two argmaxes separately can give an end before the start. Score every pair instead.",
        "Two loops: `for s in range(n): for e in range(s, min(n, s + max_answer_len)):` and keep the best sum. "
        "(Or build the `n × n` matrix `start[:, None] + end[None, :]` and mask it with `np.triu`/`np.tril`.)",
    ],
    solution="def best_span(start_logits, end_logits, max_answer_len=15):\n"
             "    best, span = float('-inf'), (0, 0)\n"
             "    for s in range(len(start_logits)):\n"
             "        for e in range(s, min(len(end_logits), s + max_answer_len)):\n"
             "            score = start_logits[s] + end_logits[e]\n"
             "            if score > best:\n"
             "                best, span = score, (s, e)\n"
             "    return span",
)

EXERCISES = [q1, q2, q3]
