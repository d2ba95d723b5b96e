"""Lesson 13 exercises: a warmup + cosine learning rate at step t, an Optuna search space, the best trial under a budget.

Each grading draws new inputs: schedules with drawn base rates, warmup lengths and totals, and steps inside the
warmup, at its end, in the decay and at the last step (checked against transformers'
``get_cosine_schedule_with_warmup``); search-space bounds, batch-size choices in a shuffled order and epoch
limits, with a seeded sampler asking for several trials (checked against the distributions the trials record);
and studies of trials whose costs, states and directions are built against the plausible wrong answers — the
overall best trial beyond the budget, a pruned trial better than every completed one, a total that meets the
budget exactly, a cheap good trial after one that does not fit, a minimising study, a budget no completed
trial fits in.
"""
from __future__ import annotations

import math

import numpy as np

from utils.grading import Exercise, Incorrect, close, expect
from utils.grading.plain import describe


# -- Exercise 1: the learning rate of warmup + cosine decay at step t ------------------------------------
def _lr_cases(rng):
    cases = []
    for index in range(3):
        warmup = int(rng.integers(2, 12)) if index else int(rng.integers(4, 12))
        total = warmup + int(rng.integers(8, 60))
        steps = {0, int(rng.integers(1, warmup)), warmup, total,
                 int(rng.integers(warmup + 1, total)), int(rng.integers(warmup + 1, total))}
        cases.append({"base_lr": float(rng.choice([1e-4, 2e-5, 3e-4, 5e-5, 0.01])), "warmup_steps": warmup,
                      "total_steps": total, "steps": sorted(steps)})
    return cases


def _run_lr(warmup_cosine_lr, case):
    out = []
    for step in case["steps"]:
        value = warmup_cosine_lr(step, case["base_lr"], case["warmup_steps"], case["total_steps"])
        if hasattr(value, "item") and not isinstance(value, (int, float)):
            value = value.item()
        expect(isinstance(value, (int, float)) and not isinstance(value, bool),
               f"warmup_cosine_lr({step}, …) should return a number, got {type(value).__name__}")
        out.append(float(value))
    return out


def _transformers_lr(case, step):
    import torch
    from transformers import get_cosine_schedule_with_warmup

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=case["base_lr"])
    scheduler = get_cosine_schedule_with_warmup(optimizer, case["warmup_steps"], case["total_steps"])
    return case["base_lr"] * scheduler.lr_lambdas[0](step)


def _expected_lr(case):
    return [float(_transformers_lr(case, step)) for step in case["steps"]]


def _variant(case, step, *, warmup=True, decay="cosine", shift=0, progress_over_total=False, scale=True):
    base, w, total = case["base_lr"], case["warmup_steps"], case["total_steps"]
    factor_base = base if scale else 1.0
    if warmup and step < w:
        return factor_base * (step + shift) / max(1, w)
    start = w if (warmup and not progress_over_total) else 0
    progress = (step - start) / max(1, total - start)
    if decay == "linear":
        return factor_base * max(0.0, 1 - progress)
    if decay == "full":
        return factor_base * 0.5 * (1 + math.cos(2 * math.pi * progress))
    return factor_base * max(0.0, 0.5 * (1 + math.cos(math.pi * progress)))


_LR_MISTAKES = {
    "after the warmup the rate falls in a straight line: that is the linear schedule; use half a cosine, "
    "base_lr · ½(1 + cos(π · progress))": {"decay": "linear"},
    "there is no warmup: for t < warmup_steps the rate should grow linearly from 0 (base_lr · t / warmup_steps)":
        {"warmup": False},
    "the warmup is one step ahead: at t = 0 the rate is 0, at step t it is base_lr · t / warmup_steps":
        {"shift": 1},
    "the decay's progress counts from step 0: it should count from the end of the warmup, "
    "(t − warmup_steps) / (total_steps − warmup_steps)": {"progress_over_total": True},
    "the cosine makes a full cycle (the rate climbs back up); decay over half a cycle, cos(π · progress)":
        {"decay": "full"},
    "that is the multiplier of the schedule; multiply it by base_lr": {"scale": False},
}


