"""``utils.standins``: the package's ``build`` and fingerprints, each recipe's helpers, a tiny
end-to-end build of every recipe, and the cached stand-ins' behaviour.

``course fetch`` builds the full-size models with these same functions; the tiny builds keep that code
path honest without the minutes of training. Tests that need the encoder or a built stand-in skip,
with the reason, when ``course fetch`` has not put it in the cache (``fetched`` in conftest.py).
"""
from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path

import pytest

from utils import resources, standins
from utils.standins import _train, fill_mask, ner, qa, sentiment, zero_shot


# ---------------------------------------------------------------------------------- the package
def test_every_recipe_role_names_an_existing_recipe_module():
    recipes = standins.recipes()
    assert recipes == {role: spec["fast"]["recipe"] for role, spec in resources.manifest()["roles"].items()
                       if "recipe" in spec["fast"]}
    for role, recipe in recipes.items():
        assert importlib.util.find_spec(f"utils.standins.{recipe}"), f"{role}: no utils/standins/{recipe}.py"


def test_recipe_fingerprint_follows_the_recipe_code():
    first = standins.fingerprint("sentiment")
    assert first and first == standins.fingerprint("sentiment") != standins.fingerprint("ner")
    assert standins.fingerprint("no_such_recipe") is None


def test_build_returns_the_metrics_and_requires_metrics_json_and_a_model_card(tmp_path, monkeypatch):
    def build(out_dir):
        (out_dir / "README.md").write_text("# toy\n")
        _train.save_metrics(out_dir, {"accuracy": 0.5})
        return {"accuracy": 0.5}

    monkeypatch.setitem(sys.modules, "utils.standins.toy_recipe", types.SimpleNamespace(build=build))
    assert standins.build("toy_recipe", tmp_path / "a") == {"accuracy": 0.5}
    assert '"accuracy": 0.5' in (tmp_path / "a" / "metrics.json").read_text()
    monkeypatch.setitem(sys.modules, "utils.standins.toy_recipe", types.SimpleNamespace(build=lambda out: {}))
    with pytest.raises(RuntimeError, match="metrics.json"):
        standins.build("toy_recipe", tmp_path / "b")
    no_card = types.SimpleNamespace(build=lambda out: _train.save_metrics(out, {}) or {})
    monkeypatch.setitem(sys.modules, "utils.standins.toy_recipe", no_card)
    with pytest.raises(RuntimeError, match="README.md"):
        standins.build("toy_recipe", tmp_path / "c")
    monkeypatch.setitem(sys.modules, "utils.standins.toy_recipe", types.SimpleNamespace(build=lambda out: None))
    with pytest.raises(TypeError, match="dict of metrics"):
        standins.build("toy_recipe", tmp_path / "d")


# ---------------------------------------------------------- _train: the shared loop and helpers
def test_length_batches_cover_every_index_once():
    lengths = [5, 1, 9, 3, 3, 7, 2, 8, 4, 6, 1]
    batches = _train.length_batches(lengths, 4, seed=0)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(1 <= len(b) <= 4 for b in batches)
    assert _train.length_batches(lengths, 4, seed=0) == batches  # seeded
    ordered = _train.length_batches(lengths, 4, shuffle=False)
    assert [lengths[i] for b in ordered for i in b] == sorted(lengths)
    with pytest.raises(ValueError):
        _train.length_batches(lengths, 0)


def _tiny_bert(num_labels: int = 2):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(vocab_size=40, hidden_size=8, num_hidden_layers=3, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=16, num_labels=num_labels)
    return BertForSequenceClassification(config)


def test_freeze_fixes_the_embeddings_and_the_lowest_layers():
    model = _tiny_bert()
    _train.freeze(model, layers=1)
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert frozen and all(n.startswith(("bert.embeddings.", "bert.encoder.layer.0.")) for n in frozen)
    assert any(n.startswith("bert.embeddings.word_embeddings") for n in frozen)
    assert all(p.requires_grad for n, p in model.named_parameters() if n.startswith("bert.encoder.layer.1."))


