"""Extractive question answering by hand (lesson 08): windows, labels, span decoding, scores, retrieval.

transformers 5 has no question-answering pipeline; these are the few steps it did, written out so a
lesson can show each one and reuse them afterwards:

* :func:`encode_windows` — question/context pairs cut into overlapping windows (``truncation="only_second"``,
  ``stride``, ``return_overflowing_tokens``, ``offset_mapping``);
* :func:`answer_positions` — an answer's characters → its start/end token in one window (``(0, 0)``, the
  ``[CLS]`` token, when the window does not hold the whole answer); :func:`training_features` applies it to a
  batch for ``Dataset.map``;
* :func:`window_logits` — start/end logits of every window (batched, tqdm);
* :func:`best_spans` — the best answer spans over all windows of one question (``n_best``,
  ``max_answer_length``), with a per-window probability and the no-answer (``[CLS]``) score;
* :func:`read` — all of the above for lists of questions and contexts;
* :func:`squad_metric` — exact match and F1 with torchmetrics' SQuAD metric (works offline);
* :func:`question_type` — who / when / where / why / how many … for error analysis;
* :func:`embed`, :func:`top_k`, :func:`recall_at_k` — mean-pooled sentence embeddings, cosine top-k, recall@k.
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

__all__ = ["encode_windows", "answer_positions", "training_features", "context_offsets", "window_logits",
           "best_spans", "read", "squad_metric", "question_type", "QUESTION_TYPES", "embed", "top_k",
           "recall_at_k"]


# ------------------------------------------------------------------------------------- windows
def encode_windows(tokenizer, questions: Sequence[str], contexts: Sequence[str], max_length: int, stride: int):
    """Question first, context second, cut into windows of ``max_length`` tokens that overlap by ``stride``.

    Only the context is truncated (``"only_second"``); each window repeats the question. The result has
    ``overflow_to_sample_mapping`` (window → pair) and ``offset_mapping`` (token → characters of its text).
    """
    return tokenizer(list(questions), list(contexts), truncation="only_second", max_length=max_length,
                     stride=stride, return_overflowing_tokens=True, return_offsets_mapping=True)


def answer_positions(offsets, sequence_ids, start_char: int, end_char: int) -> tuple[int, int]:
    """The first and last token (inclusive) of the answer ``context[start_char:end_char]`` in one window.

    ``offsets`` are the window's (start, end) characters per token, ``sequence_ids`` its ``None`` / 0
    (question) / 1 (context) per token. ``(0, 0)`` — the ``[CLS]`` token — when the window's context does not
    hold the whole answer.
    """
    context = [k for k, s in enumerate(sequence_ids) if s == 1]
    if not context or offsets[context[0]][0] > start_char or offsets[context[-1]][1] < end_char:
        return 0, 0
    start = next(k for k in context if offsets[k][1] > start_char)
    end = next(k for k in reversed(context) if offsets[k][0] < end_char)
    return start, end


def training_features(batch: dict, tokenizer, max_length: int, stride: int) -> dict:
    """``Dataset.map(batched=True)`` function: windows with ``start_positions`` / ``end_positions``
    (the first gold answer; ``0`` for a window without it). Drop the text columns (``remove_columns``)."""
    enc = encode_windows(tokenizer, [q.strip() for q in batch["question"]], batch["context"], max_length, stride)
    starts, ends = [], []
    for i, offsets in enumerate(enc["offset_mapping"]):
        answers = batch["answers"][enc["overflow_to_sample_mapping"][i]]
        start_char = answers["answer_start"][0]
        s, e = answer_positions(offsets, enc.sequence_ids(i), start_char, start_char + len(answers["text"][0]))
        starts.append(s)
        ends.append(e)
    enc.pop("offset_mapping")
    enc.pop("overflow_to_sample_mapping")
    enc["start_positions"], enc["end_positions"] = starts, ends
    return enc


def context_offsets(encoding, i: int) -> list:
    """Window ``i``'s offsets with ``None`` for every token that is not context (question, specials, padding)."""
    ids = encoding.sequence_ids(i)
    return [tuple(o) if s == 1 else None for o, s in zip(encoding["offset_mapping"][i], ids)]


