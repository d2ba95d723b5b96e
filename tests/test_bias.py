"""``utils.bias``: swaps, flip rate, per-slice F1, the split by pair, lexicon, word scores, probes (no big models)."""
from __future__ import annotations

import numpy as np
import pytest

from utils import bias

SWAPS = [("he", "she"), ("democrats", "republicans")]


def test_swap_is_whole_word_both_ways_and_keeps_case():
    text = "He told the Democrats that she, not THE REPUBLICANS, chose the theme; democrats agreed."
    assert bias.swap_terms(text, SWAPS) == \
        "She told the Republicans that he, not THE DEMOCRATS, chose the theme; republicans agreed."
    assert bias.swap_terms("the then theme", SWAPS) == "the then theme"  # "he" inside words stays
    assert bias.swap_terms(bias.swap_terms(text, SWAPS), SWAPS) == text  # its own inverse


def test_swap_handles_punctuated_terms_and_refuses_ambiguous_pairs():
    assert bias.swap_terms("Mr. Lee met Ms. Park.", [("mr.", "ms.")]) == "Ms. Lee met Mr. Park."
    assert bias.swap_terms("anti-Democratic", [("democratic", "republican")]) == "anti-Republican"
    with pytest.raises(ValueError, match="two swap pairs"):
        bias.swap_terms("x", [("his", "her"), ("him", "her")])
    assert bias.swap_terms("unchanged", []) == "unchanged"


def test_counterfactuals_keep_only_the_texts_that_change():
    keep, swapped = bias.counterfactuals(["He left.", "Nothing here.", "Democrats won."], bias.PARTY_SWAPS + bias.GENDER_SWAPS)
    assert keep == [0, 2] and swapped == ["She left.", "Republicans won."]


def test_the_course_swap_lists_are_consistent():
    for pairs in (bias.PARTY_SWAPS, bias.GENDER_SWAPS, bias.NAME_SWAPS, bias.PARTY_SWAPS + bias.GENDER_SWAPS + bias.NAME_SWAPS):
        bias.swap_terms("x", pairs)  # raises if a word is in two pairs


def test_flip_rate_counts_threshold_crossings_over_all_items():
    before = [0.9, 0.6, 0.2, 0.5, 0.1]
    after = [0.4, 0.7, 0.45, 0.49, 0.1]
    assert bias.flip_rate(before, after) == pytest.approx(2 / 5)  # 0.9→0.4 and 0.5→0.49 cross 0.5
    assert bias.flip_rate(before, after, threshold=0.3) == pytest.approx(1 / 5)  # only 0.2→0.45 crosses 0.3
    assert bias.mean_shift([0.2, 0.8], [0.4, 0.6]) == pytest.approx((0.0, 0.2))
    with pytest.raises(ValueError):
        bias.flip_rate([0.1], [0.1, 0.2])


def test_slice_f1_scores_every_group_with_binary_f1():
    y_true = [1, 0, 1, 1, 0, 0, 0]
    y_pred = [1, 1, 0, 1, 0, 1, 0]
    groups = ["a", "a", "a", "b", "b", "c", "c"]
    got = bias.slice_f1(y_true, y_pred, groups)
    assert got == pytest.approx({"a": 0.5, "b": 1.0, "c": 0.0})
    table = bias.slice_table(y_true, y_pred, groups)
    assert table.loc["a", "sentences"] == 3 and table.loc["b", "accuracy"] == 1.0


def _pairs(n_topics=3, per_cell=7):
    pairs = []
    for t in range(n_topics):
        for d in bias.DIRECTIONS:
            for i in range(per_cell):
                pairs.append({"pair_id": f"t{t}-{d}-{i:02d}", "topic": f"t{t}", "direction": d,
                              "biased": f"A shocking claim {t}{d}{i}.", "neutral": f"A claim {t}{d}{i}.",
                              "loaded_words": ["shocking"]})
    return pairs


