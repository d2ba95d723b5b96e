"""Token classification (lesson 09): word labels → sub-token labels, BIO entities (strict IOB2 or lenient),
a dictionary (gazetteer) baseline, word-level predictions with their losses, and the errors of highest loss.

Entities are ``(type, start, end)`` word positions with ``end`` exclusive (a Python slice). Strict IOB2 is
seqeval's ``mode="strict", scheme=IOB2``: an entity starts only at ``B-X`` and goes on over ``I-X``; a stray
``I-`` tag is no entity. Lenient is seqeval's default (conlleval's rule): an ``I-X`` that does not continue an
entity of type X starts one.
"""
from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

IGNORE = -100  # the label PyTorch's cross-entropy skips


def align_labels(word_ids, word_labels, label_all_tokens: bool = False, b_to_i: dict | None = None) -> list[int]:
    """One label per token from one label per word: -100 for special tokens (``word_id`` None).

    ``label_all_tokens=False``: only the first sub-token of a word carries its label, the others -100.
    ``True``: every sub-token carries it, and ``b_to_i`` (label id of ``B-X`` → id of ``I-X``) turns a ``B-``
    on a later sub-token into the matching ``I-`` so that the tokens still read as one entity.
    """
    labels, previous = [], None
    for w in word_ids:
        if w is None:
            labels.append(IGNORE)
        elif w != previous:
            labels.append(int(word_labels[w]))
        elif label_all_tokens:
            label = int(word_labels[w])
            labels.append(int(b_to_i.get(label, label)) if b_to_i else label)
        else:
            labels.append(IGNORE)
        previous = w
    return labels


def b_to_i_map(names: list[str]) -> dict[int, int]:
    """Label id of each ``B-X`` → the id of ``I-X`` (for ``align_labels(label_all_tokens=True)``)."""
    return {i: names.index("I-" + n[2:]) for i, n in enumerate(names) if n.startswith("B-") and "I-" + n[2:] in names}


def tokenize_and_align(batch, tokenizer, max_length: int, label_all_tokens: bool = False, names=None) -> dict:
    """For ``Dataset.map(batched=True)``: words → sub-tokens (``is_split_into_words``), ``labels`` aligned."""
    enc = tokenizer(batch["tokens"], is_split_into_words=True, truncation=True, max_length=max_length)
    b_to_i = b_to_i_map(names) if label_all_tokens and names else None
    enc["labels"] = [align_labels(enc.word_ids(i), tags, label_all_tokens, b_to_i)
                     for i, tags in enumerate(batch["ner_tags"])]
    return enc


def entities(tags: list[str], strict: bool = True) -> list[tuple[str, int, int]]:
    """The entities of one BIO tag sequence, in order, as ``(type, start, end)`` (end exclusive), by seqeval."""
    if strict:
        from seqeval.scheme import IOB2, Entities

        return [(e.tag, e.start, e.end) for e in Entities([list(tags)], IOB2).entities[0]]
    from seqeval.metrics.sequence_labeling import get_entities

    return [(kind, start, end + 1) for kind, start, end in get_entities(list(tags))]


def scores(gold: list[list[str]], pred: list[list[str]], strict: bool = True) -> dict:
    """Micro precision, recall, F1 over exact entities (seqeval; strict IOB2 or its lenient default)."""
    from seqeval.metrics import f1_score, precision_score, recall_score
    from seqeval.scheme import IOB2

    kw = {"mode": "strict", "scheme": IOB2} if strict else {}
    return {"precision": float(precision_score(gold, pred, zero_division=0, **kw)),
            "recall": float(recall_score(gold, pred, zero_division=0, **kw)),
            "f1": float(f1_score(gold, pred, zero_division=0, **kw))}


def entity_type(tag: str) -> str:
    """``B-PER`` / ``I-PER`` → ``PER``; ``O`` → ``O``."""
    return tag[2:] if tag[:2] in ("B-", "I-") else tag


