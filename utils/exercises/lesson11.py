"""Lesson 11 exercises: a counterfactual word swap, the flip rate of a classifier's decisions, F1 per slice.

Each grading draws new inputs: sentences in which the swapped words also hide inside other words ("he" in
"the", "she" and "then"), appear capitalised, in capitals and on both sides of a pair in one sentence;
probabilities before and after an edit that move a lot without crossing the threshold, cross it by a
hair, sit exactly on it, under thresholds other than 0.5; and slices of drawn sizes, one of them without
any biased sentence (its F1 is 0) and slices where accuracy and F1 disagree.
"""
from __future__ import annotations

import re

import numpy as np

from utils.grading import Exercise, Incorrect, close, expect
from utils.grading.plain import describe

# -- Exercise 1: a counterfactual swap -----------------------------------------------------------------
PAIR_POOL = [("he", "she"), ("his", "her"), ("democrats", "republicans"), ("liberal", "conservative"),
             ("man", "woman"), ("senator", "governor")]
SENTENCES = [
    "He said the Democrats would vote, then she left.",
    "She thanked the Republicans; he did not.",
    "THE DEMOCRATS AND REPUBLICANS AGREED, HE SAID.",
    "Then the man told the woman that his plan was liberal.",
    "Her conservative neighbour called the senator, and the governor called him back.",
    "The theme of the Senator's speech was the shelter she built.",
    "A Liberal mayor and a Conservative council: the woman's story, her words.",
    "Whether the manager likes the Democrats' ideas, the chairman says he never heard them.",
    "She and he; his and her; Democrats and Republicans.",
    "Governor Lane praised the Man of the Year, then thanked the republicans.",
]


def _swap_cases(rng):
    cases = []
    for size in (3, 4, 5):
        pairs = [list(PAIR_POOL[i]) for i in rng.choice(len(PAIR_POOL), size=size, replace=False)]
        for i, pair in enumerate(pairs):
            if rng.random() < 0.5:
                pairs[i] = pair[::-1]  # either word of a pair may come first
        if not any(p for p in pairs if "he" in p):
            pairs[0] = ["he", "she"] if rng.random() < 0.5 else ["she", "he"]
        picked = rng.choice(len(SENTENCES), size=3, replace=False)
        text = " ".join(SENTENCES[i] for i in picked)
        cases.append({"text": text + " " + SENTENCES[2 if 2 not in picked else 0], "pairs": pairs})
    return cases


def _run_swap(swap_terms, case):
    out = swap_terms(case["text"], [tuple(p) for p in case["pairs"]])
    expect(isinstance(out, str), f"swap_terms should return a str, got {describe(out, 60)}")
    return out


def _expected_swap(case):
    from utils.bias import swap_terms

    return swap_terms(case["text"], [tuple(p) for p in case["pairs"]])


def _first_difference(got: str, want: str) -> str:
    got_words, want_words = got.split(), want.split()
    for index, (g, w) in enumerate(zip(got_words, want_words)):
        if g != w:
            return f"word {index + 1}: you wrote {g!r}, expected {w!r}"
    return f"you returned {len(got_words)} words, expected {len(want_words)}"


def _compare_swap(got, want, case):
    if got == want:
        return
    where = f"for pairs {[tuple(p) for p in case['pairs']]} and the text {case['text']!r}"
    if got.lower() == want.lower():
        raise Incorrect(f"{where}: the right words, but the case is lost ({_first_difference(got, want)}); a "
                        "capitalised word gives a capitalised partner, a word in capitals its partner in capitals")
    tokens_got, tokens_want = re.findall(r"\w+", got.lower()), re.findall(r"\w+", want.lower())
    if len(tokens_got) == len(tokens_want) and set(tokens_got) < set(tokens_want):
        raise Incorrect(f"{where}: some words were swapped and then swapped back, or one side of a pair is never "
                        f"replaced ({_first_difference(got, want)}); replace both ways in a single pass")
    raise Incorrect(f"{where}: {_first_difference(got, want)} (whole words only: 'he' inside 'the' or 'she' stays)")


