"""Lesson 07 exercises: top-k / top-p filtering of a logits vector, perplexity with a sliding window, and
``group_texts`` for causal-language-model blocks.

Each grading draws new inputs: logits vectors whose cumulative probabilities stay clear of the drawn ``top_p``
(so float rounding cannot decide the answer) and where top-p after top-k differs from top-p on the unfiltered
distribution; token sequences scored by a tiny GPT-2 built from a drawn seed, with strides equal to, below and
well below the window; batches of token lists whose total is, and is not, a multiple of the block size. The
references are transformers' own ``TopKLogitsWarper`` / ``TopPLogitsWarper`` and :mod:`utils.generation`.
"""
from __future__ import annotations

import math

import numpy as np

from utils.grading import Exercise, Incorrect, expect


# -- Exercise 1: top-k and top-p filtering -------------------------------------------------------------
def _kept_by(logits, top_k=0, top_p=1.0, renormalise=True, include_crossing=True) -> list[int]:
    """Indices kept by top-k then top-p (float64; the variants a learner may write)."""
    logits = np.asarray(logits, dtype=float)
    kept = np.arange(len(logits))
    if top_k:
        kept = np.argsort(-logits, kind="stable")[:top_k]
    if top_p < 1.0:
        pool = kept if renormalise else np.arange(len(logits))
        probs = np.exp(logits[pool] - logits[pool].max())
        probs /= probs.sum()
        order = np.argsort(-probs, kind="stable")
        cum = np.cumsum(probs[order])
        n = int(np.searchsorted(cum, top_p) + 1) if include_crossing else int(np.sum(cum < top_p))
        nucleus = set(pool[order[:max(n, 1)]].tolist())
        kept = [i for i in kept if i in nucleus]
    return sorted(int(i) for i in kept)


def _filter_cases(rng):
    cases, kinds = [], ["k", "p", "kp", "kp", "p"]
    for kind in rng.permutation(kinds):
        while True:
            size = int(rng.integers(8, 17))
            logits = np.round(rng.normal(scale=float(rng.choice([1.0, 2.0, 3.0])), size=size), 3)
            if len(set(logits.tolist())) < size:
                continue
            top_k = int(rng.integers(2, size - 1)) if "k" in kind else 0
            top_p = float(rng.choice([0.3, 0.5, 0.7, 0.8, 0.9, 0.95])) if "p" in kind else 1.0
            if top_p < 1.0:  # clear of the threshold, with and without the top-k step before
                cums = []
                for pool in ([np.argsort(-logits)[:top_k]] if top_k else []) + [np.arange(size)]:
                    probs = np.sort(np.exp(logits[pool] - logits[pool].max()))[::-1]
                    cums += list(np.cumsum(probs / probs.sum()))
                if min(abs(c - top_p) for c in cums) < 5e-3:
                    continue
            want = _kept_by(logits, top_k, top_p)
            if kind == "kp" and (want == _kept_by(logits, top_k, top_p, renormalise=False) or len(want) == top_k):
                continue
            if "p" in kind and want == _kept_by(logits, top_k, top_p, include_crossing=False):
                continue
            cases.append({"logits": logits.tolist(), "top_k": top_k, "top_p": top_p})
            break
    return cases


def _run_filter(filter_logits, case):
    import torch

    logits = torch.tensor(case["logits"], dtype=torch.float32)
    out = filter_logits(logits.clone(), top_k=case["top_k"], top_p=case["top_p"])
    expect(isinstance(out, torch.Tensor), f"filter_logits should return a tensor, got a {type(out).__name__}")
    return out.detach().float()


def _expected_filter(case):
    import torch
    from transformers import TopKLogitsWarper, TopPLogitsWarper

    scores = torch.tensor([case["logits"]], dtype=torch.float32)
    ids = torch.zeros((1, 1), dtype=torch.long)
    if case["top_k"]:
        scores = TopKLogitsWarper(top_k=case["top_k"])(ids, scores)
    if case["top_p"] < 1.0:
        scores = TopPLogitsWarper(top_p=case["top_p"])(ids, scores)
    return scores[0].numpy()


