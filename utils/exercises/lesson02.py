"""Lesson 02 exercises: zero-shot predictions with a template, honest metrics, embedding-similarity zero-shot.

Each grading draws new inputs: texts, candidate labels and a template for a classifier whose scores
depend on the hypothesis (so ignoring the template changes the answer), imbalanced label sequences
on which accuracy, weighted F1 and macro-F1 all differ, and embeddings in which a long label vector
wins the dot product but not the cosine.
"""
from __future__ import annotations

import zlib

import numpy as np

from utils.grading import Exercise, close, expect
from utils.grading.plain import describe

# ------------------------------------------------------------------------------------------ q1
HEADLINES = [
    "The central bank raised its key rate by half a point.",
    "Striker scores twice as the home side wins the cup final.",
    "A new vaccine trial reports strong results.", "Heavy snow closes mountain passes.",
    "Parliament passes the budget after a long debate.", "Oil prices fall as demand slows.",
    "The orchestra opens its season with Mahler.", "Engineers test a faster chip for phones.",
    "Farmers expect a record wheat harvest.", "The museum returns a stolen painting.",
    "Shares of the carmaker jump after strong sales.", "A heatwave brings record temperatures to the south.",
]
TOPICS = ["economy", "sport", "health", "weather", "politics", "culture", "technology", "agriculture", "crime"]
TEMPLATES = ["This text is about {}.", "The topic of this news story is {}.", "{}", "This headline concerns {}.",
             "Category: {}"]
DEFAULT_TEMPLATE = "This example is {}."


def _zero_shot_result(text, labels, template):
    """What the grader's zero-shot classifier answers: scores from a hash of each (text, hypothesis)."""
    raw = np.array([zlib.crc32(f"{text}|{template.format(label)}".encode()) % 1000 / 100 for label in labels])
    scores = np.exp(raw - raw.max())
    scores /= scores.sum()
    order = np.argsort(-scores, kind="stable")
    return {"sequence": text, "labels": [labels[i] for i in order], "scores": [float(scores[i]) for i in order]}


def _tops(texts, labels, template):
    return [_zero_shot_result(t, labels, template)["labels"][0] for t in texts]


def _top_label_cases(rng):
    """A batch whose answers change with the template and are not all the first candidate, and a batch of one."""
    cases = []
    for size in (int(rng.integers(3, 7)), 1):
        while True:
            texts = [str(t) for t in rng.choice(HEADLINES, size=size, replace=False)]
            labels = [str(t) for t in rng.choice(TOPICS, size=int(rng.integers(3, 6)), replace=False)]
            template = str(rng.choice(TEMPLATES))
            want = _tops(texts, labels, template)
            if want != _tops(texts, labels, DEFAULT_TEMPLATE) and any(w != labels[0] for w in want):
                break
        cases.append({"texts": texts, "labels": labels, "template": template})
    return cases


class _ZeroShot:
    """Answers like ``pipeline("zero-shot-classification")`` and logs how it was called.

    A str gives one dict, a list gives a list of dicts; labels come back sorted by decreasing score.
    """

    def __init__(self):
        self.calls = []

    def __call__(self, sequences, *args, **kwargs):
        if len(args) == 1 and "candidate_labels" not in kwargs:
            kwargs["candidate_labels"] = args[0]
        elif args:
            raise ValueError(f"Unable to understand extra arguments {args}")
        labels = kwargs.get("candidate_labels")
        template = kwargs.get("hypothesis_template", DEFAULT_TEMPLATE)
        if isinstance(labels, str):
            labels = [label.strip() for label in labels.split(",") if label.strip()]
        single = isinstance(sequences, str)
        texts = [sequences] if single else list(sequences)
        self.calls.append({"sequences": sequences if single else texts, "candidate_labels": labels,
                           "hypothesis_template": template})
        if not labels or not texts:
            raise ValueError("You must include at least one label and at least one sequence.")
        if template.format(labels[0]) == template:
            raise ValueError(f"The provided hypothesis_template {template!r} was not able to be formatted "
                             "with the target labels.")
        results = [_zero_shot_result(text, list(labels), template) for text in texts]
        return results[0] if single else results


