"""Lesson 03 exercises: counting tokens, attention masks, character spans → tokens.

Each grading draws new inputs: lists of texts of random sizes (with an empty text and one longer than
either model's maximum length) for both tokenizers, padded batches with the padding on either side and
pad ids other than 0, and character spans, whole words or parts of words, in shuffled sentences.
The references come from the tokenizers themselves, in the grader's process.
"""
from __future__ import annotations

import contextlib
from functools import lru_cache

import numpy as np

from utils.grading import Exercise, Incorrect, expect
from utils.grading.plain import describe

WORDPIECE, BPE = "WordPiece (encoder)", "byte-level BPE (GPT-2)"
TOKENIZERS = (WORDPIECE, BPE)

TEXTS = [
    "Tokenizers split unbelievably long words into subwords.",
    "GPT-2 and BERT disagree about CAPITALS, spaces   and émigrés 🤗!",
    "Mr. Darcy's pride, Elizabeth's prejudice; 1813.",
    "It is a truth universally acknowledged.",
    "Visit https://example.org/tokenizers?lang=en#offsets for the docs.",
    "Naïve café owners in Zürich love crème brûlée.",
    "RT @HillaryClinton: #ImWithHer 🇺🇸🎉",
    "x",
    "def count_tokens(tokenizer, texts): return [len(ids) for ids in batch]",
    "The quick brown fox jumps over the lazy dog.",
    "COVID-19 vaccines: 95% effective?!",
    "Emma Woodhouse, handsome, clever, and rich, with a comfortable home and happy disposition.",
]
# Repeated to make a text longer than both models' maximum length (512 and 1024 tokens).
LONG_PHRASES = [
    "It is a truth universally acknowledged, that a single man in possession of a good fortune, "
    "must be in want of a wife.",
    "Tokenization turns text into integers; the model never sees a single character of it.",
    "Netherfield Park is let at last, said Mrs. Bennet — and Mr. Bennet made no answer.",
]
BATCH_TEXTS = [
    "Short one.", "A noticeably longer sentence that needs several more tokens to encode.", "Mid-sized text here",
    "x", "Padding goes on the left this time, as for generation.", "Hello!", "Emma was rich.",
    "Elizabeth walked three miles through the mud to Netherfield, her petticoat six inches deep.",
]
# (sentence, the span's text, kind): "word" spans start and end between words, "part" spans cut through a
# token, "emoji" spans end with a character that GPT-2 spells with several byte tokens of the same offsets.
SPANS = [
    ("Elizabeth Bennet walked to Netherfield in the rain.", "Elizabeth Bennet", "word"),
    ("Elizabeth Bennet walked to Netherfield in the rain.", "Netherfield", "word"),
    ("Mr. Darcy danced with Elizabeth at Netherfield.", "Netherfield", "word"),
    ("Mr. Darcy danced with Elizabeth at Netherfield.", "Darcy danced", "word"),
    ("The tokenizer handles hyphenated-words gracefully!", "hyphenated-words", "word"),
    ("Prices rose 12.5% in 2016 — unexpectedly.", "12.5%", "word"),
    ("Naïve café owners love Zürich.", "Naïve café", "word"),
    ("Ends with a question mark, unbelievably?", "unbelievably?", "word"),
    ("Tokenizers split unbelievably long words.", "believ", "part"),
    ("Mr. Darcy danced with Elizabeth at Netherfield.", "therfie", "part"),
    ("Tokenization is the first step of every NLP pipeline.", "kenization is", "part"),
    ("So proud of our team #Debates2016 🎉", "Debates2016 🎉", "emoji"),
    ("Great rally tonight 🇺🇸 thank you!", "tonight 🇺🇸", "emoji"),
    ("I love it 😂 so much", "love it 😂", "emoji"),
    ("Thank you Ohio 👏🏽", "Ohio 👏🏽", "emoji"),
    ("Merci 🤗 beaucoup", "Merci 🤗", "emoji"),
]


