"""Looking inside a classifier: attention maps, attention rollout, token attributions, deletion curves.

Lesson 12 and ``course attention`` use it::

    model, tokenizer = load_classifier("sentiment-model")      # a role or a model folder; eager attention
    enc = encode(tokenizer, "A gripping, beautifully acted film.")
    maps = attention_maps(model, enc)                           # layers × heads × tokens × tokens (numpy)
    rollout(maps)                                               # tokens × tokens
    integrated_gradients(model, enc, target)                    # one score per token (Captum)
    deletion_curve(model, enc["input_ids"][0].tolist(), scores, k_max=10, target=target)

Layers and heads are numbered from 0. "Removing" a token means deleting it from the sequence (the
special tokens at both ends stay), the same operation for occlusion and for the deletion curves.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

METHODS = ("attention", "rollout", "integrated gradients", "gradient × input", "occlusion")


# -- the model -------------------------------------------------------------------------------------
def resolve_model(model: str) -> str:
    """A model folder as given, or the checkpoint of a role of ``utils/manifest.toml``."""
    if Path(model).is_dir():
        return str(model)
    from utils.resources import checkpoint, manifest

    if model in manifest()["roles"]:
        return checkpoint(model)
    raise FileNotFoundError(f"{model!r} is neither a model folder nor a role of utils/manifest.toml")


def load_classifier(model: str = "sentiment-model"):
    """``(model, tokenizer)`` of a sequence classifier, in eval mode, with eager attention, weights frozen.

    The default attention implementation (sdpa) computes no attention weights: ``output_attentions``
    only warns and returns none, so the maps need ``attn_implementation="eager"``. The attributions need
    gradients with respect to the embeddings only; frozen weights make their backward passes about twice as fast.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from utils.profile import device

    path = resolve_model(model)
    tokenizer = AutoTokenizer.from_pretrained(path)
    classifier = AutoModelForSequenceClassification.from_pretrained(path, attn_implementation="eager")
    return classifier.to(device()).eval().requires_grad_(False), tokenizer


def encode(tokenizer, text: str, max_length: int = 128) -> dict:
    """One text as a batch of one: ``input_ids`` and ``attention_mask`` only (DistilBERT takes no
    ``token_type_ids``; for one sentence BERT's are all 0, its default), truncated to ``max_length``."""
    out = tokenizer(text, truncation=True, max_length=max_length, return_tensors="pt")
    return {"input_ids": out["input_ids"], "attention_mask": out["attention_mask"]}


def tokens_of(tokenizer, enc: dict) -> list[str]:
    return tokenizer.convert_ids_to_tokens(enc["input_ids"][0].tolist())


def _batch(model, id_lists: Sequence[Sequence[int]], pad_id: int):
    """Right-padded ``input_ids`` and ``attention_mask`` on the model's device."""
    import torch

    width = max(len(ids) for ids in id_lists)
    ids = torch.full((len(id_lists), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(id_lists), width), dtype=torch.long)
    for row, seq in enumerate(id_lists):
        ids[row, :len(seq)] = torch.as_tensor(list(seq), dtype=torch.long)
        mask[row, :len(seq)] = 1
    return ids.to(model.device), mask.to(model.device)


def probabilities(model, id_lists: Sequence[Sequence[int]], batch_size: int = 64) -> np.ndarray:
    """Class probabilities (n × classes) for token-id sequences of any lengths."""
    import torch

    pad = model.config.pad_token_id if model.config.pad_token_id is not None else 0
    out = []
    with torch.inference_mode():
        for start in range(0, len(id_lists), batch_size):
            ids, mask = _batch(model, id_lists[start:start + batch_size], pad)
            out.append(model(input_ids=ids, attention_mask=mask).logits.float().softmax(-1).cpu().numpy())
    return np.concatenate(out)


# -- attention ---------------------------------------------------------------------------------------
def attention_maps(model, enc: dict) -> np.ndarray:
    """Every attention matrix of one text: an array of layers × heads × tokens × tokens.

    Row ``i`` of a map is how much token ``i`` (the query) attends to each token (the keys); rows sum to 1.
    """
    import torch

    with torch.inference_mode():
        out = model(**{k: v.to(model.device) for k, v in enc.items()}, output_attentions=True)
    if not out.attentions or out.attentions[0] is None:
        raise ValueError("the model returned no attention weights: load it with attn_implementation='eager'")
    return torch.stack([a[0] for a in out.attentions]).float().cpu().numpy()


def head_average(maps: np.ndarray) -> np.ndarray:
    """Layer maps: the mean over the heads (… × heads × T × T → … × T × T)."""
    return np.asarray(maps).mean(axis=-3)


