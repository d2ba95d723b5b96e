"""Hyperparameter tuning and data-parallel training helpers (lesson 13 and ``scripts/train_classifier.py``).

* :func:`schedule_curve` — the learning rate at every step of a schedule, from transformers' own
  ``get_scheduler`` (what the ``Trainer`` uses), for plots and checks;
* :func:`classifier_factory` (with :func:`mean_pooled_classifier`) — a ``model_init`` for the ``Trainer``: the pretrained body (optionally cut to
  its lowest layers, embeddings optionally frozen) read from disk once, a fresh classification head at each
  call, drawn from the seed the ``Trainer`` sets — so a sweep of dozens of runs does not reload the checkpoint;
* :func:`parameter_checksum` — a sha256 of every weight, so two processes can prove they hold the same model;
* :func:`best_so_far`, :func:`trial_table`, :func:`plot_search`, :func:`plot_importances` — an Optuna study as
  a table and as figures (the any-time best curve, each trial's learning curve, parameter importances);
* :func:`reference_hp_space`, :func:`best_trial_within_budget` — the course's versions of lesson 13's exercises 2
  and 3, which the lesson runs so that it works before they are solved.
"""
from __future__ import annotations

import functools
import hashlib
import math
from typing import Any, Callable, Sequence

__all__ = ["schedule_curve", "classifier_factory", "mean_pooled_classifier", "parameter_checksum", "best_so_far", "trial_table",
           "plot_search", "plot_importances", "reference_hp_space", "best_trial_within_budget", "HP_NAMES"]

# The names a search space uses: TrainingArguments fields, so that the Trainer applies them to each trial.
HP_NAMES = ("learning_rate", "per_device_train_batch_size", "num_train_epochs", "weight_decay")


def schedule_curve(name: str, total_steps: int, warmup_steps: int = 0, base_lr: float = 1.0,
                   **scheduler_kwargs: Any) -> list[float]:
    """The learning rate of each step ``0 … total_steps - 1`` under transformers' schedule ``name``
    (``"constant"``, ``"constant_with_warmup"``, ``"linear"``, ``"cosine"``, …), starting from ``base_lr``."""
    import torch
    from transformers import get_scheduler

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base_lr)
    scheduler = get_scheduler(name, optimizer, num_warmup_steps=warmup_steps, num_training_steps=total_steps,
                              scheduler_specific_kwargs=scheduler_kwargs or None)
    rates = []
    for _ in range(total_steps):
        rates.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        scheduler.step()
    return rates


def mean_pooled_classifier(config):
    """A sequence classifier that averages the encoder's token vectors (over the attention mask) instead of
    reading the [CLS] vector: how sentence-embedding checkpoints such as MiniLM were trained, and far quicker to
    fine-tune from them. Built from ``config`` like ``AutoModelForSequenceClassification``; returns the same
    output (``loss`` when ``labels`` are given, ``logits``)."""
    from transformers import AutoModel

    return _mean_pooled_class(AutoModel._model_mapping[type(config)])(config)


@functools.lru_cache(maxsize=None)
def _mean_pooled_class(body_class):
    import torch
    from transformers import PreTrainedModel
    from transformers.modeling_outputs import SequenceClassifierOutput

    class MeanPooledClassifier(PreTrainedModel):
        config_class = body_class.config_class
        base_model_prefix = body_class.base_model_prefix
        _supports_sdpa = getattr(body_class, "_supports_sdpa", False)
        _supports_flash_attn = getattr(body_class, "_supports_flash_attn", False)
        _supports_attention_backend = getattr(body_class, "_supports_attention_backend", False)

        def __init__(self, config):
            super().__init__(config)
            pooler = "add_pooling_layer" in body_class.__init__.__code__.co_varnames
            setattr(self, self.base_model_prefix,
                    body_class(config, add_pooling_layer=False) if pooler else body_class(config))
            self.dropout = torch.nn.Dropout(getattr(config, "hidden_dropout_prob", 0.1))
            self.classifier = torch.nn.Linear(config.hidden_size, config.num_labels)
            self.post_init()

        def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None, **kwargs):
            hidden = self.base_model(input_ids=input_ids, attention_mask=attention_mask,
                                     token_type_ids=token_type_ids).last_hidden_state
            mask = (attention_mask if attention_mask is not None else torch.ones_like(input_ids)).unsqueeze(-1)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
            logits = self.classifier(self.dropout(pooled))
            loss = torch.nn.functional.cross_entropy(logits, labels) if labels is not None else None
            return SequenceClassifierOutput(loss=loss, logits=logits)

    return MeanPooledClassifier