# -- Exercise 2: flip rate ----------------------------------------------------------------------------------
def _flip_cases(rng):
    cases = []
    for threshold in (0.5, float(rng.choice([0.3, 0.35, 0.65, 0.7]))):
        n = int(rng.integers(10, 18))
        before = rng.uniform(0, 1, size=n)
        after = np.clip(before + rng.normal(scale=0.25, size=n), 0, 1)
        extra_before = [threshold, threshold + 0.3, threshold - 0.02, threshold + 0.01, 0.98, threshold + 0.2]
        extra_after = [threshold + 0.1, threshold + 0.01, threshold + 0.02, threshold - 0.01, threshold + 0.05,
                       threshold - 0.1]
        # on the threshold (no flip), large moves that stay on one side, hairline crossings both ways
        before = np.concatenate([before, extra_before])
        after = np.concatenate([after, extra_after])
        order = rng.permutation(len(before))
        cases.append({"before": np.round(before[order], 4).tolist(), "after": np.round(after[order], 4).tolist(),
                      "threshold": threshold})
    return cases


def _run_flip(flip_rate, case):
    out = flip_rate(np.array(case["before"]), np.array(case["after"]), case["threshold"])
    try:
        return float(out)
    except (TypeError, ValueError):
        raise Incorrect(f"flip_rate should return one number, got {describe(out, 60)}") from None


def _expected_flip(case):
    from utils.bias import flip_rate

    return flip_rate(case["before"], case["after"], case["threshold"])


def _compare_flip(got, want, case):
    before, after, t = np.array(case["before"]), np.array(case["after"]), case["threshold"]
    where = f"for {len(before)} sentences and threshold {t}"
    crossed = (before >= t) != (after >= t)
    mistakes = {
        "you count every change of probability; a flip is a change of decision (crossing the threshold)":
            np.mean(before != after),
        "you count large changes; a flip is a change of decision, however small the change of probability":
            np.mean(np.abs(after - before) > 0.1),
        "you divide by the sentences predicted biased before the edit; divide by all sentences":
            crossed.sum() / max((before >= t).sum(), 1),
        "you count only biased → non-biased flips; count both directions":
            np.mean((before >= t) & (after < t)),
        "you count only non-biased → biased flips; count both directions":
            np.mean((before < t) & (after >= t)),
        "a probability equal to the threshold counts as biased (≥), not as non-biased":
            np.mean((before > t) != (after > t)),
        "you use 0.5; use the threshold passed in": np.mean((before >= 0.5) != (after >= 0.5)),
        "you return the number of flips; return their share (a fraction between 0 and 1)": crossed.sum(),
    }
    for why, value in mistakes.items():
        if np.isclose(got, value) and not np.isclose(value, want):
            raise Incorrect(f"{where}: {why} (got {got:.4f}, expected {want:.4f})")
    close(got, want, what=f"the flip rate {where}", atol=1e-9)


# -- Exercise 3: F1 per slice ---------------------------------------------------------------------------------
SLICE_NAMES = ["economy", "taxes", "guns", "labor", "education", "left", "right", "technology"]


def _slice_cases(rng):
    cases = []
    for _ in range(2):
        names = [str(s) for s in rng.choice(SLICE_NAMES, size=int(rng.integers(3, 6)), replace=False)]
        y_true, y_pred, groups = [], [], []
        for index, name in enumerate(names):
            n = int(rng.integers(6, 12))
            if index == 0:  # no biased sentence at all, a few false alarms: F1 0, accuracy high
                truth = np.zeros(n, dtype=int)
                pred = (np.arange(n) < 2).astype(int)
            else:
                truth = (rng.random(n) < rng.uniform(0.2, 0.5)).astype(int)
                truth[0] = 1
                pred = np.where(rng.random(n) < 0.7, truth, 1 - truth)
            y_true += truth.tolist()
            y_pred += pred.tolist()
            groups += [name] * n
        order = rng.permutation(len(groups))
        cases.append({"y_true": [y_true[i] for i in order], "y_pred": [y_pred[i] for i in order],
                      "groups": [groups[i] for i in order]})
    return cases


def _run_slices(slice_f1, case):
    out = slice_f1(list(case["y_true"]), list(case["y_pred"]), list(case["groups"]))
    expect(isinstance(out, dict), f"slice_f1 should return a dict {{slice: F1}}, got {describe(out, 60)}")
    try:
        return {str(k): float(v) for k, v in out.items()}
    except (TypeError, ValueError):
        raise Incorrect(f"the values should be numbers (one F1 per slice), got {describe(out, 80)}") from None


def _expected_slices(case):
    from utils.bias import slice_f1

    return slice_f1(case["y_true"], case["y_pred"], case["groups"])


