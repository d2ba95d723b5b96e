"""Small training helpers the lessons share.

* :func:`history_table` — a compact table (one row per evaluation or epoch) from a training history:
  the ``Trainer``'s ``log_history`` or a Keras ``History``, instead of a wall of raw log lines;
* :func:`live_table` — a ``Trainer`` callback that shows that table in the notebook and updates it after
  each evaluation;
* :func:`reference_training_step` — one step of a plain PyTorch loop (the reference for lesson 05).
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

__all__ = ["history_table", "live_table", "reference_training_step"]

# Evaluation figures that describe the run, not the model: left out of the table.
_TIMING = ("runtime", "per_second", "_time")


def history_table(history: Any, digits: int = 3):
    """A ``pandas.DataFrame`` with one row per evaluation (or per epoch), indexed by epoch.

    ``history`` is a ``Trainer``, its ``state``, or ``state.log_history`` (a list of log dicts); or a Keras
    ``History`` (what ``fit`` returns) or its ``.history`` dict. Columns: ``train loss`` (for the Trainer,
    the mean of the losses logged since the previous evaluation; for Keras, the epoch's mean), ``val loss``
    and one ``val <metric>`` per validation metric (Keras also has ``train <metric>``). Numbers are rounded
    to ``digits`` decimals.
    """
    import pandas as pd

    logs = _trainer_logs(history)
    if logs is not None:
        rows = _trainer_rows(logs)
    else:
        per_epoch = getattr(history, "history", history)
        if not isinstance(per_epoch, Mapping):
            raise TypeError("history_table takes a Trainer, its state or log_history, or a Keras History; "
                            f"got {type(history).__name__}")
        rows = _keras_rows(per_epoch, getattr(history, "epoch", None))
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table = table.set_index("epoch")
    if "step" in table:
        table["step"] = table["step"].astype(int)
    numeric = [c for c in table.columns if c != "step"]
    table[numeric] = table[numeric].astype(float).round(digits)
    return table


def _trainer_logs(history: Any) -> list[dict] | None:
    """``log_history`` when ``history`` comes from a Trainer, else ``None``."""
    state = getattr(history, "state", history)
    logs = getattr(state, "log_history", history)
    if isinstance(logs, Sequence) and not isinstance(logs, (str, bytes)) and all(isinstance(e, Mapping) for e in logs):
        return list(logs)
    return None


def _epoch(value: float) -> float | int:
    rounded = round(float(value), 2)
    return int(rounded) if rounded == int(rounded) else rounded


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _trainer_rows(logs: list[dict]) -> list[dict]:
    train = [e for e in logs if "loss" in e and "step" in e]
    evals = [e for e in logs if "step" in e and any(k.startswith("eval_") for k in e)]
    rows, previous = [], -1
    for entry in evals:
        losses = [e["loss"] for e in train if previous < e["step"] <= entry["step"]]
        row = {"epoch": _epoch(entry.get("epoch", math.nan)), "step": entry["step"], "train loss": _mean(losses)}
        for key, value in entry.items():
            name = key[len("eval_"):]
            if key.startswith("eval_") and isinstance(value, (int, float)) and not any(t in name for t in _TIMING):
                row[f"val {name}"] = value
        rows.append(row)
        previous = entry["step"]
    rest = [e for e in train if e["step"] > previous]
    if rest and not evals:  # no evaluation at all: one row per epoch
        by_epoch: dict[int, list[dict]] = {}
        for e in rest:
            by_epoch.setdefault(max(1, math.ceil(round(float(e.get("epoch", 0)), 4))), []).append(e)
        rows = [{"epoch": epoch, "step": group[-1]["step"], "train loss": _mean([e["loss"] for e in group])}
                for epoch, group in by_epoch.items()]
    elif rest:  # training went on after the last evaluation
        rows.append({"epoch": _epoch(rest[-1].get("epoch", math.nan)), "step": rest[-1]["step"],
                     "train loss": _mean([e["loss"] for e in rest])})
    return rows


def _keras_rows(per_epoch: Mapping[str, Sequence[float]], epochs: Sequence[int] | None) -> list[dict]:
    n = max((len(v) for v in per_epoch.values()), default=0)
    epochs = list(epochs) if epochs is not None and len(epochs) == n else list(range(n))
    train = sorted((k for k in per_epoch if not k.startswith("val_")), key=lambda k: k != "loss")  # loss first
    val = sorted((k for k in per_epoch if k.startswith("val_")), key=lambda k: k != "val_loss")
    columns = {**{k: f"train {k}" for k in train}, **{k: f"val {k[len('val_'):]}" for k in val}}
    rows = []
    for i in range(n):
        row: dict = {"epoch": int(epochs[i]) + 1}
        for key, name in columns.items():
            values = per_epoch[key]
            row[name] = float(values[i]) if i < len(values) else math.nan
        rows.append(row)
    return rows


def live_table(digits: int = 3):
    """A ``Trainer`` callback that shows :func:`history_table` and updates it after each evaluation.

    Use it with ``TrainingArguments(disable_tqdm=True)`` and ``trainer.remove_callback(PrinterCallback)``:
    the table then replaces the raw log lines. In a notebook the table is updated in place; elsewhere each
    update is printed. Evaluations after training (``trainer.evaluate(test_set)``) leave it alone.
    """
    from transformers import TrainerCallback

    class LiveTable(TrainerCallback):
        def __init__(self) -> None:
            self.handle = None
            self.training = False

        def _show(self, state) -> None:
            from IPython.display import display

            table = history_table(state.log_history, digits)
            if table.empty:
                return
            if self.handle is None:
                self.handle = display(table, display_id=True)
            else:
                self.handle.update(table)

        def on_train_begin(self, args, state, control, **kwargs):
            self.handle, self.training = None, True

        def on_evaluate(self, args, state, control, **kwargs):
            if self.training:
                self._show(state)

        def on_train_end(self, args, state, control, **kwargs):
            if self.training:
                self._show(state)
            self.training = False

    return LiveTable()


def reference_training_step(model, batch, optimizer, scheduler) -> float:
    """One step of a plain PyTorch loop (the reference for lesson 05's exercise): returns the batch loss."""
    model.train()
    loss = model(**batch).loss
    loss.backward()
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()
    return loss.item()