def classifier_factory(checkpoint: str, num_labels: int = 2, *, layers: int | None = None,
                       freeze_embeddings: bool = False, pooling: str = "cls",
                       id2label: dict | None = None) -> Callable:
    """A ``model_init(trial=None)`` for the ``Trainer`` (which calls it after seeding).

    The checkpoint is read once; each call builds the model from its config, copies the pretrained weights in
    and leaves the classification head (everything the checkpoint lacks) freshly initialised from the current
    random state. ``layers`` keeps only the lowest ``layers`` transformer layers (``None``: all of them);
    ``freeze_embeddings`` stops training the embedding matrix (most of a small encoder's parameters);
    ``pooling="mean"`` averages the token vectors (:func:`mean_pooled_classifier`) instead of the usual [CLS]
    pooler — much quicker to train from a sentence-embedding checkpoint such as the fast profile's MiniLM.
    """
    import torch
    from transformers import AutoModelForSequenceClassification

    kwargs: dict[str, Any] = {"num_labels": num_labels}
    if layers is not None:
        kwargs["num_hidden_layers"] = int(layers)
    if id2label is not None:
        kwargs["id2label"] = dict(id2label)
        kwargs["label2id"] = {v: k for k, v in id2label.items()}
    template, info = AutoModelForSequenceClassification.from_pretrained(checkpoint, output_loading_info=True,
                                                                        **kwargs)
    fresh = set(info.get("missing_keys", ()))
    body = {key: value.detach().clone() for key, value in template.state_dict().items() if key not in fresh}
    config = template.config
    del template

    if pooling == "mean":
        body = {key: value for key, value in body.items() if ".pooler." not in key}

    def model_init(trial=None):
        model = mean_pooled_classifier(config) if pooling == "mean" else \
            AutoModelForSequenceClassification.from_config(config)
        with torch.no_grad():
            model.load_state_dict(body, strict=False)
        if freeze_embeddings:
            model.base_model.embeddings.requires_grad_(False)
        return model

    model_init.config = config
    return model_init


