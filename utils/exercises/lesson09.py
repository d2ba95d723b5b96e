"""Lesson 09 exercises: word labels → sub-token labels, BIO tags → strict IOB2 entities, strict entity scores.

Each grading draws new inputs: word-to-token maps in which most words are cut into several pieces and
neighbouring words have different labels (so labelling every piece, labelling the special tokens, taking the
last piece or the neighbour's label all show); tag sequences with stray ``I-`` tags, two entities of one type
side by side, an entity that ends the sentence and a ``B-X`` followed by ``I-Y``; and gold/predicted sentences
whose mistakes are a wrong type, a wrong boundary and an entity that starts with ``I-``, which token accuracy,
the lenient mode and type-blind matching each score differently.
"""
from __future__ import annotations

import numpy as np

from utils.grading import Exercise, Incorrect, expect
from utils.grading.plain import describe

TYPES = ["PER", "LOC", "ORG", "MISC"]


# ------------------------------------------------------------------------------------------ q1
def _align_cases(rng):
    cases = []
    for _ in range(5):
        n_words = int(rng.integers(3, 8))
        pieces = rng.integers(1, 4, size=n_words)
        pieces[rng.choice(n_words, size=2, replace=False)] = rng.integers(2, 4, size=2)  # two or more split words
        word_ids = [None] + [w for w in range(n_words) for _ in range(int(pieces[w]))] + [None]
        labels, previous = [], -1
        for _ in range(n_words):  # neighbours differ, so a shifted label shows
            label = int(rng.choice([x for x in range(9) if x != previous]))
            labels.append(label)
            previous = label
        cases.append({"word_ids": word_ids, "word_labels": labels})
    return cases


def _run_align(align_labels, case):
    out = align_labels(list(case["word_ids"]), list(case["word_labels"]))
    expect(isinstance(out, (list, tuple, np.ndarray)), f"return a list of ints, got {describe(out, 80)}")
    return [int(x) for x in out]


def _expected_align(case):
    from utils.ner import align_labels

    return align_labels(case["word_ids"], case["word_labels"])


def _compare_align(got, want, case):
    where = f"word_ids={case['word_ids']}, word_labels={case['word_labels']}"
    expect(len(got) == len(want), f"{where}: you returned {len(got)} labels for {len(want)} tokens (one per token)")
    for i, (g, w, word) in enumerate(zip(got, want, case["word_ids"])):
        if g == w:
            continue
        if word is None:
            raise Incorrect(f"{where}: token {i} is a special token (word id None) and should be -100, not {g}")
        if w == -100:
            raise Incorrect(f"{where}: token {i} is a later piece of word {word} and should be -100 (only the first "
                            f"piece carries the label), not {g}")
        raise Incorrect(f"{where}: token {i} is the first piece of word {word}, whose label is "
                        f"{case['word_labels'][word]}; you gave {g}")


q1 = Exercise(
    "q1", points=1, target="align_labels",
    cases=_align_cases, run=_run_align, expected=_expected_align, compare=_compare_align,
    hints=[
        "Walk over `word_ids` remembering the previous word id: `None` → -100; a word id different from the "
        "previous one → that word's label; the same word id again → -100.",
        "`labels.append(word_labels[w] if w is not None and w != previous else -100)`, then `previous = w`.",
    ],
    wrong={
        "every piece labelled": (
            "def align_labels(word_ids, word_labels):\n"
            "    return [-100 if w is None else word_labels[w] for w in word_ids]\n"),
        "special tokens labelled 0": (
            "def align_labels(word_ids, word_labels):\n"
            "    out, prev = [], None\n"
            "    for w in word_ids:\n"
            "        out.append(0 if w is None else (word_labels[w] if w != prev else -100))\n"
            "        prev = w\n"
            "    return out\n"),
        "the previous word's label": (
            "def align_labels(word_ids, word_labels):\n"
            "    out, prev = [], None\n"
            "    for w in word_ids:\n"
            "        out.append(word_labels[w - 1] if w is not None and w != prev else -100)\n"
            "        prev = w\n"
            "    return out\n"),
        "the last piece instead of the first": (
            "def align_labels(word_ids, word_labels):\n"
            "    out = []\n"
            "    for i, w in enumerate(word_ids):\n"
            "        nxt = word_ids[i + 1] if i + 1 < len(word_ids) else None\n"
            "        out.append(word_labels[w] if w is not None and w != nxt else -100)\n"
            "    return out\n"),
    },
)


# ------------------------------------------------------------------------------------------ q2
def _entity(rng, kind=None, length=None):
    kind = kind or str(rng.choice(TYPES))
    length = length or int(rng.integers(1, 4))
    return [f"B-{kind}"] + [f"I-{kind}"] * (length - 1)


