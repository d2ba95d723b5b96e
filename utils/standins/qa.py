"""Stand-in for the ``qa-model`` role (extractive QA): MiniLM-L6 + a span head (BertForQuestionAnswering).

Training data (no SQuAD is reachable offline):

1. the course's own QA set (``load("qa")``), **train split only**;
2. cloze-style questions generated automatically from Jane Austen paragraphs (``load("lm-corpus")``):
   one sentence of a paragraph becomes a question by replacing a span (a name, a number, a place,
   a time, a reason or a noun phrase) by a wh-word; the span is the answer, the paragraph the
   context. Paragraphs that share any 8-word run with a validation or test passage of the course
   set are skipped, so no held-out passage is trained on.

Held-out metric: SQuAD-style exact match and token F1 (:func:`squad_scores`) on the test split of
the course set. transformers 5 removed ``pipeline("question-answering")``; :class:`QuestionAnswerer`
runs a saved folder the way that pipeline did (windows with stride, best span by start + end logit).
"""
from __future__ import annotations

import collections
import json
import random
import re
import string
from pathlib import Path

from tqdm.auto import tqdm

MAX_LENGTH = 256   # tokens per window (question + context); also the saved tokenizer's model_max_length
STRIDE = 64        # overlap between windows of a long context
SYNTHETIC = 400    # generated questions
EPOCHS_COURSE = 2  # passes over the course train split (after the generated questions)
POLISH_EPOCHS = 2  # a second stage: more passes over the course train split with a fresh schedule
POLISH_HEAD_LR_FACTOR = 10
LR = 1e-4
BATCH = 16
SHINGLE = 8        # a generated context sharing an 8-word run with a held-out passage is dropped
GENERATED_WORDS = (40, 120)  # length range of the paragraphs used as generated contexts (short = cheap)
FREEZE_LAYERS = 0  # the embeddings (always) and this many lowest encoder layers stay fixed
HEAD_LR_FACTOR = 30  # the new span head learns at 30 x the encoder's learning rate

RECIPE_FILE = "recipe.json"  # the settings a folder was built with (read back by write_card)