def _compare_lr(got, want, case):
    where = (f"for base_lr={case['base_lr']:g}, warmup_steps={case['warmup_steps']}, "
             f"total_steps={case['total_steps']}")
    expect(isinstance(got, list) and len(got) == len(want), f"{where}: expected one number per step")
    if np.allclose(got, want, rtol=1e-6, atol=1e-12):
        return
    for why, options in _LR_MISTAKES.items():
        variant = [_variant(case, step, **options) for step in case["steps"]]
        if np.allclose(got, variant, rtol=1e-6, atol=1e-12) and not np.allclose(variant, want, rtol=1e-6, atol=1e-12):
            raise Incorrect(f"{where}: {why}")
    for step, g, w in zip(case["steps"], got, want):
        expect(math.isclose(g, w, rel_tol=1e-6, abs_tol=1e-12),
               f"{where}: at step {step} you return {g:.6g}; expected {w:.6g}")


# -- Exercise 2: an Optuna search space -----------------------------------------------------------------
NAMES = ("learning_rate", "per_device_train_batch_size", "num_train_epochs", "weight_decay")


def _space_cases(rng):
    cases = []
    for _ in range(2):
        sizes = [int(b) for b in rng.choice([4, 8, 16, 32, 64, 128], size=int(rng.integers(2, 5)), replace=False)]
        cases.append({"lr_low": float(rng.choice([1e-6, 5e-6, 1e-5, 2e-5])),
                      "lr_high": float(rng.choice([1e-4, 5e-4, 1e-3, 1e-2])),
                      "batch_sizes": sizes, "max_epochs": int(rng.integers(2, 7)),
                      "seed": int(rng.integers(0, 2**31)), "trials": 4})
    return cases