def test_train_moves_only_trainable_weights_and_speeds_up_the_head():
    import torch

    model = _tiny_bert()
    _train.freeze(model)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    batch = {"input_ids": torch.randint(1, 40, (4, 6)), "labels": torch.tensor([0, 1, 0, 1])}
    seen = []

    def batches(epoch):
        seen.append(epoch)
        yield dict(batch)

    losses = _train.train(model, batches, steps_per_epoch=1, epochs=2, lr=1e-3, warmup_ratio=0.0,
                          head=("classifier",), head_lr_factor=10, desc="tiny")
    assert seen == [0, 1] and len(losses) == 2 and not model.training
    moved = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert not any(n.startswith("bert.embeddings.") for n in moved)
    assert "classifier.weight" in moved and "bert.encoder.layer.2.output.dense.weight" in moved
    with pytest.raises(ValueError):
        _train.train(model, batches, steps_per_epoch=0)


def test_held_out_scores_prefix_each_split():
    data = {"validation": [1, 2], "test": [3]}
    score = _train.held_out_scores(lambda model, tokenizer, split: {"n": len(split), "sum": sum(split)}, data)
    assert score(None, None) == {"validation_n": 2, "validation_sum": 3, "test_n": 1, "test_sum": 3}


# ------------------------------------------------------------------------------------ sentiment
def test_sentiment_label_names_are_mapped_by_meaning():
    from datasets import ClassLabel, Dataset, Features, Value

    def ds(names):
        return Dataset.from_dict({"text": ["x"], "label": [0]},
                                 features=Features({"text": Value("string"), "label": ClassLabel(names=names)}))

    assert sentiment._label_map(ds(["neg", "pos"])) == [0, 1]
    assert sentiment._label_map(ds(["positive", "negative"])) == [1, 0]
    with pytest.raises(ValueError, match="neutral"):
        sentiment._label_map(ds(["neutral", "positive"]))


# ------------------------------------------------------------------------------------------ ner
def test_entity_spans_follow_conlleval_rules():
    tags = ["B-person", "I-person", "O", "I-geo-loc", "B-geo-loc", "I-company", "O"]
    assert ner.entity_spans(tags) == {("person", 0, 1), ("geo-loc", 3, 3), ("geo-loc", 4, 4), ("company", 5, 5)}
    assert ner.entity_spans(["O", "O"]) == set()
    with pytest.raises(ValueError, match="BIO"):
        ner.entity_spans(["PER"])


def test_entity_scores_need_exact_type_and_boundaries():
    gold = [["B-person", "I-person", "O", "B-geo-loc"], ["B-company", "O"]]
    pred = [["B-person", "O", "O", "B-geo-loc"], ["B-company", "O"]]  # one span too short
    scores = ner.entity_scores(gold, pred)
    assert scores["entities"] == 3
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 / 3)
    assert ner.entity_scores([["O"]], [["O"]])["f1"] == 0.0
    with pytest.raises(ValueError, match="predicted"):
        ner.entity_scores(gold, pred[:1])


# ------------------------------------------------------------------------------------ fill_mask
def test_fill_mask_masking_shares():
    import torch

    class Tok:
        mask_token_id = 3

        def __len__(self):
            return 40

    ids = torch.full((1, 4000), 7)
    special = torch.zeros_like(ids, dtype=torch.bool)
    special[0, 0] = True
    masked, labels = fill_mask._mask(ids, special, Tok(), 0.5, torch.Generator().manual_seed(0), mask_share=1.0)
    picked = labels.ne(-100)
    assert not picked[0, 0] and 0.45 < picked.float().mean() < 0.55
    assert torch.equal(masked[picked], torch.full_like(masked[picked], 3)) and torch.equal(masked[~picked], ids[~picked])
    masked, labels = fill_mask._mask(ids, special, Tok(), 0.5, torch.Generator().manual_seed(0))  # BERT 80/10/10
    share = masked[labels.ne(-100)].eq(3).float().mean()
    assert 0.75 < share < 0.85


class _WordTokenizer:
    """Enough of a tokenizer for ``masked_examples``: words of up to 6 letters are one token."""
    mask_token = "[MASK]"

    def tokenize(self, word):
        return [word] if len(word) <= 6 else [word[:6], "##" + word[6:]]


