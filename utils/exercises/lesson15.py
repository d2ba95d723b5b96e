"""Lesson 15 exercises: request payloads, latency percentiles, Prometheus text, a promotion gate."""
from __future__ import annotations

import math

from utils.grading import Exercise, expect

# Hidden inputs for q1: (texts, max_texts, max_chars).
_HIDDEN_TEXTS = [
    (["A fine film.", "   ", "Dull.", "", "x" * 30, "\n\t", "Great fun!"], 2, 10),
    ([f"review number {i}" for i in range(7)], 3, 2000),
    ([f"review number {i}" for i in range(6)], 3, 5),
    (["  padded text  ", "ok"], 64, 4),
    ([" ", ""], 4, 100),
    ([], 8, 100),
]

# Hidden latency lists for q2, in seconds.
_HIDDEN_LATENCIES = [
    [0.012, 0.015, 0.011, 0.250, 0.013, 0.014, 0.016, 0.012, 0.011, 0.090],
    [0.5],
    [0.020 + 0.001 * i for i in range(37)],
    (0.3, 0.1, 0.2),
]

# Hidden /metrics text for q3 (what prometheus_client writes), and the queries with their answers.
_HIDDEN_METRICS = """\
# HELP serving_requests_total HTTP requests by endpoint and status
# TYPE serving_requests_total counter
serving_requests_total{endpoint="/predict",status="200"} 41.0
serving_requests_total{endpoint="/predict",status="422"} 3.0
serving_requests_total{endpoint="/feedback",status="200"} 7.0
# HELP serving_batch_size Texts per forward pass
# TYPE serving_batch_size histogram
serving_batch_size_bucket{le="1.0"} 12.0
serving_batch_size_bucket{le="8.0"} 20.0
serving_batch_size_bucket{le="+Inf"} 23.0
serving_batch_size_count 23.0
serving_batch_size_sum 131.0
# HELP serving_rolling_quality Rolling quality over recent feedback
# TYPE serving_rolling_quality gauge
serving_rolling_quality{metric="accuracy"} 0.8125
serving_rolling_quality{metric="f1"} 0.7931034482758621
# HELP serving_drift_psi PSI of recent predictions against the reference
# TYPE serving_drift_psi gauge
serving_drift_psi{feature="length"} 0.31415
"""
_HIDDEN_QUERIES = [
    ("serving_requests_total", {"endpoint": "/predict", "status": "422"}, 3.0),
    ("serving_requests_total", {"endpoint": "/feedback", "status": "200"}, 7.0),
    ("serving_batch_size_count", None, 23.0),
    ("serving_batch_size_sum", {}, 131.0),
    ("serving_batch_size_bucket", {"le": "8.0"}, 20.0),
    ("serving_rolling_quality", {"metric": "f1"}, 0.7931034482758621),
    ("serving_drift_psi", {"feature": "length"}, 0.31415),
]
_HIDDEN_MISSING = [
    ("serving_requests_total", {"endpoint": "/predict", "status": "500"}),
    ("serving_latency_seconds_count", None),
]

# Hidden (candidate, production, options, expected) cases for q4.
_PROD = {"version": "sentiment@aaaaaaaaaaaa", "f1": 0.80, "p95_ms": 40.0}
_HIDDEN_RELEASES = [
    ({"version": "sentiment@bbbbbbbbbbbb", "f1": 0.83, "p95_ms": 42.0}, _PROD, {}, "promote"),
    ({"version": "sentiment@bbbbbbbbbbbb", "f1": 0.83, "p95_ms": 60.0}, _PROD, {}, "hold"),
    ({"version": "sentiment@bbbbbbbbbbbb", "f1": 0.78, "p95_ms": 10.0}, _PROD, {}, "hold"),
    ({"version": "sentiment@aaaaaaaaaaaa", "f1": 0.90, "p95_ms": 30.0}, _PROD, {}, "hold"),
    ({"version": "sentiment@cccccccccccc", "f1": 0.805, "p95_ms": 40.0}, _PROD, {"min_f1_gain": 0.01}, "hold"),
    ({"version": "sentiment@cccccccccccc", "f1": 0.82, "p95_ms": 40.0}, _PROD, {"min_f1_gain": 0.01}, "promote"),
    ({"version": "sentiment@dddddddddddd", "f1": 0.81, "p95_ms": 70.0}, _PROD, {"max_p95_ratio": 2.0}, "promote"),
    ({"version": "sentiment@dddddddddddd", "f1": 0.80, "p95_ms": 48.0}, _PROD, {}, "promote"),
]