def window_logits(model, encoding, batch_size: int = 32, desc: str = "windows") -> tuple[list, list]:
    """Start and end logits (numpy, one array per window) of ``model`` on an :func:`encode_windows` result."""
    import torch
    from tqdm.auto import tqdm

    keys = [k for k in ("input_ids", "token_type_ids", "attention_mask") if k in encoding]  # DistilBERT: no types
    n = len(encoding["input_ids"])
    order = sorted(range(n), key=lambda i: len(encoding["input_ids"][i]))  # similar lengths share a batch: less padding
    device = next(model.parameters()).device
    model.eval()
    starts, ends = [None] * n, [None] * n
    for first in tqdm(range(0, n, batch_size), desc=desc, unit="batch", disable=n <= batch_size, mininterval=2):
        rows = order[first:first + batch_size]
        width = max(len(encoding["input_ids"][i]) for i in rows)
        batch = {k: torch.tensor([encoding[k][i] + [0] * (width - len(encoding[k][i])) for i in rows], device=device)
                 for k in keys}
        with torch.inference_mode():
            out = model(**batch)
        for j, i in enumerate(rows):
            length = len(encoding["input_ids"][i])
            starts[i] = out.start_logits[j, :length].float().cpu().numpy()
            ends[i] = out.end_logits[j, :length].float().cpu().numpy()
    return starts, ends


# ------------------------------------------------------------------------------------- decoding
def _logsumexp(values: np.ndarray) -> float:
    top = float(np.max(values))
    return top + float(np.log(np.sum(np.exp(values - top))))


def best_spans(windows: Sequence[tuple], max_answer_length: int = 30, n_best: int = 20, top: int = 1) -> dict:
    """The best answer spans of one question over all its windows.

    ``windows``: ``(start_logits, end_logits, offsets)`` per window, ``offsets`` as from :func:`context_offsets`.
    Only the ``n_best`` highest start and ``n_best`` highest end logits of each window are paired (the rest
    can hardly win); a pair counts when both tokens are context, start <= end and the span has at most
    ``max_answer_length`` tokens. A span's ``score`` is start + end logit; its ``probability`` is
    softmax(start) x softmax(end) over its window's context. A character span met in two windows is kept
    once, with its better score. ``null`` is the lowest ``[CLS]`` score (start + end logit at position 0)
    over the windows: the model's "no answer here" score (SQuAD 2.0).

    Returns ``{"spans": [(start_char, end_char, score, probability), …] best first (at most top),
    "null": float}``.
    """
    spans: dict[tuple[int, int], tuple[float, float]] = {}
    null = float("inf")
    for start_logits, end_logits, offsets in windows:
        start_logits, end_logits = np.asarray(start_logits, float), np.asarray(end_logits, float)
        null = min(null, float(start_logits[0] + end_logits[0]))
        context = np.array([o is not None for o in offsets])
        if not context.any():
            continue
        norm = _logsumexp(start_logits[context]) + _logsumexp(end_logits[context])
        for s in np.argsort(start_logits)[::-1][:n_best]:
            for e in np.argsort(end_logits)[::-1][:n_best]:
                if not (context[s] and context[e]) or e < s or e - s + 1 > max_answer_length:
                    continue
                score = float(start_logits[s] + end_logits[e])
                key = (int(offsets[s][0]), int(offsets[e][1]))
                if key not in spans or score > spans[key][0]:
                    spans[key] = (score, float(np.exp(score - norm)))
    ranked = sorted(spans.items(), key=lambda item: -item[1][0])[:top]
    return {"spans": [(s, e, score, p) for (s, e), (score, p) in ranked], "null": null}


