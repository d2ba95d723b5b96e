"""Lesson 12 exercises: a layer's head-averaged attention map, attention rollout, a deletion curve.

Each grading draws new inputs: attention weights shaped as a model returns them (a tuple of one
``(1, heads, T, T)`` tensor per layer, rows softmax-normalised) with drawn numbers of layers, heads
and tokens, heads that differ from one another and a layer that is not the last; and, for the deletion
curve, token ids whose special tokens at both ends carry the highest scores, negative scores of large
magnitude, and a stand-in model whose probability depends on each token and on its position (so that
masking instead of deleting, or reordering the kept tokens, changes the answer).
"""
from __future__ import annotations

import numpy as np

from utils.grading import Exercise, Incorrect, close, expect
from utils.grading.plain import describe


# -- shared: attention weights as the model returns them ----------------------------------------------
def _attention(rng, layers: int, heads: int, tokens: int) -> list:
    """layers × 1 × heads × T × T, each row a softmax of drawn logits (plain lists, exact float64)."""
    logits = rng.normal(scale=2.0, size=(layers, 1, heads, tokens, tokens))
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    return (weights / weights.sum(-1, keepdims=True)).tolist()


def _as_model_output(attention: list):
    import torch

    return tuple(torch.tensor(layer, dtype=torch.float64) for layer in attention)


def _array(value, what: str) -> np.ndarray:
    import torch

    if isinstance(value, torch.Tensor):
        raise Incorrect(f"{what} returned a torch tensor; return a NumPy array (`.detach().numpy()`)")
    if not isinstance(value, np.ndarray):
        raise Incorrect(f"{what} should return a NumPy array, got a {type(value).__name__} ({describe(value, 60)})")
    return value


def _shape(attention: list) -> str:
    a = np.asarray(attention)
    return f"{a.shape[0]} layers, {a.shape[2]} heads, {a.shape[3]} tokens"


# -- Exercise 1: one layer's map, the heads averaged ---------------------------------------------------
def _layer_cases(rng):
    cases = []
    for _ in range(2):
        layers, heads, tokens = int(rng.integers(3, 6)), int(rng.integers(2, 7)), int(rng.integers(3, 8))
        cases.append({"attention": _attention(rng, layers, heads, tokens),
                      "layer": int(rng.integers(1, layers - 1))})  # neither the first nor the last
    return cases


def _run_layer(layer_map, case):
    return _array(layer_map(_as_model_output(case["attention"]), case["layer"]), "layer_map")


def _expected_layer(case):
    return np.asarray(case["attention"])[case["layer"], 0].mean(axis=0)


def _compare_layer(got, want, case):
    a = np.asarray(case["attention"])[:, 0]
    where = f"for attention of {_shape(case['attention'])}, layer={case['layer']}"
    expect(got.shape == want.shape, f"{where}: the map has shape {got.shape}; expected {want.shape} (tokens × "
           "tokens, one map for the layer: the batch and head axes gone)")
    mistakes = {
        "the heads are summed, not averaged (each row should still sum to 1)": a[case["layer"]].sum(0),
        "that is the maximum over the heads, not their mean": a[case["layer"]].max(0),
        "that is only the first head; average all of them": a[case["layer"], 0],
        "that is the average over the layers, not over the heads of one layer": a.mean(1).mean(0),
        "the map is transposed: rows are the queries (axis -2), columns the keys": a[case["layer"]].mean(0).T,
        "that is the last layer's map; take the layer asked for": a[-1].mean(0),
        "that is the layer before: layers count from 0 (`attentions[layer]`)": a[case["layer"] - 1].mean(0),
    }
    for why, value in mistakes.items():
        if value.shape == got.shape and np.allclose(got, value, atol=1e-6) and not np.allclose(value, want):
            raise Incorrect(f"{where}: {why}")
    close(got, want, what=f"the map {where}", atol=1e-6)


# -- Exercise 2: attention rollout -------------------------------------------------------------------------
def _rollout_cases(rng):
    cases = []
    for _ in range(2):
        layers, heads, tokens = int(rng.integers(2, 6)), int(rng.integers(2, 6)), int(rng.integers(3, 8))
        cases.append({"attention": _attention(rng, layers, heads, tokens)})
    return cases


def _run_rollout(attention_rollout, case):
    return _array(attention_rollout(_as_model_output(case["attention"])), "attention_rollout")


def _rollout(attention, residual=True, renormalise=True, bottom_up=True, reduce="mean"):
    layers = getattr(np.asarray(attention)[:, 0], reduce)(axis=1)
    result = np.eye(layers.shape[-1])
    for layer in layers:
        mixed = layer + np.eye(len(layer)) if residual else layer
        if renormalise:
            mixed = mixed / mixed.sum(-1, keepdims=True)
        result = mixed @ result if bottom_up else result @ mixed
    return result


def _rollout_columns(attention):
    result = np.eye(np.asarray(attention).shape[-1])
    for layer in np.asarray(attention)[:, 0].mean(axis=1):
        mixed = layer + np.eye(len(layer))
        result = mixed / mixed.sum(0, keepdims=True) @ result
    return result