# ------------------------------------------------------------------------------------ metrics
_PUNCTUATION = set(string.punctuation) | set("‘’“”—–")


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _f1(prediction: str, truth: str) -> float:
    pred, gold = normalize_answer(prediction).split(), normalize_answer(truth).split()
    common = sum((collections.Counter(pred) & collections.Counter(gold)).values())
    if not pred or not gold:
        return float(pred == gold)
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def squad_scores(predictions: list[str], references: list[list[str]]) -> dict:
    """Mean exact match and token F1 (each the best over a question's gold answers), in [0, 1]."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    if not predictions:
        raise ValueError("no predictions to score")
    em = [max(float(normalize_answer(p) == normalize_answer(g)) for g in golds)
          for p, golds in zip(predictions, references)]
    f1 = [max(_f1(p, g) for g in golds) for p, golds in zip(predictions, references)]
    return {"exact_match": sum(em) / len(em), "f1": sum(f1) / len(f1), "questions": len(em)}


# ------------------------------------------------------------------- generated cloze questions
_SENTENCE = re.compile(r"(?<=[.!?])[\"”’']?\s+(?=[\"“‘']?[A-Z_])")
_TITLES = r"(?:Mr|Mrs|Miss|Lady|Sir|Colonel|Captain|Dr|Admiral|Lord)\.?"
_NUMBER = (r"(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
           r"fifty|hundred|thousand|\d+)")
_TIME = (r"(?:yesterday|to-morrow|tomorrow|to-night|tonight|this morning|this evening|that evening|"
         r"the next day|the next morning|the following day|at night|in the evening|in the morning|"
         r"at dinner|after dinner|before dinner|at breakfast|last night|last week|next week|"
         r"on (?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|in (?:January|February|March|"
         r"April|May|June|July|August|September|October|November|December|the spring|the summer|"
         r"the autumn|the winter))")
_DETERMINER = r"(?:the|a|an|his|her|their|my|your|our|its)"
_STOP = set("""a an the and or but if of to in on at by for with from as is was were be been being am are
it its he she they them his her their him i you we me my your our us this that these those which who whom
what when where why how not no nor so than then there here all any each every some such very too can could
would should will shall may might must do does did had has have said say says one only own same other more
most much many few upon into out up down over again just also even ever never now well""".split())


def _name_words(paragraphs: list[str]) -> set[str]:
    """Capitalised words that look like names: seen capitalised after a lower-case word, never in lower case."""
    capital, lower = collections.Counter(), set()
    for text in paragraphs:
        words = re.findall(r"[A-Za-z]+", text)
        for prev, word in zip(words, words[1:]):
            if word[0].isupper() and prev[0].islower():
                capital[word] += 1
        lower.update(w for w in words if w.islower())
    titles = set(re.findall(r"[A-Z][a-z]+", _TITLES))
    return {w for w, n in capital.items() if n >= 3 and w.lower() not in lower and len(w) > 1 and w not in titles}


def _patterns(names: set[str]) -> list[tuple[str, re.Pattern, int]]:
    """(wh-word, pattern, group holding the answer); the whole match is replaced by the wh-word."""
    name = r"(?:%s )?(?:%s)(?: (?:%s))?" % (_TITLES, "|".join(sorted(names, key=len, reverse=True)),
                                           "|".join(sorted(names, key=len, reverse=True)))
    return [
        ("who", re.compile(r"\b(%s)\b" % name), 1),
        ("how many", re.compile(r"\b(%s) (?=[a-z]{3,})" % _NUMBER), 1),
        ("where", re.compile(r"\b(?:at|in|to|into|from|near|towards) ((?:the )?(?:%s))\b" % "|".join(
            sorted(names, key=len, reverse=True))), 1),
        ("when", re.compile(r"\b(%s)\b" % _TIME), 1),
        ("why", re.compile(r"\bbecause ([a-z][a-z ,']{8,60}?)(?=[.;:!?,\"”]|$)"), 1),
        ("what", re.compile(r"\b(%s (?:[a-z]+ ){0,2}[a-z]{4,})\b" % _DETERMINER), 1),
    ]


def _question(sentence: str, match: re.Match, wh: str, rng: random.Random) -> str:
    """The sentence with the matched span replaced by ``wh``, fronted when it starts the sentence,
    lightly noised (a few words dropped) so that questions do not copy the context verbatim."""
    before, after = sentence[:match.start()].strip(), sentence[match.end():].strip()
    after = after.rstrip(" .!?;:\"”’'")
    if wh == "how many":
        noun, _, after = after.partition(" ")
        wh = f"how many {noun}"
    text = f"{wh} {after}" if not before.strip(" \"“‘'") else f"{before.strip(' “‘')} {wh} {after}"
    words = text.split()
    kept = [w for i, w in enumerate(words) if i < 2 or rng.random() > 0.1]
    question = " ".join(kept).strip(" ,;:")
    return question[0].upper() + question[1:] + "?"


def generated_questions(paragraphs: list[str], n: int, *, exclude: list[str] = (), seed: int = 0,
                        min_words: int = 40, max_words: int = 220) -> list[dict]:
    """Up to ``n`` SQuAD-style records generated from ``paragraphs`` (at most one per paragraph).

    A paragraph sharing any run of :data:`SHINGLE` words with a text in ``exclude`` is skipped.
    Each record: id, context, question, answers {text, answer_start}, source "generated".
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    blocked = {tuple(ws[i:i + SHINGLE]) for text in exclude for ws in [text.lower().split()]
               for i in range(len(ws) - SHINGLE + 1)}
    rng = random.Random(seed)
    patterns = _patterns(_name_words(paragraphs))
    order = list(range(len(paragraphs)))
    rng.shuffle(order)
    records, per_kind = [], collections.Counter()
    for index in order:
        context = paragraphs[index]
        words = context.lower().split()
        if not min_words <= len(words) <= max_words or any(
                tuple(words[i:i + SHINGLE]) in blocked for i in range(len(words) - SHINGLE + 1)):
            continue
        sentences = [s for s in _SENTENCE.split(context) if 6 <= len(s.split()) <= 40]
        rng.shuffle(sentences)
        # prefer the rarer kinds so every wh-word is well represented
        kinds = sorted(patterns, key=lambda p: (per_kind[p[0]], rng.random()))
        record = None
        for sentence in sentences:
            for wh, pattern, group in kinds:
                matches = list(pattern.finditer(sentence))
                if not matches:
                    continue
                match = rng.choice(matches)
                answer = match.group(group)
                offset = context.find(sentence)
                start = offset + match.start(group)
                if context[start:start + len(answer)] != answer:
                    continue
                record = {"id": f"gen-{index}", "context": context, "question": _question(sentence, match, wh, rng),
                          "answers": {"text": [answer], "answer_start": [start]}, "source": "generated"}
                per_kind[wh] += 1
                break
            if record:
                break
        if record:
            records.append(record)
            if len(records) >= n:
                break
    return records


