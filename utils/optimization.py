"""Making a classifier small and fast (lesson 14, ``benchmarks/optimization.py``).

One benchmark harness, many variants of the same model::

    model, tokenizer = load_classifier("sentiment-model")          # a role or a model folder, fp32, CPU
    fp32 = Variant("fp32", torch_predictor(model, tokenizer), model_size_mb(model))
    int8, warned = quantize_dynamic_int8(model)                    # torch.ao (deprecated in torch 2.13)
    onnx_path = export_onnx(model, tokenizer, folder)              # torch.onnx.export(..., dynamo=True)
    onnx_int8 = quantize_onnx(onnx_path, folder / "model.int8.onnx")  # onnxruntime.quantization
    results = compare([fp32, ...], texts, labels)                  # accuracy, p50/p95 at batch 1, texts/s at 32, MB
    table(results)

Every variant is a function ``texts -> logits`` (tokenisation included: what a service pays), so torch
and onnxruntime models are measured the same way. Timings interleave the variants round by round, so
that a change in the machine's load hits them all alike; on a shared machine they stay noisy.

Pruning: :func:`magnitude_prune` (unstructured, ``torch.nn.utils.prune``: zeros in dense matrices,
no faster on CPU) and :func:`prune_heads` (structured: whole attention heads cut out of the matrices,
which do get smaller). transformers 5 removed ``PreTrainedModel.prune_heads``; :func:`prune_heads`
does the same with ``transformers.pytorch_utils.prune_linear_layer``, for BERT- and DistilBERT-style
models. Distillation: :func:`make_student` (every other layer of the teacher), :func:`distillation_loss`
and :class:`DistillationTrainer`.
"""
from __future__ import annotations

import contextlib
import copy
import logging
import os
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

Predict = Callable[[Sequence[str]], np.ndarray]
MAX_LENGTH = 128


@contextlib.contextmanager
def _quiet_logs():
    """Silence log records up to WARNING (the exporter's "torchvision is not installed" lines, the quantiser's
    advice to pre-process) for the duration of a call; errors still show."""
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


# -- sizes ------------------------------------------------------------------------------------------
def size_on_disk(path: str | os.PathLike) -> int:
    """Bytes of a file, or of every file below a folder (subfolders included)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def model_size_mb(model) -> float:
    """MB (10⁶ bytes) of a torch model's ``state_dict`` written with ``torch.save``.

    ``torch.save`` rather than safetensors because dynamically quantised modules keep their int8
    weights in packed parameters that safetensors cannot store; the same writer for every variant
    keeps the sizes comparable.
    """
    import torch

    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "weights.pt"
        torch.save(model.state_dict(), file)
        return size_on_disk(file) / 1e6


# -- latency ----------------------------------------------------------------------------------------
def latency_summary(seconds: Sequence[float], warmup: int) -> dict:
    """p50, p95 and mean in milliseconds of consecutive call times, the first ``warmup`` left out."""
    kept = np.asarray(seconds[warmup:], dtype=float) * 1000
    if kept.size == 0:
        raise ValueError(f"{len(seconds)} timings and {warmup} warm-up calls: nothing left to summarise")
    return {"p50_ms": float(np.percentile(kept, 50)), "p95_ms": float(np.percentile(kept, 95)),
            "mean_ms": float(kept.mean())}


def time_calls(fn: Callable[[], object], repeats: int) -> list[float]:
    """Wall-clock seconds of ``repeats`` consecutive calls of ``fn`` (``time.perf_counter``)."""
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


# -- variants ---------------------------------------------------------------------------------------
@dataclass
class Variant:
    """A named way to run the classifier: ``predict(texts) -> logits`` and its size on disk."""

    name: str
    predict: Predict
    size_mb: float
    note: str = ""


def load_classifier(model: str = "sentiment-model"):
    """``(model, tokenizer)``: a role or a folder, fp32, on the CPU, in eval mode, gradients off."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from utils.attention import resolve_model

    path = resolve_model(model)
    tokenizer = AutoTokenizer.from_pretrained(path)
    net = AutoModelForSequenceClassification.from_pretrained(path, dtype="float32")
    return net.to("cpu").eval().requires_grad_(False), tokenizer


