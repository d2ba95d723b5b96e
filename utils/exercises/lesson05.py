"""Lesson 05 exercises: tokenising for `map`, metrics for the Trainer, one step of a plain PyTorch loop.

Each grading draws new inputs: batches of reviews (at least one longer and one shorter than the drawn
``max_length``) for the tokenize function; evaluation sets of different sizes, balances and degenerate
predictions for ``compute_metrics``; and, for the training step, a tiny BERT built from a drawn seed (with
dropout, handed over in evaluation mode), two batches, and a learning-rate schedule that changes after the
first step. The grader recomputes the reference steps from the same seed and compares losses and weights.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from utils.grading import Exercise, Incorrect, expect

# -- Exercise 1: a tokenize function for `Dataset.map` -----------------------------------------------
LONG = [  # 38-54 tokens: longer than any drawn max_length
    "An absolute triumph of a film, sharp, funny and humane from the first frame to the last, with a cast that "
    "never puts a foot wrong and a script that trusts its audience to keep up with every twist.",
    "Not a single scene in this two-and-a-half-hour slog earns its running time; the plot wanders, the jokes land "
    "flat, and the finale drags on long after anyone in the audience has stopped caring about the characters.",
    "What begins as a quiet character study slowly turns into a gripping thriller, and by the time the credits "
    "roll you realise the director has been setting up the final reveal from the very first scene.",
    "The special effects are dazzling, but the dialogue is so clumsy and the pacing so uneven that even the "
    "talented lead actors seem to be counting the minutes until they can leave the set.",
    "A gentle, bittersweet comedy about three sisters who return to their childhood home, full of small "
    "observations, warm performances and a soundtrack that lingers in the memory for days afterwards.",
]
MEDIUM = [  # 13-16 tokens
    "A charming, if slight, romantic comedy with two likeable leads.",
    "The second half loses its nerve and settles for easy sentiment.",
    "Beautifully shot, badly written, and far too long.",
    "One of the most original horror films of the decade.",
]
SHORT = ["meh", "Loved it!", "Utterly boring.", "A masterpiece.", "Skip it."]  # 4-5 tokens
MAX_LENGTHS = [8, 10, 12, 16, 20, 24, 32]


@lru_cache(maxsize=1)
def _tokenizer():
    from transformers import AutoTokenizer

    from utils.resources import checkpoint

    return AutoTokenizer.from_pretrained(checkpoint("encoder"))


def _tokenize_cases(rng):
    cases = []
    for max_length in rng.choice(MAX_LENGTHS, size=2, replace=False):
        texts = [str(rng.choice(LONG)), str(rng.choice(SHORT))]
        texts += [str(t) for t in rng.choice(LONG + MEDIUM + SHORT, size=int(rng.integers(1, 4)), replace=False)
                  if t not in texts]
        rng.shuffle(texts)
        cases.append({"max_length": int(max_length), "text": texts,
                      "label": [int(x) for x in rng.integers(0, 2, size=len(texts))]})
    return cases


def _run_tokenize(make_tokenize_fn, case):
    tokenize = make_tokenize_fn(_tokenizer(), case["max_length"])
    expect(callable(tokenize), "`make_tokenize_fn` should return a function (the one `map` calls with a batch), "
           f"got a {type(tokenize).__name__}")
    out = tokenize({"text": list(case["text"]), "label": list(case["label"])})
    expect(hasattr(out, "keys"), "the tokenize function should return the tokenizer's output (a dict with "
           f"input_ids and attention_mask), got a {type(out).__name__}")
    return {str(key): value for key, value in out.items()}


def _expected_tokenize(case):
    out = _tokenizer()(case["text"], truncation=True, max_length=case["max_length"])
    return {key: [list(map(int, row)) for row in rows] for key, rows in out.items()}


def _rows(value):
    value = value.tolist() if isinstance(value, np.ndarray) else value
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise Incorrect("input_ids should hold one list of ids per text of the batch: tokenize the whole list "
                        "`batch['text']`, not one text")
    return value


def _compare_tokenize(got, want, case):
    max_length, texts = case["max_length"], case["text"]
    missing = [key for key in ("input_ids", "attention_mask") if key not in got]
    expect(not missing, f"the result lacks {missing}: return what the tokenizer returns")
    ids = _rows(got["input_ids"])
    expect(len(ids) == len(texts), f"a batch of {len(texts)} texts came back as {len(ids)} rows: tokenize every text")
    lengths, wanted = [len(row) for row in ids], [len(row) for row in want["input_ids"]]
    too_long = [(text, n) for text, n in zip(texts, lengths) if n > max_length]
    if too_long:
        raise Incorrect(f"with max_length={max_length} the text {too_long[0][0][:50]!r}… came back {too_long[0][1]} "
                        "tokens long: truncate (`truncation=True, max_length=max_length`)")
    expect(not (len(set(lengths)) == 1 and len(set(wanted)) > 1),
           f"every row has {lengths[0]} tokens: do not pad here — DataCollatorWithPadding pads each batch later "
           "(dynamic padding)")
    for text, row, ref in zip(texts, ids, want["input_ids"]):
        if row != ref and len(row) < len(ref) and row[:-1] == ref[:len(row) - 1]:
            raise Incorrect(f"with max_length={max_length} the text {text[:50]!r}… came back {len(row)} tokens long; "
                            f"expected {len(ref)}: max_length already counts [CLS] and [SEP]")
        expect(row == ref, f"with max_length={max_length} the ids of {text[:50]!r} are {row}; expected {ref} "
               "(the course tokenizer, truncated, not padded)")
    expect(_rows(got["attention_mask"]) == want["attention_mask"],
           "attention_mask differs from the tokenizer's own: return the tokenizer's output unchanged")


# -- Exercise 2: compute_metrics ------------------------------------------------------------------------
def _metrics_cases(rng):
    n = int(rng.integers(30, 61))  # an ordinary model: noisy logits, balanced labels
    ordinary = {"logits": rng.normal(size=(n, 2)), "labels": rng.integers(0, 2, size=n)}
    n = int(rng.integers(12, 26))  # few positives, a model that says "pos" too often
    labels = (rng.random(n) < 0.25).astype(int)
    labels[int(rng.integers(n))] = 1
    logits = rng.normal(size=(n, 2)) + [0.0, 0.8]
    skewed = {"logits": logits, "labels": labels}
    n = int(rng.integers(6, 15))  # a model that predicts one class only (precision 0/0 when it is "neg")
    only = int(rng.integers(0, 2))
    logits = rng.normal(size=(n, 2))
    logits[:, only] = np.abs(logits[:, only]) + np.abs(logits[:, 1 - only]) + 0.1
    labels = rng.integers(0, 2, size=n)
    labels[:2] = [0, 1]
    degenerate = {"logits": logits, "labels": labels}
    cases = [ordinary, skewed, degenerate]
    cases = [cases[i] for i in rng.permutation(3)]
    return [{"logits": np.round(c["logits"], 4).tolist(), "labels": [int(x) for x in c["labels"]]} for c in cases]


def _run_metrics(compute_metrics, case):
    from transformers import EvalPrediction

    eval_pred = EvalPrediction(predictions=np.asarray(case["logits"], dtype=np.float32),
                               label_ids=np.asarray(case["labels"], dtype=np.int64))
    out = compute_metrics(eval_pred)
    expect(hasattr(out, "keys"), f"return a dict of metric name → number, got a {type(out).__name__}")
    return {str(key): value for key, value in out.items()}


def _scores(labels, preds, average="binary", pos_label=1):
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    p, r, f, _ = precision_recall_fscore_support(labels, preds, average=average, pos_label=pos_label, zero_division=0)
    return {"accuracy": float(accuracy_score(labels, preds)), "precision": float(p), "recall": float(r), "f1": float(f)}


def _expected_metrics(case):
    return _scores(case["labels"], np.asarray(case["logits"]).argmax(axis=-1))


def _number(value, name):
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    expect(isinstance(value, (int, float)) and not isinstance(value, bool),
           f"{name} should be a number, got {type(value).__name__} ({value!r:.60})")
    return float(value)


def _compare_metrics(got, want, case):
    missing = sorted(set(want) - set(got))
    expect(not missing, f"the dict lacks {missing} (keys: 'accuracy', 'precision', 'recall', 'f1')")
    values = {name: _number(got[name], name) for name in want}
    if all(abs(values[k] - want[k]) < 1e-6 for k in want):
        return
    labels, preds = case["labels"], np.asarray(case["logits"]).argmax(axis=-1)
    size = f"on {len(labels)} examples"
    likely = {
        "the macro average of both classes": _scores(labels, preds, average="macro"),
        "the scores of class 0": _scores(labels, preds, pos_label=0),
        "precision and recall swapped (scikit-learn takes labels first, predictions second)":
            {**want, "precision": want["recall"], "recall": want["precision"]},
    }
    for what, scores in likely.items():
        if all(abs(values[k] - scores[k]) < 1e-6 for k in want) and scores != want:
            raise Incorrect(f"{size} you returned {what}; the task asks for precision, recall and F1 of the positive "
                            "class 1 (`average='binary'`)")
    for name in ("accuracy", "precision", "recall", "f1"):
        expect(abs(values[name] - want[name]) < 1e-6,
               f"{size} {name} is {values[name]:.4f}; expected {want[name]:.4f} (predictions = argmax of the logits; "
               "binary scores of class 1, 0 when undefined: `zero_division=0`)")


# -- Exercise 3: one training step ----------------------------------------------------------------------
VOCAB, WIDTH = 48, 8


def _step_cases(rng):
    cases = []
    for _ in range(2):
        batches = []
        for _ in range(2):
            size, length = int(rng.integers(2, 6)), int(rng.integers(4, 11))
            ids = rng.integers(4, VOCAB, size=(size, length))
            mask = np.ones_like(ids)
            for row in range(size):  # some rows padded at the end
                real = int(rng.integers(2, length + 1))
                ids[row, 0], ids[row, real:], mask[row, real:] = 2, 0, 0
            labels = rng.integers(0, 2, size=size)
            labels[:2] = [0, 1]
            batches.append({"input_ids": ids.tolist(), "attention_mask": mask.tolist(),
                            "labels": rng.permutation(labels).tolist()})
        cases.append({"seed": int(rng.integers(0, 2**31)), "lr": float(rng.choice([5e-3, 1e-2, 2e-2])),
                      "decay": float(rng.choice([0.1, 0.25, 0.5])), "batches": batches})
    return cases


def _setup(case):
    """The tiny BERT (in evaluation mode, as it is handed to the learner), its optimizer and scheduler."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(case["seed"])
    config = BertConfig(vocab_size=VOCAB, hidden_size=WIDTH, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=16, hidden_dropout_prob=0.3,
                        attention_probs_dropout_prob=0.3, initializer_range=0.5, num_labels=2)
    model = BertForSequenceClassification(config).eval()
    optimizer = torch.optim.AdamW(model.parameters(), lr=case["lr"], weight_decay=0.01)
    decay = case["decay"]
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: decay ** step)
    return model, optimizer, scheduler