def _run_space(make_hp_space, case):
    import json

    import optuna
    from optuna.distributions import distribution_to_json

    hp_space = make_hp_space(case["lr_low"], case["lr_high"], list(case["batch_sizes"]), case["max_epochs"])
    expect(callable(hp_space), "`make_hp_space` should return a function `hp_space(trial)` (not call it), "
           f"got a {type(hp_space).__name__}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=case["seed"]))
    seen = []
    for _ in range(case["trials"]):
        trial = study.ask()
        returned = hp_space(trial)
        expect(hasattr(returned, "items"), "hp_space(trial) should return a dict of hyperparameter name → value, "
               f"got a {type(returned).__name__}")
        seen.append({"returned": {str(k): v for k, v in returned.items()}, "params": dict(trial.params),
                     "distributions": {name: json.loads(distribution_to_json(d))
                                       for name, d in trial.distributions.items()}})
        study.tell(trial, 0.0)
    return seen


def _expected_space(case):
    return {
        "learning_rate": {"name": "FloatDistribution", "low": case["lr_low"], "high": case["lr_high"], "log": True,
                          "step": None},
        "per_device_train_batch_size": {"name": "CategoricalDistribution", "choices": sorted(case["batch_sizes"])},
        "num_train_epochs": {"name": "IntDistribution", "low": 1, "high": case["max_epochs"], "log": False, "step": 1},
        "weight_decay": {"name": "FloatDistribution", "low": 0.0, "high": 0.1, "log": False, "step": None},
    }


def _describe_distribution(d: dict) -> str:
    a = d.get("attributes", {})
    name = d.get("name", "?")
    if name == "CategoricalDistribution":
        return f"suggest_categorical over {a.get('choices')}"
    kind = "suggest_int" if name == "IntDistribution" else "suggest_float"
    extra = ", log=True" if a.get("log") else (f", step={a.get('step')}" if a.get("step") not in (None, 1) else "")
    return f"{kind}({a.get('low')!r}, {a.get('high')!r}{extra})"


def _compare_space(got, want, case):
    where = (f"for make_hp_space({case['lr_low']:g}, {case['lr_high']:g}, {case['batch_sizes']}, "
             f"{case['max_epochs']})")
    for trial in got:
        returned, params, dists = trial["returned"], trial["params"], trial["distributions"]
        keys = set(returned)
        expect(keys == set(NAMES), f"{where}: hp_space returned the keys {sorted(keys)}; expected exactly "
               f"{list(NAMES)} — the Trainer sets each as a TrainingArguments field, so the names must be those")
        expect(set(dists) == set(NAMES), f"{where}: the trial was asked for {sorted(dists)}; suggest each "
               f"hyperparameter under its own key's name ({list(NAMES)})")
        for name in NAMES:
            expect(returned[name] == params[name], f"{where}: hp_space returned {name}={describe(returned[name])} "
                   f"but the trial suggested {describe(params[name])}: return the suggested values")
            d, w = dists[name], want[name]
            a = d.get("attributes", {})
            if w["name"] == "CategoricalDistribution":
                ok = d.get("name") == w["name"] and sorted(a.get("choices", [])) == w["choices"] \
                    and len(a.get("choices", [])) == len(w["choices"])
                expect(ok, f"{where}: {name} is drawn with {_describe_distribution(d)}; expected "
                       f"suggest_categorical over exactly the batch sizes given, {case['batch_sizes']} (a categorical "
                       "choice: an integer range would also try sizes nobody asked for)")
                continue
            same = d.get("name") == w["name"] and all(
                (a.get(k) == w[k]) if not isinstance(w[k], float) else
                (isinstance(a.get(k), (int, float)) and math.isclose(a.get(k), w[k], rel_tol=1e-12))
                for k in ("low", "high", "log", "step"))
            if not same:
                hint = {"learning_rate": "a float between lr_low and lr_high on a log scale (`log=True`): each factor "
                                         "of 10 gets the same share of the trials",
                        "num_train_epochs": "an integer from 1 to max_epochs, both included (`suggest_int`)",
                        "weight_decay": "a float from 0.0 to 0.1 on a linear scale"}[name]
                raise Incorrect(f"{where}: {name} is drawn with {_describe_distribution(d)}; expected {hint}")


# -- Exercise 3: the best trial under a budget -------------------------------------------------------------
STEPS_PER_EPOCH = 8


def _trial(state, quality, cost, sign, rng):
    """A trial as plain data: its value follows its quality (higher quality = better in either direction)."""
    final = round(0.55 + 0.4 * quality, 4) if sign > 0 else round(0.75 - 0.4 * quality, 4)
    curve = [round(final - sign * 0.03 * (cost - 1 - e) + float(rng.normal(0, 0.002)), 4) for e in range(cost)]
    if curve:
        curve[-1] = final
    value = final if state in ("COMPLETE", "PRUNED") and cost else None
    return {"state": state if cost or state != "PRUNED" else "FAIL", "value": value,
            "learning_rate": float(f"{10 ** rng.uniform(-5, -3):.3g}"),
            "intermediate": [[STEPS_PER_EPOCH * (e + 1), v] for e, v in enumerate(curve)]}


def _budget_case(rng, direction: str, slack: int):
    sign = 1 if direction == "maximize" else -1
    k = int(rng.integers(4, 7))  # trials inside the budget
    best_in = k - 1 if slack == 0 else int(rng.integers(0, k - 1))
    pruned_in = int(rng.choice([i for i in range(1, k) if i != best_in]))
    fail_in = int(rng.choice([i for i in range(1, k) if i not in (best_in, pruned_in)])) if k >= 5 else None
    qualities = list(rng.uniform(0.05, 0.45, size=k))
    trials = []
    for i in range(k):
        if i == pruned_in:
            trials.append(_trial("PRUNED", 0.8 + float(rng.uniform(0, 0.05)), 1, sign, rng))
        elif i == fail_in:
            trials.append(_trial("FAIL", 0.0, int(rng.integers(0, 2)), sign, rng))
        else:
            quality = 0.6 + float(rng.uniform(0, 0.05)) if i == best_in else float(qualities[i])
            trials.append(_trial("COMPLETE", quality, int(rng.integers(2, 5)), sign, rng))
    budget = sum(len(t["intermediate"]) for t in trials) + slack
    trials.append(_trial("COMPLETE", 0.95, slack + 2 + int(rng.integers(0, 2)), sign, rng))  # best, too expensive
    if slack:
        trials.append(_trial("COMPLETE", 0.7 + float(rng.uniform(0, 0.05)), 1, sign, rng))  # would fit in the slack
    for _ in range(int(rng.integers(1, 4))):
        state = str(rng.choice(["COMPLETE", "PRUNED"]))
        trials.append(_trial(state, float(rng.uniform(0.1, 0.9)), int(rng.integers(1, 4)), sign, rng))
    return {"direction": direction, "budget": budget, "trials": trials}


def _none_case(rng):
    direction = str(rng.choice(["maximize", "minimize"]))
    sign = 1 if direction == "maximize" else -1
    trials = [_trial("PRUNED", 0.9, 1, sign, rng), _trial("COMPLETE", 0.5, 3, sign, rng),
              _trial("COMPLETE", 0.6, 1, sign, rng)]
    return {"direction": direction, "budget": 2, "trials": trials}


def _budget_cases(rng):
    directions = ["maximize", "minimize"]
    rng.shuffle(directions)
    cases = [_budget_case(rng, directions[0], 0), _budget_case(rng, directions[1], 1)]
    rng.shuffle(cases)
    return cases + [_none_case(rng)]


def build_study(case):
    """The Optuna study of a case (plain data → ``optuna.Study`` with those trials, in order)."""
    import optuna
    from optuna.distributions import FloatDistribution
    from optuna.trial import TrialState, create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=case["direction"])
    dist = {"learning_rate": FloatDistribution(1e-5, 1e-3, log=True)}
    for t in case["trials"]:
        study.add_trial(create_trial(
            state=TrialState[t["state"]], value=t["value"], params={"learning_rate": t["learning_rate"]},
            distributions=dist, intermediate_values={int(s): float(v) for s, v in t["intermediate"]}))
    return study


