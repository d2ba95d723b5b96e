"""Lesson 04 exercises: a tweet cleaner, a hashtag splitter, and measuring raw vs cleaned text."""
from __future__ import annotations

import random

from utils.grading import Exercise, expect
from utils.text_cleaning import clean_text, split_hashtag

# Hidden inputs: the grader calls the learner's functions on these, never on the notebook's tweets.
_HIDDEN_TWEETS = [
    "",
    "https://t.co/AbC123",
    "Read this: https://t.co/x?u=https://example.org/a&b=1 and www.example.com/page today",
    "Great rally tonight…https://t.co/Zz9 https://t.co/Yy8",
    "RT @DRUDGE_REPORT: Poll &amp; results &lt;3 — @realDonaldTrump's lead!",
    "Don&#39;t   forget\nto\tvote #ElectionDay #2016Vote",
    "CAFÉ Ünïcödé ÉTÉ  #Ñandú",
    "  Join us 🇺🇸🎉 at 3pm!\u00a0 ",
    ".@HillaryClinton: “We’re stronger together.” #ImWithHer -H",
]
_HIDDEN_HASHTAGS = {
    "#MakeAmericaGreatAgain": "Make America Great Again",
    "#LoveTrumpsHate": "Love Trumps Hate",
    "#VPDebate": "VP Debate",
    "#Rio2016Olympics": "Rio 2016 Olympics",
    "#MAGA": "MAGA",
    "#debatenight": "debatenight",
    "SheWon": "She Won",
}


def _grade_clean_tweet(clean_tweet) -> None:
    expect(callable(clean_tweet), "`clean_tweet` should be a function of one string")
    for text in _HIDDEN_TWEETS:
        want, got = clean_text(text), clean_tweet(text)
        expect(isinstance(got, str), f"return a string; for {text!r} you returned {type(got).__name__}")
        expect(got == want, f"clean_tweet({text!r}) should be {want!r}, got {got!r}")


def _grade_split_hashtag(split) -> None:
    expect(callable(split), "`split_hashtag` should be a function of one string")
    for tag, want in _HIDDEN_HASHTAGS.items():
        assert want == split_hashtag(tag), f"exercise data out of date for {tag!r}"
        got = split(tag)
        expect(got == want, f"split_hashtag({tag!r}) should be {want!r}, got {got!r}")


def _synthetic_split(signal: str, seed: int) -> tuple:
    """Two small labelled tweet sets where cleaning removes (``signal="mention"``) or uncovers
    (``signal="spurious-url"``) what separates the classes."""
    from datasets import Dataset

    rng = random.Random(seed)
    filler = "vote rally today tonight great people country jobs plan debate news watch live join".split()
    cue_words = (["economy", "taxes", "border"], ["families", "health", "climate"])

    def tweet(label: int, with_url: bool) -> str:
        words = rng.sample(filler, 6)
        if signal == "mention":
            words.append("@alice_news" if label == 0 else "@bob_daily")
        else:  # the true cue is a topic word; a URL is a shortcut that only exists in training
            words.append(rng.choice(cue_words[label]) if rng.random() < 0.8 else rng.choice(cue_words[1 - label]))
            if with_url:
                words.append("https://t.co/" + "".join(rng.choices("abcdefghijklmnop", k=8)))
        rng.shuffle(words)
        return " ".join(words)

    def make(n: int, train: bool) -> Dataset:
        labels = [i % 2 for i in range(n)]
        urls = [(label == 0) if train else rng.random() < 0.5 for label in labels]
        return Dataset.from_dict({"text": [tweet(y, u) for y, u in zip(labels, urls)], "label": labels})

    return make(200, train=True), make(200, train=False)


def _reference_scores(train, test, clean_fn) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    scores = {}
    for name, fn in (("raw", lambda t: t), ("clean", clean_fn)):
        model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
        model.fit([fn(t) for t in train["text"]], train["label"])
        scores[name] = model.score([fn(t) for t in test["text"]], test["label"])
    return scores


