"""Lesson 06 exercises: a PyTorch head in Keras, packing token ids, the masked softmax of attention pooling.

Each grading draws new inputs: linear layers of random sizes (one of them square, so a reshaped weight has the
right shape but the wrong values); batches of token-id lists — empty, exactly fitting, too long — with a random
``sequence_length`` and random special ids (never BERT's 101/102/0 all at once); and scores of both shapes,
(batch, tokens) and (batch, tokens, 1), whose largest values often sit on padded positions.
"""
from __future__ import annotations

import numpy as np

from utils.grading import Exercise, Incorrect, expect


# -- Exercise 1: linear_to_dense ------------------------------------------------------------------------
def _linear_cases(rng):
    shapes = [(int(rng.integers(2, 5)), int(rng.integers(5, 9))), (int(rng.integers(5, 9)), int(rng.integers(2, 5)))]
    side = int(rng.integers(2, 6))
    shapes.append((side, side))  # square: only the values tell a transpose from a reshape
    cases = []
    for i in rng.permutation(len(shapes)):
        out_features, in_features = shapes[i]
        cases.append({"weight": np.round(rng.normal(size=(out_features, in_features)), 4).tolist(),
                      "bias": np.round(rng.normal(size=out_features), 4).tolist()})
    return cases


def _run_linear(linear_to_dense, case):
    weight = np.asarray(case["weight"], dtype=np.float32)
    bias = np.asarray(case["bias"], dtype=np.float32)
    out = linear_to_dense(weight, bias)
    expect(isinstance(out, (list, tuple)) and len(out) == 2,
           f"return a list [kernel, bias], as `Dense.set_weights` expects; got {_kind(out)}")
    return [np.asarray(out[0]), np.asarray(out[1])]


def _kind(value) -> str:
    name = type(value).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    if isinstance(value, (list, tuple)):
        return f"{article} {name} of {len(value)} items"
    shape = getattr(value, "shape", None)
    return f"{article} {name}" + (f" of shape {tuple(shape)}" if shape is not None else "")


def _expected_linear(case):
    weight, bias = np.asarray(case["weight"]), np.asarray(case["bias"])
    return [weight.T, bias]


def _compare_linear(got, want, case):
    kernel, bias = (np.asarray(x, dtype=float) for x in got)
    weight = np.asarray(case["weight"])
    shape = f"for a Linear weight of shape {weight.shape} (outputs, inputs)"
    expect(kernel.shape == want[0].shape, f"{shape} the kernel should have shape {want[0].shape} (inputs, outputs); "
           f"got {kernel.shape}")
    if not np.allclose(kernel, want[0], atol=1e-6):
        reshaped = weight.reshape(want[0].shape)
        hint = " — a reshape keeps the order of the numbers; the kernel is the transpose" \
            if np.allclose(kernel, reshaped, atol=1e-6) else ""
        raise Incorrect(f"{shape} the kernel has the right shape but the wrong values{hint}: Dense computes "
                        "x @ kernel + bias, Linear x @ weight.T + bias")
    expect(bias.shape == want[1].shape, f"the bias should have shape {want[1].shape} (one number per output), "
           f"got {bias.shape}")
    expect(np.allclose(bias, want[1], atol=1e-6), "the bias should be the Linear layer's bias, unchanged")


# -- Exercise 2: pack -----------------------------------------------------------------------------------
def _pack_cases(rng):
    cases = []
    for length in rng.choice(np.arange(4, 13), size=2, replace=False):
        length = int(length)
        sizes = [0, length - 2, length - 2 + int(rng.integers(1, 6)), int(rng.integers(1, length - 2))]
        sizes += [int(x) for x in rng.integers(0, length + 4, size=int(rng.integers(0, 3)))]
        rng.shuffle(sizes)
        start, end, pad = (int(x) for x in rng.permutation([1, 2, 3, 5, 7, 9])[:3])
        cases.append({"token_ids": [[int(t) for t in rng.integers(200, 1000, size=n)] for n in sizes],
                      "sequence_length": length, "start_id": start, "end_id": end, "pad_id": pad})
    return cases


