"""Lesson 04 exercises: a tweet cleaner, a hashtag splitter, and measuring raw vs cleaned text.

Each grading draws new inputs: tweets assembled from shuffled pieces of noise (nested URLs, entities,
e-mail addresses, emojis, odd whitespace; every kind in every grading), hashtags built from words,
acronyms and numbers, and small labelled tweet sets in which cleaning removes, uncovers or reshapes
what separates the two classes, each with its own cleaning function. The references come from
:mod:`utils.text_cleaning` and from scikit-learn, in the grader's process.
"""
from __future__ import annotations

import random
import re

from utils.grading import Exercise, Incorrect, expect
from utils.grading.plain import describe
from utils.text_cleaning import clean_text, split_hashtag

# -- q1: clean_tweet -----------------------------------------------------------------------------
# Pieces of tweets by kind; every grading uses every kind at least once.
PIECES = {
    "words": ["Great rally tonight", "Join us at 3pm!", "So proud of our team.", "Thank you, Iowa!",
              "Don't forget to vote", "VOTE today", "jobs, jobs, jobs", "We’re stronger together.",
              "Read this:", "Watch live —", "A BIG night", "Crooked media!!"],
    "url": ["https://t.co/AbC123", "http://bit.ly/2dXz9Q", "https://t.co/x?u=https://example.org/a&b=1",
            "https://www.donaldjtrump.com/schedule", "tonight…https://t.co/Zz9KqP"],
    "www": ["www.hillaryclinton.com", "www.example.com/page?id=7", "(see www.iwillvote.com)"],
    "entity": ["Poll &amp; results", "&lt;3", "&quot;Yes we can&quot;", "A &gt; B", "R&amp;D"],
    "numeric entity": ["Don&#39;t stop", "it&#x27;s time", "We&#8217;re here", "&#34;Wow&#34;"],
    "mention": ["@realDonaldTrump", "RT @CNN:", ".@HillaryClinton:", "@timkaine's plan", "(@POTUS)",
                "@Team_Hillary"],
    "email": ["press@hillaryclinton.com", "Email tips@nytimes.com", "write to info@example.org!"],
    "hashtag": ["#ImWithHer", "#MAGA", "#2016Vote", "#DebateNight!", "(#VPDebate)", "#Ñandú"],
    "non-ASCII": ["CAFÉ", "Ünïcödé", "ÉTÉ", "naïve", "Zürich", "“quoted”", "— signed -H", "🇺🇸🎉", "😂😂",
                  "👏🏽", "Crème BRÛLÉE"],
}
GAPS = [" ", "  ", "\n", "\t", " \u00a0 ", "   ", " \n "]


def _tweet(rng, kinds):
    pieces = [str(rng.choice(PIECES[k])) for k in kinds]
    rng.shuffle(pieces)
    text = ""
    for piece in pieces:
        text += piece + str(rng.choice(GAPS))
    lead = str(rng.choice(["", "", " ", "\n  "]))
    return lead + (text if rng.random() < 0.5 else text.rstrip())


def _clean_cases(rng):
    kinds = [k for k in PIECES if k != "words"]
    rng.shuffle(kinds)
    tweets = []
    for start in range(0, len(kinds), 2):  # every kind of noise, two to a tweet, with words around them
        tweets.append(_tweet(rng, kinds[start:start + 2] + ["words"] * int(rng.integers(1, 3))))
    for _ in range(2):  # and two tweets mixing any pieces
        tweets.append(_tweet(rng, list(rng.choice(list(PIECES), size=int(rng.integers(3, 6))))))
    tweets.append(str(rng.choice(["", "   ", "\n", "https://t.co/AbC123", "@CNN"])))
    rng.shuffle(tweets)
    return [[t] for t in tweets]