def rollout(maps: np.ndarray, residual: bool = True) -> np.ndarray:
    """Attention rollout (Abnar & Zuidema, 2020) of layers × heads × T × T maps → T × T.

    Each layer's head-averaged map gets the residual connection as an identity (``A + I``), rows
    renormalised to 1; the layers are then chained from the first up: ``R = Ã_L ⋯ Ã_2 Ã_1``. Row ``i`` of
    ``R`` says how the top-layer representation of token ``i`` mixes the input tokens.
    """
    layers = head_average(maps)
    result = np.eye(layers.shape[-1])
    for layer in layers:
        mixed = layer + np.eye(len(layer)) if residual else layer
        mixed = mixed / mixed.sum(axis=-1, keepdims=True)
        result = mixed @ result
    return result


def cls_scores(matrix: np.ndarray) -> np.ndarray:
    """What the first token ([CLS], which the classification head reads) takes from each token."""
    return np.asarray(matrix)[0]


# -- attributions --------------------------------------------------------------------------------------
def _forward(model, target: int):
    def forward(input_ids, attention_mask):
        return model(input_ids=input_ids, attention_mask=attention_mask).logits.softmax(-1)[:, target]
    return forward


def _special_mask(tokenizer, ids) -> np.ndarray:
    return np.array(tokenizer.get_special_tokens_mask(list(ids), already_has_special_tokens=True), dtype=bool)


def integrated_gradients(model, tokenizer, enc: dict, target: int, n_steps: int = 32, return_delta: bool = False):
    """Integrated gradients of the target-class probability on the word embeddings, summed per token.

    Captum's ``LayerIntegratedGradients`` on ``model.get_input_embeddings()`` (``bert.embeddings.word_embeddings``
    for BERT/MiniLM, ``distilbert.embeddings.word_embeddings`` for DistilBERT); the baseline keeps the special
    tokens and puts the padding token everywhere else. With ``return_delta``, also Captum's convergence delta:
    how far the attributions' sum misses ``f(input) - f(baseline)`` (0 for an exact path integral).
    """
    import torch
    from captum.attr import LayerIntegratedGradients

    ids = enc["input_ids"].to(model.device)
    mask = enc["attention_mask"].to(model.device)
    special = torch.as_tensor(_special_mask(tokenizer, ids[0].tolist()), device=ids.device)
    baseline = torch.where(special, ids[0], torch.full_like(ids[0], tokenizer.pad_token_id))[None]
    lig = LayerIntegratedGradients(_forward(model, target), model.get_input_embeddings())
    attributions, delta = lig.attribute(ids, baselines=baseline, additional_forward_args=(mask,), n_steps=n_steps,
                                        internal_batch_size=n_steps, return_convergence_delta=True)
    scores = attributions.sum(-1)[0].detach().float().cpu().numpy()
    return (scores, float(delta[0])) if return_delta else scores


def gradient_x_input(model, enc: dict, target: int) -> np.ndarray:
    """Gradient × input on the word embeddings (Captum's ``LayerGradientXActivation``), summed per token."""
    from captum.attr import LayerGradientXActivation

    ids, mask = enc["input_ids"].to(model.device), enc["attention_mask"].to(model.device)
    attributions = LayerGradientXActivation(_forward(model, target), model.get_input_embeddings()).attribute(
        ids, additional_forward_args=(mask,))
    return attributions.sum(-1)[0].detach().float().cpu().numpy()


def occlusion(model, tokenizer, enc: dict, target: int) -> np.ndarray:
    """Leave-one-out occlusion: how far the target probability drops when each token is deleted (0 for specials)."""
    ids = enc["input_ids"][0].tolist()
    special = _special_mask(tokenizer, ids)
    positions = [i for i in range(len(ids)) if not special[i]]
    variants = [ids] + [ids[:i] + ids[i + 1:] for i in positions]
    probs = probabilities(model, variants)[:, target]
    scores = np.zeros(len(ids))
    scores[positions] = probs[0] - probs[1:]
    return scores


def explain(model, tokenizer, enc: dict, target: int, n_steps: int = 32) -> dict[str, np.ndarray]:
    """One score per token by each of :data:`METHODS` (higher = more in favour of ``target``)."""
    maps = attention_maps(model, enc)
    return {
        "attention": cls_scores(head_average(maps[-1])),
        "rollout": cls_scores(rollout(maps)),
        "integrated gradients": integrated_gradients(model, tokenizer, enc, target, n_steps=n_steps),
        "gradient × input": gradient_x_input(model, enc, target),
        "occlusion": occlusion(model, tokenizer, enc, target),
    }