def _run_pack(pack, case):
    out = pack([list(t) for t in case["token_ids"]], case["sequence_length"], case["start_id"], case["end_id"],
               case["pad_id"])
    expect(isinstance(out, (list, tuple)) and len(out) == 2, f"return a pair (ids, padding_mask); got {_kind(out)}")
    return [out[0], out[1]]


def _reference_pack(case):
    length, ids, mask = case["sequence_length"], [], []
    for tokens in case["token_ids"]:
        row = [case["start_id"], *tokens[: length - 2], case["end_id"]]
        ids.append(row + [case["pad_id"]] * (length - len(row)))
        mask.append([True] * len(row) + [False] * (length - len(row)))
    return [np.asarray(ids, dtype=np.int64), np.asarray(mask, dtype=bool)]


def _grid(value, what, shape):
    try:
        array = np.asarray(value)
    except ValueError:
        array = None
    if array is None or array.dtype == object or array.shape != shape:
        lengths = [len(row) for row in value] if isinstance(value, list) and all(isinstance(r, list) for r in value) else None
        raise Incorrect(f"{what} should have shape (texts, sequence_length) = {shape}"
                        + (f"; its rows have lengths {lengths}" if lengths else f"; got {_kind(array if array is not None else value)}"))
    return array


def _compare_pack(got, want, case):
    length = case["sequence_length"]
    special = f"start_id={case['start_id']}, end_id={case['end_id']}, pad_id={case['pad_id']}"
    ids = _grid(got[0], "ids", want[0].shape)
    for tokens, row, ref in zip(case["token_ids"], ids.tolist(), want[0].tolist()):
        expect(row == ref, f"for the tokens {tokens} with sequence_length={length} ({special}) the row is {row}; "
               f"expected {ref}: start id, as many tokens as fit, end id, then padding")
    mask = _grid(got[1], "padding_mask", want[1].shape)
    expect(mask.dtype == bool or set(np.unique(mask).tolist()) <= {0, 1},
           f"padding_mask should hold True/False, got values {sorted(set(np.unique(mask).tolist()))[:5]}")
    for tokens, row, ref in zip(case["token_ids"], mask.astype(bool).tolist(), want[1].tolist()):
        expect(row == ref, f"for the tokens {tokens} with sequence_length={length} the mask is {row}; expected {ref}: "
               "True on every real position (start id, tokens, end id), False on the padding")


# -- Exercise 3: masked_softmax -------------------------------------------------------------------------
def _softmax_cases(rng):
    cases = []
    for trailing in rng.permutation([False, True, bool(rng.integers(2))]):
        batch = int(rng.integers(2, 5))
        tokens = int(rng.choice([t for t in range(3, 9) if t != batch]))  # batch != tokens: axes cannot be confused
        scale = float(rng.choice([1.0, 10.0, 50.0]))
        scores = rng.normal(size=(batch, tokens)) * scale
        real = [tokens, int(rng.integers(1, tokens))] + [int(rng.integers(1, tokens + 1)) for _ in range(batch - 2)]
        mask = np.zeros((batch, tokens), dtype=bool)
        for row, n in enumerate(rng.permutation(real)):  # one text without padding, one with, others at random
            mask[row, :n] = True
            if n < tokens:  # the largest score sits on a padded position
                scores[row, int(rng.integers(n, tokens))] = np.abs(scores[row]).max() + scale
        scores = np.round(scores, 4)
        cases.append({"scores": (scores[..., None] if trailing else scores).tolist(), "mask": mask.tolist()})
    return cases


def _keras():
    from utils.keras_setup import use_torch_backend

    use_torch_backend()
    import keras

    return keras


