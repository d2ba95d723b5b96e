"""The shared figures draw what they are given and refuse inputs that do not fit."""
import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from utils import plots


def test_confusion_matrix_counts():
    ax = plots.confusion_matrix([0, 1, 1, 1], [0, 1, 0, 1], labels=["neg", "pos"])
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["0", "1", "1", "2"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["neg", "pos"]


def test_loss_curves_from_trainer_history(tmp_path):
    history = [{"loss": 0.7, "step": 10}, {"eval_loss": 0.6, "step": 20}, {"loss": 0.5, "step": 20}, {"train_runtime": 3.0}]
    ax = plots.loss_curves(history)
    assert [line.get_label() for line in ax.get_lines()] == ["training loss", "evaluation loss"]
    ax.figure.savefig(tmp_path / "loss.png")
    assert (tmp_path / "loss.png").stat().st_size > 1000


def test_loss_curves_without_losses_is_a_clear_error():
    with pytest.raises(ValueError, match="no 'loss'"):
        plots.loss_curves([{"train_runtime": 1.0}])


def test_attention_heatmap_checks_shape():
    plots.attention_heatmap(np.eye(3), ["[CLS]", "hi", "[SEP]"])
    with pytest.raises(ValueError, match="expected"):
        plots.attention_heatmap(np.eye(3), ["a", "b"])


def test_precision_recall_and_bars():
    ax = plots.precision_recall([0, 1, 1, 0], [0.1, 0.8, 0.7, 0.4], name="model")
    assert ax.get_title() == "Precision-recall curve"
    ax = plots.bars({"a": 1, "b": 2}, title="t")
    assert len(ax.patches) == 2