def _encode(tokenizer, texts: Sequence[str], max_length: int, tensors: str) -> dict:
    enc = tokenizer(list(texts), padding=True, truncation=True, max_length=max_length, return_tensors=tensors)
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}


def torch_predictor(model, tokenizer, max_length: int = MAX_LENGTH) -> Predict:
    """``texts -> logits`` (numpy) with a torch model, tokenisation included, under ``inference_mode``."""
    import torch

    def predict(texts):
        with torch.inference_mode():
            return model(**_encode(tokenizer, texts, max_length, "pt")).logits.float().numpy()

    return predict


def quantize_dynamic_int8(model):
    """``(int8 copy, warning messages)``: ``torch.ao.quantization.quantize_dynamic`` on every ``nn.Linear``.

    Weights are stored in int8 (one scale per tensor); activations are quantised on the fly, per batch,
    so no calibration data is needed. Embeddings and LayerNorms stay fp32. torch 2.13 marks
    ``torch.ao.quantization`` deprecated in favour of torchao; the warnings it raises are returned so a
    lesson can show them.
    """
    import torch

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quantized = torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear},
                                                           dtype=torch.qint8)
    messages = list(dict.fromkeys(str(w.message) for w in caught))
    return quantized.eval(), messages


def _logits_only(model):
    """A module whose forward takes ``input_ids`` and ``attention_mask`` and returns the logits tensor alone
    (what the ONNX graph should output, rather than a ``ModelOutput``)."""
    import torch

    class LogitsOnly(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

    return LogitsOnly(model).eval()


def export_onnx(model, tokenizer, out: str | os.PathLike, max_length: int = MAX_LENGTH) -> Path:
    """Write ``model`` to ``out`` (a ``.onnx`` file, or a folder that gets ``model.onnx``) with
    ``torch.onnx.export(..., dynamo=True)``: inputs ``input_ids`` and ``attention_mask`` (batch and
    sequence length dynamic), output ``logits``. Weights go into the one file (models < 2 GB)."""
    import torch
    from torch.export import Dim

    out = Path(out)
    path = out if out.suffix == ".onnx" else out / "model.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    example = _encode(tokenizer, ["an example input", "and a second, longer example input"], max_length, "pt")
    longest = getattr(model.config, "max_position_embeddings", 512)
    batch, seq = Dim("batch", min=1, max=4096), Dim("sequence", min=2, max=longest)
    shapes = {"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}}
    with warnings.catch_warnings(), _quiet_logs():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(_logits_only(model), (), kwargs=example, dynamo=True,
                                    dynamic_shapes=shapes, input_names=["input_ids", "attention_mask"],
                                    output_names=["logits"], optimize=True, verbose=False)
    program.save(str(path), external_data=False)
    return path


def quantize_onnx(source: str | os.PathLike, target: str | os.PathLike) -> Path:
    """int8 weights for an ONNX model with ``onnxruntime.quantization.quantize_dynamic`` (the weights of
    the matrix products and of the embedding lookups to signed int8, activations quantised at run time).
    Needs the ``onnx`` package."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _quiet_logs():
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)
    return target


def fuse_onnx(source: str | os.PathLike, target: str | os.PathLike, config) -> Path:
    """onnxruntime's transformer optimiser (``onnxruntime.transformers.optimizer``, ``model_type="bert"``):
    fuses LayerNorm + residual (SkipLayerNormalization), bias + GELU and, where it recognises the pattern,
    attention, into single kernels. Falls back to a plain copy, with a printed note, if the graph defeats it."""
    import shutil

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    heads = getattr(config, "num_attention_heads", None) or getattr(config, "n_heads")
    hidden = getattr(config, "hidden_size", None) or getattr(config, "dim")
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        with _quiet_logs():
            fused = optimize_model(str(source), model_type="bert", num_heads=heads, hidden_size=hidden)
            fused.save_model_to_file(str(target))
    except Exception as err:  # noqa: BLE001 - an optimisation, never a reason to fail
        print(f"onnxruntime's transformer optimiser skipped: {type(err).__name__}: {err}")
        shutil.copyfile(source, target)
    return target


def fused_ops(path: str | os.PathLike) -> dict[str, int]:
    """How many nodes of each fused kernel type an ONNX file holds (the optimiser's work, counted)."""
    import onnx

    kinds: dict[str, int] = {}
    for node in onnx.load(str(path), load_external_data=False).graph.node:
        if node.op_type in ("SkipLayerNormalization", "BiasGelu", "FastGelu", "Gelu", "Attention",
                            "MultiHeadAttention", "EmbedLayerNormalization", "LayerNormalization"):
            kinds[node.op_type] = kinds.get(node.op_type, 0) + 1
    return kinds


def onnx_session(path: str | os.PathLike, threads: int | None = None):
    """An onnxruntime CPU session with all graph optimisations (``threads``: intra-op threads, default all)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # no busy-waiting threads between calls (like OMP_WAIT_POLICY=PASSIVE for torch): spinning threads of one
    # session steal the cores of the next variant when variants are timed in turn on a small machine
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def onnx_predictor(path_or_session, tokenizer, max_length: int = MAX_LENGTH) -> Predict:
    """``texts -> logits`` with onnxruntime (a ``.onnx`` path or a session), tokenisation included."""
    session = onnx_session(path_or_session) if isinstance(path_or_session, (str, os.PathLike)) else path_or_session
    names = {i.name for i in session.get_inputs()}

    def predict(texts):
        enc = _encode(tokenizer, texts, max_length, "np")
        return session.run(["logits"], {k: v.astype(np.int64) for k, v in enc.items() if k in names})[0]

    return predict


def save_onnx_folder(model, tokenizer, out: str | os.PathLike, int8: bool = True, max_length: int = MAX_LENGTH,
                     onnx_file: str | os.PathLike | None = None) -> Path:
    """A folder ``course serve`` can load: ``model.onnx`` (int8 by default), ``config.json``, tokenizer.

    ``onnx_file``: an ONNX file of ``model`` made already (exported, quantised or not), copied as it is
    instead of exporting again."""
    import shutil

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if onnx_file is not None:
        shutil.copyfile(onnx_file, out / "model.onnx")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            fp32 = export_onnx(model, tokenizer, Path(tmp) / "model.onnx", max_length=max_length)
            if int8:
                quantize_onnx(fp32, out / "model.onnx")
            else:
                shutil.copyfile(fp32, out / "model.onnx")
    model.config.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


# -- pruning ----------------------------------------------------------------------------------------
def _encoder_linears(model) -> list:
    """The ``nn.Linear`` modules of the transformer layers (not the embeddings, not the classifier head)."""
    import torch

    layers = _layer_list(model)
    return [m for layer in layers for m in layer.modules() if isinstance(m, torch.nn.Linear)]


def magnitude_prune(model, amount: float):
    """A copy with the fraction ``amount`` of the smallest-magnitude weights of the encoder's linear
    layers set to zero, ranked over all of them together (``prune.global_unstructured``, L1), made
    permanent with ``prune.remove``. The matrices keep their shapes: zeros are stored and multiplied."""
    from torch.nn.utils import prune

    pruned = copy.deepcopy(model)
    if amount > 0:
        params = [(m, "weight") for m in _encoder_linears(pruned)]
        prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=float(amount))
        for module, name in params:
            prune.remove(module, name)
    return pruned.eval()


def sparsity(model) -> float:
    """The fraction of exactly-zero weights in the encoder's linear layers."""
    zeros = total = 0
    for module in _encoder_linears(model):
        zeros += int((module.weight == 0).sum())
        total += module.weight.numel()
    return zeros / total


def _layer_list(model):
    """The ``nn.ModuleList`` of transformer layers (BERT: ``encoder.layer``, DistilBERT: ``transformer.layer``)."""
    import torch

    n = getattr(model.config, "num_hidden_layers", None) or getattr(model.config, "n_layers", None)
    for module in model.modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) == n:
            return module
    raise ValueError(f"no list of {n} transformer layers found in {type(model).__name__}")


def _attention_parts(layer):
    """``(query, key, value, output projection, attention module)`` of one BERT or DistilBERT layer."""
    if hasattr(layer, "attention") and hasattr(layer.attention, "self"):  # BERT, MiniLM, RoBERTa
        s = layer.attention.self
        return s.query, s.key, s.value, layer.attention.output.dense, s
    a = layer.attention  # DistilBERT
    return a.q_lin, a.k_lin, a.v_lin, a.out_lin, a


def heads_per_layer(model) -> list[int]:
    """How many attention heads each layer has now (pruning makes them differ)."""
    out = []
    for layer in _layer_list(model):
        q, *_, attn = _attention_parts(layer)
        out.append(q.out_features // attn.attention_head_size)
    return out


def head_importance(model) -> np.ndarray:
    """layers × heads scores: ‖W_V of the head‖ · ‖W_O columns of the head‖ (Frobenius), a cheap proxy
    for how much a head can write into the residual stream. Needs the full, unpruned set of heads."""
    rows = []
    for layer in _layer_list(model):
        _, _, v, o, attn = _attention_parts(layer)
        d = attn.attention_head_size
        heads = v.out_features // d
        rows.append([float(v.weight[h * d:(h + 1) * d].norm() * o.weight[:, h * d:(h + 1) * d].norm())
                     for h in range(heads)])
    return np.asarray(rows)


def least_important_heads(model, fraction: float) -> dict[int, list[int]]:
    """``{layer: [heads]}``: the lowest-scoring ``fraction`` of each layer's heads (at least one kept)."""
    scores = head_importance(model)
    k = min(int(round(fraction * scores.shape[1])), scores.shape[1] - 1)
    return {i: sorted(np.argsort(row)[:k].tolist()) for i, row in enumerate(scores) if k > 0}


def prune_heads(model, heads: dict[int, Sequence[int]]):
    """A copy with the given heads removed: their rows of W_Q, W_K, W_V and columns of W_O are cut out
    (``prune_linear_layer``), so the matrices shrink. The forward passes reshape with ``-1`` heads, so
    they run unchanged. transformers 5 dropped ``model.prune_heads``; this does its job. The copy's
    config still says the old head count, so save its ``state_dict``, not ``save_pretrained``."""
    import torch
    from transformers.pytorch_utils import prune_linear_layer

    pruned = copy.deepcopy(model)
    for index, layer in enumerate(_layer_list(pruned)):
        drop = set(int(h) for h in heads.get(index, ()))
        if not drop:
            continue
        q, k, v, o, attn = _attention_parts(layer)
        d = attn.attention_head_size
        n = q.out_features // d
        if drop - set(range(n)):
            raise ValueError(f"layer {index} has heads 0..{n - 1}; cannot prune {sorted(drop)}")
        keep = torch.tensor([h * d + j for h in range(n) if h not in drop for j in range(d)], dtype=torch.long)
        new = [prune_linear_layer(m, keep, dim=0) for m in (q, k, v)] + [prune_linear_layer(o, keep, dim=1)]
        names = ("query", "key", "value") if hasattr(attn, "query") else ("q_lin", "k_lin", "v_lin")
        for name, module in zip(names, new[:3]):
            setattr(attn, name, module)
        if hasattr(layer.attention, "output") and hasattr(layer.attention.output, "dense"):
            layer.attention.output.dense = new[3]
        else:
            attn.out_lin = new[3]
        for attr in ("num_attention_heads", "n_heads"):
            if hasattr(attn, attr):
                setattr(attn, attr, n - len(drop))
        if hasattr(attn, "all_head_size"):
            attn.all_head_size = (n - len(drop)) * d
    return pruned.eval()


# -- distillation -----------------------------------------------------------------------------------
def make_student(teacher, layers: Sequence[int]):
    """A smaller copy of ``teacher`` that keeps only the transformer ``layers`` given (e.g. ``[0, 2, 4]``:
    every other one, as DistilBERT was initialised), with the teacher's embeddings and classifier head."""
    import torch

    student = copy.deepcopy(teacher)
    layer_list = _layer_list(student)
    kept = torch.nn.ModuleList([layer_list[i] for i in layers])
    for name, module in student.named_modules():
        for child_name, child in module.named_children():
            if child is layer_list:
                setattr(module, child_name, kept)
    for attr in ("num_hidden_layers", "n_layers"):
        if hasattr(student.config, attr):
            setattr(student.config, attr, len(layers))
    for i, layer in enumerate(kept):  # keep each layer's own index consistent (caching uses it)
        for m in layer.modules():
            if hasattr(m, "layer_idx"):
                m.layer_idx = i
    return student.train().requires_grad_(True)


def distillation_loss(student_logits, teacher_logits, labels, temperature: float = 2.0, alpha: float = 0.5):
    """``alpha · T² · KL(p_teacher^T ‖ p_student^T) + (1 − alpha) · CE(student, labels)``.

    Both distributions are softened with the temperature T; KL is averaged over the batch
    (``reduction="batchmean"``, the mathematical KL). The T² keeps the soft term's gradients on the
    scale of the hard term's when T changes (Hinton et al., 2015).
    """
    import torch.nn.functional as F

    soft = F.kl_div(F.log_softmax(student_logits / temperature, dim=-1),
                    F.softmax(teacher_logits / temperature, dim=-1), reduction="batchmean")
    hard = F.cross_entropy(student_logits, labels)
    return alpha * temperature ** 2 * soft + (1 - alpha) * hard


def _distillation_trainer_class():
    from transformers import Trainer

    class DistillationTrainer(Trainer):
        """A ``Trainer`` whose loss is :func:`distillation_loss` against a frozen ``teacher``.

        ``DistillationTrainer(teacher=..., temperature=2.0, alpha=0.5, model=student, args=..., ...)``.
        A batch that carries ``teacher_logits`` (precomputed once, "offline" distillation) uses them
        instead of running the teacher.
        """

        def __init__(self, *args, teacher=None, temperature: float = 2.0, alpha: float = 0.5, **kwargs):
            super().__init__(*args, **kwargs)
            self.teacher, self.temperature, self.alpha = teacher, temperature, alpha
            if teacher is not None:
                self.teacher.to(self.args.device).eval().requires_grad_(False)

        def _set_signature_columns_if_needed(self):
            super()._set_signature_columns_if_needed()  # keep the precomputed logits column in the batches
            if "teacher_logits" not in self._signature_columns:
                self._signature_columns.append("teacher_logits")

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            import torch

            inputs = dict(inputs)
            labels = inputs.pop("labels")
            teacher_logits = inputs.pop("teacher_logits", None)
            outputs = model(**inputs)
            if teacher_logits is None:
                if self.teacher is None:
                    raise ValueError("DistillationTrainer needs a teacher, or a teacher_logits column in the data")
                with torch.no_grad():
                    teacher_logits = self.teacher(**inputs).logits
            loss = distillation_loss(outputs.logits, teacher_logits.to(outputs.logits.dtype), labels,
                                     self.temperature, self.alpha)
            return (loss, outputs) if return_outputs else loss

    return DistillationTrainer


def __getattr__(name):  # the Trainer subclass is built on first use: importing this module stays light
    if name == "DistillationTrainer":
        cls = _distillation_trainer_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def teacher_logits(model, tokenizer, texts: Sequence[str], batch_size: int = 64,
                   max_length: int = MAX_LENGTH) -> np.ndarray:
    """The model's logits for ``texts`` (batches, CPU or the model's device), for offline distillation."""
    import torch

    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            enc = _encode(tokenizer, texts[start:start + batch_size], max_length, "pt")
            out.append(model(**{k: v.to(model.device) for k, v in enc.items()}).logits.float().cpu().numpy())
    return np.concatenate(out)


# -- the usual line-up ------------------------------------------------------------------------------
def standard_variants(model, tokenizer, folder: str | os.PathLike, *, max_length: int = MAX_LENGTH,
                      sparsity_amount: float = 0.5, head_fraction: float = 0.25,
                      student: str | os.PathLike | None = None, log: Callable[[str], None] = print) -> list[Variant]:
    """fp32, torch dynamic int8, ONNX fp32, ONNX int8, magnitude-pruned and head-pruned copies (and a saved
    student folder if given), each as a :class:`Variant`; ONNX files are written below ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = [Variant("fp32", torch_predictor(model, tokenizer, max_length), model_size_mb(model), "torch, as trained")]
    log("dynamic int8 (torch.ao) …")
    int8, _ = quantize_dynamic_int8(model)
    out.append(Variant("torch int8", torch_predictor(int8, tokenizer, max_length), model_size_mb(int8),
                       "quantize_dynamic, nn.Linear only"))
    log("ONNX export (dynamo) …")
    onnx_fp32 = export_onnx(model, tokenizer, folder / "model.onnx", max_length)
    out.append(Variant("onnx fp32", onnx_predictor(onnx_fp32, tokenizer, max_length), size_on_disk(onnx_fp32) / 1e6,
                       "onnxruntime, graph optimisations"))
    log("ONNX int8 (transformer optimiser, then onnxruntime.quantization) …")
    fused = fuse_onnx(onnx_fp32, folder / "model.fused.onnx", model.config)
    onnx_int8 = quantize_onnx(fused, folder / "model.int8.onnx")
    out.append(Variant("onnx int8", onnx_predictor(onnx_int8, tokenizer, max_length), size_on_disk(onnx_int8) / 1e6,
                       "fused, then quantize_dynamic"))
    if sparsity_amount:
        pruned = magnitude_prune(model, sparsity_amount)
        out.append(Variant(f"pruned {sparsity_amount:.0%}", torch_predictor(pruned, tokenizer, max_length),
                           model_size_mb(pruned), f"unstructured, sparsity {sparsity(pruned):.2f}, dense storage"))
    if head_fraction:
        heads = least_important_heads(model, head_fraction)
        cut = prune_heads(model, heads)
        out.append(Variant(f"heads -{head_fraction:.0%}", torch_predictor(cut, tokenizer, max_length),
                           model_size_mb(cut), f"{sum(map(len, heads.values()))} heads cut out"))
    if student:
        small, small_tokenizer = load_classifier(str(student))
        out.append(Variant(f"student {small.config.num_hidden_layers}L",
                           torch_predictor(small, small_tokenizer, max_length), model_size_mb(small), "distilled"))
    return out


# -- the harness ------------------------------------------------------------------------------------
@dataclass
class Result:
    """One row of the table."""

    variant: str
    accuracy: float
    p50_ms: float
    p95_ms: float
    throughput: float  # texts per second at batch ``batch_size``
    size_mb: float
    note: str = ""
    extra: dict = field(default_factory=dict)


def accuracy(predict: Predict, texts: Sequence[str], labels: Sequence[int], batch_size: int = 64) -> float:
    """Accuracy of ``argmax(logits)`` against ``labels``."""
    preds = np.concatenate([predict(texts[i:i + batch_size]).argmax(-1) for i in range(0, len(texts), batch_size)])
    return float((preds == np.asarray(labels)).mean())


def compare(variants: Sequence[Variant], texts: Sequence[str], labels: Sequence[int], *,
            latency_texts: Sequence[str] | None = None, warmup: int = 3, repeats: int = 20,
            batch_size: int = 32, batches: int = 2, rounds: int = 3, progress: bool = False) -> list[Result]:
    """Benchmark every variant on the same inputs, side by side.

    - accuracy on ``texts``/``labels`` (the held-out sample);
    - latency at batch 1: ``rounds`` rounds; in each, every variant in turn gets ``warmup`` untimed calls
      then ``repeats`` timed ones, cycling through ``latency_texts`` (default: the first 16 texts);
      p50/p95 over all timed calls;
    - throughput at ``batch_size``: in each round, ``batches`` batches of ``batch_size`` texts after one
      untimed batch; texts per second over all of them.
    Interleaving the variants round by round shares any change in the machine's load between them.
    """
    latency_texts = list(latency_texts or texts[:16])
    texts = list(texts)
    timed: dict[str, list[float]] = {v.name: [] for v in variants}
    batch_seconds: dict[str, list[float]] = {v.name: [] for v in variants}
    batch_inputs = [texts[(i * batch_size) % len(texts):][:batch_size] for i in range(batches)]
    for r in range(rounds):
        for v in variants:
            for i in range(warmup):
                v.predict([latency_texts[i % len(latency_texts)]])
            calls = iter(range(repeats))
            timed[v.name] += time_calls(lambda: v.predict([latency_texts[next(calls) % len(latency_texts)]]),
                                        repeats)
            v.predict(batch_inputs[0])
            for batch in batch_inputs:
                start = time.perf_counter()
                v.predict(batch)
                batch_seconds[v.name].append(time.perf_counter() - start)
        if progress:
            print(f"round {r + 1}/{rounds} timed", flush=True)
    results = []
    for v in variants:
        lat = latency_summary(timed[v.name], warmup=0)
        n = sum(len(b) for b in batch_inputs) * rounds
        results.append(Result(v.name, accuracy(v.predict, texts, labels), lat["p50_ms"], lat["p95_ms"],
                              n / sum(batch_seconds[v.name]), v.size_mb, v.note))
    return results


def table(results: Sequence[Result], baseline: str | None = None):
    """A pandas DataFrame, one row per variant, with speed-ups and the accuracy change against ``baseline``
    (default: the first row)."""
    import pandas as pd

    base = next((r for r in results if r.variant == baseline), results[0])
    rows = []
    for r in results:
        rows.append({"variant": r.variant, "accuracy": round(r.accuracy, 4),
                     "Δacc (pts)": round(100 * (r.accuracy - base.accuracy), 1),
                     "p50 ms (b=1)": round(r.p50_ms, 2), "p95 ms (b=1)": round(r.p95_ms, 2),
                     "texts/s (b=32)": round(r.throughput, 1), "× throughput": round(r.throughput / base.throughput, 2),
                     "size MB": round(r.size_mb, 1), "note": r.note})
    return pd.DataFrame(rows).set_index("variant")


def best_variant(results: Sequence[Result], max_drop: float = 0.01, baseline: str | None = None) -> Result | None:
    """The fastest variant (throughput) whose accuracy is at most ``max_drop`` below the baseline's
    (default: the first row), or ``None``."""
    base = next((r for r in results if r.variant == baseline), results[0])
    ok = [r for r in results if r.accuracy >= base.accuracy - max_drop - 1e-12]
    return max(ok, key=lambda r: r.throughput) if ok else None


def pareto_front(results: Sequence[Result]) -> list[str]:
    """Names of the variants no other variant beats on both accuracy (higher) and p50 latency (lower)."""
    front = []
    for r in results:
        dominated = any(o.accuracy >= r.accuracy and o.p50_ms <= r.p50_ms
                        and (o.accuracy > r.accuracy or o.p50_ms < r.p50_ms) for o in results)
        if not dominated:
            front.append(r.variant)
    return front


def pareto_plot(results: Sequence[Result], ax=None, title: str = "Accuracy vs latency (marker area ∝ size on disk)"):
    """Accuracy against p50 latency at batch 1, one marker per variant, its area proportional to the
    size on disk; the Pareto front is joined by a line."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    biggest = max(r.size_mb for r in results)
    front = set(pareto_front(results))
    for r in results:
        ax.scatter(r.p50_ms, 100 * r.accuracy, s=40 + 900 * r.size_mb / biggest, alpha=0.55,
                   edgecolor="black" if r.variant in front else "none", linewidth=1.2)
        ax.annotate(f"{r.variant}\n{r.size_mb:.0f} MB", (r.p50_ms, 100 * r.accuracy), fontsize=8,
                    xytext=(6, 6), textcoords="offset points")
    line = sorted((r for r in results if r.variant in front), key=lambda r: r.p50_ms)
    ax.plot([r.p50_ms for r in line], [100 * r.accuracy for r in line], "--", color="grey", linewidth=1)
    ax.set_xlabel("p50 latency at batch 1 (ms, lower is better)")
    ax.set_ylabel("held-out accuracy (%)")
    ax.set_title(title)
    return ax


def as_dicts(results: Sequence[Result]) -> list[dict]:
    return [asdict(r) for r in results]
