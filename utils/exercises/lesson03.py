"""Lesson 03 exercises: counting tokens, attention masks, character spans → tokens."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from utils.grading import Exercise, expect

# Hidden inputs: the grader calls the learner's functions on these, never on the notebook's examples.
_HIDDEN_TEXTS = [
    "",
    "Tokenizers split unbelievably long words into subwords.",
    "GPT-2 and BERT disagree about CAPITALS, spaces   and émigrés 🤗!",
    "Mr. Darcy's pride, Elizabeth's prejudice; 1813.",
    " ".join(["It is a truth universally acknowledged"] * 40),
]
_HIDDEN_BATCHES = [
    ["Short one.", "A noticeably longer sentence that needs several more tokens to encode.", "Mid-sized text here"],
    ["x", "Padding goes on the left this time, as for generation."],
]
# (text, start, end): character spans aligned on words (the grader checks each on both tokenizers).
_HIDDEN_SPANS = [
    ("Elizabeth Bennet walked to Netherfield in the rain.", 0, 16),
    ("Elizabeth Bennet walked to Netherfield in the rain.", 27, 38),
    ("The tokenizer handles hyphenated-words gracefully!", 22, 38),
    ("Prices rose 12.5% in 2016 — unexpectedly.", 12, 17),
    ("Naïve café owners love Zürich.", 0, 10),
    ("Ends with a question?", 12, 21),
]


@lru_cache(maxsize=1)
def _tokenizers() -> dict:
    """The lesson's two tokenizers, loaded the way the notebook loads them."""
    from transformers import AutoTokenizer

    from utils.resources import checkpoint

    return {
        "WordPiece (encoder)": AutoTokenizer.from_pretrained(checkpoint("encoder")),
        "byte-level BPE (GPT-2)": AutoTokenizer.from_pretrained(checkpoint("gpt2-tokenizer")),
    }


def _grade_count_tokens(count_tokens) -> None:
    expect(callable(count_tokens), "`count_tokens` should be a function of (tokenizer, texts)")
    for name, tok in _tokenizers().items():
        want = [len(tok(text, add_special_tokens=False)["input_ids"]) for text in _HIDDEN_TEXTS]
        got = count_tokens(tok, list(_HIDDEN_TEXTS))
        expect(isinstance(got, (list, tuple, np.ndarray)) and len(got) == len(want),
               f"return one count per text: a list of {len(want)} numbers, got {type(got).__name__}")
        got = [int(n) for n in got]
        if got == want:
            continue
        extra = {g - w for g, w in zip(got, want)}
        if extra == {tok.num_special_tokens_to_add()} and extra != {0}:
            raise AssertionError(f"with the {name} tokenizer every count is {extra.pop()} too high: "
                                 "do not count the special tokens ([CLS], [SEP]) the tokenizer adds")
        first = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
        raise AssertionError(f"with the {name} tokenizer, {_HIDDEN_TEXTS[first][:60]!r} has {want[first]} "
                             f"tokens, you counted {got[first]} (no truncation, no special tokens)")


def _grade_attention_mask(attention_mask_for) -> None:
    expect(callable(attention_mask_for), "`attention_mask_for` should be a function of (input_ids, pad_token_id)")
    tok = _tokenizers()["WordPiece (encoder)"]
    for texts, side in zip(_HIDDEN_BATCHES, ("right", "left")):
        tok.padding_side = side
        try:
            batch = tok(texts, padding=True, return_tensors="pt")
        finally:
            tok.padding_side = "right"
        got = attention_mask_for(batch["input_ids"].clone(), tok.pad_token_id)
        got = np.asarray(got.detach().cpu() if hasattr(got, "detach") else got)
        want = batch["attention_mask"].numpy()
        expect(got.shape == want.shape, f"the mask has shape {got.shape}; it must match input_ids {want.shape}")
        expect(np.array_equal(got.astype(int), want),
               f"wrong mask for a {side}-padded batch: 1 for every real token, 0 for every padding token")
    # Any pad id, not only 0: a hand-made batch padded with id 7.
    import torch

    ids = torch.tensor([[5, 8, 9, 7, 7], [7, 7, 4, 4, 4]])
    got = attention_mask_for(ids, 7)
    got = np.asarray(got.detach().cpu() if hasattr(got, "detach") else got).astype(int)
    expect(np.array_equal(got, [[1, 1, 1, 0, 0], [0, 0, 1, 1, 1]]),
           "use the pad_token_id argument: with pad id 7, [[5, 8, 9, 7, 7]] needs the mask [[1, 1, 1, 0, 0]]")