def read(model, tokenizer, questions: Sequence[str], contexts: Sequence[str], *, max_length: int = 384,
         stride: int = 128, max_answer_length: int = 30, n_best: int = 20, batch_size: int = 32,
         desc: str = "reading") -> list[dict]:
    """Answer each question from its context: ``{"answer", "start", "end", "score", "probability", "null"}``
    (``answer`` is ``""`` when no valid span exists)."""
    if len(questions) != len(contexts):
        raise ValueError(f"{len(questions)} questions but {len(contexts)} contexts")
    enc = encode_windows(tokenizer, [q.strip() for q in questions], contexts, max_length, stride)
    starts, ends = window_logits(model, enc, batch_size=batch_size, desc=desc)
    per_question: list[list] = [[] for _ in questions]
    for i, example in enumerate(enc["overflow_to_sample_mapping"]):
        per_question[example].append((starts[i], ends[i], context_offsets(enc, i)))
    out = []
    for context, windows in zip(contexts, per_question):
        best = best_spans(windows, max_answer_length=max_answer_length, n_best=n_best)
        if best["spans"]:
            s, e, score, p = best["spans"][0]
            out.append({"answer": context[s:e], "start": s, "end": e, "score": score, "probability": p,
                        "null": best["null"]})
        else:
            out.append({"answer": "", "start": 0, "end": 0, "score": float("-inf"), "probability": 0.0,
                        "null": best["null"]})
    return out


# ------------------------------------------------------------------------------------- scoring
def squad_metric(predictions: Sequence[str], references: Sequence[dict]) -> dict:
    """Exact match and F1 (in %, SQuAD v1.1 rules) from torchmetrics: ``references`` are the data set's
    ``answers`` dicts (``{"text": [...], "answer_start": [...]}``), one per prediction."""
    from torchmetrics.text import SQuAD

    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    preds = [{"prediction_text": p, "id": str(i)} for i, p in enumerate(predictions)]
    target = [{"answers": {"text": list(a["text"]), "answer_start": [int(x) for x in a["answer_start"]]},
               "id": str(i)} for i, a in enumerate(references)]
    scores = SQuAD()(preds, target)
    return {name: float(value) for name, value in scores.items()}


QUESTION_TYPES = ("how many", "how much", "who", "whom", "whose", "when", "where", "why", "which", "what", "how")


def question_type(question: str) -> str:
    """The question's wh-word (``how many`` / ``how much`` before ``how``; ``whom`` / ``whose`` → ``who``),
    the first one found anywhere ("In which year …" → ``which``); ``other`` when there is none."""
    text = question.lower()
    found = []
    for kind in QUESTION_TYPES:
        match = re.search(r"\b%s\b" % kind, text)
        if match:
            found.append((match.start(), -len(kind), kind))
    if not found:
        return "other"
    kind = min(found)[2]
    return "who" if kind in ("whom", "whose") else kind


# ------------------------------------------------------------------------------------- retrieval
def embed(texts: Sequence[str], model, tokenizer, batch_size: int = 32, max_length: int = 256,
          desc: str = "embedding") -> np.ndarray:
    """Mean-pooled last hidden states (padding left out), one unit-length row per text: lesson 00's
    sentence embedding, batched."""
    import torch
    from tqdm.auto import tqdm

    device = next(model.parameters()).device
    model.eval()
    texts = list(texts)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths share a batch: less padding
    out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    for first in tqdm(range(0, len(texts), batch_size), desc=desc, unit="batch",
                      disable=len(texts) <= batch_size, mininterval=2):
        rows = order[first:first + batch_size]
        batch = tokenizer([texts[i] for i in rows], padding=True, truncation=True, max_length=max_length,
                          return_tensors="pt").to(device)
        with torch.inference_mode():
            hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1)
        out[rows] = torch.nn.functional.normalize(pooled.float(), dim=-1).cpu().numpy()
    return out


def top_k(question_vectors, passage_vectors, k: int) -> np.ndarray:
    """For each question, the ``k`` passages of highest cosine similarity, most similar first."""
    q = np.asarray(question_vectors, float)
    p = np.asarray(passage_vectors, float)
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    p = p / np.linalg.norm(p, axis=1, keepdims=True)
    similarity = q @ p.T
    return np.argsort(-similarity, axis=1, kind="stable")[:, :k]


def recall_at_k(ranked, gold: Sequence[int], k: int) -> float:
    """The share of questions whose gold passage is among their first ``k`` ranked passages."""
    ranked = np.asarray(ranked)
    if k > ranked.shape[1]:
        raise ValueError(f"recall@{k} needs at least {k} ranked passages per question, got {ranked.shape[1]}")
    return float(np.mean([g in row[:k] for row, g in zip(ranked, gold)]))