def _batch(batch):
    import torch

    return {name: torch.tensor(values, dtype=torch.long) for name, values in batch.items()}


def _weights(model):
    import torch

    return torch.cat([p.detach().flatten() for p in model.parameters()]).double().numpy().copy()


def _steps(case, step):
    """Call ``step(model, batch, optimizer, scheduler)`` on both batches: what it returned, the weights after each."""
    import torch

    with torch.random.fork_rng():  # the learner's own random state is left as it was
        model, optimizer, scheduler = _setup(case)
        torch.manual_seed(case["seed"] + 1)  # the dropout masks
        returned, weights = [], []
        for batch in case["batches"]:
            returned.append(step(model, _batch(batch), optimizer, scheduler))
            weights.append(_weights(model))
    return returned, weights


def _run_step(training_step, case):
    returned, weights = _steps(case, training_step)
    return {"returned": returned, "weights": weights}


def _reference_step(model, batch, optimizer, scheduler, *, train=True, schedule=True, zero=True):
    if train:
        model.train()
    loss = model(**batch).loss
    loss.backward()
    optimizer.step()
    if schedule:
        scheduler.step()
    if zero:
        optimizer.zero_grad()
    return loss.item()


def _expected_step(case):
    from functools import partial

    import torch

    with torch.random.fork_rng():
        initial = _weights(_setup(case)[0])
    losses, weights = _steps(case, _reference_step)
    variants = {name: _steps(case, partial(_reference_step, **{name: False})) for name in ("train", "schedule", "zero")}
    return {"losses": losses, "weights": weights, "initial": initial,
            "eval losses": variants["train"][0], "no schedule": variants["schedule"][1][1],
            "no zero_grad": variants["zero"][1][1]}


