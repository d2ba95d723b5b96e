"""Lesson 10 exercises: scores for ordered classes, class weights from label counts, a train × test transfer
table.

Each grading draws new inputs: five-class ordinal labels with a large majority class (so that micro-F1
and accuracy differ from macro-F1) and mistakes in both directions, some of them far off (so that a
signed mean cancels out); label lists of drawn sizes and class counts with a very rare class and a class
that never occurs (not the last one, so that dropping it shifts every later weight); and transfer
predictions for three or four domains whose quality differs by direction (so that a transposed table is
wrong) and whose test sets are imbalanced (so that accuracy differs from macro-F1).
"""
from __future__ import annotations

import numpy as np

from utils.grading import Exercise, Incorrect, close, expect
from utils.grading.plain import describe


# ------------------------------------------------------------------------------------------ q2 (class weights; the notebook asks for it second)
def _weight_cases(rng):
    cases = []
    for _ in range(3):
        k = int(rng.integers(4, 9))
        absent = int(rng.integers(1, k - 1))  # a class in the middle never occurs
        shares = rng.dirichlet(np.full(k, 0.7))
        shares[absent] = 0.0
        shares[int(rng.choice([c for c in range(k) if c != absent]))] += 0.8  # one large majority class
        shares /= shares.sum()
        n = int(rng.integers(40, 160))
        counts = np.floor(shares * n).astype(int)
        rare = [c for c in range(k) if c != absent and counts[c] == 0]
        counts[rare] = 1  # every other class occurs at least once
        labels = np.repeat(np.arange(k), counts)
        cases.append({"labels": rng.permutation(labels).tolist(), "num_classes": k})
    cases.append({"labels": rng.permutation([0] * 6 + [1] * 2 + [2] * 12).tolist(), "num_classes": 3})
    return [cases[i] for i in rng.permutation(len(cases))]


def _run_weights(class_weights_from_labels, case):
    out = class_weights_from_labels(list(case["labels"]), case["num_classes"])
    try:
        import torch

        if isinstance(out, torch.Tensor):
            out = out.detach().cpu().numpy()
    except ImportError:  # pragma: no cover
        pass
    try:
        return np.asarray(out, dtype=float).tolist()
    except (TypeError, ValueError):
        raise Incorrect(f"return one number per class (a list or array), got {describe(out, 80)}") from None


def _expected_weights(case):
    from utils.classification import class_weights

    return class_weights(case["labels"], case["num_classes"]).tolist()


def _compare_weights(got, want, case):
    labels, k = np.asarray(case["labels"]), case["num_classes"]
    counts = np.bincount(labels, minlength=k)
    where = f"for {len(labels)} labels of {k} classes with counts {counts.tolist()}"
    got_a = np.asarray(got, dtype=float)
    expect(got_a.ndim == 1 and len(got_a) == k, f"{where}: you returned {describe(got, 80)}; expected one weight for "
           f"each of the {k} class ids (0..{k - 1}), the absent classes included")
    expect(bool(np.all(np.isfinite(got_a))), f"{where}: your weights {np.round(got_a, 3).tolist()} are not all finite; "
           "a class that never occurs would divide by zero: give it weight 0")
    absent = counts == 0
    expect(bool(np.all(got_a[absent] == 0)), f"{where}: class(es) {np.flatnonzero(absent).tolist()} never occur; "
           f"give them weight 0 (you gave {np.round(got_a[absent], 3).tolist()})")
    want_a = np.asarray(want)
    if np.allclose(got_a, want_a, rtol=1e-5, atol=1e-8):
        return
    present = ~absent
    expect(not np.allclose(got_a, counts, rtol=1e-5), f"{where}: those are the raw counts; a weight must be larger "
           "for a rarer class (inverse frequency)")
    ratio = got_a[present] / want_a[present]
    if np.allclose(ratio, ratio[0], rtol=1e-5):
        total = float((counts * got_a).sum())
        raise Incorrect(f"{where}: the ratios between your weights are right but their scale is not: "
                        f"sum(count × weight) is {total:.4g}; normalise so that it equals the number of labels "
                        f"({len(labels)}): n / (k × count) with k the number of classes that occur")
    raise Incorrect(f"{where}: you returned {np.round(got_a, 4).tolist()}; expected {np.round(want_a, 4).tolist()}")


