"""Cleaning noisy social-media text: URLs, @mentions, #hashtags, emojis, HTML entities.

One configurable function, :func:`clean_text`, plus the small pieces it is made of. Lesson 04
builds the same steps by hand and then uses this module to measure which ones help; the serving
and bias lessons reuse it so that every lesson cleans tweets the same way::

    from utils.text_cleaning import clean_text
    clean_text("Vote &amp; RT @CNN https://t.co/x #ImWithHer")            # 'vote & rt @user imwithher'
    clean_text("#ImWithHer 🎉", hashtags="split", emojis="name")          # 'im with her :party popper:'

Every option takes one of a few named actions, so an experiment can switch steps on and off.
"""
from __future__ import annotations

import html
import re
import unicodedata
from typing import Iterable

__all__ = ["URL_RE", "MENTION_RE", "HASHTAG_RE", "HTML_ENTITY_RE", "EMOJI_RE", "DEFAULTS",
           "split_hashtag", "demojize", "clean_text", "clean_texts", "noise_profile"]

URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
"""A URL runs from ``http://``, ``https://`` or ``www.`` to the next whitespace (nested URLs included)."""
MENTION_RE = re.compile(r"(?<![\w@])@\w+")
"""``@name``, but not the ``@`` inside an e-mail address."""
HASHTAG_RE = re.compile(r"(?<![\w#&])#(\w+)")
"""``#word``; the tag without ``#`` is group 1 (``&#39;``-style entities are not hashtags)."""
HTML_ENTITY_RE = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")
EMOJI_RE = re.compile(
    "[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2190-\u21FF\u2300-\u23FF\u24C2\u3030\u303D"
    "\u3297\u3299\U000E0020-\U000E007F]"  # pictographs, dingbats, arrows, flags' tag characters
)
"""One emoji-like symbol. Skin-tone modifiers and flag halves are in the first block."""
_EMOJI_JOINERS = re.compile("[\u200d\ufe0e\ufe0f\u20e3]")  # zero-width joiner, variation selectors, keycap
_CAMEL_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

ACTIONS = {
    "html": ("keep", "unescape"),
    "urls": ("keep", "remove", "token"),
    "mentions": ("keep", "remove", "user"),
    "hashtags": ("keep", "remove", "word", "split"),
    "emojis": ("keep", "remove", "name"),
    "lowercase": (True, False),
    "whitespace": (True, False),
}
DEFAULTS = {"html": "unescape", "urls": "remove", "mentions": "user", "hashtags": "word",
            "emojis": "keep", "lowercase": True, "whitespace": True}
"""What :func:`clean_text` does when no option is given (the lesson-04 exercise specification)."""


def split_hashtag(tag: str) -> str:
    """``"#MakeAmericaGreatAgain"`` → ``"Make America Great Again"``; acronyms and digits stay whole.

    ``"#Debates2016"`` → ``"Debates 2016"``, ``"#MAGA"`` → ``"MAGA"``. Case is kept (lowercase later).
    """
    if not isinstance(tag, str):
        raise TypeError(f"split_hashtag expects a string, got {type(tag).__name__}")
    word = tag[1:] if tag.startswith("#") else tag
    parts = _CAMEL_PARTS.findall(word)
    return " ".join(parts) if parts else word


def _emoji_name(match: re.Match) -> str:
    char = match.group(0)
    name = unicodedata.name(char, "")
    if not name or name.startswith(("EMOJI MODIFIER", "REGIONAL INDICATOR", "TAG ")):
        return " "  # skin tones and flag halves carry no word of their own
    return f" :{name.lower()}: "


def demojize(text: str) -> str:
    """Replace each emoji with its Unicode name between colons: ``"🎉"`` → ``" :party popper: "``."""
    return EMOJI_RE.sub(_emoji_name, _EMOJI_JOINERS.sub("", text))


def _check_options(options: dict) -> dict:
    unknown = set(options) - set(ACTIONS)
    if unknown:
        raise TypeError(f"unknown cleaning option(s) {sorted(unknown)}; known: {sorted(ACTIONS)}")
    chosen = {**DEFAULTS, **options}
    for key, value in chosen.items():
        if value not in ACTIONS[key]:
            raise ValueError(f"{key}={value!r}: expected one of {ACTIONS[key]}")
    return chosen


def clean_text(text: str, **options) -> str:
    """Clean one text. Steps, in order, each switchable by a keyword (defaults in :data:`DEFAULTS`):

    ``html`` ("unescape" | "keep"), ``urls`` ("remove" | "token" → ``<url>`` | "keep"),
    ``mentions`` ("user" → ``@user`` | "remove" | "keep"), ``hashtags`` ("word" drops the ``#`` |
    "split" also splits camel case | "remove" | "keep"), ``emojis`` ("keep" | "remove" | "name"),
    ``lowercase`` (bool), ``whitespace`` (bool: collapse runs of whitespace, strip the ends).
    """
    if not isinstance(text, str):
        raise TypeError(f"clean_text expects a string, got {type(text).__name__}")
    o = _check_options(options)
    if o["html"] == "unescape":
        text = html.unescape(text)
    if o["urls"] != "keep":
        text = URL_RE.sub(" <url> " if o["urls"] == "token" else " ", text)
    if o["mentions"] != "keep":
        text = MENTION_RE.sub("@user" if o["mentions"] == "user" else "", text)
    if o["hashtags"] == "word":
        text = HASHTAG_RE.sub(r"\1", text)
    elif o["hashtags"] == "split":
        text = HASHTAG_RE.sub(lambda m: split_hashtag(m.group(1)), text)
    elif o["hashtags"] == "remove":
        text = HASHTAG_RE.sub(" ", text)
    if o["emojis"] == "remove":
        text = EMOJI_RE.sub(" ", _EMOJI_JOINERS.sub("", text))
    elif o["emojis"] == "name":
        text = demojize(text)
    if o["lowercase"]:
        text = text.lower()
    if o["whitespace"]:
        text = " ".join(text.split())
    return text


def clean_texts(texts: Iterable[str], **options) -> list[str]:
    """:func:`clean_text` over many texts (options checked once); handy inside ``datasets.map``."""
    _check_options(options)
    return [clean_text(text, **options) for text in texts]


def noise_profile(texts: Iterable[str]) -> dict[str, float]:
    """Share of texts (0–1) containing each kind of noise this module knows how to clean."""
    patterns = {"URL": URL_RE, "@mention": MENTION_RE, "#hashtag": HASHTAG_RE,
                "HTML entity": HTML_ENTITY_RE, "emoji": EMOJI_RE,
                "non-ASCII character": re.compile(r"[^\x00-\x7f]")}
    texts = list(texts)
    if not texts:
        raise ValueError("noise_profile needs at least one text")
    return {name: sum(bool(p.search(t)) for t in texts) / len(texts) for name, p in patterns.items()}