@lru_cache(maxsize=1)
def _tokenizers() -> dict:
    """The lesson's two tokenizers, loaded the way the notebook loads them."""
    from transformers import AutoTokenizer

    from utils.resources import checkpoint

    return {WORDPIECE: AutoTokenizer.from_pretrained(checkpoint("encoder")),
            BPE: AutoTokenizer.from_pretrained(checkpoint("gpt2-tokenizer"))}


@lru_cache(maxsize=1)
def _padding_bpe():
    """GPT-2's tokenizer with end-of-text as its pad token, as the lesson sets it up."""
    import copy

    tok = copy.deepcopy(_tokenizers()[BPE])
    tok.pad_token = tok.eos_token
    return tok


def _tokenizer(name: str):
    """A tokenizer in its loaded state (a learner's function may have changed its padding settings)."""
    tok = _tokenizers()[name]
    tok.padding_side, tok.truncation_side = "right", "right"
    return tok


@contextlib.contextmanager
def _quiet():
    """No "sequence longer than the maximum length" warning: long texts are on purpose here."""
    from transformers.utils import logging

    level = logging.get_verbosity()
    logging.set_verbosity_error()
    try:
        yield
    finally:
        logging.set_verbosity(level)


def _a(value) -> str:
    """``an int``, ``a str``: the type of a value, for messages."""
    name = type(value).__name__
    return ("an " if name[0] in "aeiou" else "a ") + name


# -- q1: count_tokens --------------------------------------------------------------------------
def _count_cases(rng):
    names = [WORDPIECE, BPE, str(rng.choice(TOKENIZERS))]
    cases = []
    for name in rng.permutation(names):
        texts = [str(t) for t in rng.choice(TEXTS, size=int(rng.integers(3, 7)), replace=False)]
        texts.append("")
        phrase = str(rng.choice(LONG_PHRASES))
        texts.append(" ".join([phrase] * int(rng.integers(70, 100))))  # 1,100+ tokens with either tokenizer
        order = rng.permutation(len(texts))
        cases.append({"tokenizer": str(name), "texts": [texts[i] for i in order]})
    return cases


def _run_count(count_tokens, case):
    with _quiet():
        return count_tokens(_tokenizer(case["tokenizer"]), list(case["texts"]))


def _expected_count(case):
    tok = _tokenizer(case["tokenizer"])
    with _quiet():
        return [len(ids) for ids in tok(list(case["texts"]), add_special_tokens=False)["input_ids"]]


def _compare_count(got, want, case):
    name, texts = case["tokenizer"], case["texts"]
    if isinstance(got, np.ndarray):
        got = got.tolist()
    expect(isinstance(got, list), f"return a list with one count per text; for {len(texts)} texts you returned "
           f"{describe(got, 60)}, {_a(got)}")
    expect(len(got) == len(want), f"for {len(texts)} texts return {len(texts)} counts (one per text, same order); "
           f"you returned {len(got)}")
    expect(all(isinstance(n, (int, float)) and not isinstance(n, bool) and float(n).is_integer() for n in got),
           f"each count should be an int; you returned {describe(got, 80)}")
    got = [int(n) for n in got]
    if got == want:
        return
    special = _tokenizer(name).num_special_tokens_to_add()
    if special and {g - w for g, w in zip(got, want)} == {special}:
        raise Incorrect(f"with the {name} tokenizer every count is {special} too high: do not count the special "
                        "tokens ([CLS], [SEP]) the tokenizer adds (`add_special_tokens=False`)")
    first = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
    text, reason = texts[first], ""
    if got[first] < want[first] and want[first] > _tokenizer(name).model_max_length:
        reason = " — your count stops at the model's maximum length: do not truncate"
    elif got[first] == len(text.split()):
        reason = " — that is its number of words, not of tokens"
    raise Incorrect(f"with the {name} tokenizer, the text {describe(text, 70)} has {want[first]} tokens; you counted "
                    f"{got[first]}{reason}")