def _compare_filter(got, want, case):
    logits, k, p = np.asarray(case["logits"]), case["top_k"], case["top_p"]
    where = f"with top_k={k}, top_p={p} on logits {np.round(logits, 3).tolist()}"
    got = np.asarray(got, dtype=float)
    expect(got.shape == want.shape, f"{where}: the result has shape {got.shape}; expected {want.shape} (one value per "
           "token of the vocabulary: filter, do not drop entries)")
    expect(not np.isnan(got).any(), f"{where}: the result holds NaN")
    expect(not np.isposinf(got).any(), f"{where}: the result holds +inf")
    kept, wanted = np.isfinite(got), np.isfinite(want)
    if kept.all() and not wanted.all():
        if np.allclose(got, logits, atol=1e-5):
            raise Incorrect(f"{where}: nothing was removed; expected {int((~wanted).sum())} tokens set to -inf")
        raise Incorrect(f"{where}: no value is -inf. Removed tokens get float('-inf') (softmax turns it into "
                        "probability 0; a logit of 0 is not probability 0), kept ones keep their logit")
    expect(np.allclose(got[kept], logits[kept], atol=1e-5),
           f"{where}: the kept tokens' values changed. Return the logits themselves for kept tokens (not "
           "probabilities, no temperature), -inf for the others")
    got_ids, want_ids = np.flatnonzero(kept).tolist(), np.flatnonzero(wanted).tolist()
    if got_ids == want_ids:
        return
    likely = {
        "applied top-p to the unfiltered distribution; after top-k the probabilities are renormalised over the "
        "tokens top-k kept (softmax of the filtered logits)": _kept_by(logits, k, p, renormalise=False),
        "left out the token whose probability carries the cumulative sum past top_p; the nucleus is the smallest "
        "set of most likely tokens whose probability reaches top_p, that token included": _kept_by(
            logits, k, p, include_crossing=False),
    }
    for what, ids in likely.items():
        if got_ids == ids:
            raise Incorrect(f"{where}: you kept tokens {got_ids}; expected {want_ids}. It looks like you {what}")
    if k and len(got_ids) != len(want_ids) and p == 1.0:
        raise Incorrect(f"{where}: {len(got_ids)} tokens kept; top-k keeps exactly the {k} highest logits")
    raise Incorrect(f"{where}: you kept tokens {got_ids}; expected {want_ids} (top-k first, then top-p on the "
                    "renormalised remaining probabilities, keeping at least one token)")


_FILTER = ("import torch\n"
           "def filter_logits(logits, top_k=0, top_p=1.0):\n"
           "    logits = logits.clone()\n"
           "    if top_k > 0:\n"
           "        kth = torch.topk(logits, top_k).values[-1]\n"
           "        logits[logits < kth] = float('-inf')\n"
           "    if top_p < 1.0:\n"
           "        probs = torch.softmax(logits, dim=-1)\n"
           "        sorted_probs, order = torch.sort(probs, descending=True)\n"
           "        before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs\n"
           "        logits[order[before >= top_p]] = float('-inf')\n"
           "    return logits\n")

q1 = Exercise(
    "q1", points=2, target="filter_logits",
    cases=_filter_cases, run=_run_filter, expected=_expected_filter, compare=_compare_filter,
    hints=[
        "Top-k: `torch.topk(logits, top_k).values[-1]` is the k-th highest logit; set every logit below it to "
        "`float('-inf')`. Top-p: softmax the (already top-k filtered) logits, sort descending, take the cumulative sum.",
        "A token stays in the nucleus when the probability of the tokens ranked *before* it is still below top_p: "
        "`before = cumsum - sorted_probs`; remove `order[before >= top_p]`.",
    ],
    wrong={
        "top-p on the unfiltered distribution": _FILTER.replace(
            "        probs = torch.softmax(logits, dim=-1)\n",
            "        probs = torch.softmax(original, dim=-1)\n").replace(
            "    logits = logits.clone()\n", "    original = logits.clone()\n    logits = logits.clone()\n"),
        "nucleus without the crossing token": _FILTER.replace(
            "        before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs\n",
            "        before = torch.cumsum(sorted_probs, dim=-1)\n").replace(
            "[before >= top_p]", "[before > top_p]"),
        "removed tokens set to 0": _FILTER.replace("float('-inf')", "0.0"),
        "returns probabilities": _FILTER.replace("    return logits\n", "    return torch.softmax(logits, dim=-1)\n"),
        "top-k keeps k+1": _FILTER.replace("torch.topk(logits, top_k)", "torch.topk(logits, top_k + 1)"),
        "drops the removed entries": _FILTER.replace("    return logits\n", "    return logits[torch.isfinite(logits)]\n"),
    },
)


