"""Metrics shared by lessons, stand-ins and the service (scikit-learn underneath; nothing from the hub)."""
from __future__ import annotations

import numpy as np


def classification_metrics(eval_pred, average: str | None = None) -> dict:
    """``compute_metrics`` for the Trainer: accuracy, precision, recall, F1 (+ balanced accuracy).

    ``eval_pred`` is ``(logits, labels)``. Two classes → binary scores of class 1; more → macro averages
    (on imbalanced sets such as Reuters R8, macro-F1 and balanced accuracy say more than accuracy).
    """
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, precision_recall_fscore_support

    logits, labels = eval_pred
    logits = logits[0] if isinstance(logits, tuple) else logits
    preds = np.asarray(logits).argmax(axis=-1)
    labels = np.asarray(labels)
    if average is None:
        average = "binary" if np.asarray(logits).shape[-1] == 2 else "macro"
    precision, recall, f1, _ = precision_recall_fscore_support(labels, preds, average=average, zero_division=0)
    return {
        "accuracy": float(accuracy_score(labels, preds)),
        "balanced_accuracy": float(balanced_accuracy_score(labels, preds)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
    }