def _expected_payloads(texts, max_texts, max_chars):
    kept = [t[:max_chars] for t in texts if t.strip()]
    return [{"texts": kept[i:i + max_texts]} for i in range(0, len(kept), max_texts)]


def _grade_batch_payloads(batch_payloads) -> None:
    expect(callable(batch_payloads), "`batch_payloads` should be a function of (texts, max_texts, max_chars)")
    for texts, max_texts, max_chars in _HIDDEN_TEXTS:
        got = batch_payloads(list(texts), max_texts=max_texts, max_chars=max_chars)
        want = _expected_payloads(texts, max_texts, max_chars)
        expect(isinstance(got, list), f"return a list of payload dicts, got {type(got).__name__}")
        expect(all(isinstance(p, dict) and set(p) == {"texts"} for p in got),
               'each payload is a dict with the single key "texts" (the service refuses unknown fields)')
        sent = [t for p in got for t in p["texts"]]
        expected_sent = [t for p in want for t in p["texts"]]
        expect(not any(not t.strip() for t in sent), "drop empty and whitespace-only texts: the service answers 422")
        expect(all(len(t) <= max_chars for t in sent), f"cut each text to at most max_chars={max_chars} characters")
        expect(all(len(p["texts"]) <= max_texts for p in got),
               f"a payload carries at most max_texts={max_texts} texts")
        expect(all(p["texts"] for p in got), "do not send empty batches (an empty list is refused)")
        expect(sent == expected_sent, "keep every non-blank text, in the original order, cut from its start "
                                      "(`text[:max_chars]`)")
        expect(got == want, "fill each payload up to max_texts before starting the next one")


def _grade_latency_summary(latency_summary) -> None:
    import numpy as np

    expect(callable(latency_summary), "`latency_summary` should be a function of a list of latencies in seconds")
    for latencies in _HIDDEN_LATENCIES:
        got = latency_summary(latencies)
        expect(isinstance(got, dict), f"return a dict, got {type(got).__name__}")
        missing = {"n", "p50_ms", "p95_ms", "mean_ms"} - set(got)
        expect(not missing, f"the dict lacks {sorted(missing)}")
        ms = np.asarray(latencies, dtype=float) * 1000
        want = {"n": len(ms), "p50_ms": np.percentile(ms, 50), "p95_ms": np.percentile(ms, 95), "mean_ms": ms.mean()}
        expect(int(got["n"]) == want["n"], f"n is {got['n']}; expected the number of latencies, {want['n']}")
        for key in ("p50_ms", "p95_ms", "mean_ms"):
            expect(math.isclose(float(got[key]), want[key], rel_tol=1e-6, abs_tol=1e-9),
                   f"{key} is {float(got[key]):.4f} on a hidden list; expected {want[key]:.4f} "
                   "(milliseconds; np.percentile with its default linear interpolation)")
    try:
        latency_summary([])
    except ValueError:
        pass
    else:
        raise AssertionError("an empty list has no percentiles: raise ValueError with a clear message")


def _grade_metric_value(metric_value) -> None:
    expect(callable(metric_value), "`metric_value` should be a function of (metrics_text, name, labels=None)")
    for name, labels, want in _HIDDEN_QUERIES:
        got = metric_value(_HIDDEN_METRICS, name, labels)
        expect(isinstance(got, float), f"return the value as a float, got {type(got).__name__} for {name}")
        expect(math.isclose(got, want, rel_tol=1e-12), f"{name} {labels or ''} is {want} in a hidden text; you returned {got}")
    for name, labels in _HIDDEN_MISSING:
        try:
            metric_value(_HIDDEN_METRICS, name, labels)
        except KeyError:
            continue
        raise AssertionError(f"no sample matches {name} {labels or ''}: raise KeyError instead of returning a value")


def _grade_promote(promote_decision) -> None:
    expect(callable(promote_decision), "`promote_decision` should be a function of (candidate, production, ...)")
    for candidate, production, options, want in _HIDDEN_RELEASES:
        got = promote_decision(dict(candidate), dict(production), **options)
        expect(got in ("promote", "hold"), f'return "promote" or "hold", got {got!r}')
        expect(got == want, f"candidate {candidate} vs production {production} with {options or 'the defaults'}: "
                            f"expected {want!r}, got {got!r}")


