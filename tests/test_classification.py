"""utils.classification: class weights, the weighted-loss Trainer, ordinal scores, probes, transfer tables."""
from __future__ import annotations

import numpy as np
import pytest

from utils import classification as clf


def test_class_weights_inverse_frequency_normalised_absent_zero():
    labels = [0] * 6 + [1] * 2 + [3] * 12  # class 2 never occurs
    weights = clf.class_weights(labels, 4)
    counts = np.bincount(labels, minlength=4)
    assert weights.shape == (4,)
    assert weights[2] == 0.0
    assert np.isclose((counts * weights).sum(), len(labels))  # the loss keeps its scale
    assert np.allclose(weights[[0, 1, 3]], [20 / (3 * 6), 20 / (3 * 2), 20 / (3 * 12)])
    assert weights[1] > weights[0] > weights[3]  # the rarer, the heavier


def test_class_weights_balanced_data_gives_ones_and_rejects_bad_ids():
    assert np.allclose(clf.class_weights([0, 1, 2, 2, 1, 0], 3), 1.0)
    with pytest.raises(ValueError):
        clf.class_weights([0, 3], 3)
    with pytest.raises(ValueError):
        clf.class_weights([], 3)


def test_ordinal_scores_distances_and_macro_f1():
    y_true = [0, 1, 2, 2, 2, 2, 3, 4]
    y_pred = [0, 2, 2, 2, 0, 2, 4, 1]  # right 4; one away: 2; two away: 1; three away: 1
    scores = clf.ordinal_scores(y_true, y_pred)
    assert scores["accuracy"] == pytest.approx(4 / 8)
    assert scores["mean_distance"] == pytest.approx((1 + 2 + 1 + 3) / 8)
    assert scores["off_by_one"] == pytest.approx(2 / 8)
    assert scores["off_by_more"] == pytest.approx(2 / 8)
    from sklearn.metrics import f1_score

    assert scores["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert scores["macro_f1"] != pytest.approx(scores["accuracy"])


def test_transfer_matrix_rows_are_training_domains():
    y = [0, 0, 0, 1, 2]
    predictions = {("a", "a"): (y, y), ("a", "b"): (y, [0, 0, 0, 0, 0]),
                   ("b", "a"): (y, [0, 0, 0, 1, 1]), ("b", "b"): (y, y)}
    table = clf.transfer_matrix(predictions, ["a", "b"])
    assert list(table.index) == ["a", "b"] and list(table.columns) == ["a", "b"]
    assert table.loc["a", "a"] == 1.0 and table.loc["b", "b"] == 1.0
    assert table.loc["a", "b"] < table.loc["b", "a"]  # a's model predicts only the majority class on b
    accuracy = clf.transfer_matrix(predictions, ["a", "b"], metric="accuracy")
    assert accuracy.loc["a", "b"] == pytest.approx(0.6)
    with pytest.raises(KeyError):
        clf.transfer_matrix({("a", "a"): (y, y)}, ["a", "b"])
    ax = clf.plot_transfer_matrix(table)
    assert len(ax.texts) == 4


def test_probe_fits_separable_features():
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(-2, 1, (30, 4)), rng.normal(2, 1, (30, 4))])
    y = np.array([0] * 30 + [1] * 30)
    probe = clf.fit_probe(x, y)
    scores = clf.probe_scores(probe, x, y)
    assert scores["accuracy"] > 0.9 and scores["macro_f1"] > 0.9


def test_weighted_loss_trainer_matches_weighted_cross_entropy(tmp_path):
    import torch
    from transformers import BertConfig, BertForSequenceClassification, TrainingArguments

    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
                                                     num_attention_heads=2, intermediate_size=32, num_labels=3))
    model.eval()
    inputs = {"input_ids": torch.randint(0, 50, (6, 5)), "attention_mask": torch.ones(6, 5, dtype=torch.long),
              "labels": torch.tensor([0, 0, 0, 0, 1, 2])}
    args = TrainingArguments(output_dir=str(tmp_path), report_to="none", use_cpu=True)
    weights = clf.class_weights(inputs["labels"].numpy(), 3)
    weighted = clf.WeightedLossTrainer(model=model, args=args, class_weights=weights)
    plain = clf.WeightedLossTrainer(model=model, args=args)
    with torch.no_grad():
        logits = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).logits
        got = weighted.compute_loss(model, dict(inputs))
        unweighted = plain.compute_loss(model, dict(inputs))
    want = torch.nn.functional.cross_entropy(logits, inputs["labels"], weight=torch.tensor(weights, dtype=torch.float32))
    assert torch.isclose(got, want, atol=1e-6)
    assert torch.isclose(unweighted, torch.nn.functional.cross_entropy(logits, inputs["labels"]), atol=1e-6)
    assert not torch.isclose(got, unweighted)
    from transformers import Trainer

    assert issubclass(clf.WeightedLossTrainer, Trainer)