# ------------------------------------------------------------------------------------ features
def features(records: list[dict], tokenizer, max_length: int = MAX_LENGTH, stride: int = STRIDE) -> list[dict]:
    """Tokenised training windows with ``start_positions``/``end_positions`` (the standard
    offset-mapping preprocessing: question first, context windows with ``stride`` overlap; a window
    that does not contain the whole answer points at ``[CLS]``)."""
    if not records:
        raise ValueError("no QA records to tokenise")
    enc = tokenizer([r["question"] for r in records], [r["context"] for r in records],
                    truncation="only_second", max_length=max_length, stride=stride,
                    return_overflowing_tokens=True, return_offsets_mapping=True)
    out = []
    for i, offsets in enumerate(enc["offset_mapping"]):
        record = records[enc["overflow_to_sample_mapping"][i]]
        start_char = record["answers"]["answer_start"][0]
        end_char = start_char + len(record["answers"]["text"][0])
        sequence_ids = enc.sequence_ids(i)
        context = [k for k, s in enumerate(sequence_ids) if s == 1]
        start = end = 0
        if offsets[context[0]][0] <= start_char and offsets[context[-1]][1] >= end_char:
            start = next(k for k in context if offsets[k][1] > start_char)
            end = next(k for k in reversed(context) if offsets[k][0] < end_char)
        out.append({"input_ids": enc["input_ids"][i], "token_type_ids": enc["token_type_ids"][i],
                    "attention_mask": enc["attention_mask"][i], "start_positions": start, "end_positions": end})
    return out


def _batches(items: list[dict], tokenizer, batch_size: int, seed: int):
    """Length-grouped, padded tensor batches of ``items``."""
    from utils.standins._train import length_batches

    for batch in length_batches([len(f["input_ids"]) for f in items], batch_size, seed=seed):
        yield tokenizer.pad([items[i] for i in batch], return_tensors="pt")


# ---------------------------------------------------------------------------------- evaluation
class QuestionAnswerer:
    """Extractive QA with a saved ``*ForQuestionAnswering`` folder, called like the old pipeline.

    transformers 5 removed ``pipeline("question-answering")``; this does what it did: the context is
    cut into windows of the tokenizer's ``model_max_length`` with ``stride`` overlap, and the answer is
    the context span (at most ``max_answer_len`` tokens, start <= end) with the highest start + end
    logit over all windows. ``score`` is that span's probability within its window.

    >>> qa = QuestionAnswerer(model_dir)                                 # doctest: +SKIP
    >>> qa(question="Who wrote Hamlet?", context="Hamlet is a play by William Shakespeare.")  # doctest: +SKIP
    {'answer': 'William Shakespeare', 'score': 0.9, 'start': 20, 'end': 39}
    """

    def __init__(self, model_dir: Path | str, max_answer_len: int = 15, stride: int = STRIDE,
                 batch_size: int = 16):
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer

        if max_answer_len < 1:
            raise ValueError(f"max_answer_len must be >= 1, got {max_answer_len}")
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.model = AutoModelForQuestionAnswering.from_pretrained(model_dir).eval()
        self.max_answer_len, self.stride, self.batch_size = max_answer_len, stride, batch_size

    def __call__(self, question: str | list[str], context: str | list[str]) -> dict | list[dict]:
        """The best answer to ``question`` in ``context`` (lists: one answer per pair)."""
        single = isinstance(question, str)
        questions = [question] if single else list(question)
        contexts = [context] * len(questions) if isinstance(context, str) else list(context)
        if len(questions) != len(contexts):
            raise ValueError(f"{len(questions)} questions but {len(contexts)} contexts")
        if not questions or any(not q.strip() for q in questions) or any(not c.strip() for c in contexts):
            raise ValueError("questions and contexts must be non-empty text")
        best = [{"answer": "", "score": 0.0, "start": 0, "end": 0, "_logit": float("-inf")} for _ in questions]
        enc = self.tokenizer(questions, contexts, truncation="only_second", stride=self.stride,
                             max_length=self.tokenizer.model_max_length, return_overflowing_tokens=True,
                             return_offsets_mapping=True)
        for first in range(0, len(enc["input_ids"]), self.batch_size):
            rows = list(range(first, min(first + self.batch_size, len(enc["input_ids"]))))
            self._windows(enc, rows, contexts, best)
        for answer in best:
            del answer["_logit"]
        return best[0] if single else best

    def _windows(self, enc, rows: list[int], contexts: list[str], best: list[dict]) -> None:
        import torch

        keys = [k for k in ("input_ids", "token_type_ids", "attention_mask") if k in enc]  # DistilBERT: no types
        batch = self.tokenizer.pad({k: [enc[k][i] for i in rows] for k in keys}, return_tensors="pt")
        with torch.inference_mode():
            out = self.model(**batch)
        length = batch["input_ids"].shape[1]
        band = torch.triu(torch.ones(length, length, dtype=torch.bool)) & ~torch.triu(
            torch.ones(length, length, dtype=torch.bool), diagonal=self.max_answer_len)
        for j, i in enumerate(rows):
            ids = enc.sequence_ids(i)
            is_context = torch.tensor([s == 1 for s in ids] + [False] * (length - len(ids)))
            start = out.start_logits[j].masked_fill(~is_context, float("-inf"))
            end = out.end_logits[j].masked_fill(~is_context, float("-inf"))
            scores = (start[:, None] + end[None, :]).masked_fill(~band, float("-inf"))
            flat = int(scores.argmax())
            s, e = divmod(flat, length)
            logit = float(scores[s, e])
            example = enc["overflow_to_sample_mapping"][i]
            if logit > best[example]["_logit"]:
                offsets = enc["offset_mapping"][i]
                prob = float(torch.exp(start[s] + end[e] - torch.logsumexp(start, 0) - torch.logsumexp(end, 0)))
                lo, hi = offsets[s][0], offsets[e][1]
                best[example] = {"answer": contexts[example][lo:hi], "score": prob, "start": lo, "end": hi,
                                 "_logit": logit}


