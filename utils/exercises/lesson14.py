"""Lesson 14 exercises: latency percentiles after a warm-up, a model folder's size on disk, a distillation loss.

Each grading draws new inputs: call times whose first (warm-up) calls are many times slower than the rest and
whose counts make the interpolated 95th percentile differ from a sorted-list index; folder layouts with files
in nested subfolders, hidden files and files without an extension, with sizes drawn so that MB and MiB differ
visibly; and student/teacher logits of drawn batch sizes and class counts with drawn temperatures and weights
(temperature ≠ 1, alpha ≠ 0.5), so that a missing T², the wrong KL reduction or direction, or swapped weights
all change the value. The distillation check also back-propagates through the learner's loss.
"""
from __future__ import annotations

import warnings

import numpy as np

from utils.grading import Exercise, Incorrect, close, expect
from utils.grading.plain import describe


# -- Exercise 1: latency percentiles, warm-up excluded ----------------------------------------------------
def _latency_cases(rng):
    cases = []
    for _ in range(2):
        warmup = int(rng.integers(2, 6))
        n = int(rng.choice([23, 27, 31, 38, 43]))  # counts where p95 falls between two sorted values
        base = float(rng.uniform(0.004, 0.03))  # seconds per call once warm
        steady = base * (1 + rng.gamma(2.0, 0.15, size=n))  # a right-skewed tail
        cold = base * rng.uniform(8, 40, size=warmup)  # first calls: allocation, kernel selection, caches
        cases.append({"seconds": [round(float(x), 7) for x in np.concatenate([cold, steady])], "warmup": warmup})
    return cases


def _run_latency(latency_percentiles, case):
    got = latency_percentiles(list(case["seconds"]), case["warmup"])
    expect(isinstance(got, dict), f"latency_percentiles should return a dict, got a {type(got).__name__} "
           f"({describe(got, 60)})")
    expect(set(got) >= {"p50", "p95"}, f"the dict should have the keys 'p50' and 'p95'; it has {sorted(map(str, got))}")
    try:
        return {"p50": float(got["p50"]), "p95": float(got["p95"])}
    except (TypeError, ValueError):
        raise Incorrect(f"p50 and p95 should be numbers, got {describe(got, 80)}") from None