def parameter_checksum(model) -> str:
    """sha256 over the names, shapes and float32 bytes of every tensor of ``model.state_dict()``."""
    import numpy as np

    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        array = tensor.detach().cpu().float().contiguous().numpy() if tensor.is_floating_point() \
            else tensor.detach().cpu().contiguous().numpy()
        digest.update(name.encode())
        digest.update(str(tuple(array.shape)).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def best_so_far(values: Sequence[float | None], direction: str = "maximize") -> list[float]:
    """The best value seen up to each position (``None``/NaN entries keep the previous best): the any-time
    best curve of a search."""
    better = max if direction == "maximize" else min
    best, out = math.nan, []
    for value in values:
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            best = value if math.isnan(best) else better(best, value)
        out.append(best)
    return out


def _direction(study) -> str:
    return "maximize" if study.direction.name == "MAXIMIZE" else "minimize"


def trial_table(study, digits: int = 4):
    """One row per trial: state, epochs reported, objective value and the parameters (a ``DataFrame``)."""
    import pandas as pd

    rows = []
    for trial in study.trials:
        row = {"trial": trial.number, "state": trial.state.name, "epochs": len(trial.intermediate_values),
               "value": trial.value}
        for key, value in trial.params.items():
            row[key] = float(f"{value:.3g}") if isinstance(value, float) else value
        rows.append(row)
    table = pd.DataFrame(rows).set_index("trial")
    if "value" in table:
        table["value"] = table["value"].astype(float).round(digits)
    return table


def plot_search(study, *, axes=None, ylabel: str = "objective"):
    """Two panels: each trial's value with the any-time best curve; each trial's learning curve
    (pruned trials dashed, ending in ×). Returns the two ``Axes``."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 4))
    history, curves = axes
    direction = _direction(study)
    numbers = [t.number for t in study.trials]
    values = [t.value if t.state.name == "COMPLETE" else None for t in study.trials]
    done = [(n, v) for n, v in zip(numbers, values) if v is not None]
    pruned = [(t.number, t.value) for t in study.trials if t.state.name == "PRUNED" and t.value is not None]
    if done:
        history.scatter(*zip(*done), label="completed trial", zorder=3)
    if pruned:
        history.scatter(*zip(*pruned), marker="x", color="#8c8c8c", label="pruned (last report)", zorder=3)
    history.step(numbers, best_so_far(values, direction), where="post", color="#e07b39", label="best so far")
    history.set(title="Search history: any-time best", xlabel="trial", ylabel=ylabel)
    history.legend()
    for trial in study.trials:
        if not trial.intermediate_values:
            continue
        steps, vals = zip(*sorted(trial.intermediate_values.items()))
        style = {"linestyle": "--", "color": "#8c8c8c", "alpha": 0.8} if trial.state.name == "PRUNED" else {}
        curves.plot(steps, vals, marker="o", markersize=3, **style)
        if trial.state.name == "PRUNED":
            curves.plot(steps[-1], vals[-1], marker="x", color="#b84a62", markersize=8)
    curves.set(title="Learning curves (dashed: pruned)", xlabel="training step", ylabel=ylabel)
    return axes


def plot_importances(importances: dict, *, ax=None, title: str = "Parameter importance (fANOVA)"):
    """A horizontal bar per parameter, most important on top."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.5 + 0.5 * max(1, len(importances))))
    names = list(importances)[::-1]
    ax.barh(names, [importances[n] for n in names])
    ax.set(title=title, xlabel="share of the variance of the objective", xlim=(0, 1))
    return ax


def reference_hp_space(lr_low: float, lr_high: float, batch_sizes: Sequence[int], max_epochs: int) -> Callable:
    """The course's search space (lesson 13, exercise 2): ``hp_space(trial) -> dict`` for
    ``Trainer.hyperparameter_search(backend="optuna")``."""
    def hp_space(trial):
        return {
            "learning_rate": trial.suggest_float("learning_rate", lr_low, lr_high, log=True),
            "per_device_train_batch_size": trial.suggest_categorical("per_device_train_batch_size", list(batch_sizes)),
            "num_train_epochs": trial.suggest_int("num_train_epochs", 1, max_epochs),
            "weight_decay": trial.suggest_float("weight_decay", 0.0, 0.1),
        }
    return hp_space


def best_trial_within_budget(study, budget: float) -> int | None:
    """The number of the best COMPLETE trial among those that ran before ``budget`` epochs were spent.

    Trials are taken in the order they ran; a trial costs ``len(trial.intermediate_values)`` (one report per
    epoch); the first trial that would take the total over ``budget`` ends the walk. ``None`` when no completed
    trial ran. (Lesson 13, exercise 3.)"""
    maximize = _direction(study) == "maximize"
    spent, best = 0, None
    for trial in sorted(study.trials, key=lambda t: t.number):
        spent += len(trial.intermediate_values)
        if spent > budget:
            break
        if trial.state.name != "COMPLETE":
            continue
        if best is None or (trial.value > best.value if maximize else trial.value < best.value):
            best = trial
    return None if best is None else best.number