def _compare_slices(got, want, case):
    from sklearn.metrics import accuracy_score, f1_score

    missing, extra = set(want) - set(got), set(got) - set(want)
    expect(not missing, f"slices {sorted(missing)} are missing: every group in `groups` gets an F1 (0.0 for a slice "
                        "without any biased sentence)")
    expect(not extra, f"slices {sorted(extra)} are not groups of the input")
    y_true, y_pred, groups = (np.asarray(case[k]) for k in ("y_true", "y_pred", "groups"))
    overall = f1_score(y_true, y_pred, zero_division=0)
    for name in want:
        t, p = y_true[groups == name], y_pred[groups == name]
        where = f"slice {name!r} ({len(t)} sentences, {int(t.sum())} biased)"
        mistakes = {
            "that is the accuracy (micro-F1 equals accuracy here); compute the binary F1 of the biased class":
                accuracy_score(t, p),
            "that is the macro-F1 over both classes; compute the binary F1 of the biased class (1)":
                f1_score(t, p, average="macro", zero_division=0),
            "that is the F1 of the non-biased class (0); the biased class is 1":
                f1_score(t, p, pos_label=0, zero_division=0),
            "that is the F1 over all sentences; compute it within the slice": overall,
        }
        if np.isclose(got[name], want[name]):
            continue
        for why, value in mistakes.items():
            if np.isclose(got[name], value):
                raise Incorrect(f"{where}: {why} (got {got[name]:.3f}, expected {want[name]:.3f})")
        raise Incorrect(f"{where}: F1 {got[name]:.3f}, expected {want[name]:.3f}")


# -- declarations --------------------------------------------------------------------------------------------------
def _swap_answer(body: str) -> str:
    return "import re\ndef swap_terms(text, pairs):\n" + body


q1 = Exercise(
    "q1", points=2, target="swap_terms",
    cases=_swap_cases, run=_run_swap, expected=_expected_swap, compare=_compare_swap,
    hints=[
        "Build one dictionary that maps each word to its partner and each partner back, then make ONE pass "
        "with `re.sub` and a function as the replacement: a word replaced once is never looked at again.",
        "Pattern: `r'\\b(' + '|'.join(map(re.escape, mapping)) + r')\\b'` with `flags=re.IGNORECASE`; in the "
        "replacement function, look up `match.group(0).lower()` and copy the case of the matched word.",
    ],
    wrong={
        "substring replacement (no word boundaries)": _swap_answer(
            "    mapping = {}\n"
            "    for a, b in pairs:\n"
            "        mapping[a.lower()], mapping[b.lower()] = b.lower(), a.lower()\n"
            "    def repl(m):\n"
            "        w, r = m.group(0), mapping[m.group(0).lower()]\n"
            "        return r.upper() if len(w) > 1 and w.isupper() else r[:1].upper() + r[1:] if w[0].isupper() else r\n"
            "    alternatives = '|'.join(sorted(map(re.escape, mapping), key=len, reverse=True))\n"
            "    return re.sub(alternatives, repl, text, flags=re.IGNORECASE)\n"),
        "sequential replacement that swaps back": _swap_answer(
            "    def fix(w, r):\n"
            "        return r.upper() if len(w) > 1 and w.isupper() else r[:1].upper() + r[1:] if w[0].isupper() else r\n"
            "    for a, b in pairs:\n"
            "        text = re.sub(rf'\\b{re.escape(a)}\\b', lambda m: fix(m.group(0), b), text, flags=re.IGNORECASE)\n"
            "        text = re.sub(rf'\\b{re.escape(b)}\\b', lambda m: fix(m.group(0), a), text, flags=re.IGNORECASE)\n"
            "    return text\n"),
        "capitalisation lost": _swap_answer(
            "    mapping = {}\n"
            "    for a, b in pairs:\n"
            "        mapping[a.lower()], mapping[b.lower()] = b.lower(), a.lower()\n"
            "    alternatives = '|'.join(map(re.escape, mapping))\n"
            "    return re.sub(rf'\\b({alternatives})\\b', lambda m: mapping[m.group(0).lower()], text, flags=re.IGNORECASE)\n"),
        "case-sensitive: capitalised words not swapped": _swap_answer(
            "    mapping = {}\n"
            "    for a, b in pairs:\n"
            "        mapping[a], mapping[b] = b, a\n"
            "    alternatives = '|'.join(map(re.escape, mapping))\n"
            "    return re.sub(rf'\\b({alternatives})\\b', lambda m: mapping[m.group(0)], text)\n"),
        "str.replace with a placeholder": _swap_answer(
            "    for a, b in pairs:\n"
            "        text = text.replace(a, '\\0').replace(b, a).replace('\\0', b)\n"
            "    return text\n"),
    },
)

