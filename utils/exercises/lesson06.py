"""Lesson 06 exercises: a transformers head in Keras, packing token ids, the masked softmax of attention pooling."""
from __future__ import annotations

import numpy as np

from utils.grading import Exercise, expect

_rng = np.random.default_rng(606)
# Hidden inputs, never the notebook's examples.
_HIDDEN_LINEARS = [(_rng.normal(size=(2, 5)), _rng.normal(size=2)),
                   (_rng.normal(size=(3, 7)), _rng.normal(size=3))]
_HIDDEN_BATCHES = [  # (token id lists, sequence_length)
    ([[7, 8, 9], [10], [11, 12, 13, 14, 15, 16, 17, 18]], 6),
    ([[], [21, 22]], 4),
    ([[5, 6, 7, 8, 9, 10]], 8),
]
_START, _END, _PAD = 101, 102, 0
_HIDDEN_SCORES = [
    (_rng.normal(size=(3, 5)), np.array([[1, 1, 1, 0, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)),
    (_rng.normal(size=(2, 4, 1)) * 30, np.array([[1, 1, 0, 0], [0, 1, 1, 1]], dtype=bool)),
]


def _grade_linear_to_dense(linear_to_dense) -> None:
    expect(callable(linear_to_dense), "`linear_to_dense` should be a function of (weight, bias)")
    for weight, bias in _HIDDEN_LINEARS:
        out = linear_to_dense(weight, bias)
        expect(isinstance(out, (list, tuple)) and len(out) == 2, "return a list [kernel, bias], as `Dense.set_weights` expects")
        kernel, b = (np.asarray(w) for w in out)
        expect(kernel.shape == weight.T.shape, f"for a weight of shape {weight.shape} the Keras kernel should have shape "
               f"{weight.T.shape} (inputs, outputs); got {kernel.shape}")
        x = _rng.normal(size=(4, weight.shape[1]))
        expect(np.allclose(x @ kernel + b, x @ weight.T + bias, atol=1e-6),
               "Dense(x) = x @ kernel + bias must equal the Linear layer's x @ weight.T + bias")


def _keras():
    from utils.keras_setup import use_torch_backend

    use_torch_backend()
    import keras

    return keras


def _reference_pack(token_ids, sequence_length):
    _keras()
    import keras_hub

    packer = keras_hub.layers.StartEndPacker(sequence_length=sequence_length, start_value=_START,
                                             end_value=_END, pad_value=_PAD, return_padding_mask=True)
    ids, mask = packer([list(map(int, t)) for t in token_ids])
    return np.asarray(ids), np.asarray(mask).astype(bool)


def _grade_pack(pack) -> None:
    expect(callable(pack), "`pack` should be a function of (token_ids, sequence_length, start_id, end_id, pad_id)")
    for token_ids, length in _HIDDEN_BATCHES:
        out = pack(token_ids, length, _START, _END, _PAD)
        expect(isinstance(out, (list, tuple)) and len(out) == 2, "return a pair (ids, padding_mask)")
        ids, mask = (np.asarray(x) for x in out)
        expect(ids.shape == (len(token_ids), length), f"ids should have shape (texts, sequence_length) = "
               f"{(len(token_ids), length)}; got {ids.shape}")
        expect(mask.shape == ids.shape, "padding_mask should have the same shape as ids")
        want_ids, want_mask = _reference_pack(token_ids, length)
        for row, (got, want) in enumerate(zip(ids.tolist(), want_ids.tolist())):
            expect(got == want, f"for {token_ids[row]} with sequence_length={length} expected {want}, got {got} "
                   "(start id, as many tokens as fit, end id, then padding)")
        expect(np.array_equal(mask.astype(bool), want_mask), "padding_mask should be True exactly on the real "
               "positions (start, tokens, end) and False on the padding")


def _reference_masked_softmax(scores, mask):
    scores = np.asarray(scores, dtype=float)
    mask = np.asarray(mask, dtype=bool).reshape(scores.shape[:2] + (1,) * (scores.ndim - 2))
    z = np.where(mask, scores, -np.inf)
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def _grade_masked_softmax(masked_softmax) -> None:
    expect(callable(masked_softmax), "`masked_softmax` should be a function of (scores, mask)")
    keras = _keras()
    for scores, mask in _HIDDEN_SCORES:
        got = keras.ops.convert_to_numpy(masked_softmax(keras.ops.convert_to_tensor(scores, dtype="float32"),
                                                        keras.ops.convert_to_tensor(mask)))
        want = _reference_masked_softmax(scores, mask)
        expect(got.shape == want.shape, f"for scores of shape {scores.shape} the weights should have the same shape; "
               f"got {got.shape}")
        expect(np.all(np.isfinite(got)), "some weights are NaN or infinite (a large negative number, not -inf, "
               "is safer for padded scores)")
        real = np.broadcast_to(mask.reshape(mask.shape + (1,) * (want.ndim - 2)), want.shape)
        expect(np.allclose(got[~real], 0.0, atol=1e-6), "padded positions must get weight 0")
        expect(np.allclose(got.sum(axis=1), 1.0, atol=1e-5), "the weights of each text must sum to 1 over the "
               "sequence axis (axis 1)")
        expect(np.allclose(got, want, atol=1e-5), "the weights differ from a softmax over the real positions")


q1 = Exercise(
    "q1", points=1, target="linear_to_dense", grade=_grade_linear_to_dense,
    prompt="Write `linear_to_dense(weight, bias)`: turn a PyTorch `nn.Linear`'s weight (outputs × inputs) and bias "
           "into the list `[kernel, bias]` a Keras `Dense` layer takes in `set_weights` (kernel: inputs × outputs).",
    hints=[
        "A `Linear` computes `x @ weight.T + bias`, a `Dense` computes `x @ kernel + bias`.",
        "`return [np.asarray(weight).T, np.asarray(bias)]`",
    ],
    solution="def linear_to_dense(weight, bias):\n"
             "    return [np.asarray(weight).T, np.asarray(bias)]",
)

q2 = Exercise(
    "q2", points=2, target="pack", grade=_grade_pack,
    prompt="Write `pack(token_ids, sequence_length, start_id, end_id, pad_id)` for a list of token-id lists: "
           "each row is start id, the first tokens that fit, end id, then padding up to `sequence_length`. Return "
           "`(ids, padding_mask)` as numpy arrays of shape (texts, sequence_length); the mask is True on real positions.",
    hints=[
        "Two positions go to the start and end ids, so keep `tokens[:sequence_length - 2]`.",
        "Build each row as `[start_id] + kept + [end_id]`, then append `pad_id` until it is `sequence_length` long; "
        "the mask is `[True] * len(row_before_padding) + [False] * padding`.",
    ],
    solution="def pack(token_ids, sequence_length, start_id, end_id, pad_id):\n"
             "    ids, mask = [], []\n"
             "    for tokens in token_ids:\n"
             "        row = [start_id] + list(tokens)[: sequence_length - 2] + [end_id]\n"
             "        padding = sequence_length - len(row)\n"
             "        ids.append(row + [pad_id] * padding)\n"
             "        mask.append([True] * len(row) + [False] * padding)\n"
             "    return np.array(ids), np.array(mask)",
)

q3 = Exercise(
    "q3", points=2, target="masked_softmax", grade=_grade_masked_softmax,
    prompt="Write `masked_softmax(scores, mask)` with `keras.ops`: `scores` has shape (batch, tokens) or "
           "(batch, tokens, 1), `mask` (batch, tokens) is True on real tokens. Return softmax weights over the token "
           "axis (axis 1) that are 0 on padding and sum to 1 over the real tokens.",
    hints=[
        "Replace the scores of padded positions by a large negative number with `ops.where`, then `ops.softmax(..., axis=1)`.",
        "When `scores` has a trailing axis of 1, give the mask one too: `ops.expand_dims(mask, -1)` "
        "(check `len(scores.shape)`).",
    ],
    solution="def masked_softmax(scores, mask):\n"
             "    if len(scores.shape) == 3:\n"
             "        mask = ops.expand_dims(mask, -1)\n"
             "    return ops.softmax(ops.where(mask, scores, -1e9), axis=1)",
)

EXERCISES = [q1, q2, q3]