def predict(model_dir: Path | str, records: list[dict]) -> list[str]:
    """Answers of :class:`QuestionAnswerer` for SQuAD-style records (tqdm progress)."""
    answerer = QuestionAnswerer(model_dir)
    answers, chunk = [], 16
    for first in tqdm(range(0, len(records), chunk), desc="answer", unit="batch", mininterval=5):
        part = records[first:first + chunk]
        answers += [a["answer"] for a in answerer([r["question"] for r in part], [r["context"] for r in part])]
    return answers


def evaluate(model_dir: Path | str, split: str = "test") -> dict:
    """Exact match and token F1 of the saved model on a split of the course QA set (default test)."""
    from utils.data import load
    from utils.standins._train import prepare

    prepare()
    records = list(load("qa", small=False)[split])
    scores = squad_scores(predict(model_dir, records), [r["answers"]["text"] for r in records])
    return {f"{split}_{k}": v for k, v in scores.items()}


# --------------------------------------------------------------------------------------- build
def training_records(n_generated: int = SYNTHETIC, seed: int = 0,
                     words: tuple[int, int] = GENERATED_WORDS) -> tuple[list[dict], list[dict]]:
    """(generated records, course train records); held-out passages are excluded from generation."""
    from utils.data import load

    course = load("qa", small=False)
    held_out = [r["context"] for split in ("validation", "test") for r in course[split]]
    paragraphs = [t for split in load("lm-corpus", small=False).values() for t in split["text"]]
    generated = generated_questions(paragraphs, n_generated, exclude=held_out, seed=seed,
                                    min_words=words[0], max_words=words[1]) if n_generated else []
    return generated, list(course["train"])


