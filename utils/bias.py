"""Bias: the course's labelled bias set, counterfactual swaps, flip rates, per-slice scores, probes.

Lesson 11 and its checks use it::

    pairs = read_pairs("data/bias/pairs")            # one dict per hand-written (biased, neutral) pair
    splits = split_pairs(pairs)                       # pair_id -> "train" | "validation" | "test"
    swap_terms("He thanked the Democrats.", PARTY_SWAPS + GENDER_SWAPS)   # 'She thanked the Republicans.'
    flip_rate(p_before, p_after)                      # share of predictions that cross the threshold
    slice_f1(y_true, y_pred, groups)                  # {group: binary F1 of class 1}

The set itself is described in ``data/bias/README.md``; ``utils.data.load("bias")`` serves it in the
fast profile (BABE in the full one), and :func:`course_set` serves it in both.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

LABEL_NAMES = ["non-biased", "biased"]  # the order of BABE's integer labels (utils.data.BABE_NAMES)
DIRECTIONS = ("left", "right")
SPLIT_FRACTIONS = {"train": 0.70, "validation": 0.15, "test": 0.15}
FIELDS = {"pair_id", "topic", "direction", "biased", "neutral", "loaded_words"}

# Counterfactual swaps: each pair is swapped in both directions at once (lower case; the case of the
# matched word is kept). A word may appear in one pair only, so that every swap is its own inverse.
PARTY_SWAPS = [("democrats", "republicans"), ("democratic", "republican"), ("liberals", "conservatives"),
               ("liberal", "conservative")]
# "her" is both "his" and "him": it becomes "his", and "him" is left alone (a known limit of word swaps).
GENDER_SWAPS = [("he", "she"), ("his", "her"), ("himself", "herself"), ("man", "woman"),
                ("men", "women"), ("mr.", "ms."), ("father", "mother"), ("fathers", "mothers"),
                ("son", "daughter"), ("sons", "daughters"), ("congressman", "congresswoman"),
                ("chairman", "chairwoman"), ("spokesman", "spokeswoman"), ("businessman", "businesswoman")]
# first names (men's ↔ women's): those of the set's fictional politicians first, then common ones
NAME_SWAPS = [("rick", "rita"), ("ray", "rachel"), ("dale", "diane"), ("clay", "claire"), ("tom", "tina"),
              ("wade", "wendy"), ("marcus", "marsha"), ("renato", "renata"), ("leon", "lena"), ("james", "mary"),
              ("john", "linda"), ("michael", "jennifer"), ("david", "susan"), ("paul", "paula")]


# -- the course's set --------------------------------------------------------------------------------
def read_pairs_file(path: str | Path) -> list[dict]:
    """The pairs of one ``.jsonl`` file, one JSON object a line (blank lines skipped)."""
    pairs = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                pairs.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise ValueError(f"{Path(path).name}:{number}: {err}") from None
    return pairs


def read_pairs(folder: str | Path) -> list[dict]:
    """Every pair of ``folder/*.jsonl``, files in name order, lines in file order."""
    files = sorted(Path(folder).glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"{folder} holds no .jsonl files")
    return [pair for path in files for pair in read_pairs_file(path)]


def pair_problems(pair: dict) -> list[str]:
    """What is wrong with one pair (empty when nothing): fields, direction, loaded words."""
    problems = []
    if set(pair) != FIELDS:
        return [f"fields {sorted(pair)} are not {sorted(FIELDS)}"]
    if pair["direction"] not in DIRECTIONS:
        problems.append(f"direction {pair['direction']!r} is not one of {DIRECTIONS}")
    if not pair["loaded_words"]:
        problems.append("no loaded words marked")
    for word in pair["loaded_words"]:
        if word not in pair["biased"]:
            problems.append(f"loaded {word!r} is not in the biased sentence")
        if re.search(rf"(?<!\w){re.escape(word.lower())}(?!\w)", pair["neutral"].lower()):
            problems.append(f"loaded {word!r} is also in the neutral sentence")
    if pair["biased"].strip() == pair["neutral"].strip():
        problems.append("the two sentences are the same")
    return problems


def split_pairs(pairs: Sequence[dict], fractions: dict | None = None, seed: int = 0) -> dict[str, str]:
    """``pair_id -> split``: whole pairs go to one split, so a sentence's rewrite is never on the other side.

    Stratified by (topic, direction): in each cell the pairs (sorted by id) are shuffled with ``seed`` and
    cut at the rounded fractions (validation and test get at least one pair each when a cell has three or
    more). Deterministic: the same pairs give the same splits on every machine.
    """
    fractions = fractions or SPLIT_FRACTIONS
    cells = defaultdict(list)
    for pair in pairs:
        cells[(pair["topic"], pair["direction"])].append(pair["pair_id"])
    out = {}
    for key in sorted(cells):
        ids = sorted(cells[key])
        order = np.random.default_rng([seed, *map(ord, "/".join(key))]).permutation(len(ids))
        n_val = int(round(fractions["validation"] * len(ids)))
        n_test = int(round(fractions["test"] * len(ids)))
        if len(ids) >= 3:
            n_val, n_test = max(n_val, 1), max(n_test, 1)
        for rank, index in enumerate(order):
            out[ids[index]] = "test" if rank < n_test else "validation" if rank < n_test + n_val else "train"
    return out


def sentence_rows(pairs: Iterable[dict]) -> list[dict]:
    """Two rows per pair: the biased sentence (label 1, its loaded words) and the neutral one (label 0, none)."""
    rows = []
    for pair in pairs:
        common = {"topic": pair["topic"], "direction": pair["direction"], "pair_id": pair["pair_id"]}
        rows.append({"text": pair["biased"], "label": 1, **common, "loaded_words": list(pair["loaded_words"])})
        rows.append({"text": pair["neutral"], "label": 0, **common, "loaded_words": []})
    return rows


def course_set():
    """The course's own bias set as a DatasetDict, in **both** profiles (``load("bias")`` gives BABE in the
    full profile): for the cells that need its pairs, topics, directions and loaded words."""
    from utils.data import bias

    return bias()


# -- counterfactual swaps ------------------------------------------------------------------------------
def match_case(model: str, word: str) -> str:
    """``word`` written in the case pattern of ``model``: UPPER, Capitalised or as given."""
    if len(model) > 1 and model.isupper():
        return word.upper()
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def swap_terms(text: str, pairs: Sequence[tuple[str, str]]) -> str:
    """Swap every term of ``pairs`` with its partner, both ways at once, whole words only, case kept.

    One regular-expression pass: "he" in "the" is left alone, a swapped word is never swapped back, and
    "He" → "She", "DEMOCRATS" → "REPUBLICANS". Terms match case-insensitively; the longest term wins.
    """
    mapping = {}
    for a, b in pairs:
        for src, dst in ((a, b), (b, a)):
            if mapping.setdefault(src.lower(), dst.lower()) != dst.lower():
                raise ValueError(f"{src!r} is in two swap pairs")
    if not mapping:
        return text
    alternatives = "|".join(re.escape(term) for term in sorted(mapping, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    return pattern.sub(lambda m: match_case(m.group(0), mapping[m.group(0).lower()]), text)


def counterfactuals(texts: Sequence[str], pairs: Sequence[tuple[str, str]]) -> tuple[list[int], list[str]]:
    """``(indices, swapped texts)`` of the texts that the swap changes (the others have nothing to swap)."""
    swapped = [swap_terms(t, pairs) for t in texts]
    keep = [i for i, (a, b) in enumerate(zip(texts, swapped)) if a != b]
    return keep, [swapped[i] for i in keep]


# -- measures ------------------------------------------------------------------------------------------------
def flip_rate(before: Sequence[float], after: Sequence[float], threshold: float = 0.5) -> float:
    """Share of items whose decision (probability ≥ ``threshold``) differs before and after an edit."""
    before, after = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    if before.shape != after.shape or before.size == 0:
        raise ValueError(f"need two non-empty arrays of the same shape, got {before.shape} and {after.shape}")
    return float(np.mean((before >= threshold) != (after >= threshold)))


def mean_shift(before: Sequence[float], after: Sequence[float]) -> tuple[float, float]:
    """``(mean signed change, mean absolute change)`` of the probabilities."""
    diff = np.asarray(after, dtype=float) - np.asarray(before, dtype=float)
    return float(diff.mean()), float(np.abs(diff).mean())


def binary_scores(y_true: Sequence[int], y_pred: Sequence[int]) -> dict[str, float]:
    """Accuracy, binary F1 of class 1 (biased) and macro-F1 over both classes (scikit-learn)."""
    from sklearn.metrics import accuracy_score, f1_score

    return {"accuracy": float(accuracy_score(y_true, y_pred)), "f1": float(f1_score(y_true, y_pred, zero_division=0)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0))}


def class_probs(model, tokenizer, texts: Sequence[str], max_length: int = 128, target: int = 1) -> np.ndarray:
    """A sequence classifier's probability of class ``target`` for each text (batched, any lengths)."""
    from utils.attention import probabilities

    if len(texts) == 0:
        return np.zeros(0)
    ids = [tokenizer(t, truncation=True, max_length=max_length)["input_ids"] for t in texts]
    was_training = model.training
    model.eval()
    try:
        return probabilities(model, ids)[:, target]
    finally:
        model.train(was_training)


def slice_f1(y_true: Sequence[int], y_pred: Sequence[int], groups: Sequence[str]) -> dict[str, float]:
    """Binary F1 (class 1) within each group, every group present (0.0 where it has no positive at all)."""
    from sklearn.metrics import f1_score

    y_true, y_pred, groups = np.asarray(y_true), np.asarray(y_pred), np.asarray(groups)
    return {str(g): float(f1_score(y_true[groups == g], y_pred[groups == g], zero_division=0))
            for g in sorted(set(groups.tolist()))}


def slice_table(y_true: Sequence[int], y_pred: Sequence[int], groups: Sequence[str]):
    """A DataFrame, one row per group: sentences, accuracy, binary F1, macro-F1."""
    import pandas as pd
    from sklearn.metrics import accuracy_score, f1_score

    y_true, y_pred, groups = np.asarray(y_true), np.asarray(y_pred), np.asarray(groups)
    rows = []
    for g in sorted(set(groups.tolist())):
        t, p = y_true[groups == g], y_pred[groups == g]
        rows.append({"slice": g, "sentences": len(t), "accuracy": accuracy_score(t, p),
                     "f1": f1_score(t, p, zero_division=0),
                     "macro_f1": f1_score(t, p, average="macro", zero_division=0)})
    return pd.DataFrame(rows).set_index("slice")


def loaded_lexicon(loaded_words: Iterable[Sequence[str]]) -> set[str]:
    """The loaded words and phrases marked in a split, lower-cased."""
    return {w.lower() for words in loaded_words for w in words}


def lexicon_predict(texts: Sequence[str], lexicon: set[str]) -> np.ndarray:
    """1 for a text that contains any lexicon entry as whole words (case-insensitive), else 0."""
    if not lexicon:
        return np.zeros(len(texts), dtype=int)
    alternatives = "|".join(re.escape(w) for w in sorted(lexicon, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    return np.array([int(bool(pattern.search(t))) for t in texts])


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def word_scores(tokens: Sequence[str], scores: Sequence[float], special: Sequence[bool]) -> list[tuple[str, float]]:
    """WordPiece tokens and their scores → ``(word, summed score)``; "##" pieces join the word before them,
    special tokens and pure punctuation are dropped."""
    words: list[list] = []
    for token, score, is_special in zip(tokens, scores, special):
        if is_special:
            continue
        if token.startswith("##") and words:
            words[-1][0] += token[2:]
            words[-1][1] += float(score)
        else:
            words.append([token, float(score)])
    return [(w, s) for w, s in words if re.search(r"[a-z0-9]", w.lower())]


def loaded_word_set(loaded: Sequence[str]) -> set[str]:
    """The lower-case words (letters and digits) of loaded words and phrases: "Soft-on-crime" → soft, on, crime."""
    return {w for phrase in loaded for w in _words(phrase)}


def top_word_hit(words: Sequence[tuple[str, float]], loaded: Sequence[str]) -> tuple[bool, float]:
    """``(the top-scored word is part of a loaded word or phrase, the chance of that for a random word)``."""
    loaded_words = loaded_word_set(loaded)
    if not words:
        return False, 0.0
    top = max(words, key=lambda ws: ws[1])[0].lower()
    chance = float(np.mean([w.lower() in loaded_words for w, _ in words]))
    return top in loaded_words, chance


# -- probes of a model ----------------------------------------------------------------------------------------
OCCUPATIONS = ["nurse", "engineer", "secretary", "surgeon", "teacher", "pilot", "librarian", "mechanic",
               "receptionist", "programmer", "housekeeper", "firefighter", "dancer", "plumber", "judge", "chef"]
GENDER_TEMPLATES = ["The {occupation} said that {mask} would be late today.",
                    "The {occupation} finished the shift, and then {mask} went home.",
                    "Everyone agreed that {mask} was a good {occupation}."]


def pronoun_probe(fill_mask, occupations: Sequence[str] = OCCUPATIONS, templates: Sequence[str] = GENDER_TEMPLATES,
                  targets: tuple[str, str] = ("he", "she")):
    """For each occupation, the fill-mask model's P(he) and P(she) at the masked pronoun, averaged over the
    templates, and ``he_share`` = P(he) / (P(he) + P(she)) (0.5: no preference). A DataFrame by occupation."""
    import pandas as pd

    mask = fill_mask.tokenizer.mask_token
    texts = [t.format(occupation=o, mask=mask) for o in occupations for t in templates]
    outputs = fill_mask(texts, targets=list(targets))
    rows = []
    for i, out in enumerate(outputs):
        scores = {d["token_str"].strip(): d["score"] for d in out}
        rows.append({"occupation": occupations[i // len(templates)],
                     **{f"p_{t}": scores.get(t, 0.0) for t in targets}})
    table = pd.DataFrame(rows).groupby("occupation", sort=False).mean()
    a, b = (f"p_{t}" for t in targets)
    table[f"{targets[0]}_share"] = table[a] / (table[a] + table[b])
    return table


def group_scores(score: Callable[[list[str]], np.ndarray], templates: Sequence[str], groups: dict[str, Sequence[str]]):
    """``score(texts) -> probabilities`` for each template filled with each term (``{term}``) of each group:
    a DataFrame with the mean probability per group and template, and a ``mean`` column."""
    import pandas as pd

    table = {}
    for group, terms in groups.items():
        texts = [t.format(term=term) for t in templates for term in terms]
        probs = np.asarray(score(texts), dtype=float).reshape(len(templates), len(terms))
        table[group] = probs.mean(axis=1)
    frame = pd.DataFrame(table, index=[f"template {i + 1}" for i in range(len(templates))]).T
    frame["mean"] = frame.mean(axis=1)
    return frame