def test_masked_examples_mask_one_single_token_word():
    texts = ["The plot is thin, but the cast is lovely.", "Unwatchable!!!", "Extraordinarily good"]
    pairs = fill_mask.masked_examples(_WordTokenizer(), texts, seed=0)
    assert len(pairs) == 2  # "unwatchable!!!" has no single-token word
    for sentence, word in pairs:
        assert sentence.count("[MASK]") == 1
        assert len(word) <= 6 and word.isalpha()
    assert pairs[1] == ("extraordinarily [MASK]", "good")
    assert fill_mask.masked_examples(_WordTokenizer(), texts, seed=0) == pairs


# ------------------------------------------------------------------------------------ zero_shot
R8_LABELS = ["earnings", "acquisitions", "crude oil", "trade", "currency markets", "interest rates",
             "shipping", "grain"]


def test_zero_shot_pairs_put_the_true_topic_first():
    groups = [([("sugar prices rose", "sugar"), ("gold fell", "gold")], ["sugar", "gold", "tin", "zinc"])]
    items = zero_shot._pairs(groups, negatives=2, seed=0)
    assert len(items) == 2
    for premise, hypotheses, null in items:
        topic = "sugar" if "sugar" in premise else "gold"
        assert not null and len(hypotheses) == 3 and topic in hypotheses[0]
        assert all(topic not in h for h in hypotheses[1:])


def test_zero_shot_null_items_use_only_the_other_label_set():
    groups = [([("sugar prices rose", "sugar")] * 20, ["sugar", "gold", "tin"]),
              ([("the goalie saved it", "hockey")] * 20, ["hockey", "space", "cars"])]
    items = zero_shot._pairs(groups, negatives=2, seed=0, null_share=0.5)
    nulls = [(p, h) for p, h, null in items if null]
    assert 5 < len(nulls) < 35
    for premise, hypotheses in nulls:
        own = groups[0][1] if "sugar" in premise else groups[1][1]
        assert len(hypotheses) == 3 and not any(t in h for t in own for h in hypotheses)


def test_zero_shot_training_topics_exclude_r8():
    r8_names = {"earnings", "acquisitions", "crude oil", "trade", "currency markets", "interest rates",
                "shipping", "grain"}
    assert not r8_names & set(zero_shot.R52_NAMES.values())
    assert not zero_shot.R8_CODES & set(zero_shot.R52_NAMES)
    assert len(zero_shot.R52_NAMES) == 44 and len(zero_shot.NEWSGROUP_NAMES) == 20


# ------------------------------------------------------------------------------------------- qa
def test_squad_normalisation_ignores_case_punctuation_and_articles():
    assert qa.normalize_answer("The  Prince, of Denmark!") == "prince of denmark"
    assert qa.normalize_answer("‘a wife’") == "wife"


def test_squad_scores_take_the_best_gold_answer():
    scores = qa.squad_scores(["a wife", "Mr. Bingley of Netherfield", "nothing"],
                             [["wife"], ["Bingley", "Mr. Bingley"], ["Hamlet"]])
    assert scores["questions"] == 3
    assert scores["exact_match"] == pytest.approx(1 / 3)
    # 2nd: pred {mr, bingley, of, netherfield} vs gold {mr, bingley}: P=1/2, R=1 → F1=2/3
    assert scores["f1"] == pytest.approx((1 + 2 / 3 + 0) / 3)
    with pytest.raises(ValueError, match="predictions"):
        qa.squad_scores(["x"], [["x"], ["y"]])
    with pytest.raises(ValueError):
        qa.squad_scores([], [])


PARAGRAPHS = [
    "Elizabeth walked to Meryton with her sister Jane on a fine morning. They met Mr. Wickham near the "
    "shop, and he talked with them for an hour because he had nothing else to do. Elizabeth thought him "
    "very agreeable, and Jane said that he had three brothers in the army. The officers were to dine "
    "with Mrs. Philips the next day, and all the young ladies were invited.",
    "Mr. Darcy wrote a long letter to Elizabeth and gave it to her in the park at Rosings. Elizabeth "
    "read it twice before she returned to the house, and Elizabeth could not speak of it to Jane for "
    "many days. Darcy left Rosings the next morning with Colonel Fitzwilliam, and Darcy did not call "
    "again that spring at the house.",
] * 3