def _expected_rollout(case):
    return _rollout(case["attention"])


def _compare_rollout(got, want, case):
    where = f"for attention of {_shape(case['attention'])}"
    expect(got.shape == want.shape, f"{where}: the rollout has shape {got.shape}; expected {want.shape} (tokens × "
           "tokens)")
    attention = case["attention"]
    mixed = np.asarray(attention)[-1, 0].mean(0) + np.eye(want.shape[0])
    mistakes = {
        "the residual identity is missing: use A + I for each layer": _rollout(attention, residual=False),
        "the rows are not renormalised after adding the identity (each row of A + I sums to 2)":
            _rollout(attention, renormalise=False),
        "the product is in the wrong order: the first layer acts first, so R = Ã_L ⋯ Ã_2 Ã_1 "
        "(`R = A_tilde @ R` going up)": _rollout(attention, bottom_up=False),
        "wrong order and no renormalisation": _rollout(attention, renormalise=False, bottom_up=False),
        "the heads are combined with max; average them": _rollout(attention, reduce="max"),
        "that is the last layer alone; multiply the maps of all layers": mixed / mixed.sum(-1, keepdims=True),
        "the columns are renormalised; each row (one query's weights) should sum to 1":
            _rollout_columns(attention),
    }
    for why, value in mistakes.items():
        if np.allclose(got, value, atol=1e-6) and not np.allclose(value, want, atol=1e-6):
            raise Incorrect(f"{where}: {why}")
    close(got, want, what=f"the rollout {where}", atol=1e-6)


# -- Exercise 3: a deletion curve ----------------------------------------------------------------------------
def _token_weight(token: int, salt: int) -> float:
    return ((token * 2654435761 + salt * 97) % 1000) / 250 - 2.0


def _prob(ids, salt: int) -> float:
    """A stand-in classifier: a logistic score of the tokens, each weighted by its position."""
    z = sum(_token_weight(int(t), salt) * 0.8 ** j for j, t in enumerate(ids)) / 2
    return float(1 / (1 + np.exp(-z)))


def _deletion_cases(rng):
    cases = []
    for full in (False, True):
        n = int(rng.integers(5, 11))  # tokens between [CLS] and [SEP]
        body = [int(t) for t in rng.choice(np.arange(1000, 9000), size=n, replace=False)]
        scores = rng.normal(size=n)
        scores[rng.choice(n, size=2, replace=False)] *= -6  # large negative scores: not by magnitude
        top = float(np.abs(scores).max()) + 1
        cases.append({"ids": [101, *body, 102], "scores": [top + 1, *scores.round(4).tolist(), top + 2],
                      "k_max": n if full else int(rng.integers(2, n)), "salt": int(rng.integers(1000))})
    return cases


def _run_deletion(deletion_curve, case):
    salt = case["salt"]

    def prob(ids):
        ids = list(ids)
        if not all(isinstance(t, (int, np.integer)) for t in ids):
            raise TypeError("prob takes a list of token ids (ints)")
        return _prob(ids, salt)

    got = deletion_curve(prob, list(case["ids"]), list(case["scores"]), case["k_max"])
    if hasattr(got, "tolist"):
        got = got.tolist()
    expect(isinstance(got, list), f"deletion_curve should return a list of floats, got a {type(got).__name__}")
    return [float(g) for g in got]


def _curve(case, key=None, keep_ends=True, deleted=True, cumulative=True, reorder=False):
    ids, scores, k_max = case["ids"], case["scores"], case["k_max"]
    candidates = range(1, len(ids) - 1) if keep_ends else range(len(ids))
    ranked = sorted(candidates, key=key or (lambda i: -scores[i]))
    out = []
    for k in range(k_max + 1):
        gone = set(ranked[:k]) if cumulative else set(ranked[k - 1:k])
        if deleted:
            kept = [t for i, t in enumerate(ids) if i not in gone]
            out.append(_prob(sorted(kept) if reorder else kept, case["salt"]))
        else:
            out.append(_prob([103 if i in gone else t for i, t in enumerate(ids)], case["salt"]))
    return out


def _expected_deletion(case):
    return _curve(case)


def _compare_deletion(got, want, case):
    scores = case["scores"]
    where = (f"for {len(case['ids'])} ids, scores {describe([round(s, 2) for s in scores], 80)} and "
             f"k_max={case['k_max']}")
    expect(len(got) == len(want), f"{where}: the curve has {len(got)} points; expected k_max + 1 = {len(want)} "
           "(the first point is the full input, k = 0)")
    mistakes = {
        "the lowest-scoring tokens are deleted first; delete the highest first": _curve(case, key=lambda i: scores[i]),
        "the tokens are ranked by the magnitude of their score; rank by the score itself (a negative score "
        "speaks against the class)": _curve(case, key=lambda i: -abs(scores[i])),
        "the first and last tokens ([CLS], [SEP]) were deleted too; they always stay":
            _curve(case, keep_ends=False),
        "the tokens are replaced (masked), not deleted: remove them from the list": _curve(case, deleted=False),
        "only the k-th token is missing at step k; the deletions accumulate (the top k are all gone)":
            _curve(case, cumulative=False),
        "the kept tokens must stay in their original order": _curve(case, reorder=True),
    }
    for why, value in mistakes.items():
        if len(value) == len(got) and np.allclose(got, value, atol=1e-9) and not np.allclose(value, want):
            raise Incorrect(f"{where}: {why}")
    close(got, want, what=f"the curve {where}", atol=1e-9)