def _near(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, atol=1e-5, rtol=1e-4))


# The reference variants whose second-step weights reveal a known mistake.
_SECOND_STEP_MISTAKES = {
    "no schedule": "the second step used the first step's learning rate: advance the schedule once per step with "
                   "`scheduler.step()` after `optimizer.step()`",
    "no zero_grad": "the gradients of the first batch were added to those of the second: clear them after each step "
                    "with `optimizer.zero_grad()`",
}


def _compare_step(got, want, case):
    returned, weights = got["returned"], got["weights"]
    for value in returned:
        expect(value is not None, "training_step returned nothing: return the batch loss")
        expect(not isinstance(value, np.ndarray), "training_step returned a tensor; return the loss as a Python "
               "float with `loss.item()` (a tensor keeps the whole graph of the step alive)")
        expect(isinstance(value, float), f"return the loss as a Python float (`loss.item()`), got {type(value).__name__}")
    if not _near(returned[0], want["losses"][0]):
        if _near(returned[0], want["eval losses"][0]):
            raise Incorrect("the loss is the model's loss in evaluation mode (dropout off): call `model.train()` "
                            "before the forward pass — the model may come to you in evaluation mode")
        raise Incorrect(f"the first batch's loss is {returned[0]:.5f}; expected {want['losses'][0]:.5f}: the `.loss` of "
                        "`model(**batch)` in training mode")
    if _near(weights[0], want["initial"]):
        raise Incorrect("the weights did not change (apart from weight decay): `optimizer.step()` needs the gradients "
                        "of `loss.backward()` — clear them with `optimizer.zero_grad()` only after the step")
    expect(_near(weights[0], want["weights"][0]), "after one step the weights are not the expected ones: "
           "`loss.backward()`, `optimizer.step()`, `scheduler.step()`, then `optimizer.zero_grad()` — in that order, "
           "nothing else (no gradient clipping, no extra steps)")
    expect(_near(returned[1], want["losses"][1]),
           f"the second batch's loss is {returned[1]:.5f}; expected {want['losses'][1]:.5f}")
    for variant, message in _SECOND_STEP_MISTAKES.items():
        expect(not _near(weights[1], want[variant]), message)
    expect(_near(weights[1], want["weights"][1]), "after the second step the weights are not the expected ones: "
           "every call does one whole step — `loss.backward()`, `optimizer.step()`, `scheduler.step()`, "
           "`optimizer.zero_grad()`")