def _run_softmax(masked_softmax, case):
    keras = _keras()
    scores = keras.ops.convert_to_tensor(np.asarray(case["scores"], dtype=np.float32))
    mask = keras.ops.convert_to_tensor(np.asarray(case["mask"], dtype=bool))
    try:
        out = masked_softmax(scores, mask)
    except RuntimeError as exc:
        if len(scores.shape) == 3 and "must match the size of tensor" in str(exc):
            raise Incorrect(f"for scores of shape {tuple(scores.shape)} your function raised {exc}: give the mask the "
                            "trailing axis of the scores first (`ops.expand_dims(mask, -1)`)") from None
        raise
    try:
        return np.asarray(keras.ops.convert_to_numpy(out), dtype=float)
    except Exception as exc:
        raise Incorrect(f"return a tensor of weights (`keras.ops`), got {_kind(out)}") from exc


def _expected_softmax(case):
    scores = np.asarray(case["scores"], dtype=float)
    mask = np.asarray(case["mask"], dtype=bool).reshape(scores.shape[:2] + (1,) * (scores.ndim - 2))
    z = np.where(mask, scores, -np.inf)
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def _compare_softmax(got, want, case):
    shape = np.shape(case["scores"])
    expect(got.shape == want.shape, f"for scores of shape {shape} the weights should have the same shape; got {got.shape}")
    expect(bool(np.all(np.isfinite(got))), f"for scores of shape {shape} some weights are NaN or infinite (a large "
           "negative number such as -1e9, not -inf, is safer for the padded scores)")
    mask = np.broadcast_to(np.asarray(case["mask"], dtype=bool).reshape(shape[:2] + (1,) * (len(shape) - 2)), shape)
    expect(bool(np.allclose(got[~mask], 0.0, atol=1e-6)), f"for scores of shape {shape} padded positions (mask False) "
           "get weights up to {:.3f}; they must get weight 0".format(float(np.abs(got[~mask]).max())))
    sums = got.sum(axis=1)
    expect(bool(np.allclose(sums, 1.0, atol=1e-5)), f"for scores of shape {shape} the weights of each text should sum "
           f"to 1 over the token axis (axis 1); the sums are {np.round(sums.ravel(), 3).tolist()}")
    expect(bool(np.allclose(got, want, atol=1e-5)), f"for scores of shape {shape} the weights differ from a softmax "
           "over the real positions")


# -- the exercises --------------------------------------------------------------------------------------
q1 = Exercise(
    "q1", points=1, target="linear_to_dense",
    cases=_linear_cases, run=_run_linear, expected=_expected_linear, compare=_compare_linear,
    hints=[
        "A `Linear` computes `x @ weight.T + bias`, a `Dense` computes `x @ kernel + bias`.",
        "`return [np.asarray(weight).T, np.asarray(bias)]`",
    ],
    wrong={
        "no transpose": "import numpy as np\ndef linear_to_dense(weight, bias):\n    return [np.asarray(weight), np.asarray(bias)]",
        "reshape instead of transpose": (
            "import numpy as np\n"
            "def linear_to_dense(weight, bias):\n"
            "    w = np.asarray(weight)\n"
            "    return [w.reshape(w.shape[1], w.shape[0]), np.asarray(bias)]"),
        "the kernel only": "import numpy as np\ndef linear_to_dense(weight, bias):\n    return np.asarray(weight).T",
        "bias first": "import numpy as np\ndef linear_to_dense(weight, bias):\n    return [np.asarray(bias), np.asarray(weight).T]",
        "bias as a row": (
            "import numpy as np\n"
            "def linear_to_dense(weight, bias):\n"
            "    return [np.asarray(weight).T, np.asarray(bias).reshape(1, -1)]"),
    },
)