_Q1 = ("import numpy as np\n"
       "def class_weights_from_labels(labels, num_classes):\n"
       "    counts = np.bincount(labels, minlength=num_classes)\n"
       "    present = counts > 0\n"
       "    weights = np.zeros(num_classes)\n"
       "    weights[present] = len(labels) / (present.sum() * counts[present])\n"
       "    return weights\n")

q2 = Exercise(
    "q2", points=1, target="class_weights_from_labels",
    cases=_weight_cases, run=_run_weights, expected=_expected_weights, compare=_compare_weights,
    hints=[
        "`np.bincount(labels, minlength=num_classes)` counts every class id, the absent ones as 0.",
        "For the classes that occur: `len(labels) / (k * count)` with `k` the number of classes whose count is "
        "above 0; the others stay 0.",
    ],
    wrong={
        "raw counts": ("import numpy as np\n"
                       "def class_weights_from_labels(labels, num_classes):\n"
                       "    return np.bincount(labels, minlength=num_classes).astype(float)\n"),
        "1 / count, not normalised": _Q1.replace("len(labels) / (present.sum() * counts[present])",
                                                 "1.0 / counts[present]"),
        "k = num_classes, the absent class counted": _Q1.replace("present.sum() *", "num_classes *"),
        "absent classes dropped": ("import numpy as np\n"
                                   "def class_weights_from_labels(labels, num_classes):\n"
                                   "    counts = np.bincount(labels)\n"
                                   "    counts = counts[counts > 0]\n"
                                   "    return len(labels) / (len(counts) * counts)\n"),
        "divide by zero for an absent class": ("import numpy as np\n"
                                               "def class_weights_from_labels(labels, num_classes):\n"
                                               "    counts = np.bincount(labels, minlength=num_classes)\n"
                                               "    with np.errstate(divide='ignore'):\n"
                                               "        return len(labels) / (num_classes * counts)\n"),
    },
)


# ------------------------------------------------------------------------------------------ q1 (ordinal scores)
def _ordinal_cases(rng):
    cases = []
    for _ in range(3):
        n = int(rng.integers(60, 140))
        shares = np.array([0.08, 0.12, 0.55, 0.15, 0.10])
        shares = shares[rng.permutation(5)] if rng.random() < 0.5 else shares
        y_true = rng.choice(5, size=n, p=shares / shares.sum())
        y_true[:5] = np.arange(5)  # every class occurs
        shift = rng.choice([0, 0, 0, 1, -1, 2, -2, 3, -3], size=n, p=[.2, .15, .15, .13, .13, .08, .08, .04, .04])
        # mistakes both ways, some far off: a signed mean cancels them out
        y_pred = np.clip(y_true + shift, 0, 4)
        cases.append({"y_true": y_true.tolist(), "y_pred": y_pred.tolist()})
    return cases


KEYS = ("macro_f1", "mean_distance", "off_by_one", "off_by_more")


def _run_ordinal(ordinal_report, case):
    out = ordinal_report(list(case["y_true"]), list(case["y_pred"]))
    expect(isinstance(out, dict), f"return a dict with the keys {list(KEYS)}, got {describe(out, 80)}")
    missing = [k for k in KEYS if k not in out]
    expect(not missing, f"the dict you returned has no {missing} (keys: {sorted(map(str, out))})")
    try:
        return {k: float(out[k]) for k in KEYS}
    except (TypeError, ValueError):
        raise Incorrect(f"each value should be a number, got {describe(out, 120)}") from None


def _expected_ordinal(case):
    from utils.classification import ordinal_scores

    scores = ordinal_scores(case["y_true"], case["y_pred"])
    return {k: scores[k] for k in KEYS}