def _run_top_labels(top_labels, case):
    classifier = _ZeroShot()
    got = top_labels(list(case["texts"]), classifier, list(case["labels"]), case["template"])
    return {"labels": got, "calls": classifier.calls}


def _compare_top_labels(got, want, case):
    texts, labels, template = case["texts"], case["labels"], case["template"]
    where = f"for {len(texts)} text{'s' if len(texts) > 1 else ''}, labels {labels} and template {template!r}"
    calls, answer = got["calls"], got["labels"]
    expect(len(calls) > 0, f"{where}: the classifier was never called")
    expect(len(calls) == 1, f"{where}: the classifier was called {len(calls)} times; call it once with the whole "
           "list of texts")
    call = calls[0]
    expect(call["sequences"] == texts, f"{where}: pass the list of texts itself to the classifier, "
           f"not {describe(call['sequences'], 80)}")
    expect(call["candidate_labels"] == labels,
           f"{where}: pass the labels as candidate_labels, unchanged; the classifier got "
           f"{describe(call['candidate_labels'], 100)}")
    expect(call["hypothesis_template"] == template,
           f"{where}: the classifier used the template {call['hypothesis_template']!r}; pass "
           "hypothesis_template=template")
    expect(isinstance(answer, list), f"{where}: return a list of labels, got a {type(answer).__name__} "
           f"({describe(answer, 60)})")
    expect(len(answer) == len(texts), f"{where}: return one label per text; got {len(answer)}")
    expect(all(isinstance(a, str) for a in answer), f"{where}: return the labels themselves (str), got "
           f"{describe(answer, 100)}")
    stray = [a for a in answer if a not in labels]
    expect(not stray, f"{where}: {stray[0]!r} is not one of the candidate labels" if stray else "")
    for text, a, w in zip(texts, answer, want):
        result = _zero_shot_result(text, labels, template)
        expect(a == w, f"{where}: for {text!r} you returned {a!r}, but the classifier ranks "
               f"{describe(result['labels'], 100)} with scores {[round(s, 3) for s in result['scores']]}: "
               "the labels come back sorted by decreasing score")


# ------------------------------------------------------------------------------------------ q2
CLASSES = [["earn", "acq", "grain", "trade", "crude"], [0, 1, 2, 3], ["pos", "neg", "neutral"]]