def _why_not_clean(text: str, got: str, want: str) -> str:
    """What the difference most likely means."""
    if "&#" in text and set(re.findall(r"&x?[0-9a-f]+;", got)) - set(re.findall(r"&x?[0-9a-f]+;", want)):
        return ("decode the HTML entities (`html.unescape`) before you touch `#`: the `#` of `&#39;` (an apostrophe) "
                "does not start a hashtag")
    if any(p in got for p in ("http", "www.", "t.co/")) and not any(p in want for p in ("http", "www.", "t.co/")):
        return "remove every URL: from `http://`, `https://` or `www.` to the next whitespace"
    if got.count("@user") > want.count("@user"):
        return "an `@` right after a letter or digit (an e-mail address) does not start a @mention"
    if any(ent in got for ent in ("&amp;", "&lt;", "&gt;", "&quot;", "&#")):
        return "decode HTML entities with `html.unescape`"
    if sum(ord(c) > 127 for c in got) < sum(ord(c) > 127 for c in want):
        return "keep emojis and accented letters (only lowercase them)"
    if got != got.lower():
        return "lowercase the text"
    if got.split() == want.split():
        return "collapse every run of whitespace into one space and strip both ends"
    if got.count("#") > want.count("#"):
        return "drop the `#` of hashtags and keep the word"
    return ""


def _compare_text(function: str, why):
    """A comparison of the string a function returned on one string, explained by ``why(arg, got, want)``."""
    def compare(got, want, case):
        arg = case[0]
        expect(isinstance(got, str), f"{function}({describe(arg, 80)}) should return a str; you returned "
               f"{describe(got, 60)}")
        if got != want:
            reason = why(arg, got, want)
            raise Incorrect(f"{function}({describe(arg, 110)}) returned {got!r}; expected {want!r}"
                            + (f" — {reason}" if reason else ""))

    return compare


# -- q2: split_hashtag ---------------------------------------------------------------------------
WORDS = ["Make", "America", "Great", "Again", "Love", "Trumps", "Hate", "Debate", "Debates", "Night", "Stronger",
         "Together", "Vote", "Im", "With", "Her", "Drain", "The", "Swamp", "Rio", "Olympics", "Election", "Day",
         "Crooked", "Feel", "Bern", "Tax", "Plan"]
ACRONYMS = ["VP", "GOP", "USA", "MAGA", "NH", "DNC", "RNC", "TBT", "NRA", "US"]
NUMBERS = ["2016", "4", "100", "16", "1"]
LOWER = ["debatenight", "imwithher", "trump", "vote", "election", "nevertrump"]


def _tag(rng, parts):
    body = "".join(parts)
    return ("#" + body) if rng.random() < 0.6 else body


def _hashtag_cases(rng):
    pick = lambda pool: str(rng.choice(pool))  # noqa: E731
    tags = [
        "#" + pick(ACRONYMS) + pick(WORDS) + pick(WORDS),                      # an acronym before a word
        "#" + pick(WORDS) + pick(NUMBERS),                                     # digits after a word
        _tag(rng, [pick(NUMBERS), pick(WORDS), pick(ACRONYMS)]),               # digits first
        _tag(rng, [pick(WORDS), pick(WORDS), pick(WORDS), pick(WORDS)][: int(rng.integers(2, 5))]),
        pick(WORDS) + pick(ACRONYMS) + pick(NUMBERS),                           # no '#'
        _tag(rng, [pick(ACRONYMS)]),                                           # a lone acronym
        _tag(rng, [pick(LOWER)]),                                              # no capitals: one word
        _tag(rng, [pick(LOWER), pick(NUMBERS)]),
    ]
    rng.shuffle(tags)
    return [[t] for t in tags]


def _why_not_split(tag: str, got: str, want: str) -> str:
    """What the difference most likely means."""
    if got.lower() == want.lower():
        return "keep the case of every letter"
    if "#" in got:
        return "leave the `#` out"
    if got.replace(" ", "") == want.replace(" ", ""):
        words = set(got.split()) - set(want.split())
        if any(len(w) == 1 and w.isupper() for w in words) and any(w.isupper() and len(w) > 1 for w in want.split()):
            return "a run of capitals (an acronym) stays one word"
        if any(any(c.isdigit() for c in w) and not w.isdigit() for w in words):
            return "digits form a word of their own"
        return "a new word starts at a capital followed by lowercase letters, also right after an acronym"
    return ""


