"""Text generation helpers shared by lesson 07 and its checks: how diverse, how repetitive and how likely
generated text is, perplexity with a sliding window, and grouping token lists into fixed-size blocks.

Every function works on token ids (lists of ints or 1-D tensors), so any tokenizer can be measured."""
from __future__ import annotations

import math
from typing import Iterable, Sequence


def _ngrams(tokens: Sequence[int], n: int) -> list[tuple]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(sequences: Iterable[Sequence[int]], n: int = 2) -> float:
    """Diversity (Li et al. 2016): distinct n-grams / all n-grams, pooled over ``sequences``; 0 when there are none."""
    grams = [gram for tokens in sequences for gram in _ngrams(list(tokens), n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def repetition_rate(sequences: Iterable[Sequence[int]], n: int = 3) -> float:
    """Loops: the share of n-grams that already occurred earlier in the same sequence, pooled over ``sequences``."""
    repeated = total = 0
    for tokens in sequences:
        seen: set[tuple] = set()
        for gram in _ngrams(list(tokens), n):
            repeated += gram in seen
            seen.add(gram)
            total += 1
    return repeated / total if total else 0.0


def continuation_logprob(model, prompt_ids: Sequence[int], new_ids: Sequence[int]) -> tuple[float, int]:
    """Sum of log p(token | everything before it) over ``new_ids`` following ``prompt_ids``, and their number.

    The model scores with its plain distribution (temperature 1, no filtering), whatever produced the text."""
    import torch

    new_ids = list(new_ids)
    if not new_ids:
        return 0.0, 0
    ids = torch.tensor([list(prompt_ids) + new_ids], device=model.device)
    with torch.no_grad():
        logits = model(ids).logits[0, len(prompt_ids) - 1:-1].float()
    logp = torch.log_softmax(logits, dim=-1).gather(1, ids[0, len(prompt_ids):, None])
    return float(logp.sum()), len(new_ids)


def strided_nll(model, input_ids, max_length: int, stride: int, progress: bool = False) -> tuple[float, int]:
    """Total negative log-likelihood (nats) of a long 1-D sequence and the number of tokens scored.

    Windows of ``max_length`` tokens start every ``stride`` tokens; each window scores only the tokens no earlier
    window scored (a window's first token has no context inside it: with ``stride == max_length`` it is never
    scored), so each token is predicted at most once, with up to ``max_length - 1`` tokens of left context.
    ``exp(nll / n)`` is the perplexity."""
    import torch

    ids = torch.as_tensor(input_ids).reshape(-1).to(model.device)
    if not 0 < stride <= max_length:
        raise ValueError(f"stride must be in 1..max_length ({max_length}), got {stride}")
    starts = range(0, len(ids), stride)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc=f"windows (stride {stride})", leave=False)
    total, count, scored_until = 0.0, 0, 0
    for begin in starts:
        end = min(begin + max_length, len(ids))
        with torch.no_grad():
            logits = model(ids[None, begin:end]).logits[0, :-1].float()
        logp = torch.log_softmax(logits, dim=-1).gather(1, ids[begin + 1:end, None])[:, 0]
        fresh = logp[max(scored_until, begin + 1) - begin - 1:]  # targets not scored by an earlier window
        total -= float(fresh.sum())
        count += len(fresh)
        scored_until = end
        if end == len(ids):
            break
    return total, count


def group_texts(examples: dict, block_size: int) -> dict:
    """For ``Dataset.map(batched=True)``: every column concatenated, cut into ``block_size`` blocks (the remainder
    dropped), and ``labels`` a copy of ``input_ids`` (the model shifts them itself)."""
    joined = {key: [x for row in rows for x in row] for key, rows in examples.items()}
    usable = len(joined["input_ids"]) // block_size * block_size
    blocks = {key: [seq[i:i + block_size] for i in range(0, usable, block_size)] for key, seq in joined.items()}
    blocks["labels"] = [list(block) for block in blocks["input_ids"]]
    return blocks


def bits_per_byte(nll_nats: float, n_bytes: int) -> float:
    """Total negative log-likelihood (nats) of a text → bits per UTF-8 byte: comparable across tokenizers."""
    return nll_nats / (n_bytes * math.log(2))
