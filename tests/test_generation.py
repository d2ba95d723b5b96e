"""utils.generation: the measures lesson 07 reports and the references its checks use."""
from __future__ import annotations

import math

import pytest
import torch

from utils.generation import (bits_per_byte, continuation_logprob, distinct_n, group_texts, repetition_rate,
                              strided_nll)


@pytest.fixture(scope="module")
def tiny_lm():
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(vocab_size=30, n_positions=64, n_embd=16, n_layer=1, n_head=2, resid_pdrop=0.0,
                        embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0)
    return GPT2LMHeadModel(config).eval()


def _full_nll(model, ids):
    with torch.no_grad():
        logits = model(ids[None]).logits[0, :-1]
    return float(torch.nn.functional.cross_entropy(logits, ids[1:], reduction="sum"))


def test_distinct_and_repetition():
    assert distinct_n([[1, 2, 1, 2]], 2) == pytest.approx(2 / 3)      # (1,2) (2,1) (1,2)
    assert distinct_n([[1, 2], [1, 2]], 2) == 0.5                       # pooled over sequences
    assert distinct_n([[1]], 2) == 0.0
    assert repetition_rate([[1, 2, 3, 1, 2, 3]], 3) == pytest.approx(1 / 4)   # (1,2,3) again, of 4 trigrams
    assert repetition_rate([[1, 2, 3], [1, 2, 3]], 3) == 0.0            # within a sequence only


def test_one_window_equals_the_whole_sequence(tiny_lm):
    ids = torch.randint(0, 30, (40,), generator=torch.Generator().manual_seed(1))
    nll, n = strided_nll(tiny_lm, ids, max_length=64, stride=16)
    assert n == 39 and nll == pytest.approx(_full_nll(tiny_lm, ids), rel=1e-5)


def test_windows_score_each_token_once(tiny_lm):
    ids = torch.randint(0, 30, (50,), generator=torch.Generator().manual_seed(2))
    assert strided_nll(tiny_lm, ids, 10, 10)[1] == 50 - 5       # disjoint: each window's first token unscored
    assert strided_nll(tiny_lm, ids, 10, 3)[1] == 49             # overlapping: every token but the first
    with pytest.raises(ValueError):
        strided_nll(tiny_lm, ids, 10, 11)


def test_continuation_logprob_matches_the_full_pass(tiny_lm):
    ids = torch.randint(0, 30, (12,), generator=torch.Generator().manual_seed(3))
    total, n = continuation_logprob(tiny_lm, ids[:1].tolist(), ids[1:].tolist())
    assert n == 11 and -total == pytest.approx(_full_nll(tiny_lm, ids), rel=1e-5)


def test_group_texts_and_bits_per_byte():
    out = group_texts({"input_ids": [[1, 2, 3], [4, 5], [6, 7, 8]], "attention_mask": [[1] * 3, [1] * 2, [1] * 3]}, 3)
    assert out == {"input_ids": [[1, 2, 3], [4, 5, 6]], "attention_mask": [[1] * 3] * 2, "labels": [[1, 2, 3], [4, 5, 6]]}
    assert bits_per_byte(8 * math.log(2), 4) == pytest.approx(2.0)