_PACK = ("import numpy as np\n"
         "def pack(token_ids, sequence_length, start_id, end_id, pad_id):\n"
         "    ids, mask = [], []\n"
         "    for tokens in token_ids:\n"
         "        row = [start_id] + list(tokens)[: sequence_length - 2] + [end_id]\n"
         "        padding = sequence_length - len(row)\n"
         "        ids.append(row + [pad_id] * padding)\n"
         "        mask.append([True] * len(row) + [False] * padding)\n"
         "    return np.array(ids), np.array(mask)\n")

q2 = Exercise(
    "q2", points=2, target="pack",
    cases=_pack_cases, run=_run_pack, expected=_reference_pack, compare=_compare_pack,
    hints=[
        "Two positions go to the start and end ids, so keep `tokens[:sequence_length - 2]`.",
        "Build each row as `[start_id] + kept + [end_id]`, then append `pad_id` until it is `sequence_length` long; "
        "the mask is `[True] * len(row_before_padding) + [False] * padding`.",
    ],
    wrong={
        "end id cut off by truncation": _PACK.replace(
            "row = [start_id] + list(tokens)[: sequence_length - 2] + [end_id]",
            "row = ([start_id] + list(tokens) + [end_id])[:sequence_length]"),
        "mask inverted": _PACK.replace("[True] * len(row) + [False] * padding", "[False] * len(row) + [True] * padding"),
        "mask without start and end": _PACK.replace(
            "[True] * len(row) + [False] * padding", "[False] + [True] * (len(row) - 2) + [False] * (padding + 1)"),
        "BERT's ids hard-coded": _PACK.replace("[start_id]", "[101]").replace("[end_id]", "[102]").replace(
            "[pad_id]", "[0]"),
        "padding on the left": _PACK.replace("ids.append(row + [pad_id] * padding)",
                                             "ids.append([pad_id] * padding + row)").replace(
            "[True] * len(row) + [False] * padding", "[False] * padding + [True] * len(row)"),
    },
)

q3 = Exercise(
    "q3", points=2, target="masked_softmax",
    cases=_softmax_cases, run=_run_softmax, expected=_expected_softmax, compare=_compare_softmax,
    hints=[
        "Replace the scores of padded positions by a large negative number with `ops.where`, then "
        "`ops.softmax(..., axis=1)`.",
        "When `scores` has a trailing axis of 1, give the mask one too: `ops.expand_dims(mask, -1)` "
        "(check `len(scores.shape)`).",
    ],
    wrong={
        "no mask": "def masked_softmax(scores, mask):\n    from keras import ops\n    return ops.softmax(scores, axis=1)",
        "mask applied after the softmax": (
            "def masked_softmax(scores, mask):\n"
            "    from keras import ops  # imported here: the grader selects the torch backend first\n"
            "    if len(scores.shape) == 3:\n"
            "        mask = ops.expand_dims(mask, -1)\n"
            "    return ops.softmax(scores, axis=1) * ops.cast(mask, scores.dtype)"),
        "scores multiplied by the mask": (
            "def masked_softmax(scores, mask):\n"
            "    from keras import ops  # imported here: the grader selects the torch backend first\n"
            "    if len(scores.shape) == 3:\n"
            "        mask = ops.expand_dims(mask, -1)\n"
            "    return ops.softmax(scores * ops.cast(mask, scores.dtype), axis=1)"),
        "softmax over the last axis": (
            "def masked_softmax(scores, mask):\n"
            "    from keras import ops  # imported here: the grader selects the torch backend first\n"
            "    if len(scores.shape) == 3:\n"
            "        mask = ops.expand_dims(mask, -1)\n"
            "    return ops.softmax(ops.where(mask, scores, -1e9), axis=-1)"),
        "mask not expanded for (batch, tokens, 1)": (
            "def masked_softmax(scores, mask):\n"
            "    from keras import ops  # imported here: the grader selects the torch backend first\n"
            "    return ops.softmax(ops.where(mask, scores, -1e9), axis=1)"),
    },
)

EXERCISES = [q1, q2, q3]