def _compare_ordinal(got, want, case):
    from sklearn.metrics import accuracy_score, f1_score

    y_true, y_pred = np.asarray(case["y_true"]), np.asarray(case["y_pred"])
    where = f"for {len(y_true)} examples of 5 ordered classes"
    if not np.isclose(got["macro_f1"], want["macro_f1"], atol=1e-6):
        acc = accuracy_score(y_true, y_pred)
        weighted = f1_score(y_true, y_pred, average="weighted")
        expect(not np.isclose(got["macro_f1"], acc, atol=1e-6), f"{where}: macro_f1 is {got['macro_f1']:.4f}, the "
               "accuracy (= micro-F1); macro-F1 averages the per-class F1 scores, each class counting the same")
        expect(not np.isclose(got["macro_f1"], weighted, atol=1e-6), f"{where}: macro_f1 is {got['macro_f1']:.4f}, "
               "the support-weighted average; macro-F1 gives each class the same weight")
        raise Incorrect(f"{where}: macro_f1 is {got['macro_f1']:.4f}; expected {want['macro_f1']:.4f}")
    signed = float((y_pred - y_true).mean())
    if not np.isclose(got["mean_distance"], want["mean_distance"], atol=1e-6):
        expect(not np.isclose(got["mean_distance"], signed, atol=1e-6), f"{where}: mean_distance is "
               f"{got['mean_distance']:.4f}, the signed mean; mistakes up and down cancel out: take the absolute "
               "difference of each pair first")
        raise Incorrect(f"{where}: mean_distance is {got['mean_distance']:.4f}; expected {want['mean_distance']:.4f} "
                        "(the mean of |predicted − true| over all examples, correct ones as 0)")
    for key, rule in (("off_by_one", "exactly one class away"), ("off_by_more", "two or more classes away")):
        close(got[key], want[key], what=f"{where}: {key} (the fraction of all examples {rule})")


_Q2 = ("import numpy as np\n"
       "from sklearn.metrics import f1_score\n"
       "def ordinal_report(y_true, y_pred):\n"
       "    distance = np.abs(np.asarray(y_pred) - np.asarray(y_true))\n"
       "    return {'macro_f1': f1_score(y_true, y_pred, average='macro'),\n"
       "            'mean_distance': distance.mean(),\n"
       "            'off_by_one': (distance == 1).mean(),\n"
       "            'off_by_more': (distance >= 2).mean()}\n")

q1 = Exercise(
    "q1", points=1, target="ordinal_report",
    cases=_ordinal_cases, run=_run_ordinal, expected=_expected_ordinal, compare=_compare_ordinal,
    hints=[
        "`f1_score(y_true, y_pred, average='macro')` from `sklearn.metrics`; the distances are "
        "`np.abs(np.asarray(y_pred) - np.asarray(y_true))`.",
        "The fractions are means of boolean arrays over all examples: `(distance == 1).mean()`, `(distance >= 2).mean()`.",
    ],
    wrong={
        "micro average": _Q2.replace("average='macro'", "average='micro'"),
        "accuracy for macro-F1": _Q2.replace("f1_score(y_true, y_pred, average='macro')",
                                             "(np.asarray(y_true) == np.asarray(y_pred)).mean()"),
        "weighted average": _Q2.replace("average='macro'", "average='weighted'"),
        "signed error": _Q2.replace("'mean_distance': distance.mean()",
                                    "'mean_distance': (np.asarray(y_pred) - np.asarray(y_true)).mean()"),
        "off_by_one counts every mistake": _Q2.replace("(distance == 1).mean()", "(distance >= 1).mean()"),
        "fractions of the mistakes only": _Q2.replace("(distance == 1).mean()", "(distance == 1).sum() / (distance > 0).sum()")
                                             .replace("(distance >= 2).mean()", "(distance >= 2).sum() / (distance > 0).sum()"),
    },
)


# ------------------------------------------------------------------------------------------ q3
DOMAIN_POOL = ["movie", "tweets", "amazon", "nyt", "books", "forums"]


def _transfer_cases(rng):
    cases = []
    for n_domains in rng.permutation([3, 4]):
        domains = [str(d) for d in rng.permutation(DOMAIN_POOL)[:n_domains]]
        quality = rng.uniform(0.25, 0.6, size=(n_domains, n_domains))
        quality[np.diag_indices(n_domains)] = rng.uniform(0.75, 0.9, size=n_domains)
        entries = []
        for j, test in enumerate(domains):  # one imbalanced test set per domain, shared by every row
            n = int(rng.integers(30, 60))
            y_true = rng.choice(3, size=n, p=rng.permutation([0.6, 0.25, 0.15]))
            for i, train in enumerate(domains):
                wrong = rng.random(n) > quality[i, j]
                # a model that leans to the majority class when it is wrong
                majority = int(np.bincount(y_true).argmax())
                fallback = np.where(rng.random(n) < 0.6, majority, rng.integers(0, 3, size=n))
                y_pred = np.where(wrong, fallback, y_true)
                entries.append([train, test, y_true.tolist(), y_pred.tolist()])
        order = rng.permutation(len(entries))
        cases.append({"entries": [entries[k] for k in order], "domains": domains})
    return cases