def _grade_raw_vs_clean(raw_vs_clean_accuracy) -> None:
    expect(callable(raw_vs_clean_accuracy), "`raw_vs_clean_accuracy` should be a function of (train, test, clean_fn)")
    cases = {
        "mention": "the class is carried by who is @mentioned, so replacing mentions by @user should hurt",
        "spurious-url": "only training tweets of class 0 carry a URL, so removing URLs should help",
    }
    for seed, (signal, story) in enumerate(cases.items()):
        train, test = _synthetic_split(signal, seed)
        want = _reference_scores(train, test, clean_text)
        got = raw_vs_clean_accuracy(train, test, clean_text)
        expect(isinstance(got, dict) and {"raw", "clean"} <= set(got),
               "return a dict with the keys 'raw' and 'clean'")
        for key in ("raw", "clean"):
            value = float(got[key])
            expect(0.0 <= value <= 1.0, f"{key!r} should be an accuracy between 0 and 1, got {value}")
            expect(abs(value - want[key]) <= 0.08,
                   f"on a hidden set where {story}, TF-IDF + logistic regression reaches {key} accuracy "
                   f"{want[key]:.2f}; you returned {value:.2f} (fit on the training texts, score on the test texts)")


q1 = Exercise(
    "q1", points=2, target="clean_tweet", grade=_grade_clean_tweet,
    prompt="Write `clean_tweet(text)`: decode HTML entities, remove URLs (from `http://`, `https://` or "
           "`www.` to the next whitespace), replace each @mention by `@user`, drop the `#` of hashtags "
           "(keep the word), lowercase, collapse whitespace to single spaces and strip the ends. "
           "Emojis and accented letters stay.",
    hints=[
        "Order: `html.unescape` first, then the regular expressions, then `.lower()`, then whitespace.",
        "Patterns: URLs `r'(?:https?://|www\\.)\\S+'`, mentions `r'@\\w+'`, hashtags `r'#(\\w+)'` (replace with `r'\\1'`).",
        "Replace URLs by a space, not by nothing, and finish with `' '.join(text.split())`.",
    ],
    solution="def clean_tweet(text):\n"
             "    text = html.unescape(text)\n"
             "    text = re.sub(r'(?:https?://|www\\.)\\S+', ' ', text)\n"
             "    text = re.sub(r'@\\w+', '@user', text)\n"
             "    text = re.sub(r'#(\\w+)', r'\\1', text)\n"
             "    return ' '.join(text.lower().split())",
)

q2 = Exercise(
    "q2", points=1, target="split_hashtag", grade=_grade_split_hashtag,
    prompt="Write `split_hashtag(tag)` turning a camel-case hashtag into words: `'#LoveTrumpsHate'` → "
           "`'Love Trumps Hate'`, `'#Debates2016'` → `'Debates 2016'`, `'#MAGA'` → `'MAGA'` (keep the case; "
           "a tag without capitals stays one word; the `#` is optional).",
    hints=[
        "`re.findall` with three alternatives: a run of capitals not followed by a lowercase letter, "
        "an optional capital followed by lowercase letters, a run of digits.",
        "`re.findall(r'[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\\d+', tag)` then `' '.join(...)`.",
    ],
    solution="def split_hashtag(tag):\n"
             "    return ' '.join(re.findall(r'[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\\d+', tag.lstrip('#')))",
)

q3 = Exercise(
    "q3", points=2, target="raw_vs_clean_accuracy", grade=_grade_raw_vs_clean,
    prompt="Write `raw_vs_clean_accuracy(train, test, clean_fn)`: train a TF-IDF + logistic-regression "
           "pipeline (scikit-learn defaults, `max_iter=1000`) on the raw training texts and score it on "
           "the raw test texts; do the same after applying `clean_fn` to every text; return "
           "`{'raw': accuracy, 'clean': accuracy}`.",
    hints=[
        "`make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))` is one model; build a new one per variant.",
        "`model.fit(texts, train['label'])`, then `model.score(test_texts, test['label'])` is the accuracy.",
        "Clean the test texts with the same `clean_fn` as the training texts.",
    ],
    solution="def raw_vs_clean_accuracy(train, test, clean_fn):\n"
             "    scores = {}\n"
             "    for name, fn in [('raw', lambda t: t), ('clean', clean_fn)]:\n"
             "        model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))\n"
             "        model.fit([fn(t) for t in train['text']], train['label'])\n"
             "        scores[name] = model.score([fn(t) for t in test['text']], test['label'])\n"
             "    return scores",
)

EXERCISES = [q1, q2, q3]