def test_generated_questions_point_at_exact_spans():
    records = qa.generated_questions(PARAGRAPHS, 10, min_words=20, max_words=200)
    assert records, "no question generated"
    assert len(records) <= 6  # at most one per paragraph
    for r in records:
        start, text = r["answers"]["answer_start"][0], r["answers"]["text"][0]
        assert r["context"][start:start + len(text)] == text
        assert r["question"].endswith("?") and text not in r["question"]


def test_generated_questions_skip_held_out_passages():
    held_out = [PARAGRAPHS[0][:200]]  # shares many 8-word runs with the first paragraph
    records = qa.generated_questions(PARAGRAPHS, 10, exclude=held_out, min_words=20, max_words=200)
    assert records and all(r["context"] != PARAGRAPHS[0] for r in records)
    with pytest.raises(ValueError):
        qa.generated_questions(PARAGRAPHS, -1)


def test_qa_features_label_the_answer_tokens(fetched):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(fetched("encoder"))
    record = {"question": "Where did Elizabeth walk?", "context": PARAGRAPHS[0],
              "answers": {"text": ["Meryton"], "answer_start": [PARAGRAPHS[0].index("Meryton")]}}
    (short,) = qa.features([record], tokenizer)
    span = short["input_ids"][short["start_positions"]:short["end_positions"] + 1]
    assert tokenizer.decode(span) == "meryton"
    # a window too small for the answer points at [CLS]
    windows = qa.features([record], tokenizer, max_length=24, stride=4)
    assert len(windows) > 1 and any(w["start_positions"] == w["end_positions"] == 0 for w in windows)


def test_question_answerer_returns_spans_of_the_context(fetched, tmp_path):
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    encoder = fetched("encoder")
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    tokenizer.model_max_length = 32  # forces several windows
    AutoModelForQuestionAnswering.from_pretrained(encoder).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    answerer = qa.QuestionAnswerer(tmp_path, max_answer_len=4, stride=8)
    contexts = [PARAGRAPHS[0], "It happened in Denmark."]
    answers = answerer(["Where did Elizabeth walk?", "Where?"], contexts)
    for answer, context in zip(answers, contexts):
        assert context[answer["start"]:answer["end"]] == answer["answer"] != ""
        assert 0 < answer["score"] <= 1 and len(tokenizer.tokenize(answer["answer"])) <= 4
    alone = answerer(question="Where?", context=contexts[1])  # unpadded: same span, same score
    assert (alone["answer"], alone["start"]) == (answers[1]["answer"], answers[1]["start"])
    assert alone["score"] == pytest.approx(answers[1]["score"], rel=1e-3)
    with pytest.raises(ValueError):
        answerer(["a", "b"], ["only one context"] * 3)


# ----------------------------------------------------------------------- tiny end-to-end builds
TIMINGS = {"train_seconds", "eval_seconds", "build_seconds", "build_cpu_seconds"}


@pytest.fixture
def encoder(fetched, monkeypatch) -> Path:
    """The cached encoder, which every recipe starts from (the test skips without it)."""
    folder = fetched("encoder")
    monkeypatch.setattr(_train, "encoder_dir", lambda: folder)
    return folder


def _check_folder(folder: Path, metrics: dict, headline: str) -> None:
    assert TIMINGS <= set(metrics) and metrics["build_seconds"] >= metrics["train_seconds"] >= 0
    assert 0.0 <= metrics[headline] <= 1.0
    assert json.loads((folder / "metrics.json").read_text())[headline] == metrics[headline]
    card = (folder / "README.md").read_text()
    assert headline in card and "stand-in" in card
    assert (folder / "config.json").is_file() and (folder / "tokenizer.json").is_file()


def _tiny_reviews():
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    features = Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    rows = {"text": ["great fun", "awful and dull", "a delight", "a mess"] * 4, "label": [1, 0, 1, 0] * 4}
    split = Dataset.from_dict(rows, features=features)
    return DatasetDict(train=split, validation=split, test=split)