# -- q2: attention_mask_for ----------------------------------------------------------------------
def _mask_cases(rng):
    sides = ["left", "right"]
    rng.shuffle(sides)
    cases = [
        {"kind": "tokenizer", "tokenizer": WORDPIECE, "side": sides[0],
         "texts": [str(t) for t in rng.choice(BATCH_TEXTS, size=int(rng.integers(2, 5)), replace=False)]},
        {"kind": "tokenizer", "tokenizer": BPE, "side": sides[1],
         "texts": [str(t) for t in rng.choice(BATCH_TEXTS, size=int(rng.integers(2, 5)), replace=False)]},
    ]
    for side, pad in [("left", int(rng.integers(1, 30_000))), (str(rng.choice(["left", "right"])), 0)]:
        rows = int(rng.integers(2, 6))
        lengths = [int(n) for n in rng.integers(1, 12, size=rows)]
        lengths[int(rng.integers(rows))] = max(lengths) + int(rng.integers(0, 3))  # one row without padding
        cases.append({"kind": "ids", "side": side, "pad": pad, "lengths": lengths, "seed": int(rng.integers(2**31))})
    order = rng.permutation(len(cases))
    return [cases[i] for i in order]


def _padded(case, tensors: str):
    """The tokenizer's own padded batch for a case of kind "tokenizer"."""
    tok = _padding_bpe() if case["tokenizer"] == BPE else _tokenizer(case["tokenizer"])
    return tok(list(case["texts"]), padding=True, padding_side=case["side"], return_tensors=tensors), tok.pad_token_id


def _batch(case):
    """``(input_ids, pad id)`` of one case, as a tensor."""
    import torch

    if case["kind"] == "tokenizer":
        batch, pad = _padded(case, "pt")
        return batch["input_ids"], pad
    pad, lengths, width = case["pad"], case["lengths"], max(case["lengths"])
    rng = np.random.default_rng(case["seed"])
    ids = np.full((len(lengths), width), pad, dtype=np.int64)
    for row, n in enumerate(lengths):
        tokens = rng.integers(1, 30_000, size=n)
        tokens[tokens == pad] = pad + 1  # the pad id never stands for a real token
        if case["side"] == "right":
            ids[row, :n] = tokens
        else:
            ids[row, width - n:] = tokens
    return torch.from_numpy(ids), pad


def _run_mask(attention_mask_for, case):
    import torch

    ids, pad = _batch(case)
    got = attention_mask_for(ids.clone(), pad)
    if not isinstance(got, torch.Tensor):
        raise Incorrect(f"return a torch tensor (like the tokenizer's attention_mask), not a {type(got).__name__}")
    return got


def _expected_mask(case):
    if case["kind"] == "tokenizer":
        return _padded(case, "np")[0]["attention_mask"].astype(np.int64)
    width = max(case["lengths"])
    mask = np.zeros((len(case["lengths"]), width), dtype=np.int64)
    for row, n in enumerate(case["lengths"]):
        mask[row, :n] = 1
        if case["side"] == "left":
            mask[row] = mask[row, ::-1]
    return mask


def _compare_mask(got, want, case):
    where = (f"a {case['side']}-padded batch from the {case['tokenizer']} tokenizer" if case["kind"] == "tokenizer"
             else f"a {case['side']}-padded batch of {len(case['lengths'])} rows with pad id {case['pad']}")
    expect(isinstance(got, np.ndarray), f"for {where}: return a tensor, got {describe(got, 60)}")
    expect(got.shape == want.shape, f"for {where}: the mask has shape {tuple(got.shape)}; it must have the shape of "
           f"input_ids, {tuple(want.shape)}")
    expect(got.dtype.kind in "iu", f"for {where}: the mask has dtype {got.dtype}; return the integers 1 and 0 "
           "(`.long()`: the dtype of the tokenizer's attention_mask)")
    if np.array_equal(got, want):
        return
    if np.array_equal(got, 1 - want):
        raise Incorrect(f"for {where}: your mask is inverted — 1 marks the real tokens, 0 the padding")
    raise Incorrect(f"for {where}: the mask should be {want.tolist()}, yours is {got.tolist()} "
                    "(1 wherever input_ids is not the pad id given as argument, 0 where it is)")