q2 = Exercise(
    "q2", points=1, target="flip_rate",
    cases=_flip_cases, run=_run_flip, expected=_expected_flip, compare=_compare_flip,
    hints=[
        "Turn each probability into a decision first: `before >= threshold` and `after >= threshold`.",
        "`np.mean((before >= threshold) != (after >= threshold))`: the share of sentences whose decision changed.",
    ],
    wrong={
        "any change of probability": "import numpy as np\ndef flip_rate(before, after, threshold):\n"
                                     "    return float(np.mean(np.asarray(before) != np.asarray(after)))\n",
        "a large change of probability": "import numpy as np\ndef flip_rate(before, after, threshold):\n"
                                         "    return float(np.mean(np.abs(np.asarray(after) - np.asarray(before)) > 0.1))\n",
        "divided by the biased-before count": (
            "import numpy as np\ndef flip_rate(before, after, threshold):\n"
            "    b, a = np.asarray(before) >= threshold, np.asarray(after) >= threshold\n"
            "    return float((b != a).sum() / b.sum())\n"),
        "one direction only": (
            "import numpy as np\ndef flip_rate(before, after, threshold):\n"
            "    return float(np.mean((np.asarray(before) >= threshold) & (np.asarray(after) < threshold)))\n"),
        "strict inequality": (
            "import numpy as np\ndef flip_rate(before, after, threshold):\n"
            "    return float(np.mean((np.asarray(before) > threshold) != (np.asarray(after) > threshold)))\n"),
        "threshold fixed at 0.5": (
            "import numpy as np\ndef flip_rate(before, after, threshold):\n"
            "    return float(np.mean((np.asarray(before) >= 0.5) != (np.asarray(after) >= 0.5)))\n"),
        "a count, not a share": (
            "import numpy as np\ndef flip_rate(before, after, threshold):\n"
            "    return int(((np.asarray(before) >= threshold) != (np.asarray(after) >= threshold)).sum())\n"),
    },
)

q3 = Exercise(
    "q3", points=1, target="slice_f1",
    cases=_slice_cases, run=_run_slices, expected=_expected_slices, compare=_compare_slices,
    hints=[
        "Loop over the distinct groups; for each, select the positions of that group in `y_true` and `y_pred`.",
        "`f1_score(t, p, zero_division=0)` is the binary F1 of class 1; a dict comprehension over "
        "`sorted(set(groups))` keeps every slice.",
    ],
    wrong={
        "accuracy per slice": (
            "import numpy as np\nfrom sklearn.metrics import accuracy_score\n"
            "def slice_f1(y_true, y_pred, groups):\n"
            "    t, p, g = map(np.asarray, (y_true, y_pred, groups))\n"
            "    return {s: accuracy_score(t[g == s], p[g == s]) for s in set(groups)}\n"),
        "micro-F1 per slice": (
            "import numpy as np\nfrom sklearn.metrics import f1_score\n"
            "def slice_f1(y_true, y_pred, groups):\n"
            "    t, p, g = map(np.asarray, (y_true, y_pred, groups))\n"
            "    return {s: f1_score(t[g == s], p[g == s], average='micro') for s in set(groups)}\n"),
        "macro-F1 per slice": (
            "import numpy as np\nfrom sklearn.metrics import f1_score\n"
            "def slice_f1(y_true, y_pred, groups):\n"
            "    t, p, g = map(np.asarray, (y_true, y_pred, groups))\n"
            "    return {s: f1_score(t[g == s], p[g == s], average='macro', zero_division=0) for s in set(groups)}\n"),
        "slices without a biased sentence missing": (
            "import numpy as np\nfrom sklearn.metrics import f1_score\n"
            "def slice_f1(y_true, y_pred, groups):\n"
            "    t, p, g = map(np.asarray, (y_true, y_pred, groups))\n"
            "    return {s: f1_score(t[g == s], p[g == s]) for s in set(g[t == 1].tolist())}\n"),
        "the overall F1 for every slice": (
            "from sklearn.metrics import f1_score\n"
            "def slice_f1(y_true, y_pred, groups):\n"
            "    return {s: f1_score(y_true, y_pred) for s in set(groups)}\n"),
    },
)

EXERCISES = [q1, q2, q3]
