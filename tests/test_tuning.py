"""utils.tuning: schedule curves, the any-time best, the budget walk, parameter checksums, the model_init factory."""
from __future__ import annotations

import math

import numpy as np
import pytest

from utils import tuning


def test_schedule_curves_follow_transformers_formulas():
    total, warmup = 40, 8
    cosine = tuning.schedule_curve("cosine", total, warmup, base_lr=2.0)
    assert len(cosine) == total and cosine[0] == 0.0
    assert cosine[4] == pytest.approx(2.0 * 4 / 8)
    assert cosine[warmup] == pytest.approx(2.0)
    middle = warmup + (total - warmup) // 2
    assert cosine[middle] == pytest.approx(1.0)
    linear = tuning.schedule_curve("linear", total, warmup)
    assert linear[warmup + 8] == pytest.approx(1 - 8 / 32)
    assert tuning.schedule_curve("constant", 5) == [1.0] * 5


def test_best_so_far_skips_missing_values_and_follows_the_direction():
    assert tuning.best_so_far([0.5, None, 0.7, 0.6, math.nan, 0.8]) == [0.5, 0.5, 0.7, 0.7, 0.7, 0.8]
    assert tuning.best_so_far([0.5, 0.7, 0.4], "minimize") == [0.5, 0.5, 0.4]
    assert math.isnan(tuning.best_so_far([None, 0.3])[0])


@pytest.mark.parametrize("seed", range(5))
def test_best_trial_within_budget_agrees_with_the_exercise_reference(seed):
    from utils.exercises import lesson13

    for case in lesson13.q3.draw(seed):
        study = lesson13.build_study(case)
        assert tuning.best_trial_within_budget(study, case["budget"]) == lesson13._expected_budget(case)


def test_trial_table_and_plots_from_a_study():
    import matplotlib

    matplotlib.use("Agg")
    from utils.exercises import lesson13

    case = lesson13.q3.draw(0)[0]
    study = lesson13.build_study(case)
    table = tuning.trial_table(study)
    assert list(table.index) == list(range(len(case["trials"])))
    assert {"state", "epochs", "value", "learning_rate"} <= set(table.columns)
    axes = tuning.plot_search(study)
    assert len(axes) == 2
    assert tuning.plot_importances({"learning_rate": 0.7, "weight_decay": 0.3}) is not None


def test_reference_hp_space_draws_the_documented_distributions():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    params = tuning.reference_hp_space(1e-5, 1e-3, [16, 32], 4)(trial)
    assert set(params) == set(tuning.HP_NAMES) == set(trial.distributions)
    assert trial.distributions["learning_rate"].log
    assert params["per_device_train_batch_size"] in (16, 32) and 1 <= params["num_train_epochs"] <= 4


def test_classifier_factory_and_checksum(fetched):
    import torch

    model_init = tuning.classifier_factory(str(fetched("encoder")), 3, layers=1, freeze_embeddings=True)
    torch.manual_seed(0)
    first = model_init()
    torch.manual_seed(0)
    again = model_init()
    torch.manual_seed(1)
    other = model_init()
    assert first.config.num_hidden_layers == 1 and first.config.num_labels == 3
    assert not any(p.requires_grad for p in first.base_model.embeddings.parameters())
    assert tuning.parameter_checksum(first) == tuning.parameter_checksum(again)
    assert tuning.parameter_checksum(first) != tuning.parameter_checksum(other)  # a fresh head per seed
    body = [k for k in first.state_dict() if "embeddings" in k or "encoder.layer.0." in k]
    assert body and all(torch.equal(first.state_dict()[k], other.state_dict()[k]) for k in body)  # pretrained body
    with torch.no_grad():
        next(first.parameters()).add_(1.0)
    assert tuning.parameter_checksum(first) != tuning.parameter_checksum(again)
    assert np.isfinite(first(input_ids=torch.tensor([[101, 2023, 102]])).logits.detach().numpy()).all()