def _run_budget(best_within_budget, case):
    from optuna.trial import FrozenTrial

    result = best_within_budget(build_study(case), case["budget"])
    if isinstance(result, FrozenTrial):
        raise Incorrect("best_within_budget returned a trial; return its `number` (an int), or None")
    if isinstance(result, np.integer):
        result = int(result)
    expect(result is None or (isinstance(result, int) and not isinstance(result, bool)),
           f"best_within_budget should return a trial number (int) or None, got {type(result).__name__} "
           f"({describe(result, 60)})")
    return result


def _reference_budget(case, *, budget=True, complete_only=True, direction=True, stop=True, strict=False,
                      count_trials=False):
    spent, best = 0, None
    for number, t in enumerate(case["trials"]):
        cost = 1 if count_trials else len(t["intermediate"])
        if budget and (spent + cost > case["budget"] or (strict and spent + cost >= case["budget"])):
            if stop:
                break
            continue
        spent += cost
        ok = t["state"] == "COMPLETE" if complete_only else t["value"] is not None
        if not ok:
            continue
        maximize = case["direction"] == "maximize" or not direction
        if best is None or (t["value"] > best[1] if maximize else t["value"] < best[1]):
            best = (number, t["value"])
    return None if best is None else best[0]


def _expected_budget(case):
    return _reference_budget(case)