def _percentiles(seconds, warmup, scale=1000.0, how="linear", reduce=None):
    kept = np.asarray(seconds[warmup:], dtype=float) * scale
    if how == "index":
        ordered = np.sort(kept)
        return {"p50": float(ordered[len(ordered) // 2]), "p95": float(ordered[int(0.95 * len(ordered))])}
    p50 = float(kept.mean()) if reduce == "mean" else float(np.percentile(kept, 50))
    return {"p50": p50, "p95": float(np.percentile(kept, 95))}


def _expected_latency(case):
    return _percentiles(case["seconds"], case["warmup"])


def _compare_latency(got, want, case):
    seconds, warmup = case["seconds"], case["warmup"]
    where = f"for {len(seconds)} call times with warmup={warmup}"
    mistakes = {
        "the warm-up calls are included; leave the first `warmup` times out": _percentiles(seconds, 0),
        "the times are in seconds; return milliseconds (× 1000)": _percentiles(seconds, warmup, scale=1.0),
        "the last `warmup` calls were dropped instead of the first": _percentiles(seconds[:-warmup], 0),
        "p50 is the median, not the mean": _percentiles(seconds, warmup, reduce="mean"),
        "the percentiles are read at a sorted-list index; use np.percentile (linear interpolation)":
            _percentiles(seconds, warmup, how="index"),
    }
    vector = np.array([got["p50"], got["p95"]])
    for why, value in mistakes.items():
        other = np.array([value["p50"], value["p95"]])
        if np.allclose(vector, other, rtol=1e-6) and not np.allclose(other, [want["p50"], want["p95"]], rtol=1e-6):
            raise Incorrect(f"{where}: {why}")
    close(vector, np.array([want["p50"], want["p95"]]), what=f"[p50, p95] {where}", atol=1e-9, rtol=1e-6)


# -- Exercise 2: a model folder's size on disk ----------------------------------------------------------------
NAMES = ["config.json", "model.safetensors", "model.onnx", "tokenizer.json", "vocab.txt", "README.md",
         "special_tokens_map.json", "merges.txt"]
NO_EXTENSION = ["LICENSE", "VERSION", "NOTICE"]
HIDDEN = [".complete", ".gitattributes"]
SUBFOLDERS = ["onnx", "int8", "checkpoint-500", "tokenizer"]


def _size_cases(rng):
    cases = []
    for as_string in (True, False):
        files = {}
        for name in rng.choice(NAMES, size=3, replace=False):
            files[str(name)] = int(rng.integers(200, 400_000))
        files[str(rng.choice(NO_EXTENSION))] = int(rng.integers(1_000, 30_000))
        files[str(rng.choice(HIDDEN))] = int(rng.integers(50, 500))
        sub = str(rng.choice(SUBFOLDERS))
        files[f"{sub}/{rng.choice(['model.onnx', 'model.safetensors'])}"] = int(rng.integers(1_500_000, 3_000_000))
        files[f"{sub}/nested/{rng.choice(NAMES)}"] = int(rng.integers(1_000, 50_000))
        cases.append({"files": files, "as_string": as_string})
    return cases


def _run_size(folder_size_mb, case):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "model"
        for name, size in case["files"].items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(b"\0" * size)
        got = folder_size_mb(str(root) if case["as_string"] else root)
    if hasattr(got, "item"):
        got = got.item()
    expect(isinstance(got, (int, float)) and not isinstance(got, bool),
           f"folder_size_mb should return a number, got a {type(got).__name__} ({describe(got, 60)})")
    return float(got)


def _expected_size(case):
    return sum(case["files"].values()) / 1e6


def _compare_size(got, want, case):
    files = case["files"]
    kind = "a string" if case["as_string"] else "a pathlib.Path"
    where = f"for a folder ({kind}) holding {describe(files, 200)}"
    top = sum(size for name, size in files.items() if "/" not in name)
    dotted = sum(size for name, size in files.items() if "." in name.split("/")[-1])
    visible = sum(size for name, size in files.items() if not name.split("/")[-1].startswith("."))
    total = sum(files.values())
    mistakes = {
        "the files in subfolders are missing: walk the whole tree (`Path.rglob('*')` or `os.walk`)": top / 1e6,
        "that is MiB (2²⁰ bytes); 1 MB is 10⁶ bytes": total / 2 ** 20,
        "that is in bytes; divide by 10⁶ for MB": float(total),
        "that is in kB; 1 MB is 10⁶ bytes": total / 1e3,
        "files without an extension are missing (a pattern like '*.*' skips them)": dotted / 1e6,
        "hidden files (names starting with '.') are missing; count every file": visible / 1e6,
    }
    for why, value in mistakes.items():
        if np.isclose(got, value, rtol=1e-9, atol=0) and not np.isclose(value, want, rtol=1e-9, atol=0):
            raise Incorrect(f"{where}: {why}")
    close(got, want, what=f"the size in MB {where}", atol=1e-9, rtol=1e-9)


# -- Exercise 3: the distillation loss ----------------------------------------------------------------------
def _distill_cases(rng):
    cases = []
    for _ in range(2):
        batch, classes = int(rng.integers(3, 9)), int(rng.integers(2, 6))
        cases.append({
            "student": rng.normal(scale=2.0, size=(batch, classes)).round(4).tolist(),
            "teacher": rng.normal(scale=3.0, size=(batch, classes)).round(4).tolist(),
            "labels": [int(x) for x in rng.integers(0, classes, size=batch)],
            "temperature": float(rng.choice([1.5, 2.0, 3.0, 4.0])),
            "alpha": float(rng.choice([0.25, 0.3, 0.7, 0.8, 0.9])),
        })
    return cases


def _run_distill(distillation_loss, case):
    import torch

    student = torch.tensor(case["student"], dtype=torch.float64, requires_grad=True)
    teacher = torch.tensor(case["teacher"], dtype=torch.float64)
    labels = torch.tensor(case["labels"], dtype=torch.long)
    loss = distillation_loss(student, teacher, labels, case["temperature"], case["alpha"])
    expect(isinstance(loss, torch.Tensor), f"distillation_loss should return a torch tensor (the Trainer calls "
           f"`.backward()` on it), got a {type(loss).__name__}")
    expect(loss.dim() == 0, f"the loss should be one number (a 0-dimensional tensor), got shape {tuple(loss.shape)}")
    expect(loss.requires_grad, "the loss does not depend on the student's logits through autograd: keep it a "
           "tensor (no `.item()`, `.detach()` or NumPy in between)")
    loss.backward()
    return {"loss": float(loss.detach()), "grad": student.grad.tolist()}


def _loss(case, t2=True, reduction="batchmean", swap=False, teacher_t=True, student_t=True, swap_alpha=False,
          soft_ce=False):
    import torch
    import torch.nn.functional as F

    s = torch.tensor(case["student"], dtype=torch.float64, requires_grad=True)
    t = torch.tensor(case["teacher"], dtype=torch.float64)
    y = torch.tensor(case["labels"], dtype=torch.long)
    T, a = case["temperature"], case["alpha"]
    if swap_alpha:
        a = 1 - a
    s_soft, t_soft = s / T if student_t else s, t / T if teacher_t else t
    first, second = (t_soft, s_soft) if swap else (s_soft, t_soft)
    with warnings.catch_warnings():  # reduction="mean" warns that it is not the mathematical KL: that is the point
        warnings.simplefilter("ignore")
        soft = F.kl_div(F.log_softmax(first, -1), F.softmax(second, -1), reduction=reduction)
    hard = F.cross_entropy(s / T if soft_ce else s, y)
    loss = a * (T ** 2 if t2 else 1) * soft + (1 - a) * hard
    loss.backward()
    return {"loss": float(loss.detach()), "grad": s.grad.tolist()}


def _expected_distill(case):
    return _loss(case)


def _compare_distill(got, want, case):
    where = (f"for a batch of {len(case['labels'])} × {len(case['student'][0])} logits, "
             f"T={case['temperature']:g}, alpha={case['alpha']:g}")
    mistakes = {
        "the soft term is not multiplied by T²": dict(t2=False),
        "the KL divergence is averaged over every element (reduction='mean'); use reduction='batchmean' "
        "(sum over classes, mean over the batch)": dict(reduction="mean"),
        "the KL divergence is summed over the batch too (reduction='sum'); use 'batchmean'": dict(reduction="sum"),
        "the KL divergence goes the wrong way: `F.kl_div(log_softmax(student / T), softmax(teacher / T))` is "
        "KL(teacher ‖ student)": dict(swap=True),
        "the teacher's logits are not divided by the temperature": dict(teacher_t=False),
        "the student's logits are not divided by the temperature in the soft term": dict(student_t=False),
        "alpha weighs the wrong term: alpha multiplies the soft (teacher) term, 1 − alpha the cross-entropy":
            dict(swap_alpha=True),
        "the cross-entropy with the labels uses the softened logits; use the student's raw logits": dict(soft_ce=True),
    }
    for why, options in mistakes.items():
        value = _loss(case, **options)
        if np.isclose(got["loss"], value["loss"], rtol=1e-6) and not np.isclose(value["loss"], want["loss"], rtol=1e-6):
            raise Incorrect(f"{where}: {why}")
    close(got["loss"], want["loss"], what=f"the loss {where}", atol=1e-9, rtol=1e-6)
    close(np.asarray(got["grad"]), np.asarray(want["grad"]), what=f"the gradient with respect to the student's "
          f"logits {where}", atol=1e-9, rtol=1e-5)


# -- the exercises ---------------------------------------------------------------------------------------------
def _latency_answer(body: str) -> str:
    return ("import numpy as np\n"
            "def latency_percentiles(seconds, warmup):\n"
            f"{body}")


def _size_answer(files: str, scale: str = "1e6") -> str:
    return ("from pathlib import Path\n"
            "def folder_size_mb(path):\n"
            f"    return sum(f.stat().st_size for f in {files} if f.is_file()) / {scale}")


def _distill_answer(soft: str = "F.kl_div(F.log_softmax(s / T, -1), F.softmax(t / T, -1), reduction='batchmean')",
                    total: str = "alpha * T ** 2 * soft + (1 - alpha) * F.cross_entropy(s, y)") -> str:
    return ("import torch.nn.functional as F\n"
            "def distillation_loss(s, t, y, T, alpha):\n"
            f"    soft = {soft}\n"
            f"    return {total}")


q1 = Exercise(
    "q1", points=1, target="latency_percentiles",
    cases=_latency_cases, run=_run_latency, expected=_expected_latency, compare=_compare_latency,
    hints=[
        "Drop the warm-up calls first (`seconds[warmup:]`), convert to milliseconds, then take the percentiles.",
        "`ms = np.asarray(seconds[warmup:]) * 1000` and `np.percentile(ms, 50)`, `np.percentile(ms, 95)`.",
    ],
    wrong={
        "warm-up included": _latency_answer(
            "    ms = np.asarray(seconds) * 1000\n"
            "    return {'p50': np.percentile(ms, 50), 'p95': np.percentile(ms, 95)}"),
        "seconds, not milliseconds": _latency_answer(
            "    s = np.asarray(seconds[warmup:])\n"
            "    return {'p50': np.percentile(s, 50), 'p95': np.percentile(s, 95)}"),
        "mean instead of median": _latency_answer(
            "    ms = np.asarray(seconds[warmup:]) * 1000\n"
            "    return {'p50': ms.mean(), 'p95': np.percentile(ms, 95)}"),
        "sorted-list index": _latency_answer(
            "    ms = sorted(np.asarray(seconds[warmup:]) * 1000)\n"
            "    return {'p50': ms[len(ms) // 2], 'p95': ms[int(0.95 * len(ms))]}"),
        "the last calls dropped": _latency_answer(
            "    ms = np.asarray(seconds[:-warmup]) * 1000\n"
            "    return {'p50': np.percentile(ms, 50), 'p95': np.percentile(ms, 95)}"),
    },
)

q2 = Exercise(
    "q2", points=1, target="folder_size_mb",
    cases=_size_cases, run=_run_size, expected=_expected_size, compare=_compare_size,
    hints=[
        "Walk every file below the folder, subfolders included, and add up their sizes in bytes.",
        "`sum(f.stat().st_size for f in Path(path).rglob('*') if f.is_file()) / 1e6`",
    ],
    wrong={
        "top level only": _size_answer("Path(path).iterdir()"),
        "MiB": _size_answer("Path(path).rglob('*')", scale="2 ** 20"),
        "bytes": _size_answer("Path(path).rglob('*')", scale="1"),
        "files with an extension only": _size_answer("Path(path).rglob('*.*')"),
        "no hidden files": _size_answer("Path(path).rglob('*') if not f.name.startswith('.')"),
    },
)

q3 = Exercise(
    "q3", points=2, target="distillation_loss",
    cases=_distill_cases, run=_run_distill, expected=_expected_distill, compare=_compare_distill,
    hints=[
        "Soft term: `F.kl_div(F.log_softmax(student / T, -1), F.softmax(teacher / T, -1), reduction='batchmean')`.",
        "Total: `alpha * T**2 * soft + (1 - alpha) * F.cross_entropy(student, labels)`.",
    ],
    wrong={
        "no T²": _distill_answer(total="alpha * soft + (1 - alpha) * F.cross_entropy(s, y)"),
        "reduction='mean'": _distill_answer(
            soft="F.kl_div(F.log_softmax(s / T, -1), F.softmax(t / T, -1), reduction='mean')"),
        "KL the wrong way round": _distill_answer(
            soft="F.kl_div(F.log_softmax(t / T, -1), F.softmax(s / T, -1), reduction='batchmean')"),
        "teacher not softened": _distill_answer(
            soft="F.kl_div(F.log_softmax(s / T, -1), F.softmax(t, -1), reduction='batchmean')"),
        "alpha on the wrong term": _distill_answer(total="(1 - alpha) * T ** 2 * soft + alpha * F.cross_entropy(s, y)"),
        "a float, not a tensor": _distill_answer(
            total="(alpha * T ** 2 * soft + (1 - alpha) * F.cross_entropy(s, y)).item()"),
    },
)

EXERCISES = [q1, q2, q3]