# -- q3: span_to_tokens --------------------------------------------------------------------------
def _span_cases(rng):
    kind = {k: [i for i, s in enumerate(SPANS) if s[2] == k] for k in ("word", "part", "emoji")}
    picks = [(WORDPIECE, int(rng.choice(kind["word"]))), (WORDPIECE, int(rng.choice(kind["part"]))),
             (BPE, int(rng.choice(kind["word"]))), (BPE, int(rng.choice(kind["part"]))),
             (BPE, int(rng.choice(kind["emoji"])))]
    picks += [(str(rng.choice(TOKENIZERS)), int(i)) for i in rng.choice(len(SPANS), size=2, replace=False)]
    cases = []
    for name, i in picks:
        text, span, _ = SPANS[i]
        start = text.index(span)
        cases.append({"tokenizer": name, "text": text, "start": start, "end": start + len(span)})
    order = rng.permutation(len(cases))
    return [cases[i] for i in order]


def _run_span(span_to_tokens, case):
    return span_to_tokens(_tokenizer(case["tokenizer"]), case["text"], case["start"], case["end"])


def _expected_span(case):
    """Positions of the tokens whose character offsets overlap ``[start, end)``."""
    enc = _tokenizer(case["tokenizer"])(case["text"], return_offsets_mapping=True)
    start, end = case["start"], case["end"]
    return [i for i, (s, e) in enumerate(enc["offset_mapping"]) if s < e and s < end and e > start]


def _compare_span(got, want, case):
    text, start, end, name = case["text"], case["start"], case["end"], case["tokenizer"]
    if isinstance(got, np.ndarray):
        got = got.tolist()
    expect(isinstance(got, list), f"return a list of token positions; you returned {describe(got, 60)}, {_a(got)}")
    expect(all(isinstance(i, int) and not isinstance(i, bool) for i in got),
           f"return the positions as ints; you returned {describe(got, 80)}")
    if got == want:
        return
    enc = _tokenizer(name)(text, return_offsets_mapping=True)
    tokens, offsets = enc.tokens(), enc["offset_mapping"]
    shown = ", ".join(f"{i}: {tokens[i]!r}" for i in want)
    reason = ""
    if any(not 0 <= i < len(tokens) for i in got):
        reason = " — return positions in input_ids, not the token ids themselves"
    elif got == [i - 1 for i in want]:
        reason = " — positions count the special tokens too ([CLS] is position 0)"
    elif got and set(got) < set(want) and any(offsets[i] in [offsets[j] for j in got] for i in set(want) - set(got)):
        reason = (" — a byte-level tokenizer can spell one character (an emoji) with several tokens of the same "
                  "offsets: keep them all (`char_to_token` names only one of them)")
    elif got and set(got) < set(want):
        reason = " — keep every token that overlaps the span: the last one too, and one only partly inside it"
    elif not got:
        reason = " — a token only partly inside the span counts too"
    raise Incorrect(f"with the {name} tokenizer, the characters {text[start:end]!r} (text[{start}:{end}]) of "
                    f"{text!r} are covered by the tokens at positions {want} ({shown}); you returned {got}{reason}")


q1 = Exercise(
    "q1", points=1, target="count_tokens",
    cases=_count_cases, run=_run_count, expected=_expected_count, compare=_compare_count,
    hints=[
        "Calling the tokenizer on a list gives a batch whose `input_ids` is a list of lists, one per text.",
        "Pass `add_special_tokens=False` so that [CLS]/[SEP] are not counted, and no `truncation`; then take "
        "`len` of each list.",
    ],
    wrong={
        "special tokens counted": (
            "def count_tokens(tokenizer, texts):\n"
            "    return [len(ids) for ids in tokenizer(list(texts))['input_ids']]"),
        "truncated to the model's maximum length": (
            "def count_tokens(tokenizer, texts):\n"
            "    ids = tokenizer(list(texts), add_special_tokens=False, truncation=True)['input_ids']\n"
            "    return [len(seq) for seq in ids]"),
        "words instead of tokens": "def count_tokens(tokenizer, texts):\n    return [len(t.split()) for t in texts]",
        "the length of the encoding (its keys)": (
            "def count_tokens(tokenizer, texts):\n    return [len(tokenizer(t)) for t in texts]"),
        "one total for all texts": (
            "def count_tokens(tokenizer, texts):\n"
            "    return sum(len(ids) for ids in tokenizer(list(texts), add_special_tokens=False)['input_ids'])"),
    },
)