def _tags(rng, trap):
    """A sentence of 6-12 tags built around one trap."""
    tags = []
    if trap == "stray I":
        tags += ["O"] * int(rng.integers(0, 2)) + [f"I-{rng.choice(TYPES)}"] * int(rng.integers(1, 3))
    tags += ["O"] * int(rng.integers(1, 3)) + _entity(rng)
    if trap == "two side by side":
        kind = str(rng.choice(TYPES))
        tags += ["O"] + _entity(rng, kind) + _entity(rng, kind)
    if trap == "B-X then I-Y":
        a, b = rng.choice(TYPES, size=2, replace=False)
        tags += ["O"] + [f"B-{a}"] + [f"I-{b}"] * int(rng.integers(1, 3))
    tags += ["O"] * int(rng.integers(1, 3))
    if trap == "entity at the end":
        tags += _entity(rng)
    return tags


def _entities_cases(rng):
    traps = ["stray I", "two side by side", "B-X then I-Y", "entity at the end"]
    return [{"tags": _tags(rng, str(t))} for t in rng.permutation(traps + traps[:2])]


def _run_entities(bio_entities, case):
    out = bio_entities(list(case["tags"]))
    expect(isinstance(out, (list, tuple)), f"return a list of (type, start, end), got {describe(out, 80)}")
    rows = []
    for e in out:
        expect(isinstance(e, (list, tuple)) and len(e) == 3, f"each entity is (type, start, end), got {describe(e, 80)}")
        rows.append([str(e[0]), int(e[1]), int(e[2])])
    return rows


def _expected_entities(case):
    from utils.ner import entities

    return [list(e) for e in entities(case["tags"], strict=True)]


def _compare_entities(got, want, case):
    where = f"tags {case['tags']}"
    got_t, want_t = [tuple(e) for e in got], [tuple(e) for e in want]
    if got_t == want_t:
        return
    expect(sorted(got_t) != sorted(want_t), f"{where}: the right entities in the wrong order; list them left to right")
    extra, missing = [e for e in got_t if e not in want_t], [e for e in want_t if e not in got_t]
    if extra:
        kind, start, end = extra[0]
        if case["tags"][start].startswith("I-"):
            raise Incorrect(f"{where}: you returned {extra[0]}, which starts at the stray tag {case['tags'][start]!r}; "
                            "in strict IOB2 an entity starts only at B-, so a stray I- tag is no entity")
        raise Incorrect(f"{where}: {extra[0]} is not an entity here (end is exclusive: the entity is tags[start:end]); "
                        f"expected {want_t}")
    raise Incorrect(f"{where}: you missed {missing[0]}; expected {want_t}")


_Q2 = ("def bio_entities(tags):\n"
       "    found, start, kind = [], None, None\n"
       "    for i, tag in enumerate(tags):\n"
       "        if start is not None and tag != 'I-' + kind:\n"
       "            found.append((kind, start, i))\n"
       "            start = None\n"
       "        if tag.startswith('B-'):\n"
       "            start, kind = i, tag[2:]\n"
       "    if start is not None:\n"
       "        found.append((kind, start, len(tags)))\n"
       "    return found\n")

q2 = Exercise(
    "q2", points=1, target="bio_entities",
    cases=_entities_cases, run=_run_entities, expected=_expected_entities, compare=_compare_entities,
    hints=[
        "Keep the start and type of the entity you are inside (or None). At each tag: if you are inside an entity "
        "and the tag is not `I-` of the same type, the entity ends here (end = this position, exclusive).",
        "Only a `B-` tag opens an entity; a stray `I-` opens nothing. After the loop, close an entity that is "
        "still open at `len(tags)`.",
    ],
    wrong={
        "lenient: a stray I- starts an entity": _Q2.replace(
            "        if tag.startswith('B-'):\n",
            "        if tag.startswith('B-') or (tag.startswith('I-') and start is None):\n"),
        "B-X B-X merged": _Q2.replace("tag != 'I-' + kind", "tag[2:] != kind"),
        "the last entity dropped": _Q2.replace("    if start is not None:\n        found.append((kind, start, len(tags)))\n",
                                               ""),
        "end inclusive": _Q2.replace("found.append((kind, start, i))", "found.append((kind, start, i - 1))").replace(
            "found.append((kind, start, len(tags)))", "found.append((kind, start, len(tags) - 1))"),
    },
)