# -- the exercises ---------------------------------------------------------------------------------------------
def _layer_answer(expression: str) -> str:
    return f"def layer_map(attentions, layer):\n    return {expression}"


def _rollout_answer(step: str = "(A + I) / (A + I).sum(-1, keepdims=True)", product: str = "A_tilde @ R",
                    reduce: str = "mean") -> str:
    return ("import numpy as np\n"
            "def attention_rollout(attentions):\n"
            "    T = attentions[0].shape[-1]\n"
            "    I = np.eye(T)\n"
            "    R = np.eye(T)\n"
            "    for layer in attentions:\n"
            f"        A = layer[0].detach().numpy().{reduce}(axis=0)\n"
            f"        A_tilde = {step}\n"
            f"        R = {product}\n"
            "    return R")


def _deletion_answer(order: str = "sorted(range(1, len(ids) - 1), key=lambda i: -scores[i])",
                     kept: str = "[t for i, t in enumerate(ids) if i not in gone]",
                     gone: str = "set(order[:k])", start: int = 0) -> str:
    return ("def deletion_curve(prob, ids, scores, k_max):\n"
            f"    order = {order}\n"
            "    curve = []\n"
            f"    for k in range({start}, k_max + 1):\n"
            f"        gone = {gone}\n"
            f"        curve.append(prob({kept}))\n"
            "    return curve")


q1 = Exercise(
    "q1", points=1, target="layer_map",
    cases=_layer_cases, run=_run_layer, expected=_expected_layer, compare=_compare_layer,
    hints=[
        "`attentions[layer]` has shape (1, heads, T, T): index the batch item 0, then average over the head axis.",
        "`attentions[layer][0].mean(dim=0).detach().numpy()`",
    ],
    wrong={
        "sum over the heads": _layer_answer("attentions[layer][0].sum(0).numpy()"),
        "max over the heads": _layer_answer("attentions[layer][0].max(0).values.numpy()"),
        "the first head only": _layer_answer("attentions[layer][0, 0].numpy()"),
        "the average over the layers": _layer_answer(
            "sum(a[0].mean(0) for a in attentions).numpy() / len(attentions)"),
        "transposed": _layer_answer("attentions[layer][0].mean(0).T.numpy()"),
        "layers counted from 1": _layer_answer("attentions[layer - 1][0].mean(0).numpy()"),
        "a tensor, not an array": _layer_answer("attentions[layer][0].mean(0)"),
    },
)

q2 = Exercise(
    "q2", points=2, target="attention_rollout",
    cases=_rollout_cases, run=_run_rollout, expected=_expected_rollout, compare=_compare_rollout,
    hints=[
        "For each layer, bottom up: `A = layer[0].mean(0)`, `A_tilde = A + I`, divide each row by its sum.",
        "Start from `R = I` and update `R = A_tilde @ R` layer after layer: the last layer ends up on the left.",
    ],
    wrong={
        "no residual identity": _rollout_answer(step="A"),
        "no renormalisation": _rollout_answer(step="A + I"),
        "the wrong multiplication order": _rollout_answer(product="R @ A_tilde"),
        "max over the heads": _rollout_answer(reduce="max"),
        "columns renormalised": _rollout_answer(step="(A + I) / (A + I).sum(0, keepdims=True)"),
    },
)

q3 = Exercise(
    "q3", points=2, target="deletion_curve",
    cases=_deletion_cases, run=_run_deletion, expected=_expected_deletion, compare=_compare_deletion,
    hints=[
        "Rank the positions 1 … len(ids) - 2 by decreasing score once; at step k delete the first k of that ranking.",
        "`kept = [t for i, t in enumerate(ids) if i not in set(order[:k])]`, then `prob(kept)`, for k = 0 … k_max.",
    ],
    wrong={
        "lowest scores first": _deletion_answer(order="sorted(range(1, len(ids) - 1), key=lambda i: scores[i])"),
        "ranked by magnitude": _deletion_answer(
            order="sorted(range(1, len(ids) - 1), key=lambda i: -abs(scores[i]))"),
        "special tokens deleted too": _deletion_answer(order="sorted(range(len(ids)), key=lambda i: -scores[i])"),
        "masked instead of deleted": _deletion_answer(kept="[103 if i in gone else t for i, t in enumerate(ids)]"),
        "not cumulative": _deletion_answer(gone="set(order[k - 1:k])"),
        "no point for k = 0": _deletion_answer(start=1),
    },
)

EXERCISES = [q1, q2, q3]