def test_split_by_pair_is_stratified_deterministic_and_order_free():
    pairs = _pairs()
    splits = bias.split_pairs(pairs)
    assert set(splits) == {p["pair_id"] for p in pairs}
    assert splits == bias.split_pairs(pairs[::-1]) == bias.split_pairs(pairs, seed=0)
    assert splits != bias.split_pairs(pairs, seed=1)
    for t in range(3):
        for d in bias.DIRECTIONS:
            cell = [splits[p["pair_id"]] for p in pairs if p["topic"] == f"t{t}" and p["direction"] == d]
            assert sorted(cell) == ["test"] + ["train"] * 5 + ["validation"]  # 7 × 15 % rounds to 1
    rows = bias.sentence_rows(pairs[:1])
    assert [r["label"] for r in rows] == [1, 0] and rows[1]["loaded_words"] == []


def test_pair_problems_names_what_is_wrong():
    good = _pairs(1, 1)[0]
    assert bias.pair_problems(good) == []
    assert "not in the biased" in bias.pair_problems({**good, "loaded_words": ["absent"]})[0]
    assert "also in the neutral" in bias.pair_problems({**good, "neutral": "A Shocking claim."})[0]
    assert "direction" in bias.pair_problems({**good, "direction": "centre"})[0]
    assert "fields" in bias.pair_problems({k: v for k, v in good.items() if k != "topic"})[0]


def test_lexicon_matches_whole_words_case_insensitively():
    lexicon = bias.loaded_lexicon([["Radical", "soft-on-crime"], ["gutted"]])
    assert lexicon == {"radical", "soft-on-crime", "gutted"}
    got = bias.lexicon_predict(["The radical plan.", "Radicalism rose.", "A Soft-on-crime mayor.", "Calm."], lexicon)
    assert got.tolist() == [1, 0, 1, 0]
    assert bias.lexicon_predict(["x"], set()).tolist() == [0]


def test_word_scores_join_wordpieces_and_top_word_hit():
    tokens = ["[CLS]", "the", "brut", "##al", "crack", "##down", ",", "said", "[SEP]"]
    scores = [5.0, 0.1, 0.3, 0.4, 0.2, 0.1, 0.9, -0.2, 3.0]
    special = [True] + [False] * 7 + [True]
    words = bias.word_scores(tokens, scores, special)
    assert [w for w, _ in words] == ["the", "brutal", "crackdown", "said"]
    assert words[1][1] == pytest.approx(0.7)
    hit, chance = bias.top_word_hit(words, ["brutal crackdown"])
    assert hit and chance == pytest.approx(0.5)
    assert bias.top_word_hit(words, ["said it"])[0] is False


class _FakeFillMask:
    class tokenizer:
        mask_token = "[MASK]"

    def __call__(self, texts, targets):
        return [[{"token_str": "he", "score": 0.3 if "nurse" in t else 0.6},
                 {"token_str": "she", "score": 0.6 if "nurse" in t else 0.2}] for t in texts]


def test_pronoun_probe_and_group_scores():
    table = bias.pronoun_probe(_FakeFillMask(), ["nurse", "pilot"], ["The {occupation}: {mask}."])
    assert table.loc["nurse", "he_share"] == pytest.approx(1 / 3) and table.loc["pilot", "he_share"] == pytest.approx(0.75)
    frame = bias.group_scores(lambda texts: np.array([0.9 if "A" in t else 0.5 for t in texts]),
                              ["{term} came.", "{term} left."], {"first": ["A1", "A2"], "second": ["B1"]})
    assert frame.loc["first", "mean"] == pytest.approx(0.9) and frame.loc["second", "mean"] == pytest.approx(0.5)


def test_match_case():
    assert [bias.match_case(m, "she") for m in ("he", "He", "HE")] == ["she", "She", "SHE"]
    assert bias.match_case("I", "we") == "We"
