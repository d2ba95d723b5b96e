"""utils.training: the compact history table, its live Trainer callback and the reference training step."""
from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from utils.training import history_table, live_table, reference_training_step

# What a Trainer with eval_strategy="epoch" and logging_steps=2 logs over two epochs of 4 steps, then a test
# evaluation after training (another prefix) and the summary line.
TRAINER_LOG = [
    {"loss": 0.70, "grad_norm": 1.0, "learning_rate": 1e-4, "epoch": 0.5, "step": 2},
    {"loss": 0.60, "grad_norm": 1.0, "learning_rate": 9e-5, "epoch": 1.0, "step": 4},
    {"eval_loss": 0.61234, "eval_accuracy": 0.7, "eval_f1": 0.75, "eval_runtime": 2.5,
     "eval_samples_per_second": 80.0, "eval_steps_per_second": 1.5, "epoch": 1.0, "step": 4},
    {"loss": 0.50, "epoch": 1.5, "step": 6},
    {"loss": 0.30, "epoch": 2.0, "step": 8},
    {"eval_loss": 0.5, "eval_accuracy": 0.8, "eval_f1": 0.85, "eval_runtime": 2.0, "epoch": 2.0, "step": 8},
    {"train_runtime": 10.0, "train_loss": 0.525, "total_flos": 1.0, "epoch": 2.0, "step": 8},
    {"test_loss": 0.4, "test_accuracy": 0.9, "epoch": 2.0, "step": 8},
]


def test_trainer_history_has_one_row_per_evaluation():
    table = history_table(TRAINER_LOG)
    assert table.index.name == "epoch" and list(table.index) == [1, 2]
    assert list(table.columns) == ["step", "train loss", "val loss", "val accuracy", "val f1"]
    assert list(table["step"]) == [4, 8]
    assert list(table["train loss"]) == [0.65, 0.4]  # mean of the losses logged since the last evaluation
    assert list(table["val loss"]) == [0.612, 0.5]  # rounded to 3 decimals
    assert list(table["val f1"]) == [0.75, 0.85]


def test_trainer_and_state_are_read_like_their_log_history():
    state = SimpleNamespace(log_history=TRAINER_LOG)
    trainer = SimpleNamespace(state=state)
    expected = history_table(TRAINER_LOG)
    assert history_table(state).equals(expected) and history_table(trainer).equals(expected)


def test_training_after_the_last_evaluation_gets_its_own_row():
    log = TRAINER_LOG[:3] + [{"loss": 0.4, "epoch": 1.5, "step": 6}]
    table = history_table(log, digits=2)
    assert list(table.index) == [1, 1.5]
    assert table["train loss"].iloc[1] == 0.4 and math.isnan(table["val loss"].iloc[1])


def test_without_evaluation_one_row_per_epoch():
    log = [{"loss": 0.8, "epoch": 0.5, "step": 2}, {"loss": 0.6, "epoch": 1.0, "step": 4},
           {"loss": 0.4, "epoch": 1.5, "step": 6}]
    table = history_table(log)
    assert list(table.index) == [1, 2]
    assert list(table["train loss"]) == [0.7, 0.4] and list(table["step"]) == [4, 6]


def test_keras_history_and_its_dict():
    history = SimpleNamespace(history={"accuracy": [0.5, 0.61234], "loss": [0.7, 0.6], "val_accuracy": [0.55, 0.6],
                                       "val_loss": [0.69, 0.65]}, epoch=[0, 1])
    table = history_table(history)
    assert list(table.index) == [1, 2]
    assert list(table.columns) == ["train loss", "train accuracy", "val loss", "val accuracy"]
    assert table.loc[2, "train accuracy"] == 0.612
    assert history_table(history.history).equals(table)


def test_empty_and_wrong_inputs():
    assert history_table([]).empty
    with pytest.raises(TypeError, match="Keras History"):
        history_table(42)


def test_live_table_shows_then_updates_and_ignores_later_evaluations(monkeypatch):
    pytest.importorskip("transformers")
    import IPython.display

    shown = []

    class Handle:
        def update(self, table):
            shown.append(("update", len(table)))

    def fake_display(table, display_id=False):
        shown.append(("display", len(table)))
        return Handle()

    monkeypatch.setattr(IPython.display, "display", fake_display)
    callback = live_table()
    state = SimpleNamespace(log_history=[])
    callback.on_train_begin(None, state, None)
    callback.on_evaluate(None, state, None)  # nothing logged yet: nothing shown
    state.log_history = TRAINER_LOG[:3]
    callback.on_evaluate(None, state, None)
    state.log_history = TRAINER_LOG[:6]
    callback.on_evaluate(None, state, None)
    callback.on_train_end(None, state, None)
    state.log_history = TRAINER_LOG
    callback.on_evaluate(None, state, None)  # trainer.evaluate(test) after training
    assert shown == [("display", 1), ("update", 2), ("update", 2)]


def test_reference_training_step_trains_and_returns_a_float():
    torch = pytest.importorskip("torch")
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=16, num_labels=2)
    model = BertForSequenceClassification(config).eval()
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5 ** step)
    batch = {"input_ids": torch.randint(3, 30, (3, 5)), "labels": torch.tensor([0, 1, 1])}
    loss = reference_training_step(model, batch, optimizer, scheduler)
    assert isinstance(loss, float) and model.training
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert all(p.grad is None or not p.grad.any() for p in model.parameters())
    assert optimizer.param_groups[0]["lr"] == pytest.approx(5e-3)
