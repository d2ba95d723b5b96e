"""utils.attention and `course attention`: the heatmap PNG on the fast sentiment model, rollout arithmetic,
deletion curves, and the attribution code path on a DistilBERT (the full profile's architecture)."""
from __future__ import annotations

import numpy as np
import pytest

from utils import attention

SENTENCE = "A gripping, beautifully acted film that never drags."


def _png_size(path):
    import matplotlib.image

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return matplotlib.image.imread(path).shape


def test_course_attention_writes_a_heatmap_png(tmp_path, capsys):
    from utils.cli import main

    out = tmp_path / "maps" / "head.png"
    assert main(["attention", "--model", "sentiment-model", SENTENCE, "--out", str(out), "--layer", "2",
                 "--head", "3"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    height, width, _ = _png_size(out)
    assert height > 300 and width > 300  # one readable heatmap, the tokens on both axes

    default = tmp_path / "mean.png"
    assert main(["attention", SENTENCE, "--out", str(default)]) == 0  # default role, last layer, heads averaged
    rolled = tmp_path / "rollout.png"
    assert main(["attention", SENTENCE, "--rollout", "--out", str(rolled)]) == 0
    assert default.read_bytes() != out.read_bytes() != rolled.read_bytes()


def test_course_attention_explains_bad_input(tmp_path, capsys):
    from utils.cli import main

    assert main(["attention", "--model", "no-such-role", SENTENCE, "--out", str(tmp_path / "x.png")]) == 2
    assert "neither a model folder nor a role" in capsys.readouterr().err
    assert main(["attention", SENTENCE, "--head", "99", "--out", str(tmp_path / "x.png")]) == 1
    assert "head 99 does not exist" in capsys.readouterr().err
    assert main(["attention", SENTENCE, "--rollout", "--layer", "1"]) == 1
    assert not (tmp_path / "x.png").exists()


def _maps(rng, layers=3, heads=2, tokens=4):
    logits = rng.normal(size=(layers, heads, tokens, tokens))
    weights = np.exp(logits)
    return weights / weights.sum(-1, keepdims=True)


def test_rollout_chains_residual_maps_bottom_up():
    maps = _maps(np.random.default_rng(0))
    eye = np.eye(4)
    tilde = [(a.mean(0) + eye) / (a.mean(0) + eye).sum(-1, keepdims=True) for a in maps]
    np.testing.assert_allclose(attention.rollout(maps), tilde[2] @ tilde[1] @ tilde[0])
    np.testing.assert_allclose(attention.rollout(maps).sum(-1), 1)
    plain = [a.mean(0) for a in maps]
    np.testing.assert_allclose(attention.rollout(maps, residual=False), plain[2] @ plain[1] @ plain[0])
    np.testing.assert_allclose(attention.head_average(maps)[1], maps[1].mean(0))


def test_delete_top_keeps_specials_and_order():
    ids = [101, 5, 6, 7, 8, 102]
    scores = [9, 0.5, -3, 2, 1, 9]
    keep = [True, False, False, False, False, True]
    assert attention.delete_top(ids, scores, 0, keep) == ids
    assert attention.delete_top(ids, scores, 2, keep) == [101, 5, 6, 102]
    assert attention.delete_top(ids, scores, 10, keep) == [101, 102]
    assert attention.area_over_curve([0.9, 0.5, 0.3]) == pytest.approx((0 + 0.4 + 0.6) / 3)


@pytest.fixture(scope="module")
def sentiment():
    return attention.load_classifier("sentiment-model")


def test_explanations_and_curves_on_the_sentiment_model(sentiment):
    model, tokenizer = sentiment
    enc = attention.encode(tokenizer, SENTENCE)
    ids = enc["input_ids"][0].tolist()
    maps = attention.attention_maps(model, enc)
    assert maps.shape == (model.config.num_hidden_layers, model.config.num_attention_heads, len(ids), len(ids))
    np.testing.assert_allclose(maps.sum(-1), 1, atol=1e-4)
    target = int(attention.probabilities(model, [ids])[0].argmax())
    scores = attention.explain(model, tokenizer, enc, target, n_steps=8)
    assert set(scores) == set(attention.METHODS)
    assert all(s.shape == (len(ids),) for s in scores.values())
    assert scores["occlusion"][0] == scores["occlusion"][-1] == 0  # the special tokens are never deleted
    curves = attention.deletion_curves(model, tokenizer, ids, scores, 4, target)
    full = attention.probabilities(model, [ids])[0, target]
    assert all(c.shape == (5,) and c[0] == pytest.approx(full, abs=1e-5) for c in curves.values())
    # occlusion's top token is, by construction, the single deletion that hurts most
    assert curves["occlusion"][1] <= min(c[1] for c in curves.values()) + 1e-6
    ig, delta = attention.integrated_gradients(model, tokenizer, enc, target, n_steps=32, return_delta=True)
    assert abs(delta) < 0.05  # completeness: the attributions add up to f(input) - f(baseline)


def test_faithfulness_returns_one_curve_per_text_and_method(sentiment):
    model, tokenizer = sentiment
    texts = [SENTENCE, "Dull and far too long."]
    curves, scores = attention.faithfulness(model, tokenizer, texts, k_max=3, n_steps=4, n_random=2, progress=False,
                                            return_scores=True)
    assert set(curves) == {*attention.METHODS, "random"}
    assert all(c.shape == (2, 4) for c in curves.values())
    words = [len(tokenizer(t)["input_ids"]) - 2 for t in texts]
    assert [len(s["occlusion"]) for s in scores] == words
    names, matrix = attention.rank_agreement(scores)
    assert names == list(attention.METHODS) and matrix.shape == (5, 5)
    np.testing.assert_allclose(np.diag(matrix), 1)
    np.testing.assert_allclose(matrix, matrix.T)
    assert np.nanmax(np.abs(matrix)) <= 1 + 1e-9


def test_distilbert_code_path(tmp_path, sentiment):
    """The full profile's model is a DistilBERT: its embeddings sit at distilbert.embeddings and it takes no
    token_type_ids. A tiny random one, saved with the course tokenizer, goes through every method."""
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    _, tokenizer = sentiment
    config = DistilBertConfig(vocab_size=tokenizer.vocab_size, dim=32, hidden_dim=64, n_layers=2, n_heads=2,
                              max_position_embeddings=64, id2label={0: "NEGATIVE", 1: "POSITIVE"},
                              label2id={"NEGATIVE": 0, "POSITIVE": 1})
    folder = tmp_path / "tiny-distilbert"
    DistilBertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    model, tok = attention.load_classifier(str(folder))
    assert model.config._attn_implementation == "eager"
    enc = attention.encode(tok, SENTENCE)
    scores = attention.explain(model, tok, enc, target=1, n_steps=4)
    assert all(np.isfinite(s).all() and s.shape == (enc["input_ids"].shape[1],) for s in scores.values())
    png = attention.save_heatmap(str(folder), SENTENCE, tmp_path / "d.png", layer=1, head=1)
    assert _png_size(png)[0] > 100
