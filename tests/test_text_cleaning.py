"""utils.text_cleaning: each option does what it says, errors are clear, defaults match lesson 04's spec."""
import pytest

from utils.text_cleaning import DEFAULTS, clean_text, clean_texts, demojize, noise_profile, split_hashtag

TWEET = "RT @TeamHillary: Can&#39;t wait for #DebateNight &amp; more 🎉 https://t.co/Xy12AbC"
OFF = dict(html="keep", urls="keep", mentions="keep", hashtags="keep", emojis="keep", lowercase=False, whitespace=False)


def test_defaults_clean_a_tweet():
    assert clean_text(TWEET) == "rt @user: can't wait for debatenight & more 🎉"


@pytest.mark.parametrize("text, want", [
    ("", ""),
    ("https://t.co/x", ""),
    ("see https://t.co/a?u=https://b.org/c&d=1 and www.example.com/x now", "see and now"),
    ("great…https://t.co/Zz9", "great…"),
    ("mail me@example.com, .@Someone_1's point", "mail me@example.com, .@user's point"),
    ("CAFÉ\u00a0Ünïcödé\n\tÉTÉ", "café ünïcödé été"),
    ("&lt;3 &amp;amp;", "<3 &amp;"),  # entities are decoded once
])
def test_default_cleaning_edge_cases(text, want):
    assert clean_text(text) == want


def test_each_option_alone():
    assert clean_text("a &amp; b", **{**OFF, "html": "unescape"}) == "a & b"
    assert clean_text("go https://x.y now", **{**OFF, "urls": "token"}) == "go  <url>  now"
    assert clean_text("hi @bob", **{**OFF, "mentions": "remove"}) == "hi "
    assert clean_text("#ImWithHer!", **{**OFF, "hashtags": "split"}) == "Im With Her!"
    assert clean_text("x #tag y", **{**OFF, "hashtags": "remove"}) == "x   y"
    assert clean_text("ok 🎉", **{**OFF, "emojis": "remove"}) == "ok  "
    assert clean_text("A  B", **{**OFF, "whitespace": True}) == "A B"
    assert clean_text(TWEET, **OFF) == TWEET  # everything off: untouched


def test_split_hashtag_and_demojize():
    assert split_hashtag("#MakeAmericaGreatAgain") == "Make America Great Again"
    assert split_hashtag("VPDebate") == "VP Debate"
    assert split_hashtag("#Rio2016Olympics") == "Rio 2016 Olympics"
    assert split_hashtag("#debatenight") == "debatenight"
    assert demojize("yes 👍🏽!") == "yes  :thumbs up sign:  !"


def test_clean_texts_and_noise_profile():
    assert clean_texts(["A https://x", "#B"], urls="token") == ["a <url>", "b"]
    profile = noise_profile(["see https://x", "@a hi", "#b &amp; 🎉", "plain"])
    assert profile["URL"] == 0.25 and profile["@mention"] == 0.25 and profile["emoji"] == 0.25
    assert profile["#hashtag"] == 0.25 and profile["HTML entity"] == 0.25


def test_bad_input_is_reported():
    with pytest.raises(TypeError, match="unknown cleaning option"):
        clean_text("x", url="remove")
    with pytest.raises(ValueError, match="urls='drop'"):
        clean_text("x", urls="drop")
    with pytest.raises(TypeError, match="expects a string"):
        clean_text(None)
    with pytest.raises(ValueError, match="at least one"):
        noise_profile([])
    assert set(DEFAULTS) >= {"urls", "mentions", "hashtags", "emojis"}