def test_sentiment_build_writes_a_pipeline_folder(tmp_path, encoder, monkeypatch):
    from transformers import pipeline

    monkeypatch.setattr(sentiment, "_load_data", _tiny_reviews)
    monkeypatch.setattr(sentiment, "CONFIG", {**sentiment.CONFIG, "train_examples": 16, "batch_size": 8})
    metrics = sentiment.build(tmp_path)
    assert set(metrics) >= {"test_accuracy", "test_macro_f1", "build_seconds"}
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert (tmp_path / "README.md").read_text().count("test_accuracy") == 1
    assert _train.read_metrics(tmp_path)["test_accuracy"] == metrics["test_accuracy"]
    assert sentiment.evaluate(tmp_path)["test_accuracy"] == pytest.approx(metrics["test_accuracy"])
    result = pipeline("sentiment-analysis", model=str(tmp_path))("great fun")[0]
    assert result["label"] in ("NEGATIVE", "POSITIVE")


def test_ner_build_tiny(tmp_path, encoder, monkeypatch):
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value
    from transformers import pipeline

    names = ["O", "B-person", "I-person", "B-geo-loc", "I-geo-loc"]
    features = Features({"tokens": Sequence(Value("string")), "ner_tags": Sequence(ClassLabel(names=names))})
    rows = {"tokens": [["Emma", "Woodhouse", "visited", "London"], ["nothing", "here"]] * 4,
            "ner_tags": [[1, 2, 0, 3], [0, 0]] * 4}
    split = Dataset.from_dict(rows, features=features)
    monkeypatch.setattr(ner, "_load_data", lambda: DatasetDict(train=split, validation=split, test=split))
    monkeypatch.setattr(ner, "CONFIG", {**ner.CONFIG, "epochs": 1, "batch_size": 4})
    metrics = ner.build(tmp_path)
    _check_folder(tmp_path, metrics, "test_f1")
    tagger = pipeline("token-classification", model=str(tmp_path), aggregation_strategy="simple")
    assert isinstance(tagger("Emma Woodhouse visited London"), list)


def test_fill_mask_build_tiny(tmp_path, encoder, monkeypatch):
    from transformers import pipeline

    texts = ["she walked to the house in the morning", "the film was a great delight to watch"] * 8
    corpora = {role: {split: {"text": texts} for split in ("train", "validation", "test")}
               for role in fill_mask.DATA_ROLES}
    monkeypatch.setattr(fill_mask, "_load_corpora", lambda: corpora)
    monkeypatch.setattr(fill_mask, "CONFIG", {**fill_mask.CONFIG, "examples": 16, "batch_size": 8})
    metrics = fill_mask.build(tmp_path)
    _check_folder(tmp_path, metrics, "test_top5")
    unmask = pipeline("fill-mask", model=str(tmp_path))
    assert len(unmask("she walked to the [MASK] in the morning", top_k=5)) == 5


def test_zero_shot_build_tiny(tmp_path, encoder):
    from transformers import pipeline

    metrics = zero_shot.build(tmp_path, premises=16, batch_size=4, eval_split="validation", eval_texts=16)
    _check_folder(tmp_path, metrics, "validation_accuracy")
    assert metrics["train_premises"] == 16 and metrics["validation_texts"] == 16
    again = zero_shot.evaluate(tmp_path, 16, split="validation")  # evaluate() names its keys like the build
    assert again["validation_accuracy"] == pytest.approx(metrics["validation_accuracy"])
    assert json.loads((tmp_path / zero_shot.RECIPE_FILE).read_text())["premises"] == 16
    classify = pipeline("zero-shot-classification", model=str(tmp_path))
    out = classify("Oil prices rose after the OPEC meeting.", candidate_labels=["crude oil", "grain"])
    assert sorted(out["labels"]) == ["crude oil", "grain"]


