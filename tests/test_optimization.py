"""utils.optimization on tiny models (seconds): sizes, latency percentiles, pruning (unstructured and whole
heads, on BERT and DistilBERT layouts), students, the distillation loss and Trainer, int8, ONNX, the harness."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from utils import optimization as opt


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from utils.serving.model import build_tiny_classifier

    folder = build_tiny_classifier(tmp_path_factory.mktemp("tiny") / "model", seed=0)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval().requires_grad_(False)
    return model, AutoTokenizer.from_pretrained(folder), folder


TEXTS = ["the movie was great", "boring and bad", "i loved the acting", "the plot was dull, the cast was weak",
         "a fine film", "not good"]


def _logits(model, tokenizer, texts=TEXTS):
    return opt.torch_predictor(model, tokenizer)(texts)


def test_size_on_disk_counts_every_file_below_a_folder(tmp_path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    for name, size in {"a.bin": 1000, ".hidden": 10, "LICENSE": 5, "sub/b.onnx": 300, "sub/deeper/c": 7}.items():
        (tmp_path / name).write_bytes(b"x" * size)
    assert opt.size_on_disk(tmp_path) == 1322
    assert opt.size_on_disk(tmp_path / "a.bin") == 1000


def test_latency_summary_leaves_out_the_warm_up_and_reports_milliseconds():
    seconds = [1.0, 0.5] + [0.010, 0.020, 0.030, 0.040, 0.050]
    out = opt.latency_summary(seconds, warmup=2)
    assert out["p50_ms"] == pytest.approx(30.0)
    assert out["p95_ms"] == pytest.approx(np.percentile([10, 20, 30, 40, 50], 95))
    assert out["mean_ms"] == pytest.approx(30.0)
    with pytest.raises(ValueError, match="nothing left"):
        opt.latency_summary([0.1, 0.2], warmup=2)


def test_magnitude_pruning_zeroes_the_smallest_weights_of_a_copy(tiny):
    model, tokenizer, _ = tiny
    before = [m.weight.clone() for m in opt._encoder_linears(model)]
    pruned = opt.magnitude_prune(model, 0.6)
    assert opt.sparsity(pruned) == pytest.approx(0.6, abs=0.01)
    assert opt.sparsity(model) < 0.01  # the original is untouched
    assert all(bool((m.weight == w).all()) for m, w in zip(opt._encoder_linears(model), before))
    kept = [m.weight for m in opt._encoder_linears(pruned)]
    assert [w.shape for w in kept] == [w.shape for w in before]  # same dense shapes: nothing gets smaller
    threshold = max(float(w[w == 0].numel() and b[w == 0].abs().max()) for w, b in zip(kept, before))
    assert all(float(w[w != 0].abs().min()) >= threshold for w in kept)  # global ranking by magnitude
    assert not any(name.endswith("_orig") for name, _ in pruned.named_parameters())  # prune.remove was applied
    assert opt.magnitude_prune(model, 0.0) is not model


def test_cutting_out_heads_equals_silencing_them(tiny):
    import torch

    model, tokenizer, _ = tiny
    heads = {0: [1], 1: [0]}
    cut = opt.prune_heads(model, heads)
    assert opt.heads_per_layer(cut) == [1, 1] and opt.heads_per_layer(model) == [2, 2]
    silenced = __import__("copy").deepcopy(model)
    for index, layer in enumerate(opt._layer_list(silenced)):
        *_, o, attn = opt._attention_parts(layer)
        d = attn.attention_head_size
        with torch.no_grad():
            for h in heads[index]:
                o.weight[:, h * d:(h + 1) * d] = 0
    np.testing.assert_allclose(_logits(cut, tokenizer), _logits(silenced, tokenizer), atol=1e-5)
    assert opt.model_size_mb(cut) < opt.model_size_mb(model)
    with pytest.raises(ValueError, match="heads 0..1"):
        opt.prune_heads(model, {0: [5]})


def test_least_important_heads_keeps_one_per_layer(tiny):
    model, *_ = tiny
    scores = opt.head_importance(model)
    assert scores.shape == (2, 2) and (scores > 0).all()
    picked = opt.least_important_heads(model, 0.5)
    assert {k: len(v) for k, v in picked.items()} == {0: 1, 1: 1}
    assert all(scores[layer, heads[0]] == scores[layer].min() for layer, heads in picked.items())
    assert opt.least_important_heads(model, 1.0) == {0: [int(np.argmin(scores[0]))], 1: [int(np.argmin(scores[1]))]}


def _tiny_distilbert():
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    torch.manual_seed(0)
    config = DistilBertConfig(vocab_size=60, dim=32, n_layers=3, n_heads=4, hidden_dim=64, max_position_embeddings=64)
    return DistilBertForSequenceClassification(config).eval()


def test_head_pruning_and_students_work_on_distilbert_layers():
    import torch

    model = _tiny_distilbert()
    ids = torch.randint(5, 60, (2, 7))
    cut = opt.prune_heads(model, {0: [0, 2], 2: [3]})
    assert opt.heads_per_layer(cut) == [2, 4, 3]
    assert cut(input_ids=ids).logits.shape == (2, 2)
    student = opt.make_student(model, [0, 2])
    assert student.config.n_layers == 2 and len(opt._layer_list(student)) == 2
    assert student(input_ids=ids).logits.shape == (2, 2)


def test_a_student_keeps_the_chosen_layers_of_its_teacher(tiny, tmp_path):
    from transformers import AutoModelForSequenceClassification

    model, tokenizer, _ = tiny
    student = opt.make_student(model, [1])
    assert student.config.num_hidden_layers == 1 and model.config.num_hidden_layers == 2
    teacher_layer, student_layer = opt._layer_list(model)[1], opt._layer_list(student)[0]
    for (name, a), (_, b) in zip(teacher_layer.state_dict().items(), student_layer.state_dict().items()):
        assert bool((a == b).all()), name
    assert student.training and all(p.requires_grad for p in student.parameters())
    student.save_pretrained(tmp_path / "student")
    again = AutoModelForSequenceClassification.from_pretrained(tmp_path / "student").eval()
    np.testing.assert_allclose(_logits(again, tokenizer), _logits(student.eval(), tokenizer), atol=1e-5)


def test_distillation_loss_matches_its_formula():
    import torch
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    y = torch.tensor([0, 2, 1, 1, 0])
    T, a = 3.0, 0.7
    p, q = F.softmax(t / T, -1), F.log_softmax(s / T, -1)
    kl = (p * (p.log() - q)).sum(-1).mean()
    want = a * T * T * kl + (1 - a) * F.cross_entropy(s, y)
    assert float(opt.distillation_loss(s, t, y, T, a)) == pytest.approx(float(want), rel=1e-5)
    assert float(opt.distillation_loss(s, t, y, 1.0, 0.0)) == pytest.approx(float(F.cross_entropy(s, y)), rel=1e-6)
    assert float(opt.distillation_loss(s, s, y, 2.0, 1.0)) == pytest.approx(0.0, abs=1e-6)


def test_distillation_trainer_trains_a_student_with_and_without_precomputed_logits(tiny, tmp_path):
    import torch
    from datasets import Dataset
    from transformers import DataCollatorWithPadding, TrainingArguments

    model, tokenizer, _ = tiny
    labels = [1, 0, 1, 0, 1, 0]
    data = Dataset.from_dict({"text": TEXTS, "label": labels})
    data = data.map(lambda b: tokenizer(b["text"], truncation=True, max_length=16), batched=True,
                    remove_columns=["text"])
    args = TrainingArguments(output_dir=str(tmp_path), per_device_train_batch_size=3, max_steps=2, learning_rate=1e-3,
                             report_to="none", use_cpu=True, save_strategy="no", logging_steps=1, disable_tqdm=True)
    for precomputed in (False, True):
        train = data.add_column("teacher_logits", opt.teacher_logits(model, tokenizer, TEXTS).tolist()) \
            if precomputed else data
        student = opt.make_student(model, [0])
        before = [p.clone() for p in student.parameters()]
        trainer = opt.DistillationTrainer(model=student, args=args, train_dataset=train, teacher=model,
                                          temperature=2.0, alpha=0.5,
                                          data_collator=DataCollatorWithPadding(tokenizer))
        trainer.train()
        assert any(not torch.equal(a, b) for a, b in zip(before, student.parameters()))
        assert all(np.isfinite(log["loss"]) for log in trainer.state.log_history if "loss" in log)


def test_dynamic_int8_quantises_the_linear_layers_and_reports_the_deprecation(tiny):
    import torch

    model, tokenizer, _ = tiny
    int8, messages = opt.quantize_dynamic_int8(model)
    kinds = {type(m).__name__ for m in int8.modules()}
    assert "Linear" in kinds or any("Quantized" in k or "DynamicQuantized" in k for k in kinds)
    assert not any(isinstance(m, torch.nn.Linear) and type(m) is torch.nn.Linear for m in int8.modules())
    assert isinstance(messages, list)
    assert opt.model_size_mb(int8) < opt.model_size_mb(model)
    np.testing.assert_allclose(_logits(int8, tokenizer), _logits(model, tokenizer), atol=0.1)


def test_onnx_export_runs_in_onnxruntime_and_quantises(tiny, tmp_path):
    model, tokenizer, _ = tiny
    path = opt.export_onnx(model, tokenizer, tmp_path)
    assert path == tmp_path / "model.onnx" and path.stat().st_size > 0
    want = _logits(model, tokenizer)
    got = opt.onnx_predictor(path, tokenizer)(TEXTS)
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert opt.onnx_predictor(path, tokenizer)(TEXTS[:1]).shape == (1, 2)  # dynamic batch and length
    fused = opt.fuse_onnx(path, tmp_path / "fused.onnx", model.config)
    assert opt.fused_ops(fused).get("SkipLayerNormalization", 0) > 0
    np.testing.assert_allclose(opt.onnx_predictor(fused, tokenizer)(TEXTS), want, atol=1e-4)
    int8 = opt.quantize_onnx(path, tmp_path / "int8" / "model.onnx")
    assert int8.stat().st_size < path.stat().st_size
    np.testing.assert_allclose(opt.onnx_predictor(int8, tokenizer)(TEXTS), want, atol=0.2)


def test_the_harness_compares_variants_side_by_side():
    import time

    def slow(texts):
        time.sleep(0.002)
        return np.tile([0.0, 1.0], (len(texts), 1))

    def fast(texts):
        return np.tile([1.0, 0.0], (len(texts), 1))

    variants = [opt.Variant("slow", slow, 10.0), opt.Variant("fast", fast, 2.0, "all negative")]
    texts, labels = [f"t{i}" for i in range(40)], [1] * 30 + [0] * 10
    results = opt.compare(variants, texts, labels, warmup=1, repeats=3, batches=1, rounds=2)
    assert [r.variant for r in results] == ["slow", "fast"]
    assert results[0].accuracy == 0.75 and results[1].accuracy == 0.25
    assert results[0].p50_ms >= 2 and results[1].p50_ms < results[0].p50_ms
    assert results[1].throughput > results[0].throughput
    frame = opt.table(results)
    assert list(frame.index) == ["slow", "fast"] and frame.loc["fast", "Δacc (pts)"] == -50.0
    assert opt.best_variant(results).variant == "slow"
    assert opt.best_variant(results, max_drop=0.6).variant == "fast"
    assert set(opt.pareto_front(results)) == {"slow", "fast"}
    import matplotlib

    matplotlib.use("Agg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert opt.pareto_plot(results).get_xlabel().startswith("p50")


def test_course_serve_loads_an_onnx_folder(tiny, tmp_path):
    from scipy.special import softmax

    from utils.serving.model import load_classifier, weights_files

    model, tokenizer, _ = tiny
    folder = opt.save_onnx_folder(model, tokenizer, tmp_path / "served", int8=False)
    assert [f.name for f in weights_files(folder)] == ["model.onnx"]
    classifier = load_classifier(folder)
    assert classifier.labels == ["negative", "positive"] and classifier.version.startswith("served@")
    want = softmax(_logits(model, tokenizer), axis=-1)
    np.testing.assert_allclose(np.asarray(classifier.predict(TEXTS)), want, atol=1e-4)
