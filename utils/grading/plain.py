"""Plain data: what crosses from the learner's kernel to the grader.

The kernel turns whatever a learner's function returned into JSON-able data with :func:`to_plain`;
the grader reads it back with :func:`from_plain`. Only ``None``, bools, ints, floats, strings, lists,
dicts and numeric arrays survive the trip, rebuilt from their values on the grader's side, so an
object whose ``==`` always holds, a ``str`` subclass that lies, or a tensor with a patched
``__eq__`` arrives as the plain value it really holds (or is refused).
"""
from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["to_plain", "from_plain", "roundtrip", "NotPlain", "describe"]

MAX_BYTES = 8_000_000  # a generous bound on one exercise's outputs
_ARRAY, _DICT = "__array__", "__dict__"


class NotPlain(TypeError):
    """A value that cannot be sent to the grader as plain data."""


def to_plain(value: Any, _depth: int = 0) -> Any:
    """``value`` as JSON-able data; arrays and tensors keep their dtype and shape."""
    if _depth > 50:
        raise NotPlain("the value is nested more than 50 levels deep")
    if value is None or isinstance(value, bool):
        return None if value is None else bool(value)
    if isinstance(value, str):
        return str.__str__(value)  # the characters themselves, whatever the subclass says
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if _is_array(value):
        return _array_to_plain(value)
    if isinstance(value, Mapping) or _is_user_dict(value):
        return {_DICT: [[to_plain(k, _depth + 1), to_plain(v, _depth + 1)] for k, v in value.items()]}
    if isinstance(value, (Sequence, set, frozenset, range)) and not isinstance(value, (bytes, bytearray)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [to_plain(v, _depth + 1) for v in items]
    raise NotPlain(f"a {type(value).__name__} cannot be checked; return numbers, strings, lists, dicts or arrays")


def _is_user_dict(value: Any) -> bool:
    # transformers' BatchEncoding is a UserDict, not a Mapping subclass in every version
    return hasattr(value, "keys") and hasattr(value, "items") and hasattr(value, "__getitem__")


def _is_array(value: Any) -> bool:
    module = type(value).__module__ or ""
    return (module.startswith("numpy") and hasattr(value, "dtype")) or module.startswith("torch")


def _array_to_plain(value: Any) -> dict:
    if type(value).__module__.startswith("torch"):
        import torch

        if not isinstance(value, torch.Tensor):
            raise NotPlain(f"a {type(value).__name__} cannot be checked; return a tensor or plain numbers")
        value = value.detach().cpu()
        if value.dtype == torch.bfloat16:
            value = value.float()
        value = value.numpy()
    import numpy as np

    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise NotPlain(f"an array of dtype {array.dtype} cannot be checked; use numbers")
    return {_ARRAY: array.tolist(), "dtype": str(array.dtype), "shape": list(array.shape)}


def from_plain(data: Any) -> Any:
    """The grader's side of :func:`to_plain`: arrays come back as ``numpy`` arrays, pairs as dicts."""
    if isinstance(data, list):
        return [from_plain(v) for v in data]
    if isinstance(data, dict):
        if _ARRAY in data:
            import numpy as np

            return np.asarray(data[_ARRAY], dtype=data["dtype"]).reshape(data["shape"])
        if _DICT in data:
            pairs = [(from_plain(k), from_plain(v)) for k, v in data[_DICT]]
            out = {}
            for k, v in pairs:
                out[_hashable(k)] = v
            return out
        raise NotPlain("unexpected object in the kernel's report")
    if data is None or type(data) in (bool, int, float, str):
        return data
    raise NotPlain(f"unexpected {type(data).__name__} in the kernel's report")


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def roundtrip(value: Any) -> Any:
    """``from_plain(json(to_plain(value)))``: what the grader would receive for ``value``."""
    text = json.dumps(to_plain(value), allow_nan=True)
    if len(text) > MAX_BYTES:
        raise NotPlain(f"the answer is {len(text) / 1e6:.1f} MB as data; that is more than expected")
    return from_plain(json.loads(text))


def describe(value: Any, limit: int = 120) -> str:
    """A short readable form of a value for messages."""
    if isinstance(value, float) and math.isfinite(value):
        text = f"{value:.4g}"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