# -- the exercises --------------------------------------------------------------------------------------
q1 = Exercise(
    "q1", points=1, target="make_tokenize_fn",
    cases=_tokenize_cases, run=_run_tokenize, expected=_expected_tokenize, compare=_compare_tokenize,
    hints=[
        "Define an inner `def tokenize(batch): ...` and return it (without calling it).",
        "`tokenizer(batch['text'], truncation=True, max_length=max_length)` — no padding: the collator pads each batch.",
    ],
    wrong={
        "no truncation": (
            "def make_tokenize_fn(tokenizer, max_length):\n"
            "    def tokenize(batch):\n"
            "        return tokenizer(batch['text'])\n"
            "    return tokenize"),
        "pads to max_length": (
            "def make_tokenize_fn(tokenizer, max_length):\n"
            "    def tokenize(batch):\n"
            "        return tokenizer(batch['text'], truncation=True, max_length=max_length, padding='max_length')\n"
            "    return tokenize"),
        "pads to the longest text": (
            "def make_tokenize_fn(tokenizer, max_length):\n"
            "    def tokenize(batch):\n"
            "        return tokenizer(batch['text'], truncation=True, max_length=max_length, padding=True)\n"
            "    return tokenize"),
        "a fixed max_length of 64": (
            "def make_tokenize_fn(tokenizer, max_length):\n"
            "    def tokenize(batch):\n"
            "        return tokenizer(batch['text'], truncation=True, max_length=64)\n"
            "    return tokenize"),
        "room for [CLS] and [SEP] subtracted": (
            "def make_tokenize_fn(tokenizer, max_length):\n"
            "    def tokenize(batch):\n"
            "        return tokenizer(batch['text'], truncation=True, max_length=max_length - 2)\n"
            "    return tokenize"),
    },
)