def _metrics(y_true, y_pred):
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    return {"accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
            "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred))}


def _alternatives(y_true, y_pred):
    """What the usual mistakes give, to tell them apart from the right numbers."""
    import warnings

    from sklearn.metrics import balanced_accuracy_score, f1_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # swapped, y_pred may hold classes y_true lacks
        return {"weighted_f1": float(f1_score(y_true, y_pred, average="weighted", zero_division=0)),
                "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
                "swapped_balanced": float(balanced_accuracy_score(y_pred, y_true))}


def _distinct(y_true, y_pred):
    m, alt = _metrics(y_true, y_pred), _alternatives(y_true, y_pred)
    values = [m["accuracy"], m["macro_f1"], m["balanced_accuracy"], alt["weighted_f1"], alt["swapped_balanced"]]
    return all(abs(a - b) > 1e-3 for i, a in enumerate(values) for b in values[i + 1:])


def _score_cases(rng):
    """Imbalanced label sequences (str or int labels, list or array): the five usual numbers all differ."""
    cases = []
    for kind, guesser in ((0, False), (int(rng.integers(1, 3)), False), (int(rng.integers(0, 3)), True)):
        classes = CLASSES[kind]
        while True:
            n = int(rng.integers(10, 40))
            weights = rng.dirichlet(np.ones(len(classes)) * 0.7)
            y_true = [classes[i] for i in rng.choice(len(classes), size=n, p=weights)]
            present = sorted(set(y_true), key=classes.index)
            if len(present) < 3:
                continue
            big = max(present, key=y_true.count)
            if guesser:  # mostly the biggest class, as a lazy model would
                y_pred = [y if rng.random() < 0.35 else big for y in y_true]
            else:
                y_pred = [y if rng.random() < 0.6 else present[int(rng.integers(len(present)))] for y in y_true]
            if _distinct(y_true, y_pred):
                break
        cases.append({"y_true": y_true, "y_pred": y_pred, "array": bool(rng.random() < 0.5)})
    return [cases[i] for i in rng.permutation(len(cases))]


def _run_scores(score_predictions, case):
    y_true, y_pred = list(case["y_true"]), list(case["y_pred"])
    if case["array"]:
        y_true, y_pred = np.array(y_true), np.array(y_pred)
    return score_predictions(y_true, y_pred)


def _expected_scores(case):
    return _metrics(case["y_true"], case["y_pred"])


_HINTS = {  # metric -> (the mistake's value, what it means)
    "macro_f1": [("weighted_f1", "that is the F1 weighted by class size; use average='macro'"),
                 ("micro_f1", "that is the micro average (equal to accuracy); use average='macro'")],
    "balanced_accuracy": [("swapped_balanced", "the arguments are swapped: y_true comes first"),
                          ("accuracy", "that is the plain accuracy; balanced accuracy averages the recall of "
                                       "each class")],
}


def _compare_scores(got, want, case):
    n = len(case["y_true"])
    where = f"for {n} labels (y_true {describe(case['y_true'], 60)})"
    expect(isinstance(got, dict), f"{where}: return a dict of metric name → number, got a {type(got).__name__}")
    missing = [k for k in want if k not in got]
    expect(not missing, f"{where}: the dict has the keys {sorted(map(str, got))}; it needs "
           f"'accuracy', 'macro_f1' and 'balanced_accuracy' (missing: {missing})")
    alternatives = {**_alternatives(case["y_true"], case["y_pred"]), "accuracy": want["accuracy"]}
    for name, value in want.items():
        g = got[name]
        expect(isinstance(g, (int, float)) and not isinstance(g, bool),
               f"{where}: {name} should be a number, got {describe(g, 60)}")
        if abs(g - value) > 1e-6:
            why = next((text for k, text in _HINTS.get(name, []) if abs(g - alternatives[k]) < 1e-6), "")
            expect(False, f"{where}: {name} is {g:.4f}; expected {value:.4f}" + (f" — {why}" if why else ""))
    close([got[k] for k in want], list(want.values()), what=f"the metrics {where}")


# ------------------------------------------------------------------------------------------ q3
EMB_TEMPLATES = ["Topic: {}", "This text is about {}.", "A story about {}", "{} news"]
EMB_TEXTS = [
    "Astronomers measured the mass of a distant planet.", "The senate passed the budget after a long debate.",
    "Whisk the eggs and fold in the flour.", "A recipe for the perfect lab-grown burger.",
    "The striker was sold for a record fee.", "Rain is expected all weekend in the north.",
    "Doctors warn of a harsh flu season.", "The new phone has a foldable screen.",
]
EMB_LABELS = ["science", "politics", "cooking", "sport", "weather", "health", "technology"]


def _cosine_answer(texts, labels, vectors, template):
    t = np.array([vectors[x] for x in texts])
    p = np.array([vectors[template.format(label)] for label in labels])
    t = t / np.linalg.norm(t, axis=1, keepdims=True)
    p = p / np.linalg.norm(p, axis=1, keepdims=True)
    return [labels[i] for i in (t @ p.T).argmax(axis=1)]


def _mistakes(texts, labels, vectors, template):
    """The answers of the usual mistakes: dot product, bare labels, Euclidean distance."""
    t = np.array([vectors[x] for x in texts])
    p = np.array([vectors[template.format(label)] for label in labels])
    return {"dot": [labels[i] for i in (t @ p.T).argmax(axis=1)],
            "bare": _cosine_answer(texts, labels, vectors, "{}"),
            "euclid": [labels[i] for i in np.linalg.norm(t[:, None] - p[None], axis=2).argmin(axis=1)]}


def _embedding_cases(rng):
    """Hand-drawn embeddings: prompts of very different lengths, bare labels that point elsewhere."""
    cases = []
    for _ in range(2):
        while True:
            d = int(rng.integers(4, 9))
            labels = [str(x) for x in rng.choice(EMB_LABELS, size=int(rng.integers(3, 6)), replace=False)]
            n = int(rng.choice([k for k in range(2, 7) if k != len(labels)]))
            texts = [str(x) for x in rng.choice(EMB_TEXTS, size=n, replace=False)]
            template = str(rng.choice(EMB_TEMPLATES))
            vectors = {}
            for i, label in enumerate(labels):
                direction = rng.normal(size=d)
                norm = float(rng.choice([0.5, 1.0, 2.0])) * (5.0 if i == 0 else 1.0)  # one loud prompt
                vectors[template.format(label)] = (direction / np.linalg.norm(direction) * norm).round(4).tolist()
                vectors[label] = rng.normal(size=d).round(4).tolist()
            for text in texts:
                vectors[text] = rng.normal(size=d).round(4).tolist()
            want = _cosine_answer(texts, labels, vectors, template)
            if all(m != want for m in _mistakes(texts, labels, vectors, template).values()):
                break
        cases.append({"texts": texts, "labels": labels, "template": template, "vectors": vectors})
    return cases


def _run_embedding(embedding_zero_shot, case):
    vectors = case["vectors"]

    def embed(strings):
        if isinstance(strings, str):
            raise TypeError("embed takes a list of strings and returns one row per string")
        strings = list(strings)
        unknown = [s for s in strings if s not in vectors]
        if unknown:
            raise KeyError(f"embed does not know {unknown[0]!r}: embed the texts, and one prompt per label "
                           "made with template.format(label)")
        return np.array([vectors[s] for s in strings], dtype=float)

    return embedding_zero_shot(list(case["texts"]), list(case["labels"]), embed, case["template"])


def _expected_embedding(case):
    return _cosine_answer(case["texts"], case["labels"], case["vectors"], case["template"])


_MISTAKES = {"dot": "these are the raw dot products: normalise the vectors (cosine similarity), or the "
                    "longest prompt vector wins",
             "bare": "these compare the texts with the bare labels: embed template.format(label) for each label",
             "euclid": "these are the nearest prompts by Euclidean distance; use the cosine similarity"}


def _compare_embedding(got, want, case):
    texts, labels = case["texts"], case["labels"]
    where = f"for {len(texts)} texts, {len(labels)} labels and template {case['template']!r}"
    expect(isinstance(got, list), f"{where}: return a list with one label per text, got a {type(got).__name__} "
           f"({describe(got, 60)})")
    expect(len(got) == len(texts), f"{where}: return one label per text ({len(texts)}); got {len(got)} "
           "(take the best label of each row: argmax over the label axis)")
    expect(all(isinstance(g, str) for g in got), f"{where}: return the labels themselves (str), not their "
           f"positions; got {describe(got, 100)}")
    stray = [g for g in got if g not in labels]
    expect(not stray, f"{where}: {stray[0]!r} is not one of the labels" if stray else "")
    if got != want:
        why = next((_MISTAKES[k] for k, v in _mistakes(texts, labels, case["vectors"], case["template"]).items()
                    if v == got), "")
        expect(False, f"{where}: the labels by cosine similarity are {want}; you returned {got}"
               + (f" — {why}" if why else ""))


# ------------------------------------------------------------------------------------------ exercises
def _scores_answer(macro_f1="f1_score(y_true, y_pred, average='macro', zero_division=0)",
                   balanced="balanced_accuracy_score(y_true, y_pred)",
                   keys=("accuracy", "macro_f1", "balanced_accuracy")) -> str:
    """An answer to q2 with the given expressions (for the wrong answers it must reject)."""
    return ("from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score\n"
            "def score_predictions(y_true, y_pred):\n"
            f"    return {{{keys[0]!r}: accuracy_score(y_true, y_pred),\n"
            f"            {keys[1]!r}: {macro_f1},\n"
            f"            {keys[2]!r}: {balanced}}}")


def _embedding_answer(scores: str, answer: str = "[labels[i] for i in scores.argmax(axis=1)]") -> str:
    """An answer to q3 that scores texts × labels with ``scores`` and returns ``answer``."""
    return ("from sklearn.metrics.pairwise import cosine_similarity, euclidean_distances\n"
            "def embedding_zero_shot(texts, labels, embed, template):\n"
            "    prompts = [template.format(label) for label in labels]\n"
            f"    scores = {scores}\n"
            f"    return {answer}")


q1 = Exercise(
    "q1", points=1, target="top_labels",
    cases=_top_label_cases, run=_run_top_labels,
    expected=lambda case: _tops(case["texts"], case["labels"], case["template"]),
    compare=_compare_top_labels,
    hints=[
        "`classifier(texts, candidate_labels=labels, hypothesis_template=template)` returns one dict per text.",
        "Each dict's `labels` list is sorted by decreasing score: the first one is the prediction.",
    ],
    wrong={
        "the default template": (
            "def top_labels(texts, classifier, labels, template):\n"
            "    return [r['labels'][0] for r in classifier(texts, candidate_labels=labels)]"),
        "one call per text": (
            "def top_labels(texts, classifier, labels, template):\n"
            "    return [classifier(t, candidate_labels=labels, hypothesis_template=template)['labels'][0]\n"
            "            for t in texts]"),
        "scores read in the candidates' order": (
            "import numpy as np\n"
            "def top_labels(texts, classifier, labels, template):\n"
            "    results = classifier(texts, candidate_labels=labels, hypothesis_template=template)\n"
            "    return [labels[int(np.argmax(r['scores']))] for r in results]"),
        "filled-in hypotheses as labels": (
            "def top_labels(texts, classifier, labels, template):\n"
            "    results = classifier(texts, candidate_labels=[template.format(l) for l in labels])\n"
            "    return [r['labels'][0] for r in results]"),
        "the last label": (
            "def top_labels(texts, classifier, labels, template):\n"
            "    results = classifier(texts, candidate_labels=labels, hypothesis_template=template)\n"
            "    return [r['labels'][-1] for r in results]"),
    },
)

q2 = Exercise(
    "q2", points=1, target="score_predictions",
    cases=_score_cases, run=_run_scores, expected=_expected_scores, compare=_compare_scores,
    hints=[
        "`from sklearn.metrics import accuracy_score, f1_score, balanced_accuracy_score`; each takes "
        "`(y_true, y_pred)` in that order.",
        "`f1_score(y_true, y_pred, average='macro', zero_division=0)` averages the per-class F1 with equal weights.",
    ],
    wrong={
        "weighted F1": _scores_answer("f1_score(y_true, y_pred, average='weighted')"),
        "micro F1": _scores_answer("f1_score(y_true, y_pred, average='micro')"),
        "arguments swapped": _scores_answer("f1_score(y_pred, y_true, average='macro', zero_division=0)",
                                            "balanced_accuracy_score(y_pred, y_true)"),
        "display names as keys": _scores_answer(keys=("accuracy", "macro-F1", "balanced accuracy")),
        "accuracy as balanced accuracy": _scores_answer(balanced="accuracy_score(y_true, y_pred)"),
    },
)

q3 = Exercise(
    "q3", points=2, target="embedding_zero_shot",
    cases=_embedding_cases, run=_run_embedding, expected=_expected_embedding, compare=_compare_embedding,
    hints=[
        "Two calls: `embed(texts)` (n × d) and `embed([template.format(l) for l in labels])` (k × d).",
        "`sklearn.metrics.pairwise.cosine_similarity(A, B)` is n × k; `.argmax(axis=1)` picks each text's label.",
    ],
    wrong={
        "a dot product": _embedding_answer("embed(list(texts)) @ embed(prompts).T"),
        "the bare labels": _embedding_answer("cosine_similarity(embed(list(texts)), embed(list(labels)))"),
        "positions instead of labels": _embedding_answer(
            "cosine_similarity(embed(list(texts)), embed(prompts))", answer="list(scores.argmax(axis=1))"),
        "the nearest by Euclidean distance": _embedding_answer(
            "-euclidean_distances(embed(list(texts)), embed(prompts))"),
        "the argmax over the texts": _embedding_answer(
            "cosine_similarity(embed(list(texts)), embed(prompts))",
            answer="[labels[i] for i in scores.argmax(axis=0)]"),
    },
)

EXERCISES = [q1, q2, q3]