def _run_transfer(transfer_table, case):
    predictions = {(train, test): (list(y_true), list(y_pred)) for train, test, y_true, y_pred in case["entries"]}
    out = transfer_table(predictions, list(case["domains"]))
    if hasattr(out, "to_numpy"):
        out = out.to_numpy()
    try:
        return np.asarray(out, dtype=float).tolist()
    except (TypeError, ValueError):
        raise Incorrect(f"return a table of numbers (a DataFrame, an array or a list of rows), got {describe(out, 80)}") from None


def _expected_transfer(case):
    from utils.classification import transfer_matrix

    predictions = {(train, test): (y_true, y_pred) for train, test, y_true, y_pred in case["entries"]}
    return transfer_matrix(predictions, case["domains"]).to_numpy().tolist()


def _compare_transfer(got, want, case):
    from utils.classification import transfer_matrix

    domains = case["domains"]
    k = len(domains)
    where = f"for domains {domains}"
    g, w = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    expect(g.shape == (k, k), f"{where}: your table has shape {g.shape}; expected ({k}, {k}): a row per training "
           "domain, a column per test domain, in the order of `domains`")
    if np.allclose(g, w, atol=1e-6):
        return
    diag = np.eye(k, dtype=bool)
    diagonal_ok = bool(np.all(np.isfinite(g[diag])) and np.allclose(g[diag], w[diag], atol=1e-6))
    expect(diagonal_ok or not np.allclose(g[~diag], w[~diag], atol=1e-6), f"{where}: the diagonal (train and test on the same domain) is {np.round(g[diag], 3).tolist()}; it must "
           f"hold the in-domain scores {np.round(w[diag], 3).tolist()}, the reference the other cells are read against")
    expect(not np.allclose(g, w.T, atol=1e-6), f"{where}: your table is transposed: row i must be the domain trained "
           "on (`predictions[(domains[i], domains[j])]` goes to row i, column j)")
    predictions = {(train, test): (y_true, y_pred) for train, test, y_true, y_pred in case["entries"]}
    accuracy = transfer_matrix(predictions, domains, metric="accuracy").to_numpy()
    expect(not np.allclose(g, accuracy, atol=1e-6), f"{where}: those are accuracies; the table asks for macro-F1")
    raise Incorrect(f"{where}: your table is {np.round(g, 3).tolist()}; expected {np.round(w, 3).tolist()}")


_Q3 = ("import numpy as np\n"
       "from sklearn.metrics import f1_score\n"
       "def transfer_table(predictions, domains):\n"
       "    table = np.zeros((len(domains), len(domains)))\n"
       "    for i, train in enumerate(domains):\n"
       "        for j, test in enumerate(domains):\n"
       "            y_true, y_pred = predictions[(train, test)]\n"
       "            table[i, j] = f1_score(y_true, y_pred, average='macro')\n"
       "    return table\n")

q3 = Exercise(
    "q3", points=1, target="transfer_table",
    cases=_transfer_cases, run=_run_transfer, expected=_expected_transfer, compare=_compare_transfer,
    hints=[
        "Two loops, `for i, train in enumerate(domains)` outside and `for j, test in enumerate(domains)` inside; "
        "`predictions[(train, test)]` unpacks as `y_true, y_pred`.",
        "`f1_score(y_true, y_pred, average='macro')` goes to row `i`, column `j` of a `len(domains)` square "
        "array (or a DataFrame with `domains` as index and columns).",
    ],
    wrong={
        "transposed": _Q3.replace("table[i, j] =", "table[j, i] ="),
        "accuracy": _Q3.replace("f1_score(y_true, y_pred, average='macro')",
                                "(np.asarray(y_true) == np.asarray(y_pred)).mean()"),
        "diagonal missing": _Q3.replace("            y_true, y_pred = predictions[(train, test)]\n",
                                        "            if train == test:\n"
                                        "                continue\n"
                                        "            y_true, y_pred = predictions[(train, test)]\n"),
        "micro-F1": _Q3.replace("average='macro'", "average='micro'"),
    },
)

EXERCISES = [q1, q2, q3]
