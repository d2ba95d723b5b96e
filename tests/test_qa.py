"""utils.qa: answer labels per window, span decoding over windows, scores, question types, retrieval."""
from __future__ import annotations

import numpy as np
import pytest

from utils import qa

QUESTION = "Who brought the ball back?"
CONTEXT = ("The frog dived into the well and brought the golden ball back to the princess, who ran home with it "
           "and forgot all about the poor frog sitting by the water.")
ANSWER = "The frog"


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from utils.resources import checkpoint

    return AutoTokenizer.from_pretrained(checkpoint("encoder"))


def test_labels_point_at_the_answer_or_cls(tokenizer):
    enc = qa.encode_windows(tokenizer, [QUESTION], [CONTEXT], max_length=24, stride=6)
    assert len(enc["input_ids"]) > 2, "the small windows should overflow"
    found = 0
    for i, offsets in enumerate(enc["offset_mapping"]):
        s, e = qa.answer_positions(offsets, enc.sequence_ids(i), 0, len(ANSWER))
        if (s, e) == (0, 0):
            continue
        found += 1
        assert enc.sequence_ids(i)[s] == 1  # a context token, not the question's "who" at characters 0-3
        assert CONTEXT[offsets[s][0]:offsets[e][1]].lower() == ANSWER.lower()
    assert found == 1  # only the first window holds the answer at the context's start


def test_training_features_for_map(tokenizer):
    batch = {"question": [QUESTION, " Where did the princess run? "], "context": [CONTEXT, CONTEXT],
             "answers": [{"text": [ANSWER], "answer_start": [0]}, {"text": ["home"], "answer_start": [CONTEXT.index("home")]}]}
    out = qa.training_features(batch, tokenizer, max_length=32, stride=8)
    assert {"input_ids", "attention_mask", "start_positions", "end_positions"} <= set(out.keys())
    assert "offset_mapping" not in out and "overflow_to_sample_mapping" not in out
    assert len(out["start_positions"]) == len(out["input_ids"]) > 2
    labelled = [(s, e) for s, e in zip(out["start_positions"], out["end_positions"]) if (s, e) != (0, 0)]
    assert labelled and all(s <= e for s, e in labelled)


def _window(start, end, offsets):
    return np.array(start, float), np.array(end, float), offsets


def test_best_spans_respects_context_order_length_and_dedup():
    offsets = [None, None, (0, 3), (4, 8), (9, 12), (13, 20), None]
    start = [9, 0, 1, 5, 0, 0, 0]   # [CLS] is highest, but not context
    end = [9, 0, 6, 0, 0, 4, 0]     # a strong end (token 2) before the best start (token 3)
    one = _window(start, end, offsets)
    best = qa.best_spans([one], max_answer_length=2, n_best=7, top=3)
    spans = [sp[:2] for sp in best["spans"]]
    assert all(s <= e for s, e in spans)
    assert (4, 20) not in spans  # tokens 3-5: three tokens, longer than 2
    assert spans[0] == (0, 3)    # start 1 + end 6 = 7 beats start 5 + end 0 = 5
    assert best["null"] == 18
    # the same characters found again in a second window count once, with the better score
    again = qa.best_spans([one, _window([0, 0, 3, 0, 0, 0, 0], [0, 0, 8, 0, 0, 0, 0], offsets)], 2, 7, top=10)
    keys = [sp[:2] for sp in again["spans"]]
    assert len(keys) == len(set(keys)) and again["spans"][0][:3] == (0, 3, 11.0)
    assert 0 < again["spans"][0][3] <= 1


def test_squad_metric_matches_the_course_function():
    from utils.standins.qa import squad_scores

    predictions = ["the wife", "Paris, France", "", "five daughters"]
    references = [{"text": ["a wife"], "answer_start": [0]}, {"text": ["Paris"], "answer_start": [3]},
                  {"text": ["London"], "answer_start": [0]}, {"text": ["five", "Five daughters"], "answer_start": [0, 0]}]
    ours = squad_scores(predictions, [r["text"] for r in references])
    theirs = qa.squad_metric(predictions, references)
    assert theirs["exact_match"] == pytest.approx(100 * ours["exact_match"])
    assert theirs["f1"] == pytest.approx(100 * ours["f1"])


@pytest.mark.parametrize("question, kind", [
    ("How many sisters did she have?", "how many"), ("How much did it cost?", "how much"),
    ("How did he escape?", "how"), ("Whom did she marry?", "who"), ("In which town was she born?", "which"),
    ("When did the wolf arrive?", "when"), ("Why had she built the house?", "why"), ("Name the king.", "other"),
    ("What did the witch say?", "what"),
])
def test_question_type(question, kind):
    assert qa.question_type(question) == kind


def test_top_k_is_cosine_and_recall_at_k():
    passages = np.array([[10.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    questions = np.array([[0.8, 0.6], [0.0, 2.0]])
    ranked = qa.top_k(questions, passages, 2)
    assert ranked.tolist() == [[1, 0], [2, 1]]  # cosine: passage 0's length does not put it first
    assert qa.recall_at_k(ranked, [0, 1], 1) == 0.0
    assert qa.recall_at_k(ranked, [0, 1], 2) == 1.0
    assert qa.recall_at_k(ranked, [1, 0], 2) == 0.5
    with pytest.raises(ValueError):
        qa.recall_at_k(ranked, [0, 1], 3)


def test_read_and_embed_with_a_tiny_model(tokenizer):
    import torch
    from transformers import BertConfig, BertForQuestionAnswering, BertModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64)
    answers = qa.read(BertForQuestionAnswering(config), tokenizer, [QUESTION, "Who forgot?"], [CONTEXT, CONTEXT],
                      max_length=32, stride=8, max_answer_length=5)
    for a in answers:
        assert a["answer"] == CONTEXT[a["start"]:a["end"]] and a["answer"]
        assert 0 < a["probability"] <= 1
    vectors = qa.embed([CONTEXT, QUESTION, "x"], BertModel(config), tokenizer, batch_size=2, max_length=32)
    assert vectors.shape == (3, 16) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    # batches are grouped by length; the rows come back in the order of the texts
    embedder = BertModel(config).eval()
    forward = qa.embed([CONTEXT, QUESTION, "x"], embedder, tokenizer, batch_size=2, max_length=32)
    backward = qa.embed(["x", QUESTION, CONTEXT], embedder, tokenizer, batch_size=2, max_length=32)
    assert np.allclose(forward, backward[::-1], atol=1e-5)
    torch.manual_seed(0)
    model = BertForQuestionAnswering(config)
    enc = qa.encode_windows(tokenizer, [QUESTION, "Who forgot?"], [CONTEXT, CONTEXT], max_length=32, stride=8)
    starts, _ = qa.window_logits(model, enc, batch_size=3)
    assert [len(s) for s in starts] == [len(ids) for ids in enc["input_ids"]]
    with torch.inference_mode():
        first = model(**{k: torch.tensor([enc[k][0]]) for k in ("input_ids", "token_type_ids", "attention_mask")})
    assert np.allclose(starts[0], first.start_logits[0].numpy(), atol=1e-4)
