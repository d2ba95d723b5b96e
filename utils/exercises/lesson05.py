"""Lesson 05 exercises: metrics for the Trainer, tokenising for `map`, a plain PyTorch training step."""
from __future__ import annotations

import numpy as np

from utils.grading import Exercise, expect

_rng = np.random.default_rng(2024)
# Hidden evaluation batches: (logits, labels). The last one predicts only one class.
_HIDDEN_EVAL = [
    (_rng.normal(size=(40, 2)), _rng.integers(0, 2, size=40)),
    (_rng.normal(size=(7, 2)), np.array([1, 0, 1, 1, 0, 0, 1])),
    (np.tile([[2.0, -1.0]], (6, 1)), np.array([0, 1, 0, 1, 0, 0])),
]
_HIDDEN_TEXTS = {
    "text": [
        "An absolute triumph of a film, sharp, funny and humane from the first frame to the last one",
        "meh",
        "Not a single scene in this two-and-a-half-hour slog earns its running time; the plot wanders, the jokes land flat.",
    ],
    "label": [1, 0, 0],
}


def _grade_compute_metrics(compute_metrics) -> None:
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    expect(callable(compute_metrics), "`compute_metrics` should be a function of (eval_pred)")
    for logits, labels in _HIDDEN_EVAL:
        got = compute_metrics((logits, labels))
        expect(isinstance(got, dict), f"return a dict of metric name → number, got {type(got).__name__}")
        missing = {"accuracy", "precision", "recall", "f1"} - set(got)
        expect(not missing, f"the dict lacks {sorted(missing)}")
        preds = logits.argmax(axis=-1)
        p, r, f, _ = precision_recall_fscore_support(labels, preds, average="binary", zero_division=0)
        want = {"accuracy": accuracy_score(labels, preds), "precision": p, "recall": r, "f1": f}
        for name, value in want.items():
            expect(abs(float(got[name]) - value) < 1e-6,
                   f"{name} is {float(got[name]):.4f} on a hidden batch; expected {value:.4f} "
                   "(binary average, positive class 1, zero_division=0)")


def _grade_tokenize(make_tokenize_fn) -> None:
    from transformers import AutoTokenizer

    from utils.resources import checkpoint

    expect(callable(make_tokenize_fn), "`make_tokenize_fn` should be a function of (tokenizer, max_length)")
    tokenizer = AutoTokenizer.from_pretrained(checkpoint("encoder"))
    for max_length in (8, 24):
        fn = make_tokenize_fn(tokenizer, max_length)
        out = fn(_HIDDEN_TEXTS)
        expect("input_ids" in out and "attention_mask" in out, "the result needs input_ids and attention_mask")
        lengths = [len(ids) for ids in out["input_ids"]]
        expect(len(lengths) == 3, "tokenize every text of the batch (the function receives a batch dict)")
        expect(max(lengths) <= max_length, f"with max_length={max_length} a text came back {max(lengths)} tokens long: truncate")
        expect(len(set(lengths)) > 1, "do not pad here: DataCollatorWithPadding pads each batch later (dynamic padding)")
        want = tokenizer(_HIDDEN_TEXTS["text"], truncation=True, max_length=max_length)
        expect(list(out["input_ids"]) == list(want["input_ids"]), "the token ids differ from the tokenizer's own output")


def _grade_training_step(training_step) -> None:
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    expect(callable(training_step), "`training_step` should be a function of (model, batch, optimizer, scheduler)")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, num_labels=2)
    model = BertForSequenceClassification(config)
    batch = {"input_ids": torch.randint(5, 50, (4, 6)), "attention_mask": torch.ones(4, 6, dtype=torch.long),
             "labels": torch.tensor([0, 1, 1, 0])}
    model.eval()
    with torch.no_grad():
        want_loss = model(**batch).loss.item()
    model.eval()  # the learner must switch to training mode themselves
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5)
    loss = training_step(model, batch, optimizer, scheduler)
    expect(isinstance(loss, float), f"return the loss as a Python float (`loss.item()`), got {type(loss).__name__}")
    expect(model.training, "put the model in training mode (`model.train()`) before the forward pass")
    changed = sum(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    expect(changed > 0, "the weights did not change: call `loss.backward()` and `optimizer.step()`")
    expect(scheduler.last_epoch == 1, "advance the learning-rate schedule once per step (`scheduler.step()`)")
    expect(all(p.grad is None or not p.grad.abs().sum() for p in model.parameters()),
           "clear the gradients after the step (`optimizer.zero_grad()`), or they add up across steps")
    expect(abs(loss - want_loss) < 0.15, f"the returned loss {loss:.3f} is far from the batch's loss {want_loss:.3f}")


q1 = Exercise(
    "q1", points=2, target="compute_metrics", grade=_grade_compute_metrics,
    prompt="Write `compute_metrics(eval_pred)` for the Trainer: it gets `(logits, labels)` and returns a dict with "
           "accuracy, precision, recall and F1 of the positive class (use scikit-learn).",
    hints=[
        "`logits, labels = eval_pred`, then `preds = logits.argmax(axis=-1)`.",
        "`precision_recall_fscore_support(labels, preds, average='binary', zero_division=0)` returns "
        "precision, recall, F1 and support.",
    ],
    solution="def compute_metrics(eval_pred):\n"
             "    logits, labels = eval_pred\n"
             "    preds = logits.argmax(axis=-1)\n"
             "    precision, recall, f1, _ = precision_recall_fscore_support(labels, preds, average='binary', zero_division=0)\n"
             "    return {'accuracy': accuracy_score(labels, preds), 'precision': precision, 'recall': recall, 'f1': f1}",
)

q2 = Exercise(
    "q2", points=1, target="make_tokenize_fn", grade=_grade_tokenize,
    prompt="Write `make_tokenize_fn(tokenizer, max_length)` returning a function that `Dataset.map(..., batched=True)` "
           "can call: it tokenizes `batch['text']` with truncation to `max_length` and no padding.",
    hints=[
        "Define an inner `def tokenize(batch): ...` and return it.",
        "`tokenizer(batch['text'], truncation=True, max_length=max_length)` — padding is the collator's job.",
    ],
    solution="def make_tokenize_fn(tokenizer, max_length):\n"
             "    def tokenize(batch):\n"
             "        return tokenizer(batch['text'], truncation=True, max_length=max_length)\n"
             "    return tokenize",
)

q3 = Exercise(
    "q3", points=2, target="training_step", grade=_grade_training_step,
    prompt="Write `training_step(model, batch, optimizer, scheduler)`: one step of a plain PyTorch training loop. "
           "Return the batch loss as a float.",
    hints=[
        "Training mode, forward with `**batch` (the labels in the batch make the model return `.loss`).",
        "Then `loss.backward()`, `optimizer.step()`, `scheduler.step()`, `optimizer.zero_grad()`.",
    ],
    solution="def training_step(model, batch, optimizer, scheduler):\n"
             "    model.train()\n"
             "    loss = model(**batch).loss\n"
             "    loss.backward()\n"
             "    optimizer.step()\n"
             "    scheduler.step()\n"
             "    optimizer.zero_grad()\n"
             "    return loss.item()",
)

EXERCISES = [q1, q2, q3]