q1 = Exercise(
    "q1", points=2, target="batch_payloads", grade=_grade_batch_payloads,
    prompt="Write `batch_payloads(texts, max_texts=64, max_chars=2000)` returning the list of JSON bodies "
           '`{"texts": [...]}` for `POST /predict`: drop empty or whitespace-only texts, cut each text to its first '
           "`max_chars` characters, and put at most `max_texts` texts in each body, in order.",
    hints=[
        "First build the cleaned list: `kept = [t[:max_chars] for t in texts if t.strip()]`.",
        "Then slice it in steps of `max_texts`: `range(0, len(kept), max_texts)`.",
    ],
    solution="def batch_payloads(texts, max_texts=64, max_chars=2000):\n"
             "    kept = [t[:max_chars] for t in texts if t.strip()]\n"
             '    return [{"texts": kept[i:i + max_texts]} for i in range(0, len(kept), max_texts)]',
)

q2 = Exercise(
    "q2", points=1, target="latency_summary", grade=_grade_latency_summary,
    prompt="Write `latency_summary(latencies)`: from latencies in seconds return "
           '`{"n": count, "p50_ms": ..., "p95_ms": ..., "mean_ms": ...}` in milliseconds (use `np.percentile`); '
           "raise `ValueError` for an empty list.",
    hints=[
        "`ms = np.asarray(latencies, dtype=float) * 1000`",
        "`np.percentile(ms, 50)` is the median; `np.percentile(ms, 95)` the 95th percentile.",
    ],
    solution="def latency_summary(latencies):\n"
             "    if len(latencies) == 0:\n"
             "        raise ValueError('no latencies to summarise')\n"
             "    ms = np.asarray(latencies, dtype=float) * 1000\n"
             "    return {'n': len(ms), 'p50_ms': float(np.percentile(ms, 50)),\n"
             "            'p95_ms': float(np.percentile(ms, 95)), 'mean_ms': float(ms.mean())}",
)

q3 = Exercise(
    "q3", points=2, target="metric_value", grade=_grade_metric_value,
    prompt="Write `metric_value(metrics_text, name, labels=None)` returning (as a float) the value of the first "
           "sample called `name` whose labels include all of `labels`, read from Prometheus text with "
           "`prometheus_client.parser.text_string_to_metric_families`; raise `KeyError` when none matches.",
    hints=[
        "Each family has `.samples`; a sample has `.name`, `.labels` (a dict) and `.value`.",
        "A sample matches when `sample.name == name` and `all(sample.labels.get(k) == v for k, v in labels.items())`.",
        "Histogram series such as `serving_batch_size_count` are samples of the family `serving_batch_size`.",
    ],
    solution="def metric_value(metrics_text, name, labels=None):\n"
             "    labels = labels or {}\n"
             "    for family in text_string_to_metric_families(metrics_text):\n"
             "        for sample in family.samples:\n"
             "            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):\n"
             "                return float(sample.value)\n"
             "    raise KeyError(f'no sample {name} with labels {labels}')",
)

q4 = Exercise(
    "q4", points=1, target="promote_decision", grade=_grade_promote,
    prompt='Write `promote_decision(candidate, production, min_f1_gain=0.0, max_p95_ratio=1.25)` returning "promote" '
           'or "hold". Each argument is a dict with "version", "f1" and "p95_ms". Promote only a different version '
           "whose F1 is at least `production F1 + min_f1_gain` and whose p95 latency is at most "
           "`max_p95_ratio` times production's.",
    hints=[
        "Three conditions, all needed: a new version, enough F1, latency within budget.",
        "`candidate['p95_ms'] <= max_p95_ratio * production['p95_ms']`",
    ],
    solution="def promote_decision(candidate, production, min_f1_gain=0.0, max_p95_ratio=1.25):\n"
             "    new = candidate['version'] != production['version']\n"
             "    better = candidate['f1'] >= production['f1'] + min_f1_gain\n"
             "    fast_enough = candidate['p95_ms'] <= max_p95_ratio * production['p95_ms']\n"
             "    return 'promote' if new and better and fast_enough else 'hold'",
)

EXERCISES = [q1, q2, q3, q4]
