"""Lesson 01 exercises: filter a pipeline's output, rebuild its probabilities by hand, decode a QA span.

Each grading draws new inputs: a classifier that answers from a table drawn for that grading (ties
with ``min_score``, confident negatives, lukewarm positives, an empty batch), batches of review
texts of very different lengths for the sentiment model, and start/end logits in which the two
separate argmaxes, the greedy choice and the span one token too long are each wrong.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from utils.grading import Exercise, Incorrect, close, expect
from utils.grading.plain import describe

# ------------------------------------------------------------------------------------------ q1
REVIEWS = [
    "A delightful, moving film.", "The plot made no sense at all.", "It was fine, I guess.",
    "Best meal I have had this year!", "Not bad, not great.", "The staff were friendly and quick.",
    "I want my money back.", "The sequel is even better than the original.", "Too long and far too loud.",
    "A charming little hotel by the sea.", "The battery died after two days.", "Exactly what I ordered.",
    "The soundtrack is gorgeous.", "Dull from the first minute to the last.", "My kids loved every page.",
    "An ordinary Tuesday.", "The screen cracked in the first week.", "Worth every penny.",
]


def _positives_cases(rng):
    """Three batches: an explicit threshold, the default one (0.9), and an empty batch."""
    cases = []
    for min_score in (float(rng.choice([0.6, 0.7, 0.75, 0.8, 0.95])), None):
        m = 0.9 if min_score is None else min_score
        texts = [str(t) for t in rng.choice(REVIEWS, size=int(rng.integers(6, 9)), replace=False)]
        # a positive exactly at the threshold, a confident negative, a positive below the threshold
        # (between 0.5 and 0.9 for the default), and two kept positives whose scores rise
        low = round(float(rng.uniform(0.5, m - 0.02)), 3) if min_score is not None else \
            round(float(rng.uniform(0.55, 0.85)), 3)
        first = round(float(rng.uniform(m + 0.002, (m + 1) / 2)), 3)
        second = round(float(rng.uniform((m + 1) / 2 + 0.002, 0.999)), 3)
        rows = [("POSITIVE", m), ("NEGATIVE", round(float(rng.uniform(max(m, 0.9) + 0.001, 0.999)), 3)),
                ("POSITIVE", low), ("POSITIVE", first), ("POSITIVE", second)]
        rows += [(str(rng.choice(["POSITIVE", "NEGATIVE"])), round(float(rng.uniform(0.5, 0.999)), 3))
                 for _ in texts[len(rows):]]
        order = [int(i) for i in rng.permutation(len(rows))]
        a, b = order.index(3), order.index(4)
        if a > b:  # keep the two rising positives in rising order: sorting by score would swap them
            order[a], order[b] = order[b], order[a]
        cases.append({"rows": [[texts[k], *rows[i]] for k, i in enumerate(order)], "min_score": min_score})
    cases.append({"rows": [], "min_score": float(rng.choice([0.5, 0.9]))})
    return [cases[i] for i in rng.permutation(len(cases))]


class _TableClassifier:
    """Answers like ``pipeline("sentiment-analysis")`` from a table: a str → ``[dict]``, a list → list of dicts.

    Like the real pipeline, an empty list raises ``IndexError``; ``top_k=None`` gives every label.
    """

    def __init__(self, rows):
        self.table = {text: (label, float(score)) for text, label, score in rows}

    def __call__(self, inputs, top_k=1, **kwargs):
        if isinstance(inputs, str):
            return [self._one(inputs, top_k)] if top_k == 1 else self._one(inputs, top_k)
        inputs = list(inputs)
        if not inputs:
            raise IndexError("list index out of range")  # what the real pipeline raises on []
        return [self._one(text, top_k) for text in inputs]

    def _one(self, text, top_k):
        if text not in self.table:
            raise KeyError(f"this classifier only knows the texts it was given, not {text!r}")
        label, score = self.table[text]
        other = "NEGATIVE" if label == "POSITIVE" else "POSITIVE"
        both = [{"label": label, "score": score}, {"label": other, "score": 1.0 - score}]
        return both[0] if top_k == 1 else both if top_k is None else both[:top_k]


def _run_positives(confident_positives, case):
    texts = [row[0] for row in case["rows"]]
    classifier = _TableClassifier(case["rows"])
    if case["min_score"] is None:
        return confident_positives(texts, classifier)
    return confident_positives(texts, classifier, min_score=case["min_score"])


def _expected_positives(case):
    m = 0.9 if case["min_score"] is None else case["min_score"]
    return [text for text, label, score in case["rows"] if label == "POSITIVE" and score >= m]


def _compare_positives(got, want, case):
    m = 0.9 if case["min_score"] is None else case["min_score"]
    where = (f"for {len(case['rows'])} texts with "
             + ("the default min_score" if case["min_score"] is None else f"min_score={m:g}"))
    expect(isinstance(got, list),
           f"{where}: return a list of texts, got a {type(got).__name__} ({describe(got, 60)})")
    expect(all(isinstance(t, str) for t in got),
           f"{where}: return the texts themselves (str), got {describe(got, 100)}")
    table = {text: (label, score) for text, label, score in case["rows"]}
    unknown = [t for t in got if t not in table]
    expect(not unknown, f"{where}: {unknown[0]!r} is not one of the input texts" if unknown else "")
    for text in got:
        label, score = table[text]
        expect(label == "POSITIVE", f"{where}: you kept {text!r}, which the classifier labels {label} ({score:g})")
        expect(score >= m, f"{where}: you kept {text!r} with score {score:g}, below {m:g}"
               + (" (the default min_score is 0.9)" if case["min_score"] is None else ""))
    for text in want:
        score = table[text][1]
        expect(text in got, f"{where}: you left out {text!r} (POSITIVE, {score:g})"
               + (" — a score equal to min_score counts" if score == m else ""))
    expect(len(got) == len(want), f"{where}: some texts appear more than once in {describe(got, 100)}")
    expect(got == want, f"{where}: keep the texts in their input order: expected {want}, got {got}")


# ------------------------------------------------------------------------------------------ q2
SENTENCES = [
    "Dull.", "Wonderful!", "Not good.", "A masterpiece.", "Meh.",
    "The food was cold and the waiter ignored us for most of the evening.",
    "I would not recommend this hotel to my worst enemy: the rooms were dirty, the staff rude and the "
    "breakfast a sad collection of stale bread and lukewarm coffee.",
    "The soundtrack is gorgeous and the actors are wonderful, even if the last half hour drags a little.",
    "An ordinary Tuesday at the office, with two meetings and a long lunch.",
    "Great value for the price, I would buy it again without thinking twice.",
    "The story starts slowly, but by the end I was completely hooked and did not want it to finish.",
    "Two hours of my life I will never get back.",
    "It is a film about a family that moves to the countryside and slowly falls apart, told with patience "
    "and a great deal of tenderness.",
    "The hotel was okay.",
]
_SHORT = [s for s in SENTENCES if len(s.split()) <= 3]
_LONG = [s for s in SENTENCES if len(s.split()) >= 12]


def _probability_cases(rng):
    """Two padded batches (a short and a long text in each, shuffled) and a batch of one."""
    cases = []
    for size in (int(rng.integers(3, 6)), int(rng.integers(3, 6))):
        short, long = str(rng.choice(_SHORT)), str(rng.choice(_LONG))
        rest = [s for s in SENTENCES if s not in (short, long)]
        batch = [short, long, *[str(s) for s in rng.choice(rest, size=size - 2, replace=False)]]
        cases.append([[batch[i] for i in rng.permutation(size)]])
    cases.append([[str(rng.choice(SENTENCES))]])
    return cases


def _sentiment_parts():
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from utils.resources import checkpoint

    path = checkpoint("sentiment-model")
    model = AutoModelForSequenceClassification.from_pretrained(path).to("cpu").eval()
    return AutoTokenizer.from_pretrained(path), model


@lru_cache(maxsize=1)
def _learner_sentiment():
    """The tokenizer and model handed to the learner's function (in the learner's kernel)."""
    return _sentiment_parts()


@lru_cache(maxsize=1)
def _reference_sentiment():
    """A separate copy for the references, so an answer that changes the model cannot change them."""
    return _sentiment_parts()


def _run_probabilities(sentiment_probabilities, case):
    tokenizer, model = _learner_sentiment()
    return sentiment_probabilities(list(case[0]), tokenizer, model)


@lru_cache(maxsize=64)
def _probabilities_of(text):
    import torch

    tokenizer, model = _reference_sentiment()
    with torch.no_grad():  # one text at a time: no padding, so no mask to get wrong
        logits = model(**tokenizer(text, return_tensors="pt")).logits[0].double()
    return tuple(logits.softmax(dim=-1).tolist())


def _expected_probabilities(case):
    return np.array([_probabilities_of(t) for t in case[0]])


def _compare_probabilities(got, want, case):
    texts = case[0]
    where = f"for {len(texts)} text{'s' if len(texts) > 1 else ''} {describe(texts, 70)}"
    try:
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise Incorrect(f"{where}: return an array of numbers, got {describe(got, 80)}") from None
    expect(g.shape == want.shape, f"{where}: the array has shape {g.shape}; expected {want.shape} "
           "(one row per text, one column per label)")
    sums = g.sum(axis=1)
    expect(bool(np.allclose(sums, 1, atol=1e-4)),
           f"{where}: each row should be a probability distribution over the labels (the rows sum to "
           f"{np.round(sums, 3).tolist()}): apply a softmax to the logits over the label axis")
    worst = np.abs(g - want).max(axis=1)
    bad = int(np.argmax(worst))
    expect(float(worst[bad]) < 1e-4,
           f"{where}: for {texts[bad]!r} you give {np.round(g[bad], 4).tolist()}; the model gives "
           f"{np.round(want[bad], 4).tolist()} (columns in label-id order). Texts of different lengths need "
           "padding=True, and the attention mask must go into the model with the ids (`model(**inputs)`)")
    close(g, want, atol=1e-4, rtol=0, what=f"the probabilities {where}")


# ------------------------------------------------------------------------------------------ q3
def _span_cases(rng):
    """Start/end logits (plain lists) with traps, shuffled; ``max_answer_len`` None means "use the default"."""
    def noise(n, scale=1.0, shift=0.0):
        return rng.normal(shift, scale, size=n)

    cases = []
    # 1. the best end lies before the best start: two separate argmaxes give an invalid span
    n = int(rng.integers(10, 30))
    start, end = noise(n), noise(n)
    p = int(rng.integers(n // 2, n - 2))
    q = int(rng.integers(0, p))
    start[p], end[q], end[p + 1] = 6.0, 7.0, 4.0
    cases.append((start, end, int(rng.integers(5, 16))))
    # 2. the best pair is exactly one token too long
    m = int(rng.integers(2, 7))
    n = int(rng.integers(m + 8, m + 25))
    start, end = noise(n), noise(n)
    p = int(rng.integers(0, n - m - 1))
    start[p], end[p + m], end[p + m - 1] = 6.0, 7.0, 3.0
    cases.append((start, end, m))
    # 3. the best start is a trap: its window only holds weak ends; a slightly lower start wins
    m = int(rng.integers(3, 8))
    n = int(rng.integers(2 * m + 8, 2 * m + 30))
    start, end = noise(n, 0.5, -2.0), noise(n, 0.5, -2.0)
    a = int(rng.integers(0, n - 2 * m - 4))
    b = a + m + int(rng.integers(1, 4))
    start[a], start[b], end[b + 1] = 5.0, 4.5, 5.0
    cases.append((start, end, m))
    # 4. every logit negative, the question and special tokens masked with -inf (as in the lesson)
    n = int(rng.integers(15, 45))
    start, end = noise(n, 1.5, -6.0), noise(n, 1.5, -6.0)
    masked = int(rng.integers(3, 9))
    start[:masked], end[:masked], start[-1], end[-1] = -np.inf, -np.inf, -np.inf, -np.inf
    cases.append((start, end, int(rng.integers(4, 16))))
    # 5. the default max_answer_len (15): the best pair is 16 tokens long, the next best 15
    n = int(rng.integers(22, 40))
    start, end = noise(n), noise(n)
    p = int(rng.integers(0, n - 16))
    start[p], end[p + 15], end[p + 14] = 6.0, 8.0, 5.0
    cases.append((start, end, None))
    # 6. plain noise, from one-token answers to long contexts
    n = int(rng.integers(20, 90))
    cases.append((noise(n), noise(n), int(rng.choice([1, 2, 10, 30]))))
    return [{"start": [float(x) for x in cases[i][0]], "end": [float(x) for x in cases[i][1]],
             "max_answer_len": cases[i][2]} for i in rng.permutation(len(cases))]


def _run_span(best_span, case):
    start, end = np.array(case["start"]), np.array(case["end"])
    if case["max_answer_len"] is None:
        return best_span(start, end)
    return best_span(start, end, max_answer_len=case["max_answer_len"])


def reference_best_span(start_logits, end_logits, max_answer_len: int = 15) -> tuple[int, int]:
    """The (start, end) token pair with the highest ``start + end`` score, ``start <= end < start + max_answer_len``."""
    start_logits, end_logits = np.asarray(start_logits, dtype=float), np.asarray(end_logits, dtype=float)
    scores = start_logits[:, None] + end_logits[None, :]
    length = np.subtract.outer(np.arange(len(end_logits)), np.arange(len(start_logits))).T  # end - start
    scores[(length < 0) | (length >= max_answer_len)] = -np.inf
    start, end = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return int(start), int(end)


def _expected_span(case):
    m = 15 if case["max_answer_len"] is None else case["max_answer_len"]
    return list(reference_best_span(case["start"], case["end"], m))


def _compare_span(got, want, case):
    m = case["max_answer_len"]
    where = (f"for {len(case['start'])} tokens with "
             + ("the default max_answer_len" if m is None else f"max_answer_len={m}"))
    m = 15 if m is None else m
    expect(isinstance(got, list) and len(got) == 2
           and all(isinstance(x, int) and not isinstance(x, bool) for x in got),
           f"{where}: return a (start, end) tuple of two ints, got {describe(got, 80)}")
    s, e = got
    n = len(case["start"])
    expect(0 <= s < n and 0 <= e < n, f"{where}: ({s}, {e}) is outside the {n} positions")
    expect(s <= e, f"{where}: ({s}, {e}) ends before it starts; score only the pairs with start <= end")
    expect(e - s + 1 <= m, f"{where}: ({s}, {e}) is {e - s + 1} tokens long; at most {m} are allowed"
           + (" (the default max_answer_len is 15)" if case["max_answer_len"] is None else ""))
    start, end = np.array(case["start"]), np.array(case["end"])
    best, score = float(start[want[0]] + end[want[1]]), float(start[s] + end[e])
    expect(np.isfinite(score) and score >= best - 1e-9,
           f"{where}: ({s}, {e}) scores {score:.3f}; the best valid span is ({want[0]}, {want[1]}) with "
           f"{best:.3f} (the best start alone does not always lead to the best pair)")


# ------------------------------------------------------------------------------------------ exercises
def _probabilities_answer(result: str) -> str:
    """A batched answer to q2 that returns ``result`` (an expression of ``model`` and ``inputs``) as numpy."""
    return ("import torch\n"
            "def sentiment_probabilities(texts, tokenizer, model):\n"
            "    inputs = tokenizer(texts, padding=True, return_tensors='pt')\n"
            "    with torch.no_grad():\n"
            f"        return {result}.numpy()")


q1 = Exercise(
    "q1", points=1, target="confident_positives",
    cases=_positives_cases, run=_run_positives, expected=_expected_positives, compare=_compare_positives,
    hints=[
        "Call the classifier once on the whole list: it returns one `{'label': ..., 'score': ...}` per text "
        "(and, like the real pipeline, fails on an empty list — return `[]` for that first).",
        "`zip(texts, classifier(texts))`, keep `text` when `r['label'] == 'POSITIVE' and r['score'] >= min_score`.",
    ],
    wrong={
        "a strict inequality": (
            "def confident_positives(texts, classifier, min_score=0.9):\n"
            "    if not texts:\n        return []\n"
            "    return [t for t, r in zip(texts, classifier(texts))\n"
            "            if r['label'] == 'POSITIVE' and r['score'] > min_score]"),
        "any label with a high score": (
            "def confident_positives(texts, classifier, min_score=0.9):\n"
            "    if not texts:\n        return []\n"
            "    return [t for t, r in zip(texts, classifier(texts)) if r['score'] >= min_score]"),
        "sorted by score": (
            "def confident_positives(texts, classifier, min_score=0.9):\n"
            "    if not texts:\n        return []\n"
            "    kept = [(r['score'], t) for t, r in zip(texts, classifier(texts))\n"
            "            if r['label'] == 'POSITIVE' and r['score'] >= min_score]\n"
            "    return [t for _, t in sorted(kept, reverse=True)]"),
        "no guard for an empty list": (
            "def confident_positives(texts, classifier, min_score=0.9):\n"
            "    return [t for t, r in zip(texts, classifier(texts))\n"
            "            if r['label'] == 'POSITIVE' and r['score'] >= min_score]"),
        "a default of 0.5": (
            "def confident_positives(texts, classifier, min_score=0.5):\n"
            "    if not texts:\n        return []\n"
            "    return [t for t, r in zip(texts, classifier(texts))\n"
            "            if r['label'] == 'POSITIVE' and r['score'] >= min_score]"),
    },
)

q2 = Exercise(
    "q2", points=2, target="sentiment_probabilities",
    cases=_probability_cases, run=_run_probabilities, expected=_expected_probabilities,
    compare=_compare_probabilities,
    hints=[
        "Texts have different lengths: `tokenizer(texts, padding=True, truncation=True, return_tensors='pt')`.",
        "Under `torch.no_grad()`, `model(**inputs).logits.softmax(dim=-1)` (the label axis is the last one); "
        "return `.numpy()`.",
    ],
    wrong={
        "no attention mask": _probabilities_answer("model(input_ids=inputs['input_ids']).logits.softmax(dim=-1)"),
        "the logits": _probabilities_answer("model(**inputs).logits"),
        "a sigmoid": _probabilities_answer("model(**inputs).logits.sigmoid()"),
        "a softmax over the batch": _probabilities_answer("model(**inputs).logits.softmax(dim=0)"),
        "the best label's probability only": _probabilities_answer(
            "model(**inputs).logits.softmax(dim=-1).max(dim=-1).values"),
    },
)

q3 = Exercise(
    "q3", points=2, target="best_span",
    cases=_span_cases, run=_run_span, expected=_expected_span, compare=_compare_span,
    hints=[
        "Taking the two argmaxes separately can give an end before the start. Score every valid pair instead.",
        "Two loops: `for s in range(n): for e in range(s, min(n, s + max_answer_len)):` and keep the best sum, "
        "starting from `float('-inf')` (logits can all be negative).",
    ],
    wrong={
        "two separate argmaxes": (
            "import numpy as np\n"
            "def best_span(start_logits, end_logits, max_answer_len=15):\n"
            "    return int(np.argmax(start_logits)), int(np.argmax(end_logits))"),
        "the best start, then its best end": (
            "import numpy as np\n"
            "def best_span(start_logits, end_logits, max_answer_len=15):\n"
            "    s = int(np.argmax(start_logits))\n"
            "    return s, s + int(np.argmax(end_logits[s:s + max_answer_len]))"),
        "no length limit": (
            "def best_span(start_logits, end_logits, max_answer_len=15):\n"
            "    pairs = [(s, e) for s in range(len(start_logits)) for e in range(s, len(end_logits))]\n"
            "    return max(pairs, key=lambda p: start_logits[p[0]] + end_logits[p[1]])"),
        "one token too many": (
            "def best_span(start_logits, end_logits, max_answer_len=15):\n"
            "    pairs = [(s, e) for s in range(len(start_logits))\n"
            "             for e in range(s, min(len(end_logits), s + max_answer_len + 1))]\n"
            "    return max(pairs, key=lambda p: start_logits[p[0]] + end_logits[p[1]])"),
        "masked with zeros (np.triu)": (
            "import numpy as np\n"
            "def best_span(start_logits, end_logits, max_answer_len=15):\n"
            "    scores = np.tril(np.triu(np.add.outer(start_logits, end_logits)), max_answer_len - 1)\n"
            "    s, e = np.unravel_index(np.argmax(scores), scores.shape)\n"
            "    return int(s), int(e)"),
    },
)

EXERCISES = [q1, q2, q3]