def test_qa_build_tiny(tmp_path, encoder, monkeypatch):
    real = qa.training_records

    def few(n_generated, *args, **kwargs):
        generated, course = real(n_generated, *args, **kwargs)
        return generated[:8], course[:16]

    monkeypatch.setattr(qa, "training_records", few)
    metrics = qa.build(tmp_path, n_generated=40, course_epochs=1, polish_epochs=1, eval_split="validation")
    _check_folder(tmp_path, metrics, "validation_f1")
    assert metrics["train_questions_course"] == 16 and metrics["validation_questions"] > 0
    assert qa.evaluate(tmp_path, "validation")["validation_f1"] == pytest.approx(metrics["validation_f1"])
    context = "It is set in Denmark."
    answer = qa.QuestionAnswerer(tmp_path)(question="Where is it set?", context=context)
    assert context[answer["start"]:answer["end"]] == answer["answer"]


# ------------------------------------------------------------------------- the cached stand-ins
def test_sentiment_standin_gets_obvious_reviews_right(fetched):
    from transformers import pipeline

    classify = pipeline("sentiment-analysis", model=str(fetched("sentiment-model")))
    positive = ["I loved this movie", "a warm, funny and beautifully acted film"]
    negative = ["a dull, lifeless mess", "boring, predictable and far too long"]
    assert [r["label"] for r in classify(positive)] == ["POSITIVE"] * 2
    assert [r["label"] for r in classify(negative)] == ["NEGATIVE"] * 2


def test_fill_mask_standin_predicts_obvious_words(fetched):
    from transformers import pipeline

    fill = pipeline("fill-mask", model=str(fetched("fill-mask-model")), top_k=5)
    cases = {  # obvious words only: this small stand-in is far weaker than a real BERT
        "one of the best films [MASK] the year.": {"of", "in"},
        "a movie that is both funny [MASK] moving.": {"and"},
        "i [MASK] this movie.": {"saw", "loved", "liked", "love", "like", "enjoyed", "hated", "watched"},
        "he did not know what to [MASK].": {"say", "do", "think"},
    }
    for sentence, expected in cases.items():
        words = {r["token_str"].strip() for r in fill(sentence)}
        assert words & expected, f"{sentence!r} → {sorted(words)}"


def test_ner_standin_finds_people_and_places(fetched):
    from transformers import pipeline

    tag = pipeline("token-classification", model=str(fetched("ner-model")), aggregation_strategy="simple")
    entities = tag("barack obama visited paris with michelle obama yesterday")
    people = [e["word"] for e in entities if e["entity_group"] == "person"]
    assert any("obama" in p for p in people), entities


def test_zero_shot_standin_runs_in_its_pipeline(fetched):
    from transformers import pipeline

    folder = fetched("zero-shot-model")
    classifier = pipeline("zero-shot-classification", model=str(folder), device=-1)
    assert classifier.entailment_id >= 0
    oil = classifier("Oil prices jumped after OPEC agreed to cut crude output, and refiners paid more "
                     "per barrel.", candidate_labels=["earn", "crude", "trade", "grain"],
                     hypothesis_template=zero_shot.TEMPLATE)
    assert oil["labels"][0] == "crude"
    assert sum(oil["scores"]) == pytest.approx(1.0, abs=1e-4)
    earnings = classifier("The company said its quarterly net profit rose to 12 million dlrs, or 40 cts "
                          "a share, on higher sales.", candidate_labels=R8_LABELS,
                          hypothesis_template=zero_shot.TEMPLATE)
    assert earnings["labels"][0] == "earnings"


def test_qa_standin_answers_obvious_questions(fetched):
    folder = fetched("qa-model")
    answerer = qa.QuestionAnswerer(folder)
    context = ("Hamlet is a tragedy written by William Shakespeare around 1600. It is set in Denmark, "
               "where Prince Hamlet seeks revenge on his uncle Claudius.")
    where = answerer(question="Where is the play set?", context=context)
    assert "denmark" in where["answer"].lower()
    assert where["answer"] == context[where["start"]:where["end"]]


@pytest.mark.xfail(reason="known gap of the small QA stand-in (test F1 0.39): it answers '1600' here", strict=False)
def test_qa_standin_who_wrote_hamlet(fetched):
    answerer = qa.QuestionAnswerer(fetched("qa-model"))
    context = ("Hamlet is a tragedy written by William Shakespeare around 1600. It is set in Denmark, "
               "where Prince Hamlet seeks revenge on his uncle Claudius.")
    assert "shakespeare" in answerer(question="Who wrote Hamlet?", context=context)["answer"].lower()