# -- Exercise 2: perplexity with a sliding window ----------------------------------------------------------
VOCAB, POSITIONS = 40, 32


def _tiny_gpt2(seed: int):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(vocab_size=VOCAB, n_positions=POSITIONS, n_embd=16, n_layer=2, n_head=2, resid_pdrop=0.0,
                        embd_pdrop=0.0, attn_pdrop=0.0, initializer_range=0.3, bos_token_id=0,
                        eos_token_id=0, loss_type="ForCausalLM")
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return GPT2LMHeadModel(config).eval()


def _ppl_cases(rng):
    cases = []
    for kind in rng.permutation(["equal", "half", "small"]):
        max_length = int(rng.integers(8, 17))
        stride = {"equal": max_length, "half": max(2, max_length // 2),
                  "small": int(rng.integers(2, max(3, max_length // 3) + 1))}[kind]
        while True:  # the last window is partial and scores at least one token
            n = int(rng.integers(3 * max_length, 5 * max_length))
            last = next(b for b in range(0, n, stride) if b + max_length >= n)
            if 2 <= n - last < max_length:
                break
        cases.append({"seed": int(rng.integers(0, 2**31)), "ids": rng.integers(0, VOCAB, size=n).tolist(),
                      "max_length": max_length, "stride": stride})
    return cases


def _run_ppl(strided_perplexity, case):
    import torch

    model = _tiny_gpt2(case["seed"])
    ids = torch.tensor([case["ids"]], dtype=torch.long)
    with torch.random.fork_rng():
        out = strided_perplexity(model, ids, case["max_length"], case["stride"])
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        out = out.item()
    expect(isinstance(out, (int, float)) and not isinstance(out, bool),
           f"strided_perplexity should return a number (a Python float), got {type(out).__name__}")
    return float(out)


def _windows(model, ids, max_length, stride, mode):
    """Perplexity variants: 'right' (utils.generation), 'all' (context tokens scored again),
    'mean_windows' (mean of per-window perplexities), 'minus_one' (each window's mean weighted by labels - 1)."""
    import torch

    ids = torch.tensor(ids)
    total = count = 0.0
    window_ppl = []
    prev_end = 0
    for begin in range(0, len(ids), stride):
        end = min(begin + max_length, len(ids))
        with torch.no_grad():
            logp = torch.log_softmax(model(ids[None, begin:end]).logits[0, :-1].double(), -1)
        logp = logp.gather(1, ids[begin + 1:end, None])[:, 0]
        first = begin + 1 if mode == "all" else max(prev_end, begin + 1)
        fresh = logp[first - begin - 1:]
        labels = end - max(prev_end, begin)  # tokens not masked in the labels
        weight = labels - 1 if mode == "minus_one" else len(fresh)
        if len(fresh):
            total += -float(fresh.mean()) * weight
            count += weight
            window_ppl.append(math.exp(-float(fresh.mean())))
        prev_end = end
        if end == len(ids):
            break
    if mode == "mean_windows":
        return float(np.mean(window_ppl))
    return math.exp(total / count)


def _expected_ppl(case):
    from utils.generation import strided_nll

    model = _tiny_gpt2(case["seed"])
    nll, n = strided_nll(model, case["ids"], case["max_length"], case["stride"])
    return math.exp(nll / n)


def _compare_ppl(got, want, case):
    L, S, ids = case["max_length"], case["stride"], case["ids"]
    where = f"on {len(ids)} tokens with max_length={L}, stride={S}"
    if math.isclose(got, want, rel_tol=1e-4):
        return
    expect(not math.isnan(got), f"{where} you returned nan: a window scored no token (a mean loss over zero tokens "
           "is NaN). Stop after the window that reaches the end of the sequence")
    if math.isclose(got, math.log(want), rel_tol=1e-4):
        raise Incorrect(f"{where} you returned {got:.4f}, the mean negative log-likelihood; the perplexity is its "
                        f"exponential, {want:.4f}")
    model = _tiny_gpt2(case["seed"])
    likely = {
        "no overlap: windows that start every max_length tokens, whatever the stride":
            _windows(model, ids, L, L, "right") if S != L else None,
        "every token of every window scored, so the overlapping context tokens are counted again; mask them with "
        "label -100": _windows(model, ids, L, S, "all"),
        "the mean of the windows' perplexities; average the log-likelihood over all scored tokens, then exponentiate":
            _windows(model, ids, L, S, "mean_windows"),
        "each window's mean loss weighted by its number of labels minus one; the model scores every target label "
        "after the window's first position — count `(labels[:, 1:] != -100).sum()`": _windows(model, ids, L, S,
                                                                                              "minus_one"),
    }
    for what, value in likely.items():
        if value is not None and math.isclose(got, value, rel_tol=1e-4):
            raise Incorrect(f"{where} you returned {got:.4f}; expected {want:.4f}. It looks like {what}")
    raise Incorrect(f"{where} you returned {got:.4f}; expected {want:.4f}")


_PPL = ("import math, torch\n"
        "def strided_perplexity(model, input_ids, max_length, stride):\n"
        "    seq_len = input_ids.size(1)\n"
        "    nll, count, prev_end = 0.0, 0, 0\n"
        "    for begin in range(0, seq_len, stride):\n"
        "        end = min(begin + max_length, seq_len)\n"
        "        window = input_ids[:, begin:end]\n"
        "        labels = window.clone()\n"
        "        labels[:, :-(end - prev_end)] = -100\n"
        "        with torch.no_grad():\n"
        "            loss = model(window, labels=labels).loss\n"
        "        n = int((labels[:, 1:] != -100).sum())\n"
        "        nll += loss.item() * n\n"
        "        count += n\n"
        "        prev_end = end\n"
        "        if end == seq_len:\n"
        "            break\n"
        "    return math.exp(nll / count)\n")

q2 = Exercise(
    "q2", points=2, target="strided_perplexity",
    cases=_ppl_cases, run=_run_ppl, expected=_expected_ppl, compare=_compare_ppl,
    hints=[
        "Loop `for begin in range(0, seq_len, stride)` with `end = min(begin + max_length, seq_len)`; the window "
        "scores only its last `end - prev_end` tokens: copy the window as labels and set the others to -100.",
        "`model(window, labels=labels).loss` is the mean over the targets it scored, `(labels[:, 1:] != -100).sum()` "
        "of them (the model shifts the labels by one). Sum `loss * n` and `n` over windows, stop once `end == "
        "seq_len`, return `math.exp(total / count)`.",
    ],
    wrong={
        "no overlap": _PPL.replace("range(0, seq_len, stride)", "range(0, seq_len, max_length)"),
        "context tokens scored": _PPL.replace("        labels[:, :-(end - prev_end)] = -100\n", ""),
        "weights labels - 1 (as an old docs page)": _PPL.replace("(labels[:, 1:] != -100)", "(labels != -100)").replace(
            "        n = int(", "        n = -1 + int("),
        "unweighted mean of window losses": _PPL.replace("nll += loss.item() * n", "nll += loss.item()").replace(
            "count += n", "count += 1"),
        "returns the mean NLL": _PPL.replace("return math.exp(nll / count)", "return nll / count"),
    },
)


# -- Exercise 3: group_texts -------------------------------------------------------------------------------
def _group_cases(rng):
    cases = []
    for exact in rng.permutation([False, False, True]):
        block = int(rng.integers(3, 9))
        while True:
            lengths = rng.integers(1, 3 * block, size=int(rng.integers(3, 8)))
            total = int(lengths.sum())
            if max(lengths) > block and total >= 2 * block and (total % block == 0) == exact:
                break
        ids = [rng.integers(5, 500, size=int(n)).tolist() for n in lengths]
        cases.append({"examples": {"input_ids": ids, "attention_mask": [[1] * len(row) for row in ids]},
                      "block_size": block})
    return cases


def _run_group(group_texts, case):
    import copy

    out = group_texts(copy.deepcopy(case["examples"]), case["block_size"])
    expect(hasattr(out, "keys"), f"group_texts should return a dict of columns, got a {type(out).__name__}")
    return {str(k): [list(map(int, row)) for row in v] if isinstance(v, (list, tuple)) else v for k, v in out.items()}


def _expected_group(case):
    from utils.generation import group_texts

    return group_texts(case["examples"], case["block_size"])


def _compare_group(got, want, case):
    block, ex = case["block_size"], case["examples"]
    where = f"with block_size={block} on rows of {[len(r) for r in ex['input_ids']]} tokens"
    missing = [key for key in want if key not in got]
    if missing == ["labels"]:
        raise Incorrect(f"{where}: no 'labels' column. A causal LM learns to predict its own input: labels are a "
                        "copy of input_ids")
    expect(not missing, f"{where}: the result lacks {missing}; keep every column of the batch and add 'labels'")
    for key in ("input_ids", "attention_mask", "labels"):
        rows = got[key]
        expect(isinstance(rows, list), f"{where}: {key!r} should be a list of blocks, got {type(rows).__name__}")
        lengths = [len(row) for row in rows]
        if key == "input_ids":
            if lengths and lengths[-1] < block and all(n == block for n in lengths[:-1]):
                raise Incorrect(f"{where}: the last block has {lengths[-1]} tokens; drop the remainder that does not "
                                "fill a whole block")
            expect(len(set(lengths)) <= 1 and (not lengths or lengths[0] == block),
                   f"{where}: blocks of {lengths} tokens; every block should hold exactly {block}. Concatenate all "
                   "rows first, then cut (rows are not grouped one by one)")
            expect(len(rows) == len(want[key]), f"{where}: {len(rows)} blocks; expected {len(want[key])} (all "
                   f"{sum(len(r) for r in ex['input_ids'])} tokens concatenated, the remainder dropped)")
        if rows != want[key]:
            if key == "labels" and [r[1:] for r in rows] == [r[:-1] for r in want["input_ids"]] \
                    or key == "labels" and [r[:-1] for r in rows] == [r[1:] for r in want["input_ids"]]:
                raise Incorrect(f"{where}: the labels are shifted by one token; copy input_ids unchanged — the model "
                                "shifts them itself when it computes the loss")
            raise Incorrect(f"{where}: {key!r} is {rows}; expected {want[key]}")


_GROUP = ("def group_texts(examples, block_size):\n"
          "    joined = {k: sum(v, []) for k, v in examples.items()}\n"
          "    total = len(joined['input_ids']) // block_size * block_size\n"
          "    result = {k: [t[i:i + block_size] for i in range(0, total, block_size)] for k, t in joined.items()}\n"
          "    result['labels'] = [list(b) for b in result['input_ids']]\n"
          "    return result\n")

q3 = Exercise(
    "q3", points=1, target="group_texts",
    cases=_group_cases, run=_run_group, expected=_expected_group, compare=_compare_group,
    hints=[
        "First join each column into one long list (`sum(rows, [])` or a nested comprehension), then cut it into "
        "slices `[i:i + block_size]` for `i` in `range(0, total, block_size)`, `total` rounded down to a multiple.",
        "`labels` is a copy of the `input_ids` blocks: `[list(b) for b in result['input_ids']]`.",
    ],
    wrong={
        "no labels": _GROUP.replace("    result['labels'] = [list(b) for b in result['input_ids']]\n", ""),
        "keeps the remainder": _GROUP.replace("total = len(joined['input_ids']) // block_size * block_size",
                                              "total = len(joined['input_ids'])"),
        "labels shifted": _GROUP.replace("[list(b) for b in result['input_ids']]",
                                         "[list(b[1:]) + [b[0]] for b in result['input_ids']]"),
        "per row": ("def group_texts(examples, block_size):\n"
                    "    result = {k: [r[i:i + block_size] for r in v for i in range(0, len(r) - block_size + 1, "
                    "block_size)] for k, v in examples.items()}\n"
                    "    result['labels'] = [list(b) for b in result['input_ids']]\n"
                    "    return result\n"),
        "input_ids only": _GROUP.replace("for k, t in joined.items()}", "for k, t in joined.items() if k == "
                                         "'input_ids'}"),
    },
)

EXERCISES = [q1, q2, q3]