_BUDGET_MISTAKES = {
    "that trial finished after the budget was spent: add up the epochs of the trials in order and stop at the "
    "first that would go over": {"budget": False},
    "that trial was pruned: only COMPLETE trials count (a pruned trial's value is its last report, from an "
    "unfinished training)": {"complete_only": False},
    "the study minimises its objective (study.direction): the best trial has the lowest value": {"direction": False},
    "a trial whose cost brings the total exactly to the budget still fits (total ≤ budget)": {"strict": True},
    "the trials run in order: once one does not fit, the budget is spent and the later trials never ran — stop "
    "there, do not skip ahead": {"stop": False},
    "the budget counts epochs (len(trial.intermediate_values) per trial), not trials": {"count_trials": True},
}


def _compare_budget(got, want, case):
    where = (f"for a study of {len(case['trials'])} trials ({case['direction']}) and a budget of "
             f"{case['budget']} epochs")
    if got == want:
        return
    for why, options in _BUDGET_MISTAKES.items():
        if got == _reference_budget(case, **options) != want:
            raise Incorrect(f"{where}: you returned {got!r}; {why}")
    raise Incorrect(f"{where}: you returned {got!r}; expected {want!r}")


# -- the exercises --------------------------------------------------------------------------------------
_LR = ("import math\n"
       "def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps):\n"
       "    if step < warmup_steps:\n"
       "        return base_lr * step / max(1, warmup_steps)\n"
       "    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)\n"
       "    return base_lr * max(0.0, 0.5 * (1 + math.cos(math.pi * progress)))\n")

q1 = Exercise(
    "q1", points=1, target="warmup_cosine_lr",
    cases=_lr_cases, run=_run_lr, expected=_expected_lr, compare=_compare_lr,
    hints=[
        "Two phases. During the warmup (step < warmup_steps) the rate grows in a straight line from 0; after it, "
        "`progress` goes from 0 to 1 between the end of the warmup and total_steps.",
        "`base_lr * step / warmup_steps` during the warmup; then "
        "`base_lr * 0.5 * (1 + math.cos(math.pi * progress))` with "
        "`progress = (step - warmup_steps) / (total_steps - warmup_steps)`.",
    ],
    wrong={
        "linear decay": _LR.replace("max(0.0, 0.5 * (1 + math.cos(math.pi * progress)))", "max(0.0, 1 - progress)"),
        "no warmup": _LR.replace("if step < warmup_steps:", "if False:").replace(
            "(step - warmup_steps) / max(1, total_steps - warmup_steps)", "step / total_steps"),
        "warmup one step ahead": _LR.replace("base_lr * step / max(1, warmup_steps)",
                                             "base_lr * (step + 1) / max(1, warmup_steps)"),
        "progress from step 0": _LR.replace("(step - warmup_steps) / max(1, total_steps - warmup_steps)",
                                            "step / total_steps"),
        "full cosine cycle": _LR.replace("math.pi * progress", "2 * math.pi * progress"),
        "the multiplier only": _LR.replace("return base_lr * step", "return step").replace(
            "return base_lr * max", "return max"),
    },
)

_SPACE = ("def make_hp_space(lr_low, lr_high, batch_sizes, max_epochs):\n"
          "    def hp_space(trial):\n"
          "        return {\n"
          "            'learning_rate': trial.suggest_float('learning_rate', lr_low, lr_high, log=True),\n"
          "            'per_device_train_batch_size': trial.suggest_categorical('per_device_train_batch_size', "
          "batch_sizes),\n"
          "            'num_train_epochs': trial.suggest_int('num_train_epochs', 1, max_epochs),\n"
          "            'weight_decay': trial.suggest_float('weight_decay', 0.0, 0.1),\n"
          "        }\n"
          "    return hp_space\n")