def _expected_span(tok, text: str, start: int, end: int) -> list[int]:
    """Positions of the tokens whose character offsets overlap ``[start, end)``."""
    enc = tok(text, return_offsets_mapping=True)
    return [i for i, (s, e) in enumerate(enc["offset_mapping"]) if s < e and s < end and e > start]


def _grade_span(span_to_tokens) -> None:
    expect(callable(span_to_tokens), "`span_to_tokens` should be a function of (tokenizer, text, start, end)")
    for name, tok in _tokenizers().items():
        for text, start, end in _HIDDEN_SPANS:
            want = _expected_span(tok, text, start, end)
            got = span_to_tokens(tok, text, start, end)
            expect(isinstance(got, (list, tuple, range, np.ndarray)),
                   f"return a list of token positions, got {type(got).__name__}")
            got = [int(i) for i in got]
            expect(got == want, f"with the {name} tokenizer, the span {text[start:end]!r} of {text!r} covers the "
                   f"tokens at positions {want}, you returned {got} (positions in tokenizer(text)['input_ids'], "
                   "special tokens included)")


q1 = Exercise(
    "q1", points=1, target="count_tokens", grade=_grade_count_tokens,
    prompt="Write `count_tokens(tokenizer, texts)` returning, for each text, the number of tokens it "
           "becomes — without special tokens and without truncation.",
    hints=[
        "Calling the tokenizer on a list gives a batch whose `input_ids` is a list of lists.",
        "Pass `add_special_tokens=False` so that [CLS]/[SEP] are not counted, then take `len` of each list.",
    ],
    solution="def count_tokens(tokenizer, texts):\n"
             "    ids = tokenizer(list(texts), add_special_tokens=False)[\"input_ids\"]\n"
             "    return [len(seq) for seq in ids]",
)

q2 = Exercise(
    "q2", points=1, target="attention_mask_for", grade=_grade_attention_mask,
    prompt="Write `attention_mask_for(input_ids, pad_token_id)`: given a padded 2-D tensor of ids, return a "
           "tensor of the same shape with 1 for real tokens and 0 for padding (left or right).",
    hints=[
        "Compare the whole tensor with the pad id at once: `input_ids != pad_token_id` is a boolean tensor.",
        "Turn booleans into integers with `.long()` (the dtype the tokenizer returns).",
    ],
    solution="def attention_mask_for(input_ids, pad_token_id):\n"
             "    return (input_ids != pad_token_id).long()",
)

q3 = Exercise(
    "q3", points=2, target="span_to_tokens", grade=_grade_span,
    prompt="Write `span_to_tokens(tokenizer, text, start, end)` returning the positions (in "
           "`tokenizer(text)['input_ids']`, special tokens included) of the tokens that cover the "
           "characters `text[start:end]`.",
    hints=[
        "Ask the tokenizer for `return_offsets_mapping=True`: each token gets its (start, end) characters.",
        "Keep token i when its offsets overlap the span: `s < end and e > start` (skip special tokens, whose offsets are (0, 0)).",
        "Alternative: `enc.char_to_token(start)` and `enc.char_to_token(end - 1)` give the first and last token.",
    ],
    solution="def span_to_tokens(tokenizer, text, start, end):\n"
             "    enc = tokenizer(text, return_offsets_mapping=True)\n"
             "    return [i for i, (s, e) in enumerate(enc[\"offset_mapping\"])\n"
             "            if s < e and s < end and e > start]",
)

EXERCISES = [q1, q2, q3]