# -- faithfulness -----------------------------------------------------------------------------------------
def delete_top(ids: Sequence[int], scores: Sequence[float], k: int, keep: Sequence[bool]) -> list[int]:
    """``ids`` without the ``k`` highest-scoring tokens among those not kept (order otherwise unchanged)."""
    candidates = [i for i in range(len(ids)) if not keep[i]]
    ranked = sorted(candidates, key=lambda i: (-scores[i], i))
    gone = set(ranked[:k])
    return [t for i, t in enumerate(ids) if i not in gone]


def deletion_curves(model, tokenizer, ids: Sequence[int], rankings: dict, k_max: int, target: int
                    ) -> dict[str, np.ndarray]:
    """``{name: curve}``: the target probability after deleting the top 0, 1, …, ``k_max`` tokens of each
    ranking (``{name: one score per token}``; special tokens stay), all in one batch."""
    keep = _special_mask(tokenizer, ids)
    variants = [tuple(delete_top(ids, scores, k, keep)) for scores in rankings.values() for k in range(k_max + 1)]
    unique = list(dict.fromkeys(variants))  # rankings share k = 0 and often their first deletions: run each once
    prob_of = dict(zip(unique, probabilities(model, unique, batch_size=256)[:, target]))
    probs = np.array([prob_of[v] for v in variants]).reshape(len(rankings), k_max + 1)
    return dict(zip(rankings, probs))


def deletion_curve(model, tokenizer, ids: Sequence[int], scores: Sequence[float], k_max: int, target: int
                   ) -> np.ndarray:
    """Target probability after deleting the top 0, 1, …, ``k_max`` tokens by ``scores`` (specials stay)."""
    return deletion_curves(model, tokenizer, ids, {"scores": scores}, k_max, target)["scores"]


def faithfulness(model, tokenizer, texts: Sequence[str], k_max: int = 10, n_steps: int = 32, n_random: int = 3,
                 max_length: int = 64, seed: int = 0, progress: bool = True, return_scores: bool = False):
    """Deletion curves of every method (and of random orders) over ``texts``: ``{method: reviews × (k_max + 1)}``.

    Each text is explained for its predicted class; the curves follow that class's probability. The random
    baseline is the mean curve of ``n_random`` random orders per text (seeded). With ``return_scores``, also
    each text's ``{method: scores of its word tokens}`` (special tokens left out): ``(curves, scores)``.
    """
    from tqdm.auto import tqdm

    rng = np.random.default_rng(seed)
    curves: dict[str, list] = {}
    word_scores = []
    for text in tqdm(list(texts), desc="deletion curves", disable=not progress):
        enc = encode(tokenizer, text, max_length=max_length)
        ids = enc["input_ids"][0].tolist()
        target = int(probabilities(model, [ids])[0].argmax())
        orders = explain(model, tokenizer, enc, target, n_steps=n_steps)
        words = ~_special_mask(tokenizer, ids)
        word_scores.append({name: scores[words] for name, scores in orders.items()})
        orders.update({f"random {r}": rng.random(len(ids)) for r in range(n_random)})
        for name, row in deletion_curves(model, tokenizer, ids, orders, k_max, target).items():
            curves.setdefault("random" if name.startswith("random ") else name, []).append(row)
    out = {name: np.array(rows) for name, rows in curves.items() if name != "random"}
    out["random"] = np.array(curves["random"]).reshape(len(texts), n_random, k_max + 1).mean(axis=1)
    return (out, word_scores) if return_scores else out


def rank_agreement(word_scores: Sequence[dict]) -> tuple[list[str], np.ndarray]:
    """``(methods, matrix)``: the Spearman correlation of every two methods' token scores, averaged over texts
    (texts where a method gives all tokens the same score are skipped for that pair)."""
    from scipy.stats import spearmanr

    names = list(word_scores[0])
    matrix = np.ones((len(names), len(names)))
    for i, a in enumerate(names):
        for j, b in enumerate(names[:i]):
            values = [spearmanr(s[a], s[b]).statistic for s in word_scores
                      if len(s[a]) > 2 and np.ptp(s[a]) > 0 and np.ptp(s[b]) > 0]
            matrix[i, j] = matrix[j, i] = float(np.mean(values)) if values else np.nan
    return names, matrix


def area_over_curve(curve: Sequence[float]) -> float:
    """Mean drop from the first point, over all points (AOPC, Samek et al. 2017): higher = more faithful."""
    curve = np.asarray(curve, dtype=float)
    return float(np.mean(curve[0] - curve))