# ------------------------------------------------------------------------------------------ q3
def _mistake(rng, tags, how):
    """One prediction error in a copy of ``tags``."""
    from utils.ner import entities

    pred = list(tags)
    found = entities(tags)
    kind, start, end = found[int(rng.integers(0, len(found)))]
    if how == "type":
        other = str(rng.choice([t for t in TYPES if t != kind]))
        pred[start:end] = [f"B-{other}"] + [f"I-{other}"] * (end - start - 1)
    elif how == "I start":
        pred[start] = f"I-{kind}"
    elif how == "boundary":
        if end - start > 1:
            pred[end - 1] = "O"
        else:
            pred[start:start + 1] = [f"B-{kind}"]
            if end < len(pred) and pred[end] == "O":
                pred[end] = f"I-{kind}"
            elif start > 0 and pred[start - 1] == "O":
                pred[start - 1], pred[start] = f"B-{kind}", f"I-{kind}"
    elif how == "missed":
        pred[start:end] = ["O"] * (end - start)
    return pred


def _score_cases(rng):
    cases = []
    for _ in range(3):
        gold, pred = [], []
        mistakes = ["type", "I start", "boundary", "missed", "none", "none"] + list(
            rng.choice(["type", "I start", "boundary", "none"], size=int(rng.integers(0, 3))))
        for how in rng.permutation(mistakes):
            tags = ["O"] * int(rng.integers(0, 3))
            for _ in range(int(rng.integers(1, 3))):
                tags += _entity(rng, length=int(rng.integers(1, 4))) + ["O"] * int(rng.integers(1, 3))
            gold.append(tags)
            pred.append(_mistake(rng, tags, str(how)))
        cases.append({"gold": gold, "pred": pred})
    return cases


def _run_scores(entity_scores, case):
    out = entity_scores([list(s) for s in case["gold"]], [list(s) for s in case["pred"]])
    expect(isinstance(out, (list, tuple)) and len(out) == 3,
           f"return (precision, recall, f1), got {describe(out, 80)}")
    return [float(x) for x in out]


def _expected_scores(case):
    from utils.ner import scores

    s = scores(case["gold"], case["pred"], strict=True)
    return [s["precision"], s["recall"], s["f1"]]


def _compare_scores(got, want, case):
    from utils.ner import scores

    where = f"on {len(case['gold'])} sentences"
    if np.allclose(got, want, atol=1e-6):
        return
    lenient = scores(case["gold"], case["pred"], strict=False)
    if np.allclose(got, [lenient["precision"], lenient["recall"], lenient["f1"]], atol=1e-6):
        raise Incorrect(f"{where}: you returned seqeval's lenient scores {np.round(got, 4).tolist()}; in strict IOB2 "
                        "an entity predicted from an I- tag is no entity: expected "
                        f"{np.round(want, 4).tolist()}")
    names = ("precision", "recall", "f1")
    wrong = next(n for n, g, w in zip(names, got, want) if abs(g - w) > 1e-6)
    raise Incorrect(f"{where}: {wrong} {got[names.index(wrong)]:.4f}, expected {want[names.index(wrong)]:.4f} "
                    f"(exact entities: type and both boundaries; expected (P, R, F1) = {np.round(want, 4).tolist()})")


q3 = Exercise(
    "q3", points=1, target="entity_scores",
    cases=_score_cases, run=_run_scores, expected=_expected_scores, compare=_compare_scores,
    hints=[
        "Collect every gold entity and every predicted entity as (sentence number, type, start, end) — your "
        "`bio_entities` gives the last three. An entity is correct when the same tuple is in both sets.",
        "precision = correct / predicted, recall = correct / gold, F1 = 2PR / (P + R); or seqeval's "
        "`precision_score`, `recall_score`, `f1_score` with `mode=\"strict\", scheme=IOB2`.",
    ],
    wrong={
        "token-level": (
            "def entity_scores(gold, pred):\n"
            "    g = [(i, j, t[2:]) for i, s in enumerate(gold) for j, t in enumerate(s) if t != 'O']\n"
            "    p = [(i, j, t[2:]) for i, s in enumerate(pred) for j, t in enumerate(s) if t != 'O']\n"
            "    c = len(set(g) & set(p))\n"
            "    pr, rc = c / len(p), c / len(g)\n"
            "    return pr, rc, 2 * pr * rc / (pr + rc)\n"),
        "lenient mode": (
            "from seqeval.metrics import precision_score, recall_score, f1_score\n"
            "def entity_scores(gold, pred):\n"
            "    return precision_score(gold, pred), recall_score(gold, pred), f1_score(gold, pred)\n"),
        "type ignored": (
            "from seqeval.scheme import IOB2, Entities\n"
            "def entity_scores(gold, pred):\n"
            "    g = {(e.sent_id, e.start, e.end) for s in Entities(gold, IOB2).entities for e in s}\n"
            "    p = {(e.sent_id, e.start, e.end) for s in Entities(pred, IOB2).entities for e in s}\n"
            "    c = len(g & p)\n"
            "    pr, rc = c / len(p), c / len(g)\n"
            "    return pr, rc, 2 * pr * rc / (pr + rc)\n"),
    },
)

EXERCISES = [q1, q2, q3]