def build(out_dir: Path, *, n_generated: int = SYNTHETIC, course_epochs: int = EPOCHS_COURSE,
          polish_epochs: int = POLISH_EPOCHS, lr: float = LR,
          batch_size: int = BATCH, freeze_layers: int = FREEZE_LAYERS, head_lr_factor: float = HEAD_LR_FACTOR,
          eval_split: str = "test") -> dict:
    """Train the QA stand-in into ``out_dir`` (model, tokenizer, README.md card); return its metrics.

    Stage 1: the generated questions once, then ``course_epochs`` passes over the course train split
    (one linear schedule, span head at ``head_lr_factor`` x ``lr``). Stage 2: ``polish_epochs`` more
    passes over the course train split with a fresh schedule (head at POLISH_HEAD_LR_FACTOR x ``lr``).
    The metrics come from ``eval_split`` (test by default; tune with ``eval_split="validation"``).
    """
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    from utils.standins import _train

    out_dir = Path(out_dir)
    _train.prepare()
    generated, course = training_records(n_generated)
    settings = dict(generated=len(generated), course=len(course), course_epochs=course_epochs,
                    polish_epochs=polish_epochs, lr=lr,
                    batch_size=batch_size, freeze_layers=freeze_layers, head_lr_factor=head_lr_factor)

    def fit():
        base = _train.encoder_dir()
        tokenizer = AutoTokenizer.from_pretrained(base)
        tokenizer.model_max_length = MAX_LENGTH
        gen_items = features(generated, tokenizer) if generated else []
        course_items = features(course, tokenizer)
        model = AutoModelForQuestionAnswering.from_pretrained(base)
        _train.freeze(model, freeze_layers)
        course_steps = -(-len(course_items) // batch_size)

        def stage1(_epoch):
            if gen_items:
                yield from _batches(gen_items, tokenizer, batch_size, seed=_train.SEED)
            for epoch in range(course_epochs):
                yield from _batches(course_items, tokenizer, batch_size, seed=_train.SEED + 1 + epoch)

        _train.train(model, stage1, -(-len(gen_items) // batch_size) + course_steps * course_epochs, lr=lr,
                     head=("qa_outputs",), head_lr_factor=head_lr_factor, desc="qa")
        if polish_epochs:
            _train.prepare()  # stage 2 starts from a fixed random state
            _train.train(model, lambda epoch: _batches(course_items, tokenizer, batch_size, seed=_train.SEED + 10 + epoch),
                         course_steps, epochs=polish_epochs, lr=lr, head=("qa_outputs",),
                         head_lr_factor=POLISH_HEAD_LR_FACTOR, desc="qa (stage 2)")
        (out_dir / RECIPE_FILE).write_text(json.dumps(settings, indent=1) + "\n")
        return model, tokenizer

    def score(_model, _tokenizer):  # with QuestionAnswerer, from the saved folder
        return {**evaluate(out_dir, eval_split),
                "train_questions_course": len(course), "train_questions_generated": len(generated)}

    return _train.build_folder(out_dir, fit, score, lambda folder, metrics: write_card(folder, metrics, settings))


def write_card(out_dir: Path, metrics: dict, settings: dict) -> None:
    """The README.md model card of a built QA stand-in (``settings``: the recipe's numbers)."""
    from utils.standins import _train

    generated, course, course_epochs = settings["generated"], settings["course"], settings["course_epochs"]
    polish_epochs = settings.get("polish_epochs", 0)
    lr, batch_size = settings["lr"], settings["batch_size"]
    freeze_layers, head_lr_factor = settings["freeze_layers"], settings["head_lr_factor"]
    frozen = f"embeddings and the lowest {freeze_layers} layers" if freeze_layers else "embeddings"
    _train.write_card(
        out_dir, "MiniLM-L6 extractive QA (course stand-in)", "question-answering",
        data=(f"the course's own QA set (`data/qa/course-qa.json`), train split ({course} questions, "
              f"{course_epochs} passes, then {polish_epochs} more with a fresh schedule) after {generated} "
              "cloze-style questions generated automatically "
              "from Jane Austen paragraphs (a sentence with a name, number, place, time, reason or noun "
              "phrase replaced by a wh-word; paragraphs sharing an 8-word run with a validation/test passage "
              "were skipped). Public-domain texts."),
        recipe=(f"BertForQuestionAnswering from the MiniLM encoder, {frozen} frozen, span head at "
                f"{head_lr_factor} x the learning rate ({POLISH_HEAD_LR_FACTOR} x in stage 2); windows of "
                f"{MAX_LENGTH} tokens with stride {STRIDE} "
                f"(offset-mapping labels); AdamW lr {lr}, batch {batch_size}, 10 % warm-up then linear decay, "
                f"gradient clipping 1.0. The saved tokenizer's model_max_length is {MAX_LENGTH}, so contexts are "
                f"read in {MAX_LENGTH}-token windows. "
                "Metrics: SQuAD-style exact match and token F1 of `utils.standins.qa.QuestionAnswerer` (transformers 5 "
                "has no question-answering pipeline; it loads with AutoModelForQuestionAnswering)."),
        metrics=metrics,
        licence="Weights derived from an Apache-2.0 model; training texts are public domain "
                "(course QA set written for the course).")
