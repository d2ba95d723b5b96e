"""One plot style for the whole course, and the figures several lessons share.

Every helper returns the matplotlib ``Axes`` it drew on, so a lesson can add to it or save it
(``ax.figure.savefig("x.png")``).
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np

COURSE_STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titleweight": "bold",
    "axes.titlesize": 12,
    "axes.labelsize": 10,
    "legend.frameon": False,
    "image.cmap": "Blues",
    "axes.prop_cycle": plt.cycler(color=["#1f5aa6", "#e07b39", "#3a9d5d", "#b84a62", "#7d5ba6", "#8c8c8c"]),
}


def use_course_style() -> None:
    """Apply the house style to every figure drawn after this call."""
    plt.rcParams.update(COURSE_STYLE)


def _axes(ax=None, figsize=None):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def confusion_matrix(y_true, y_pred, labels: Sequence[str] | None = None, *, normalize=None, ax=None, title="Confusion matrix"):
    """Confusion matrix drawn with scikit-learn's ``ConfusionMatrixDisplay``.

    ``y_true``/``y_pred`` are label ids (0..n-1) or strings; ``labels`` names the ids in order.
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    ax = _axes(ax, figsize=(4.8 + 0.25 * len(labels or []), 4.2 + 0.25 * len(labels or [])))
    ids = list(range(len(labels))) if labels is not None and not isinstance(y_true[0], str) else None
    display = ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=ids, display_labels=labels, normalize=normalize, ax=ax, colorbar=False,
        values_format=".2f" if normalize else "d",
    )
    ax.grid(False)
    ax.set_title(title)
    plt.setp(ax.get_xticklabels(), rotation=45 if labels and len(labels) > 4 else 0, ha="right" if labels and len(labels) > 4 else "center")
    return display.ax_


def precision_recall(y_true, scores, *, ax=None, name: str | None = None, title="Precision-recall curve"):
    """Precision-recall curve for a binary task; ``scores`` are the positive-class probabilities."""
    from sklearn.metrics import PrecisionRecallDisplay

    ax = _axes(ax)
    PrecisionRecallDisplay.from_predictions(y_true, scores, ax=ax, name=name, plot_chance_level=True)
    ax.set_title(title)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    return ax


def loss_curves(log_history: list[dict], *, ax=None, title="Training and evaluation loss"):
    """Training and evaluation loss against the step, read from ``trainer.state.log_history``."""
    ax = _axes(ax)
    train = [(row["step"], row["loss"]) for row in log_history if "loss" in row and "step" in row]
    evals = [(row["step"], row["eval_loss"]) for row in log_history if "eval_loss" in row]
    if not train and not evals:
        raise ValueError("log_history holds no 'loss' or 'eval_loss' entries: set logging_steps / eval_strategy")
    if train:
        ax.plot(*zip(*train), marker=".", label="training loss")
    if evals:
        ax.plot(*zip(*evals), marker="o", label="evaluation loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend()
    return ax


def attention_heatmap(attention, tokens: Sequence[str], *, ax=None, title="Attention"):
    """Heatmap of one attention matrix (queries × keys) with the tokens on both axes."""
    weights = np.asarray(attention.detach().cpu() if hasattr(attention, "detach") else attention)
    if weights.shape != (len(tokens), len(tokens)):
        raise ValueError(f"attention has shape {weights.shape}, expected {(len(tokens), len(tokens))} for {len(tokens)} tokens")
    size = 2.5 + 0.28 * len(tokens)
    ax = _axes(ax, figsize=(size, size))
    image = ax.imshow(weights, vmin=0, vmax=max(float(weights.max()), 1e-9))
    ax.set_xticks(range(len(tokens)), tokens, rotation=90)
    ax.set_yticks(range(len(tokens)), tokens)
    ax.set_xlabel("attended to (keys)")
    ax.set_ylabel("attending (queries)")
    ax.grid(False)
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def similarity_matrix(matrix, labels: Sequence[str], *, ax=None, title="Cosine similarity"):
    """Annotated heatmap of a square similarity matrix (e.g. sentence embeddings)."""
    values = np.asarray(matrix)
    ax = _axes(ax, figsize=(3 + 0.6 * len(labels), 2.5 + 0.5 * len(labels)))
    image = ax.imshow(values, vmin=min(0.0, float(values.min())), vmax=1.0)
    short = [label if len(label) <= 28 else label[:25] + "…" for label in labels]
    ax.set_xticks(range(len(labels)), short, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), short)
    for (i, j), value in np.ndenumerate(values):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", color="white" if value > 0.6 else "black", fontsize=8)
    ax.grid(False)
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def bars(values: dict, *, ax=None, title="", xlabel="", horizontal=True):
    """Labelled bar chart of a ``{name: value}`` mapping (scores, counts, timings)."""
    names, numbers = list(values), [float(v) for v in values.values()]
    ax = _axes(ax, figsize=(6.4, 0.9 + 0.35 * len(names)) if horizontal else None)
    if horizontal:
        ax.barh(names[::-1], numbers[::-1])
        ax.set_xlabel(xlabel)
    else:
        ax.bar(names, numbers)
        ax.set_ylabel(xlabel)
    ax.set_title(title)
    return ax
