"""KerasHub on the course's models (lesson 06): the torch backend, presets per profile, HF heads.

``use_torch_backend()`` must run before the first ``import keras``. ``keras_preset(role)`` gives what
``from_preset`` should read: a named Kaggle preset in the full profile, a local transformers folder
in the fast one (KerasHub converts those itself; :func:`hf_preset_dir` only adds the ``vocab.txt``
its BERT tokenizer needs). KerasHub ignores a transformers folder's classification head;
:func:`load_hf_classifier_head` copies it into a ``BertTextClassifier``.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
import warnings
from pathlib import Path

__all__ = ["use_torch_backend", "keras_preset", "is_transformers_folder", "hf_preset_dir",
           "linear_to_dense", "load_hf_classifier_head", "masked_softmax", "installed_size_mb", "KAGGLE_PRESETS"]

BACKEND = "torch"
# Full profile: KerasHub's own presets (downloaded from Kaggle by ``from_preset``), one per role.
KAGGLE_PRESETS = {
    "sentiment-model": "bert_tiny_en_uncased_sst2",  # BERT-tiny fine-tuned on SST-2, head included
    "encoder": "bert_tiny_en_uncased",               # the same backbone without a task head
}
_NOISE = (  # harmless messages of the torch backend without JAX / TensorFlow
    ".*Failed to load jax profiler.*",
    ".*prefetch_buffer_size=.* is smaller than num_threads.*",
    ".*`shuffle=True` was passed, but will be ignored since the data `x` was provided as a grain dataset.*",
)


def use_torch_backend() -> str:
    """Select Keras' torch backend and hide known noise; call it before ``import keras``.

    Raises ``RuntimeError`` when Keras was already imported with another backend (restart the kernel).
    """
    if "keras" in sys.modules:
        import keras

        if keras.backend.backend() != BACKEND:
            raise RuntimeError(f"keras was imported with the {keras.backend.backend()!r} backend before "
                               f"use_torch_backend(); restart the kernel and call it first")
    os.environ["KERAS_BACKEND"] = BACKEND
    for pattern in _NOISE:
        warnings.filterwarnings("ignore", message=pattern)
    logging.getLogger("absl").setLevel(logging.ERROR)
    return BACKEND


def is_transformers_folder(preset: str | os.PathLike) -> bool:
    """True for a local folder saved by transformers (a ``config.json`` with ``model_type``)."""
    config = Path(preset) / "config.json"
    if not config.is_file():
        return False
    return "model_type" in json.loads(config.read_text(encoding="utf-8"))


def hf_preset_dir(folder: str | os.PathLike, cache: str | os.PathLike | None = None) -> str:
    """A folder KerasHub's BERT classes can read for the transformers folder ``folder``.

    KerasHub's BERT tokenizer reads ``vocab.txt``; transformers 5 saves only ``tokenizer.json``.
    Returns ``folder`` itself when it has a ``vocab.txt``, else a sibling view under ``cache``
    (default: the course cache) with links to its files plus a ``vocab.txt`` written from the
    WordPiece vocabulary in ``tokenizer.json``.
    """
    folder = Path(folder).resolve()
    if not is_transformers_folder(folder):
        raise FileNotFoundError(f"{folder} is not a transformers model folder (no config.json with model_type)")
    if (folder / "vocab.txt").is_file():
        return str(folder)
    tokenizer_file = folder / "tokenizer.json"
    if not tokenizer_file.is_file():
        raise FileNotFoundError(f"{folder} has neither vocab.txt nor tokenizer.json")
    model = json.loads(tokenizer_file.read_text(encoding="utf-8"))["model"]
    if model.get("type") != "WordPiece":
        raise ValueError(f"{tokenizer_file}: expected a WordPiece tokenizer, found {model.get('type')!r}")
    vocab = model["vocab"]
    if sorted(vocab.values()) != list(range(len(vocab))):
        raise ValueError(f"{tokenizer_file}: token ids are not 0..{len(vocab) - 1}")
    if cache is None:
        from utils.resources import cache_dir

        cache = cache_dir() / "keras-views"
    view = Path(cache) / f"{folder.name}-{hashlib.sha1(str(folder).encode()).hexdigest()[:10]}"
    if (view / "vocab.txt").is_file():
        return str(view)
    view.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=view.parent, prefix=".tmp-"))
    for item in folder.iterdir():
        (tmp / item.name).symlink_to(item)
    (tmp / "vocab.txt").write_text("\n".join(sorted(vocab, key=vocab.get)) + "\n", encoding="utf-8")
    try:
        os.replace(tmp, view)
    except OSError:  # another process published the same view first
        if not (view / "vocab.txt").is_file():
            raise
    return str(view)


def keras_preset(role: str) -> str:
    """What ``from_preset`` should load for ``role``: a Kaggle preset name (full) or a local folder (fast,
    and a full-profile dry run)."""
    from utils.profile import dry_run, get_profile

    if role not in KAGGLE_PRESETS:
        raise ValueError(f"no KerasHub preset for role {role!r}; known: {', '.join(KAGGLE_PRESETS)}")
    if get_profile() == "full" and not dry_run():  # a full-profile dry run reads the fast folders
        print(f"full profile: {role} → KerasHub preset {KAGGLE_PRESETS[role]}")
        return KAGGLE_PRESETS[role]
    from utils.resources import checkpoint

    return hf_preset_dir(checkpoint(role))


def linear_to_dense(weight, bias):
    """A PyTorch ``nn.Linear``'s (weight ``(out, in)``, bias) as a Keras ``Dense``'s [kernel ``(in, out)``, bias]."""
    import numpy as np

    weight, bias = np.asarray(weight), np.asarray(bias)
    if weight.ndim != 2 or bias.shape != (weight.shape[0],):
        raise ValueError(f"expected weight (out, in) and bias (out,), got {weight.shape} and {bias.shape}")
    return [weight.T.copy(), bias.copy()]


def load_hf_classifier_head(classifier, folder: str | os.PathLike, prefix: str = "classifier") -> None:
    """Copy the ``{prefix}.weight`` / ``{prefix}.bias`` head of a transformers ``BertForSequenceClassification``
    folder into ``classifier``'s ``logits`` layer (KerasHub converts the backbone only)."""
    from safetensors.numpy import load_file

    files = sorted(Path(folder).glob("*.safetensors"))
    if not files:
        raise FileNotFoundError(f"{folder} has no .safetensors weights")
    tensors = {}
    for file in files:
        tensors.update(load_file(file))
    keys = (f"{prefix}.weight", f"{prefix}.bias")
    missing = [k for k in keys if k not in tensors]
    if missing:
        raise KeyError(f"{folder} has no {missing}: not a sequence-classification checkpoint")
    layer = classifier.get_layer("logits")
    new = linear_to_dense(*(tensors[k] for k in keys))
    have = [tuple(w.shape) for w in layer.get_weights()]
    if have != [tuple(w.shape) for w in new]:
        raise ValueError(f"head shapes differ: the Keras layer has {have}, the folder {[w.shape for w in new]} "
                         "(check num_classes)")
    layer.set_weights(new)


def masked_softmax(scores, mask):
    """Softmax of ``scores`` (batch, tokens[, 1]) over axis 1 with weight 0 where ``mask`` (batch, tokens) is False."""
    from keras import ops

    mask = ops.cast(mask, "bool")  # 0/1 integer masks work too
    if len(scores.shape) == 3:
        mask = ops.expand_dims(mask, -1)
    return ops.softmax(ops.where(mask, scores, -1e9), axis=1)


def installed_size_mb(distributions) -> float:
    """Disk size in MB of the installed files of the named distributions (as listed in their RECORD)."""
    from importlib import metadata

    total = 0
    for name in distributions:
        files = metadata.distribution(name).files or []
        total += sum(f.locate().stat().st_size for f in files if f.locate().is_file())
    return total / 1e6
