"""Lesson 06 (KerasHub): the helpers in utils.keras_setup and the lesson's exercises."""
import json

import numpy as np
import pytest

from utils import keras_setup
from utils.exercises import lesson06

keras_setup.use_torch_backend()
keras_hub = pytest.importorskip("keras_hub", reason="lesson 06 needs requirements-keras.txt installed")
import keras  # noqa: E402  (after use_torch_backend)
from keras import ops  # noqa: E402

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "film", "a", "##s", "plot", "!"]


def _tokenizer_json(vocab, kind="WordPiece"):
    return {"model": {"type": kind, "vocab": {token: i for i, token in enumerate(vocab)}, "unk_token": "[UNK]"}}


def _hf_folder(path, *, with_vocab=False, kind="WordPiece"):
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    (path / "tokenizer.json").write_text(json.dumps(_tokenizer_json(VOCAB, kind)))
    if with_vocab:
        (path / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    return path


# ------------------------------------------------------------------------------------ helpers
def test_hf_preset_dir_writes_vocab_in_id_order(tmp_path):
    folder = _hf_folder(tmp_path / "model")
    view = keras_setup.hf_preset_dir(folder, cache=tmp_path / "views")
    assert view != str(folder.resolve())
    assert (tmp_path / "views").resolve() in keras_setup.Path(view).resolve().parents
    assert (keras_setup.Path(view) / "vocab.txt").read_text().splitlines() == VOCAB
    assert json.loads((keras_setup.Path(view) / "config.json").read_text()) == {"model_type": "bert"}
    assert keras_setup.hf_preset_dir(folder, cache=tmp_path / "views") == view  # reused, not rebuilt


def test_hf_preset_dir_keeps_a_folder_that_has_vocab(tmp_path):
    folder = _hf_folder(tmp_path / "model", with_vocab=True)
    assert keras_setup.hf_preset_dir(folder, cache=tmp_path / "views") == str(folder.resolve())
    assert not (tmp_path / "views").exists()


def test_hf_preset_dir_rejects_bad_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a transformers model folder"):
        keras_setup.hf_preset_dir(tmp_path)
    with pytest.raises(ValueError, match="WordPiece"):
        keras_setup.hf_preset_dir(_hf_folder(tmp_path / "bpe", kind="BPE"), cache=tmp_path / "views")


def test_keras_preset_knows_its_roles():
    with pytest.raises(ValueError, match="no KerasHub preset"):
        keras_setup.keras_preset("causal-lm")


def test_linear_to_dense_matches_a_linear_layer():
    rng = np.random.default_rng(0)
    weight, bias, x = rng.normal(size=(3, 5)), rng.normal(size=3), rng.normal(size=(4, 5))
    kernel, b = keras_setup.linear_to_dense(weight, bias)
    assert kernel.shape == (5, 3)
    np.testing.assert_allclose(x @ kernel + b, x @ weight.T + bias)
    with pytest.raises(ValueError, match="expected weight"):
        keras_setup.linear_to_dense(weight, np.zeros(5))


def test_masked_softmax_ignores_padding():
    scores = ops.convert_to_tensor(np.array([[1.0, 2.0, 50.0], [3.0, -1.0, 7.0]], dtype="float32"))
    mask = ops.convert_to_tensor(np.array([[True, True, False], [True, False, False]]))
    weights = ops.convert_to_numpy(keras_setup.masked_softmax(scores, mask))
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(weights[1], [1.0, 0.0, 0.0], atol=1e-7)
    np.testing.assert_allclose(weights[0, :2], np.exp([1, 2]) / np.exp([1, 2]).sum(), rtol=1e-5)


def test_transformers_classifier_loads_through_kerashub(tmp_path):
    """A tiny random BertForSequenceClassification: KerasHub backbone + copied head = transformers' logits."""
    torch = pytest.importorskip("torch")
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(VOCAB), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=32, num_labels=3)
    model = BertForSequenceClassification(config).eval()
    folder = tmp_path / "hf"
    model.save_pretrained(folder)
    (folder / "tokenizer.json").write_text(json.dumps(_tokenizer_json(VOCAB)))
    (folder / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True}))
    preset = keras_setup.hf_preset_dir(folder, cache=tmp_path / "views")

    classifier = keras_hub.models.BertTextClassifier.from_preset(preset, num_classes=3)
    classifier.preprocessor.sequence_length = 8
    keras_setup.load_hf_classifier_head(classifier, folder)
    inputs = classifier.preprocessor(["a good film !", "bad plots"])
    got = ops.convert_to_numpy(classifier(inputs, training=False))
    with torch.no_grad():
        want = model(input_ids=torch.as_tensor(ops.convert_to_numpy(inputs["token_ids"])).long(),
                     attention_mask=torch.as_tensor(ops.convert_to_numpy(inputs["padding_mask"])).long()).logits
    np.testing.assert_allclose(got, want.numpy(), atol=1e-4)

    wrong = keras_hub.models.BertTextClassifier.from_preset(preset, num_classes=2)
    with pytest.raises(ValueError, match="num_classes"):
        keras_setup.load_hf_classifier_head(wrong, folder)


# ---------------------------------------------------------------------------------- exercises
def _define(exercise):
    namespace = {"np": np, "ops": ops, "keras": keras}
    exec(exercise.solution_code(), namespace)
    return namespace[exercise.target]


@pytest.mark.parametrize("exercise", lesson06.EXERCISES, ids=lambda e: e.name)
def test_lesson06_solutions_pass(exercise):
    outcome = exercise.evaluate(_define(exercise))
    assert outcome.correct, outcome.message


def test_lesson06_mistakes_fail():
    assert not lesson06.q1.evaluate(lambda w, b: [np.asarray(w), np.asarray(b)]).correct  # not transposed

    def pack_without_end(token_ids, length, start, end, pad):
        rows = [([start] + list(t))[:length] for t in token_ids]
        ids = np.array([r + [pad] * (length - len(r)) for r in rows])
        return ids, ids != pad

    assert not lesson06.q2.evaluate(pack_without_end).correct
    assert not lesson06.q3.evaluate(lambda s, m: ops.softmax(s, axis=1)).correct  # padding not masked
    placeholder = lesson06.q3.evaluate(lambda s, m: (_ for _ in ()).throw(NotImplementedError))
    assert placeholder.status == "not attempted"