# ------------------------------------------------------------------------------- gazetteer
def build_gazetteer(sentences: list[list[str]], tags: list[list[str]]) -> dict[tuple[str, ...], str]:
    """Every entity of the training set as a lower-cased word tuple → its most frequent type there."""
    seen: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    for words, sentence_tags in zip(sentences, tags):
        for kind, start, end in entities(sentence_tags):
            seen[tuple(w.lower() for w in words[start:end])][kind] += 1
    return {phrase: counts.most_common(1)[0][0] for phrase, counts in seen.items()}


def gazetteer_tags(words: list[str], gazetteer: dict[tuple[str, ...], str]) -> list[str]:
    """Tag a sentence with the dictionary: the longest known phrase first, left to right; the rest ``O``."""
    longest = max((len(p) for p in gazetteer), default=0)
    lowered, tags, i = [w.lower() for w in words], ["O"] * len(words), 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            kind = gazetteer.get(tuple(lowered[i:i + n]))
            if kind is not None:
                tags[i:i + n] = [f"B-{kind}"] + [f"I-{kind}"] * (n - 1)
                i += n
                break
        else:
            i += 1
    return tags


# ------------------------------------------------------------------------------- predictions
def predict_words(model, tokenizer, sentences: list[list[str]], names: list[str], gold: list[list[str]] | None = None,
                  max_length: int = 128, batch_size: int = 32, desc: str = "predicting") -> list[dict]:
    """Each word's predicted tag (read at its first sub-token) and, given gold tags, its cross-entropy loss.

    ``names`` are the data set's tag names; the model's own ``id2label`` is mapped onto them by name (a hub
    model can order its labels differently). Words cut off by ``max_length`` get ``O`` and loss NaN.
    Returns one dict per sentence: ``{"tags": [...], "losses": np.ndarray or None}``.
    """
    import torch
    from tqdm.auto import tqdm

    id2label = {int(k): v for k, v in model.config.id2label.items()}
    label2id = {v: k for k, v in id2label.items()}
    device = next(model.parameters()).device
    model.eval()
    out = []
    for lo in tqdm(range(0, len(sentences), batch_size), desc=desc, unit="batch"):
        words = [list(s) for s in sentences[lo:lo + batch_size]]
        enc = tokenizer(words, is_split_into_words=True, truncation=True, max_length=max_length, padding=True,
                        return_tensors="pt")
        with torch.no_grad():
            logits = model(**{k: v.to(device) for k, v in enc.items()}).logits.float().cpu()
        log_probs = torch.log_softmax(logits, dim=-1)
        for row, sentence in enumerate(words):
            first = {}
            for position, w in enumerate(enc.word_ids(row)):
                if w is not None and w not in first:
                    first[w] = position
            tags = [id2label[int(logits[row, first[w]].argmax())] if w in first else "O" for w in range(len(sentence))]
            tags = [t if t in names else "O" for t in tags]
            losses = None
            if gold is not None:
                g = gold[lo + row]
                losses = np.array([float(-log_probs[row, first[w], label2id[g[w]]]) if w in first and g[w] in label2id
                                   else np.nan for w in range(len(sentence))])
            out.append({"tags": tags, "losses": losses})
    return out


def highest_loss(sentences: list[list[str]], gold: list[list[str]], pred: list[list[str]], losses: list, k: int = 10,
                 context: int = 3):
    """The ``k`` words of highest loss over all sentences: word, gold and predicted tag, loss, and a few words
    either side (the word in [brackets]); a ``pandas.DataFrame``, highest first."""
    import pandas as pd

    rows = []
    for s, (words, g, p, loss) in enumerate(zip(sentences, gold, pred, losses)):
        for w, value in enumerate(loss):
            if np.isnan(value):
                continue
            around = words[max(0, w - context):w] + [f"[{words[w]}]"] + words[w + 1:w + 1 + context]
            rows.append({"sentence": s, "word": words[w], "gold": g[w], "predicted": p[w], "loss": float(value),
                         "context": " ".join(around)})
    table = pd.DataFrame(rows, columns=["sentence", "word", "gold", "predicted", "loss", "context"])
    return table.sort_values("loss", ascending=False, kind="stable").head(k).reset_index(drop=True)