q2 = Exercise(
    "q2", points=2, target="compute_metrics",
    cases=_metrics_cases, run=_run_metrics, expected=_expected_metrics, compare=_compare_metrics,
    hints=[
        "`logits, labels = eval_pred`, then `preds = logits.argmax(axis=-1)`.",
        "`precision_recall_fscore_support(labels, preds, average='binary', zero_division=0)` returns precision, "
        "recall, F1 and support; `accuracy_score(labels, preds)` the accuracy.",
    ],
    wrong={
        "macro average": (
            "from sklearn.metrics import accuracy_score, precision_recall_fscore_support\n"
            "def compute_metrics(eval_pred):\n"
            "    logits, labels = eval_pred\n"
            "    preds = logits.argmax(axis=-1)\n"
            "    p, r, f, _ = precision_recall_fscore_support(labels, preds, average='macro', zero_division=0)\n"
            "    return {'accuracy': accuracy_score(labels, preds), 'precision': p, 'recall': r, 'f1': f}"),
        "labels and predictions swapped": (
            "from sklearn.metrics import accuracy_score, precision_recall_fscore_support\n"
            "def compute_metrics(eval_pred):\n"
            "    logits, labels = eval_pred\n"
            "    preds = logits.argmax(axis=-1)\n"
            "    p, r, f, _ = precision_recall_fscore_support(preds, labels, average='binary', zero_division=0)\n"
            "    return {'accuracy': accuracy_score(labels, preds), 'precision': p, 'recall': r, 'f1': f}"),
        "scores of class 0": (
            "from sklearn.metrics import accuracy_score, precision_recall_fscore_support\n"
            "def compute_metrics(eval_pred):\n"
            "    logits, labels = eval_pred\n"
            "    preds = logits.argmax(axis=-1)\n"
            "    p, r, f, _ = precision_recall_fscore_support(labels, preds, average='binary', pos_label=0, zero_division=0)\n"
            "    return {'accuracy': accuracy_score(labels, preds), 'precision': p, 'recall': r, 'f1': f}"),
        "positive logit thresholded at 0": (
            "from sklearn.metrics import accuracy_score, precision_recall_fscore_support\n"
            "def compute_metrics(eval_pred):\n"
            "    logits, labels = eval_pred\n"
            "    preds = (logits[:, 1] > 0).astype(int)\n"
            "    p, r, f, _ = precision_recall_fscore_support(labels, preds, average='binary', zero_division=0)\n"
            "    return {'accuracy': accuracy_score(labels, preds), 'precision': p, 'recall': r, 'f1': f}"),
        "accuracy only": (
            "def compute_metrics(eval_pred):\n"
            "    logits, labels = eval_pred\n"
            "    return {'accuracy': float((logits.argmax(axis=-1) == labels).mean())}"),
    },
)

_STEP = ("def training_step(model, batch, optimizer, scheduler):\n"
         "    model.train()\n"
         "    loss = model(**batch).loss\n"
         "    loss.backward()\n"
         "    optimizer.step()\n"
         "    scheduler.step()\n"
         "    optimizer.zero_grad()\n"
         "    return loss.item()\n")

q3 = Exercise(
    "q3", points=2, target="training_step",
    cases=_step_cases, run=_run_step, expected=_expected_step, compare=_compare_step,
    hints=[
        "Training mode first (`model.train()`), then the forward pass with `**batch`: the labels in the batch make "
        "the model return `.loss`.",
        "Then `loss.backward()`, `optimizer.step()`, `scheduler.step()`, `optimizer.zero_grad()`, and "
        "`return loss.item()`.",
    ],
    wrong={
        "no model.train()": _STEP.replace("    model.train()\n", ""),
        "no scheduler.step()": _STEP.replace("    scheduler.step()\n", ""),
        "no optimizer.zero_grad()": _STEP.replace("    optimizer.zero_grad()\n", ""),
        "zero_grad between backward and step": _STEP.replace("    optimizer.zero_grad()\n", "").replace(
            "    loss.backward()\n", "    loss.backward()\n    optimizer.zero_grad()\n"),
        "returns the loss tensor": _STEP.replace("return loss.item()", "return loss"),
    },
)

EXERCISES = [q1, q2, q3]