# -- q3: raw_vs_clean_accuracy -------------------------------------------------------------------
FILLER = "vote rally today tonight great people country jobs plan debate news watch live join".split()
CUES = (["economy", "taxes", "border", "trade"], ["families", "health", "climate", "childcare"])
TAGS = (["#LowerTaxes", "#SecureBorder", "#FairTrade"], ["#HealthCare", "#ClimateAction", "#ChildCare"])
SCENARIOS = {
    "mention": "who is @mentioned carries the class, and the cleaning replaces mentions by @user",
    "url": "only the training tweets of class 0 carry a link, and the cleaning removes links",
    "hashtag": "the class shows in camel-case hashtags in training and often in plain words in testing, "
               "and the cleaning splits hashtags into words",
}
# The cleaning each scenario comes with (a function of one text, built from these clean_text options).
CLEANING = {
    "mention": [{}, {"mentions": "remove"}],
    "url": [{}, {"urls": "token"}, {"mentions": "keep"}],
    "hashtag": [{"hashtags": "split"}, {"hashtags": "split", "urls": "keep"}],
}


def tweet_sets(scenario: str, seed: int, n_train: int, n_test: int):
    """Two small labelled tweet sets (``datasets.Dataset``, columns text and label) for a scenario."""
    from datasets import Dataset

    rng = random.Random(seed)

    def tweet(label: int, train: bool) -> str:
        words = rng.sample(FILLER, 5)
        if scenario == "mention":
            words.append(rng.choice(["@alice_news", "@ann_daily"] if label == 0 else ["@bob_daily", "@bo_tv"]))
            words.append(rng.choice(CUES[label] if rng.random() < 0.6 else CUES[1 - label]))
        elif scenario == "url":
            words.append(rng.choice(CUES[label] if rng.random() < 0.85 else CUES[1 - label]))
            if (label == 0) if train else rng.random() < 0.5:
                words.append("https://t.co/" + "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=10)))
        else:
            tag = rng.choice(TAGS[label] if rng.random() < 0.9 else TAGS[1 - label])
            plain = not train and rng.random() < 0.7
            words.append(" ".join(w.lower() for w in split_hashtag(tag).split()) if plain else tag)
        rng.shuffle(words)
        return " ".join(words)

    def make(n: int, train: bool) -> Dataset:
        labels = [i % 2 for i in range(n)]
        rng.shuffle(labels)
        return Dataset.from_dict({"text": [tweet(y, train) for y in labels], "label": labels})

    return make(n_train, True), make(n_test, False)


def _accuracy_cases(rng):
    cases = []
    for scenario in rng.permutation(list(SCENARIOS)):
        options = CLEANING[str(scenario)]
        cases.append({"scenario": str(scenario), "seed": int(rng.integers(2**31)),
                      "n_train": int(rng.integers(12, 25)) * 10, "n_test": int(rng.integers(12, 25)) * 10,
                      "cleaning": options[int(rng.integers(len(options)))]})
    return cases


def _cleaner(options: dict):
    def clean_fn(text):
        return clean_text(text, **options)

    return clean_fn


def _run_accuracy(raw_vs_clean_accuracy, case):
    train, test = tweet_sets(case["scenario"], case["seed"], case["n_train"], case["n_test"])
    return raw_vs_clean_accuracy(train, test, _cleaner(case["cleaning"]))


def _expected_accuracy(case):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    train, test = tweet_sets(case["scenario"], case["seed"], case["n_train"], case["n_test"])
    scores = {}
    for name, fn in (("raw", lambda t: t), ("clean", _cleaner(case["cleaning"]))):
        model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
        model.fit([fn(t) for t in train["text"]], train["label"])
        scores[name] = float(model.score([fn(t) for t in test["text"]], test["label"]))
    return scores


def _compare_accuracy(got, want, case):
    expect(isinstance(got, dict) and {"raw", "clean"} <= set(got),
           f"return a dict with the keys 'raw' and 'clean'; you returned {describe(got, 80)}")
    story = SCENARIOS[case["scenario"]]
    options = ", ".join(f"{k}={v!r}" for k, v in case["cleaning"].items()) or "its defaults"
    where = (f"on {case['n_train']} training and {case['n_test']} test tweets where {story} "
             f"(clean_fn = clean_text with {options})")
    for key in ("raw", "clean"):
        value = got[key]
        expect(isinstance(value, (int, float)) and not isinstance(value, bool),
               f"{key!r} should be a number (an accuracy); you returned {describe(value, 60)}")
        expect(0.0 <= value <= 1.0, f"{key!r} should be an accuracy between 0 and 1 (a fraction, not a percentage); "
               f"you returned {value:g}")
    if abs(got["raw"] - want["clean"]) < 1e-9 and abs(got["clean"] - want["raw"]) < 1e-9:
        raise Incorrect(f"{where}: your 'raw' and 'clean' accuracies are swapped")
    one = 0.5 / case["n_test"]  # less than one test tweet
    for key in ("raw", "clean"):
        if abs(got[key] - want[key]) >= one:
            hint = ("fit on the training texts and score on the test texts; for 'clean', apply clean_fn to both "
                    "(and not some other cleaning)" if key == "clean" else
                    "fit on the raw training texts, score on the raw test texts")
            raise Incorrect(f"{where}: TF-IDF + logistic regression reaches {key} accuracy {want[key]:.3f}; "
                            f"you returned {got[key]:.3f} — {hint}")


q1 = Exercise(
    "q1", points=2, target="clean_tweet",
    cases=_clean_cases, expected=lambda case: clean_text(case[0]), compare=_compare_text("clean_tweet", _why_not_clean),
    hints=[
        "Order: `html.unescape` first, then the regular expressions, then `.lower()`, then whitespace.",
        "Patterns: URLs `r'(?:https?://|www\\.)\\S+'`, mentions `r'(?<!\\w)@\\w+'`, hashtags `r'(?<!\\w)#(\\w+)'` "
        "(replace with `r'\\1'`). `(?<!\\w)` means: not right after a letter, digit or underscore.",
        "Replace URLs by a space, and finish with `' '.join(text.split())`.",
    ],
    wrong={
        "an e-mail address taken for a mention": (
            "import html, re\n"
            "def clean_tweet(text):\n"
            "    text = re.sub(r'(?:https?://|www\\.)\\S+', ' ', html.unescape(text))\n"
            "    text = re.sub(r'@\\w+', '@user', text)\n"
            "    text = re.sub(r'(?<!\\w)#(\\w+)', r'\\1', text)\n"
            "    return ' '.join(text.lower().split())"),
        "hashtags handled before decoding entities": (
            "import html, re\n"
            "def clean_tweet(text):\n"
            "    text = re.sub(r'(?<!\\w)#(\\w+)', r'\\1', text)\n"
            "    text = re.sub(r'(?:https?://|www\\.)\\S+', ' ', html.unescape(text))\n"
            "    text = re.sub(r'(?<!\\w)@\\w+', '@user', text)\n"
            "    return ' '.join(text.lower().split())"),
        "www. links kept": (
            "import html, re\n"
            "def clean_tweet(text):\n"
            "    text = re.sub(r'https?://\\S+', ' ', html.unescape(text))\n"
            "    text = re.sub(r'(?<!\\w)@\\w+', '@user', text)\n"
            "    text = re.sub(r'(?<!\\w)#(\\w+)', r'\\1', text)\n"
            "    return ' '.join(text.lower().split())"),
        "non-ASCII characters dropped": (
            "import html, re\n"
            "def clean_tweet(text):\n"
            "    text = re.sub(r'(?:https?://|www\\.)\\S+', ' ', html.unescape(text))\n"
            "    text = re.sub(r'(?<!\\w)@\\w+', '@user', text)\n"
            "    text = re.sub(r'(?<!\\w)#(\\w+)', r'\\1', text)\n"
            "    return ' '.join(text.encode('ascii', 'ignore').decode().lower().split())"),
        "whitespace only stripped at the ends": (
            "import html, re\n"
            "def clean_tweet(text):\n"
            "    text = re.sub(r'(?:https?://|www\\.)\\S+', ' ', html.unescape(text))\n"
            "    text = re.sub(r'(?<!\\w)@\\w+', '@user', text)\n"
            "    text = re.sub(r'(?<!\\w)#(\\w+)', r'\\1', text)\n"
            "    return text.lower().strip()"),
    },
)

q2 = Exercise(
    "q2", points=1, target="split_hashtag",
    cases=_hashtag_cases, expected=lambda case: split_hashtag(case[0]),
    compare=_compare_text("split_hashtag", _why_not_split),
    hints=[
        "`re.findall` with three alternatives: a run of capitals not followed by a lowercase letter, "
        "an optional capital followed by lowercase letters, a run of digits.",
        "`re.findall(r'[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\\d+', tag)` then `' '.join(...)`.",
    ],
    wrong={
        "a space before every capital": (
            "import re\n"
            "def split_hashtag(tag):\n"
            "    return re.sub(r'(?<=.)(?=[A-Z])', ' ', tag.lstrip('#'))"),
        "an acronym glued to the next word": (
            "import re\n"
            "def split_hashtag(tag):\n"
            "    return ' '.join(re.findall(r'[A-Z]+[a-z]*|[a-z]+|\\d+', tag))"),
        "digits left on the word": (
            "import re\n"
            "def split_hashtag(tag):\n"
            "    return ' '.join(re.findall(r'[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+|\\d+', tag))"),
        "lowercased": (
            "import re\n"
            "def split_hashtag(tag):\n"
            "    return ' '.join(re.findall(r'[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\\d+', tag)).lower()"),
        "a list of words": (
            "import re\n"
            "def split_hashtag(tag):\n"
            "    return re.findall(r'[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\\d+', tag)"),
    },
)

_FIT = ("from sklearn.feature_extraction.text import TfidfVectorizer\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.pipeline import make_pipeline\n"
        "def _model():\n"
        "    return make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))\n")

q3 = Exercise(
    "q3", points=2, target="raw_vs_clean_accuracy",
    cases=_accuracy_cases, run=_run_accuracy, expected=_expected_accuracy, compare=_compare_accuracy,
    hints=[
        "`make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))` is one model; build a new one per variant.",
        "`model.fit(texts, train['label'])`, then `model.score(test_texts, test['label'])` is the accuracy.",
        "Clean the test texts with the same `clean_fn` as the training texts.",
    ],
    wrong={
        "clean_fn applied to the training texts only": _FIT + (
            "def raw_vs_clean_accuracy(train, test, clean_fn):\n"
            "    raw = _model().fit(train['text'], train['label']).score(test['text'], test['label'])\n"
            "    clean = _model().fit([clean_fn(t) for t in train['text']], train['label'])\n"
            "    return {'raw': raw, 'clean': clean.score(test['text'], test['label'])}"),
        "the raw model scores the cleaned test texts": _FIT + (
            "def raw_vs_clean_accuracy(train, test, clean_fn):\n"
            "    model = _model().fit(train['text'], train['label'])\n"
            "    return {'raw': model.score(test['text'], test['label']),\n"
            "            'clean': model.score([clean_fn(t) for t in test['text']], test['label'])}"),
        "accuracy on the training texts": _FIT + (
            "def raw_vs_clean_accuracy(train, test, clean_fn):\n"
            "    scores = {}\n"
            "    for name, fn in [('raw', lambda t: t), ('clean', clean_fn)]:\n"
            "        texts = [fn(t) for t in train['text']]\n"
            "        scores[name] = _model().fit(texts, train['label']).score(texts, train['label'])\n"
            "    return scores"),
        "the course's default cleaning instead of clean_fn": _FIT + (
            "from utils.text_cleaning import clean_text\n"
            "def raw_vs_clean_accuracy(train, test, clean_fn):\n"
            "    scores = {}\n"
            "    for name, fn in [('raw', lambda t: t), ('clean', clean_text)]:\n"
            "        model = _model().fit([fn(t) for t in train['text']], train['label'])\n"
            "        scores[name] = model.score([fn(t) for t in test['text']], test['label'])\n"
            "    return scores"),
        "percentages": _FIT + (
            "def raw_vs_clean_accuracy(train, test, clean_fn):\n"
            "    scores = {}\n"
            "    for name, fn in [('raw', lambda t: t), ('clean', clean_fn)]:\n"
            "        model = _model().fit([fn(t) for t in train['text']], train['label'])\n"
            "        scores[name] = 100 * model.score([fn(t) for t in test['text']], test['label'])\n"
            "    return scores"),
    },
)

EXERCISES = [q1, q2, q3]
