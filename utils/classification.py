"""Multiclass classification helpers (lesson 10): class weights and a ``Trainer`` that uses them, ordinal
errors, linear probes on frozen embeddings and train × test transfer matrices.

* :func:`class_weights` — inverse-frequency weights from label counts (scikit-learn's "balanced" rule);
* ``WeightedLossTrainer`` — a ``Trainer`` whose ``compute_loss`` is a class-weighted cross-entropy (built on
  first use, so that importing this module does not import transformers);
* :func:`ordinal_scores` — macro-F1, accuracy and how far off the mistakes are on ordered classes;
* :func:`fit_probe` / :func:`probe_scores` — a logistic regression on frozen sentence embeddings;
* :func:`transfer_matrix` / :func:`plot_transfer_matrix` — a score for every (train domain, test domain) pair.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

__all__ = ["class_weights", "ordinal_scores", "fit_probe", "probe_scores", "transfer_matrix",
           "plot_transfer_matrix", "WeightedLossTrainer"]


def class_weights(labels: Sequence[int], num_classes: int) -> np.ndarray:
    """One weight per class id ``0 .. num_classes-1``: ``n / (k * count)`` for each of the ``k`` classes that
    occur in ``labels`` (``n`` labels in all), 0 for a class that does not occur.

    Rare classes weigh more, and the weights average to 1 over the training examples (``sum(count * weight)
    == n``), so a weighted loss keeps the scale of the plain one. It is scikit-learn's
    ``compute_class_weight("balanced")`` over the classes present.
    """
    from sklearn.utils.class_weight import compute_class_weight

    labels = np.asarray(labels, dtype=int)
    if labels.size == 0:
        raise ValueError("class_weights needs at least one label")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"labels must lie in 0..{num_classes - 1}")
    present = np.unique(labels)
    weights = np.zeros(num_classes, dtype=np.float64)
    weights[present] = compute_class_weight("balanced", classes=present, y=labels)
    return weights


def ordinal_scores(y_true: Sequence[int], y_pred: Sequence[int]) -> dict:
    """Scores for ordered classes (ids in order, e.g. very negative … very positive).

    ``accuracy``; ``macro_f1`` (the unweighted mean of the per-class F1 scores); ``mean_distance``: the mean
    of ``|predicted − true|`` in classes; ``off_by_one`` and ``off_by_more``: the fractions of examples whose
    prediction is one class away, and two or more classes away.
    """
    from sklearn.metrics import accuracy_score, f1_score

    y_true, y_pred = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    distance = np.abs(y_pred - y_true)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "mean_distance": float(distance.mean()),
        "off_by_one": float((distance == 1).mean()),
        "off_by_more": float((distance >= 2).mean()),
    }


def fit_probe(features, labels, *, seed: int = 0, C: float = 1.0, class_weight=None):
    """A linear probe: scikit-learn's ``LogisticRegression`` on frozen features (the encoder is not trained)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=2000, random_state=seed, class_weight=class_weight).fit(features, labels)


def probe_scores(model, features, labels) -> dict:
    """``accuracy`` and ``macro_f1`` of a fitted probe (any scikit-learn classifier) on ``features``."""
    from sklearn.metrics import accuracy_score, f1_score

    predicted = model.predict(features)
    return {"accuracy": float(accuracy_score(labels, predicted)),
            "macro_f1": float(f1_score(labels, predicted, average="macro", zero_division=0))}


def transfer_matrix(predictions: Mapping[tuple[str, str], tuple], domains: Sequence[str], metric: str = "macro_f1"):
    """A ``pandas.DataFrame``: rows = the domain trained on, columns = the domain tested on.

    ``predictions[(train, test)]`` is ``(y_true, y_pred)`` on the test domain's test split; ``metric`` is
    ``"macro_f1"`` or ``"accuracy"``. Every pair of ``domains`` must be there (the diagonal too: in-domain).
    """
    import pandas as pd
    from sklearn.metrics import accuracy_score, f1_score

    scorers = {"macro_f1": lambda t, p: f1_score(t, p, average="macro", zero_division=0), "accuracy": accuracy_score}
    if metric not in scorers:
        raise ValueError(f"metric must be one of {sorted(scorers)}, got {metric!r}")
    table = pd.DataFrame(np.nan, index=pd.Index(list(domains), name="trained on"),
                         columns=pd.Index(list(domains), name="tested on"))
    for train in domains:
        for test in domains:
            if (train, test) not in predictions:
                raise KeyError(f"no predictions for train={train!r}, test={test!r}")
            y_true, y_pred = predictions[(train, test)]
            table.loc[train, test] = float(scorers[metric](y_true, y_pred))
    return table


def plot_transfer_matrix(table, *, ax=None, title="Train on a row, test on a column", label="macro-F1"):
    """Annotated heatmap of :func:`transfer_matrix`'s table (rows: trained on, columns: tested on)."""
    import matplotlib.pyplot as plt

    values = table.to_numpy(dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(2.6 + 0.9 * values.shape[1], 1.8 + 0.7 * values.shape[0]))
    image = ax.imshow(values, vmin=0.0, vmax=1.0)
    ax.set_xticks(range(values.shape[1]), list(table.columns))
    ax.set_yticks(range(values.shape[0]), list(table.index))
    ax.set_xlabel(table.columns.name or "tested on")
    ax.set_ylabel(table.index.name or "trained on")
    for (i, j), value in np.ndenumerate(values):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", color="white" if value > 0.6 else "black",
                fontweight="bold" if i == j else "normal")
    ax.grid(False)
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=label)
    return ax


def _weighted_loss_trainer():
    import torch
    from transformers import Trainer

    class WeightedLossTrainer(Trainer):
        """A ``Trainer`` whose loss is cross-entropy with one weight per class (``class_weights=``).

        With ``class_weights=None`` it computes the plain, unweighted cross-entropy.
        """

        def __init__(self, *args, class_weights=None, **kwargs):
            super().__init__(*args, **kwargs)
            self.class_weights = None if class_weights is None else torch.as_tensor(class_weights, dtype=torch.float32)

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            labels = inputs.pop("labels")
            outputs = model(**inputs)
            logits = outputs.logits
            weight = None if self.class_weights is None else self.class_weights.to(logits.device, logits.dtype)
            loss = torch.nn.functional.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1), weight=weight)
            return (loss, outputs) if return_outputs else loss

    WeightedLossTrainer.__module__ = __name__
    return WeightedLossTrainer


def __getattr__(name: str):
    if name == "WeightedLossTrainer":  # built on first use: importing transformers takes seconds
        cls = _weighted_loss_trainer()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