# -- figures ---------------------------------------------------------------------------------------------
def heads_grid(maps: np.ndarray, tokens: Sequence[str], layer: int, columns: int = 4):
    """Every head of one layer, small multiples with the tokens on the axes; returns the figure."""
    import matplotlib.pyplot as plt

    heads = maps[layer]
    rows = -(-len(heads) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 2.2 * rows), squeeze=False)
    for h, ax in enumerate(axes.flat):
        ax.grid(False)
        if h >= len(heads):
            ax.axis("off")
            continue
        ax.imshow(heads[h], vmin=0, vmax=1)
        ax.set_title(f"head {h}", fontsize=9)
        show = len(tokens) <= 32
        bottom, left = h + columns >= len(heads), h % columns == 0
        ax.set_xticks(range(len(tokens)) if show and bottom else [], tokens if show and bottom else [], rotation=90,
                      fontsize=6)
        ax.set_yticks(range(len(tokens)) if show and left else [], tokens if show and left else [], fontsize=6)
    fig.suptitle(f"Layer {layer}: the attention of each head (rows: queries, columns: keys)", fontweight="bold")
    fig.tight_layout()
    return fig


def picker(maps: np.ndarray, tokens: Sequence[str]):
    """An ipywidgets layer/head picker over the maps ("mean" = the head average of the layer)."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from utils import plots

    layer = widgets.IntSlider(value=len(maps) - 1, min=0, max=len(maps) - 1, description="layer")
    head = widgets.Dropdown(options=["mean", *range(maps.shape[1])], value="mean", description="head")
    out = widgets.Output()

    def draw(*_):
        with out:
            out.clear_output(wait=True)
            matrix = head_average(maps[layer.value]) if head.value == "mean" else maps[layer.value, head.value]
            ax = plots.attention_heatmap(matrix, tokens, title=f"layer {layer.value}, head {head.value}")
            plt.show(ax.figure)

    layer.observe(draw, "value")
    head.observe(draw, "value")
    draw()
    return widgets.VBox([widgets.HBox([layer, head]), out])


def token_scores(tokens: Sequence[str], scores: dict, *, ax=None, title="Token scores"):
    """One row per method, one cell per token, each row scaled to its largest magnitude (red −, blue +)."""
    import matplotlib.pyplot as plt

    names = list(scores)
    rows = np.array([np.asarray(scores[n], dtype=float) for n in names])
    rows = rows / np.maximum(np.abs(rows).max(axis=1, keepdims=True), 1e-12)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.5 + 0.55 * len(tokens), 0.8 + 0.5 * len(names)))
    ax.imshow(rows, cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
    ax.set_xticks(range(len(tokens)), tokens, rotation=60, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.grid(False)
    ax.set_title(title)
    return ax


def save_heatmap(model: str, text: str, out: str | Path = "attention.png", layer: int | None = None,
                 head: int | None = None, use_rollout: bool = False, max_length: int = 64) -> Path:
    """Write the attention heatmap of ``text`` as a PNG (the ``course attention`` command); returns its path.

    ``layer`` defaults to the last one and ``head`` to the mean of the heads; ``use_rollout`` draws the
    rollout over all layers instead.
    """
    import matplotlib.pyplot as plt

    from utils import plots

    plots.use_course_style()
    classifier, tokenizer = load_classifier(model)
    enc = encode(tokenizer, text, max_length=max_length)
    maps, tokens = attention_maps(classifier, enc), tokens_of(tokenizer, enc)
    n_layers, n_heads = maps.shape[:2]
    layer = n_layers - 1 if layer is None else layer
    if not -n_layers <= layer < n_layers:
        raise ValueError(f"layer {layer} does not exist: the model has layers 0..{n_layers - 1}")
    if head is not None and not 0 <= head < n_heads:
        raise ValueError(f"head {head} does not exist: the model has heads 0..{n_heads - 1}")
    probs = probabilities(classifier, [enc["input_ids"][0].tolist()])[0]
    label = classifier.config.id2label[int(probs.argmax())]
    if use_rollout:
        matrix, what = rollout(maps), "rollout over all layers"
    elif head is None:
        matrix, what = head_average(maps[layer]), f"layer {layer % n_layers}, mean of {n_heads} heads"
    else:
        matrix, what = maps[layer, head], f"layer {layer % n_layers}, head {head}"
    ax = plots.attention_heatmap(matrix, tokens, title=f"{what}\nprediction: {label} ({probs.max():.2f})")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    ax.figure.savefig(out)
    plt.close(ax.figure)
    return out