q2 = Exercise(
    "q2", points=1, target="attention_mask_for",
    cases=_mask_cases, run=_run_mask, expected=_expected_mask, compare=_compare_mask,
    hints=[
        "Compare the whole tensor with the pad id at once: `input_ids != pad_token_id` is a boolean tensor.",
        "Turn booleans into integers with `.long()` (the dtype the tokenizer returns).",
    ],
    wrong={
        "the mask inverted": "def attention_mask_for(input_ids, pad_token_id):\n    return (input_ids == pad_token_id).long()",
        "pad id 0 assumed": "def attention_mask_for(input_ids, pad_token_id):\n    return (input_ids != 0).long()",
        "padding assumed on the right": (
            "import torch\n"
            "def attention_mask_for(input_ids, pad_token_id):\n"
            "    lengths = (input_ids != pad_token_id).sum(dim=1, keepdim=True)\n"
            "    return (torch.arange(input_ids.shape[1]) < lengths).long()"),
        "booleans instead of integers": (
            "def attention_mask_for(input_ids, pad_token_id):\n    return input_ids != pad_token_id"),
        "a nested list instead of a tensor": (
            "def attention_mask_for(input_ids, pad_token_id):\n"
            "    return [[int(t != pad_token_id) for t in row] for row in input_ids.tolist()]"),
    },
)

q3 = Exercise(
    "q3", points=2, target="span_to_tokens",
    cases=_span_cases, run=_run_span, expected=_expected_span, compare=_compare_span,
    hints=[
        "Ask the tokenizer for `return_offsets_mapping=True`: each token gets its (start, end) characters.",
        "Keep token i when its offsets overlap the span: `s < end and e > start` (skip special tokens, whose "
        "offsets are (0, 0)).",
        "`enc.char_to_token(i)` names one token per character, but GPT-2 spells an emoji with several byte tokens "
        "that all cover it: compare offsets instead.",
    ],
    wrong={
        "positions without the special tokens": (
            "def span_to_tokens(tokenizer, text, start, end):\n"
            "    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)\n"
            "    return [i for i, (s, e) in enumerate(enc['offset_mapping']) if s < end and e > start]"),
        "the last token left out": (
            "def span_to_tokens(tokenizer, text, start, end):\n"
            "    enc = tokenizer(text)\n"
            "    return list(range(enc.char_to_token(start), enc.char_to_token(end - 1)))"),
        "only tokens entirely inside the span": (
            "def span_to_tokens(tokenizer, text, start, end):\n"
            "    enc = tokenizer(text, return_offsets_mapping=True)\n"
            "    return [i for i, (s, e) in enumerate(enc['offset_mapping']) if s < e and s >= start and e <= end]"),
        "the token ids instead of their positions": (
            "def span_to_tokens(tokenizer, text, start, end):\n"
            "    enc = tokenizer(text, return_offsets_mapping=True)\n"
            "    return [t for t, (s, e) in zip(enc['input_ids'], enc['offset_mapping'])\n"
            "            if s < e and s < end and e > start]"),
        "first to last token by char_to_token": (
            "def span_to_tokens(tokenizer, text, start, end):\n"
            "    enc = tokenizer(text)\n"
            "    return list(range(enc.char_to_token(start), enc.char_to_token(end - 1) + 1))"),
    },
)

EXERCISES = [q1, q2, q3]