q2 = Exercise(
    "q2", points=1, target="make_hp_space",
    cases=_space_cases, run=_run_space, expected=_expected_space, compare=_compare_space,
    hints=[
        "Define `def hp_space(trial): ...` inside `make_hp_space` and return it; inside, one `trial.suggest_*` call "
        "per hyperparameter, each named like its key.",
        "`trial.suggest_float('learning_rate', lr_low, lr_high, log=True)`, "
        "`trial.suggest_categorical('per_device_train_batch_size', batch_sizes)`, "
        "`trial.suggest_int('num_train_epochs', 1, max_epochs)`, `trial.suggest_float('weight_decay', 0.0, 0.1)`.",
    ],
    wrong={
        "learning rate on a linear scale": _SPACE.replace(", lr_low, lr_high, log=True)", ", lr_low, lr_high)"),
        "epochs as a float": _SPACE.replace("trial.suggest_int('num_train_epochs', 1, max_epochs)",
                                            "trial.suggest_float('num_train_epochs', 1, max_epochs)"),
        "epochs from 0": _SPACE.replace("suggest_int('num_train_epochs', 1, max_epochs)",
                                        "suggest_int('num_train_epochs', 0, max_epochs)"),
        "max_epochs excluded": _SPACE.replace("suggest_int('num_train_epochs', 1, max_epochs)",
                                              "suggest_int('num_train_epochs', 1, max_epochs - 1)"),
        "batch size as an integer range": _SPACE.replace(
            "trial.suggest_categorical('per_device_train_batch_size', batch_sizes)",
            "trial.suggest_int('per_device_train_batch_size', min(batch_sizes), max(batch_sizes))"),
        "short names": _SPACE.replace("'learning_rate': trial.suggest_float('learning_rate'",
                                      "'lr': trial.suggest_float('lr'"),
        "weight decay on a log scale from 1e-4": _SPACE.replace("suggest_float('weight_decay', 0.0, 0.1)",
                                                                "suggest_float('weight_decay', 1e-4, 0.1, log=True)"),
    },
)

_BUDGET = ("def best_within_budget(study, budget):\n"
           "    spent, best = 0, None\n"
           "    maximize = study.direction.name == 'MAXIMIZE'\n"
           "    for trial in sorted(study.trials, key=lambda t: t.number):\n"
           "        spent += len(trial.intermediate_values)\n"
           "        if spent > budget:\n"
           "            break\n"
           "        if trial.state.name != 'COMPLETE':\n"
           "            continue\n"
           "        if best is None or (trial.value > best.value if maximize else trial.value < best.value):\n"
           "            best = trial\n"
           "    return None if best is None else best.number\n")

q3 = Exercise(
    "q3", points=2, target="best_within_budget",
    cases=_budget_cases, run=_run_budget, expected=_expected_budget, compare=_compare_budget,
    hints=[
        "Walk through `study.trials` in order, adding `len(trial.intermediate_values)` to a running total; stop at "
        "the first trial that takes the total over `budget`.",
        "Among the trials you passed, keep those with `trial.state.name == 'COMPLETE'` and take the best `value` — "
        "the largest when `study.direction.name == 'MAXIMIZE'`, else the smallest; return its `.number`.",
    ],
    wrong={
        "ignores the budget": "def best_within_budget(study, budget):\n    return study.best_trial.number\n",
        "counts pruned trials": _BUDGET.replace("if trial.state.name != 'COMPLETE':", "if trial.value is None:"),
        "always maximises": _BUDGET.replace("study.direction.name == 'MAXIMIZE'", "True"),
        "total must stay below the budget": _BUDGET.replace("if spent > budget:", "if spent >= budget:"),
        "skips trials that do not fit": _BUDGET.replace(
            "        spent += len(trial.intermediate_values)\n        if spent > budget:\n            break\n",
            "        if spent + len(trial.intermediate_values) > budget:\n            continue\n"
            "        spent += len(trial.intermediate_values)\n"),
        "budget counted in trials": _BUDGET.replace("spent += len(trial.intermediate_values)", "spent += 1"),
        "returns the trial": _BUDGET.replace("return None if best is None else best.number", "return best"),
    },
)

EXERCISES = [q1, q2, q3]
