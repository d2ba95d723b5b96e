"""Lesson 15 exercises: request payloads, latency percentiles, Prometheus text, a promotion gate.

Each grading draws new inputs: texts with blanks, padding and over-long ones in shuffled order and
batch limits that leave a last, shorter payload; skewed latency lists of every size (and an empty
one); a fresh ``/metrics`` text written by ``prometheus_client`` with random names, labels and values;
releases placed on each edge of the promotion gate.
"""
from __future__ import annotations

import math

import numpy as np

from utils.grading import Exercise, expect
from utils.grading.plain import describe

# -- q1: payloads the service accepts --------------------------------------------------------------
SNIPPETS = [
    "A fine film.", "Dull.", "Great fun!", "The plot is thin but the cast is wonderful.", "Too long by an hour.",
    "I laughed, I cried, I bought the soundtrack.", "Not for me.", "A masterpiece of tedium.",
    "Sharp writing and a clever twist.", "Ok.", "The sequel nobody asked for.", "Beautifully shot, badly edited.",
    "Worth it for the final scene alone.", "Meh.", "An instant classic.", "The dialogue creaks.",
]
BLANKS = ["", " ", "   ", "\n", "\t \n", "  \r\n  "]
PADS = [" ", "  ", "\n", "\t", " \n "]


def _long_text(rng, length: int) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < length:
        words.append(str(rng.choice(SNIPPETS)))
    return " ".join(words)


def _texts(rng, n_kept: int, max_chars: int, blanks: int) -> list[str]:
    """``n_kept`` texts that survive cleaning (two padded, one of them over-long) and ``blanks`` blank ones."""
    texts = [str(t) for t in rng.choice(SNIPPETS, size=n_kept)]
    texts[0] = str(rng.choice(PADS)) + _long_text(rng, max_chars + int(rng.integers(5, 60))) + str(rng.choice(PADS))
    texts[1] = str(rng.choice(PADS)) + texts[1] + str(rng.choice(PADS))
    texts += ["  \t "] + [str(b) for b in rng.choice(BLANKS, size=blanks - 1)]  # one whitespace-only for sure
    return [texts[i] for i in rng.permutation(len(texts))]


def _payload_cases(rng):
    """Four calls: keyword limits with a last short payload, positional limits, the defaults, nothing to send."""
    n_kept, max_texts = 0, 1
    while n_kept % max_texts == 0:
        n_kept, max_texts = int(rng.integers(5, 13)), int(rng.integers(2, 5))
    max_chars = int(rng.integers(15, 41))
    mixed = {"texts": _texts(rng, n_kept, max_chars, int(rng.integers(2, 5))),
             "max_texts": max_texts, "max_chars": max_chars, "call": "keywords"}
    size, chars = int(rng.integers(2, 4)), int(rng.integers(10, 30))
    exact = {"texts": _texts(rng, size * int(rng.integers(2, 4)), chars, 2),
             "max_texts": size, "max_chars": chars, "call": "positional"}
    defaults = {"texts": _texts(rng, int(rng.integers(70, 140)), 2000, int(rng.integers(2, 6))), "call": "defaults"}
    nothing = {"texts": [str(b) for b in rng.choice(BLANKS, size=int(rng.integers(0, 4)))],
               "max_texts": int(rng.integers(1, 5)), "max_chars": 50, "call": "keywords"}
    cases = [mixed, exact, defaults, nothing]
    return [cases[i] for i in rng.permutation(len(cases))]


def _limits(case) -> tuple[int, int]:
    return case.get("max_texts", 64), case.get("max_chars", 2000)


def _payload_call(case) -> str:
    n = len(case["texts"])
    if case["call"] == "defaults":
        return f"batch_payloads(<{n} texts>) (default limits)"
    if case["call"] == "positional":
        return f"batch_payloads(<{n} texts>, {case['max_texts']}, {case['max_chars']})"
    return f"batch_payloads(<{n} texts>, max_texts={case['max_texts']}, max_chars={case['max_chars']})"


def _run_payloads(batch_payloads, case):
    texts = list(case["texts"])
    if case["call"] == "defaults":
        return batch_payloads(texts)
    if case["call"] == "positional":
        return batch_payloads(texts, case["max_texts"], case["max_chars"])
    return batch_payloads(texts, max_texts=case["max_texts"], max_chars=case["max_chars"])


def _expected_payloads(case):
    max_texts, max_chars = _limits(case)
    kept = [t.strip()[:max_chars] for t in case["texts"] if t.strip()]
    return [{"texts": kept[i:i + max_texts]} for i in range(0, len(kept), max_texts)]


def _compare_payloads(got, want, case):
    call, (max_texts, max_chars) = _payload_call(case), _limits(case)
    expect(isinstance(got, list), f"{call} returned a {type(got).__name__}; return a list of payload dicts")
    expect(all(isinstance(p, dict) and set(p) == {"texts"} for p in got),
           f'{call}: each payload is a dict with the single key "texts" (the service refuses unknown fields); '
           f"got {describe(got, 100)}")
    expect(all(isinstance(p["texts"], list) and all(isinstance(t, str) for t in p["texts"]) for p in got),
           f'{call}: each payload\'s "texts" is a list of strings')
    for payload in got:
        expect(payload["texts"] != [], f"{call}: a payload has an empty list of texts, which the service refuses "
                                       "(422); when nothing is left to send, return []")
        expect(len(payload["texts"]) <= max_texts,
               f"{call}: a payload carries {len(payload['texts'])} texts; at most max_texts={max_texts}")
    sent = [t for p in got for t in p["texts"]]
    for text in sent:
        expect(text.strip() != "", f"{call}: you send the blank text {text!r}; drop texts that are empty or only "
                                   "whitespace — the service answers 422 for them")
        expect(text == text.lstrip(), f"{call}: you send {text[:40]!r}…; strip the whitespace around each text "
                                      "first (then cut)")
        expect(len(text) <= max_chars, f"{call}: you send a text of {len(text)} characters; cut each text to at "
                                       f"most max_chars={max_chars}")
    expected_sent = [t for p in want for t in p["texts"]]
    if len(sent) < len(expected_sent) and sent == expected_sent[:len(sent)]:
        raise AssertionError(f"{call}: the last {len(expected_sent) - len(sent)} texts are not sent — the last "
                             "payload may hold fewer than max_texts texts, send it too")
    expect(len(sent) == len(expected_sent), f"{call}: you send {len(sent)} texts in all; expected "
                                            f"{len(expected_sent)} (every text that is not blank, once)")
    for i, (g, w) in enumerate(zip(sent, expected_sent)):
        expect(g == w, f"{call}: text #{i} sent is {g[:60]!r}; expected {w[:60]!r} — keep the original order, "
                       "strip each text first, then keep its first max_chars characters")
    sizes, want_sizes = [len(p["texts"]) for p in got], [len(p["texts"]) for p in want]
    expect(sizes == want_sizes, f"{call}: your payloads hold {sizes} texts; expected {want_sizes} — fill each "
                                "payload up to max_texts before starting the next, and send the last, shorter one")


# -- q2: latency percentiles ---------------------------------------------------------------------
def _latency_cases(rng):
    cases = []
    for n in (1, 2, int(rng.integers(3, 10)), int(rng.integers(15, 60))):
        seconds = rng.lognormal(mean=math.log(rng.uniform(0.01, 0.08)), sigma=rng.uniform(0.3, 0.9), size=n)
        seconds[rng.random(n) < 0.08] *= rng.uniform(5, 20)  # the slow tail that percentiles are for
        cases.append({"latencies": [round(float(s), 6) for s in seconds], "as": str(rng.choice(["list", "tuple"]))})
    cases.append({"latencies": [], "as": "list"})
    return [cases[i] for i in rng.permutation(len(cases))]


def _run_latency(latency_summary, case):
    latencies = case["latencies"] if case["as"] == "list" else tuple(case["latencies"])
    if latencies:
        return {"returned": latency_summary(latencies)}
    try:  # the empty list: which exception, if any, is the answer
        result = latency_summary(latencies)
    except NotImplementedError:  # the placeholder: not attempted yet
        raise
    except Exception as exc:
        return {"raised": "ValueError" if isinstance(exc, ValueError) else type(exc).__name__}
    return {"returned": result}


def _expected_latency(case):
    if not case["latencies"]:
        return {"raised": "ValueError"}
    ms = np.asarray(case["latencies"], dtype=float) * 1000
    return {"returned": {"n": len(ms), "p50_ms": float(np.percentile(ms, 50)),
                         "p95_ms": float(np.percentile(ms, 95)), "mean_ms": float(ms.mean())}}


def _compare_latency(got, want, case):
    n = len(case["latencies"])
    if n == 0:
        expect("raised" in got, f"latency_summary([]) returned {describe(got.get('returned'), 80)}; an empty list "
                                "has no percentiles: raise ValueError with a clear message instead")
        expect(got["raised"] == "ValueError", f"latency_summary([]) raised {got['raised']}; an empty list has no "
                                              "percentiles: raise ValueError with a clear message")
        return
    call = f"latency_summary(<{n} latencies as a {case['as']}>)"
    result, reference = got["returned"], want["returned"]
    expect(isinstance(result, dict), f"{call} returned a {type(result).__name__}; return a dict")
    missing = sorted(set(reference) - set(result))
    expect(not missing, f"{call}: the dict lacks {missing}; it needs n, p50_ms, p95_ms and mean_ms")
    expect(isinstance(result["n"], int) and not isinstance(result["n"], bool) and result["n"] == n,
           f"{call}: n is {describe(result['n'])}; expected the number of latencies, {n}")
    for key in ("p50_ms", "p95_ms", "mean_ms"):
        expect(isinstance(result[key], (int, float)) and not isinstance(result[key], bool),
               f"{call}: {key} is {describe(result[key])}; expected a number")
        expect(math.isclose(result[key], reference[key], rel_tol=1e-6, abs_tol=1e-9),
               f"{call}: {key} is {result[key]:.4f}; expected {reference[key]:.4f} (in milliseconds; "
               "percentiles as np.percentile computes them by default, interpolating linearly)")


# -- q3: one number from /metrics ----------------------------------------------------------------
ENDPOINTS = ["/predict", "/feedback", "/ready", "/health", "/monitoring"]


def _metrics_text(rng) -> tuple[str, str, list]:
    """A ``/metrics`` text written by prometheus_client; its prefix; the request counter's children in order."""
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

    prefix = str(rng.choice(["serving", "api", "sentiment", "model"]))
    registry = CollectorRegistry()
    requests = Counter(f"{prefix}_requests", "HTTP requests by endpoint and status", ["endpoint", "status"],
                       registry=registry)
    children = [(str(e), "200") for e in rng.choice(ENDPOINTS, size=3, replace=False)]
    children += [("/predict", "422"), (children[int(rng.integers(0, 3))][0], "503")]
    children = [children[i] for i in rng.permutation(len(children))]
    for endpoint, status in children:
        requests.labels(endpoint, status).inc(int(rng.integers(1, 500)))
    predictions = Counter(f"{prefix}_predictions", "Predictions by predicted label", ["label"], registry=registry)
    for label in ("NEGATIVE", "POSITIVE"):
        predictions.labels(label).inc(int(rng.integers(1, 300)))
    sizes = Histogram(f"{prefix}_batch_size", "Texts per forward pass", buckets=(1, 2, 4, 8, 16, 32),
                      registry=registry)
    for size in rng.integers(1, 33, size=int(rng.integers(5, 60))):
        sizes.observe(int(size))
    quality = Gauge(f"{prefix}_rolling_quality", "Rolling quality over recent feedback", ["metric"],
                    registry=registry)
    for metric in ("accuracy", "precision", "recall", "f1"):
        quality.labels(metric).set(float(rng.uniform(0.5, 1.0)))
    drift = Gauge(f"{prefix}_drift_psi", "PSI of recent predictions against the reference", ["feature"],
                  registry=registry)
    for feature in ("label", "length"):
        drift.labels(feature).set(float(rng.exponential(0.2)))
    return generate_latest(registry).decode(), prefix, children


def _metric_cases(rng):
    cases = []
    for _ in range(2):
        text, p, children = _metrics_text(rng)
        later = children[int(rng.integers(1, len(children)))]  # not the counter's first sample
        shared = [c for c in children if c[1] == "200"]  # three children share status 200
        queries = [
            [f"{p}_requests_total", {"endpoint": later[0], "status": later[1]}],
            [f"{p}_requests_total", {"status": "200", "endpoint": shared[-1][0]}],
            [f"{p}_requests_total", {"status": "200"}],  # a subset of the labels: the first match
            [f"{p}_batch_size_count", None],
            [f"{p}_batch_size_sum", {}],
            [f"{p}_batch_size_bucket", {"le": str(rng.choice(["2.0", "4.0", "8.0", "16.0"]))}],
            [f"{p}_rolling_quality", {"metric": str(rng.choice(["recall", "f1"]))}],
            [f"{p}_drift_psi", {"feature": "length"}],
            [f"{p}_predictions_total", {"label": "POSITIVE"}],
            [f"{p}_requests_total", {"endpoint": "/predict", "status": "500"}],  # no such sample
            [f"{p}_latency_seconds_count", None],  # no such metric
        ]
        order = rng.permutation(len(queries))
        cases.append({"text": text, "queries": [queries[i] + [str(rng.choice(["omit", "pass"]))] for i in order]})
    return cases


def _run_metric(metric_value, case):
    out = []
    for name, labels, how in case["queries"]:
        try:
            if labels is None and how == "omit":
                value = metric_value(case["text"], name)
            else:
                value = metric_value(case["text"], name, None if labels is None else dict(labels))
            out.append({"value": value})
        except NotImplementedError:  # the placeholder: not attempted yet
            raise
        except Exception as exc:
            out.append({"raised": "KeyError" if isinstance(exc, KeyError) else type(exc).__name__,
                        "message": str(exc)[:200]})
    return out


def _expected_metric(case):
    from prometheus_client.parser import text_string_to_metric_families

    samples = [s for family in text_string_to_metric_families(case["text"]) for s in family.samples]
    out = []
    for name, labels, _ in case["queries"]:
        match = [s.value for s in samples
                 if s.name == name and all(s.labels.get(k) == v for k, v in (labels or {}).items())]
        out.append({"value": float(match[0])} if match else {"raised": "KeyError"})
    return out


def _compare_metric(got, want, case):
    expect(isinstance(got, list) and len(got) == len(want), "the report of your calls is malformed")
    for (name, labels, how), g, w in zip(case["queries"], got, want):
        call = (f"metric_value(text, {name!r})" if labels is None and how == "omit"
                else f"metric_value(text, {name!r}, {labels!r})")
        if "raised" in w:
            expect("raised" in g, f"{call} returned {describe(g.get('value'), 60)}, but no sample of that name has "
                                  "those labels: raise KeyError")
            expect(g["raised"] == "KeyError", f"{call} raised {g['raised']}; when no sample matches, raise KeyError")
            continue
        expect("raised" not in g, f"{call} raised {g.get('raised')}: {g.get('message', '')}; the text has a sample "
                                  f"{name} with those labels (value {w['value']!r}) — match sample names (they end "
                                  "in _total, _count, _sum, _bucket …), and labels as a subset")
        value = g["value"]
        expect(isinstance(value, float), f"{call} returned a {type(value).__name__} ({describe(value, 40)}); "
                                         "return the value as a float")
        expect(math.isclose(value, w["value"], rel_tol=1e-12, abs_tol=1e-12),
               f"{call} returned {value!r}; the first sample called {name} whose labels include "
               f"{labels or {}} has the value {w['value']!r}")


# -- q4: the promotion gate ----------------------------------------------------------------------
def _version(rng) -> str:
    return "sentiment@" + "".join(str(c) for c in rng.choice(list("0123456789abcdef"), size=12))


def _release_cases(rng):
    prod = {"version": _version(rng), "f1": round(float(rng.uniform(0.6, 0.9)), 3),
            "p95_ms": float(4 * rng.integers(5, 30))}  # a multiple of 4: the budgets below are exact floats
    f1, p95 = prod["f1"], prod["p95_ms"]
    up, gain = round(float(rng.uniform(0.01, 0.05)), 3), round(float(rng.uniform(0.01, 0.03)), 3)
    ratio = float(rng.choice([1.5, 2.0]))

    def cand(f1_value, p95_value, same_version=False):
        return {"version": prod["version"] if same_version else _version(rng),
                "f1": f1_value if f1_value == f1 else round(f1_value, 4), "p95_ms": float(p95_value)}

    releases = [
        (cand(f1 + up, p95 - 4), {}),                                # better and faster
        (cand(f1 + up, p95 - 4, same_version=True), {}),             # the production model itself
        (cand(f1 - up, p95 - 8), {}),                                # faster but worse
        (cand(f1, p95), {}),                                         # as good, as fast: the edge promotes
        (cand(f1 + up, 1.25 * p95), {}),                             # exactly on the latency budget
        (cand(f1 + up, 1.25 * p95 + 4), {}),                         # just over it
        (cand(f1 + gain / 2, p95), {"min_f1_gain": gain}),           # better, but not by enough
        (cand(f1 + gain + 0.005, p95), {"min_f1_gain": gain}),       # better by enough
        (cand(f1 + up, ratio * p95 - 4), {"max_p95_ratio": ratio}),  # slower, within a looser budget
    ]
    return [[releases[i][0], dict(prod), releases[i][1]] for i in rng.permutation(len(releases))]


def _run_release(promote_decision, case):
    candidate, production, options = case
    return promote_decision(dict(candidate), dict(production), **options)


def _reasons(case) -> list[str]:
    """Why the gate holds ``case`` (empty: it promotes)."""
    candidate, production, options = case
    gain, ratio = options.get("min_f1_gain", 0.0), options.get("max_p95_ratio", 1.25)
    reasons = []
    if candidate["version"] == production["version"]:
        reasons.append("it is the version already in production")
    if not candidate["f1"] >= production["f1"] + gain:
        reasons.append(f"its F1 is below production's {production['f1']} + min_f1_gain {gain}")
    if not candidate["p95_ms"] <= ratio * production["p95_ms"]:
        reasons.append(f"its p95 is over max_p95_ratio {ratio} × production's {production['p95_ms']} ms")
    return reasons


def _compare_release(got, want, case):
    candidate, production, options = case
    settings = ", ".join(f"{k}={v}" for k, v in options.items()) or "the default thresholds"
    call = f"promote_decision({candidate}, {production}) with {settings}"
    expect(isinstance(got, str) and got in ("promote", "hold"),
           f"{call} returned {describe(got, 40)}; return the string \"promote\" or \"hold\"")
    if got == want:
        return
    if want == "hold":
        raise AssertionError(f"{call}: you promote, but the gate must hold: {'; '.join(_reasons(case))}")
    raise AssertionError(f"{call}: you hold, but every condition is met (a new version, F1 ≥ production's + "
                         "min_f1_gain, p95 ≤ max_p95_ratio × production's — equality passes): promote")


_PAYLOADS = "    return [{'texts': kept[i:i + max_texts]} for i in range(0, len(kept), max_texts)]"

q1 = Exercise(
    "q1", points=2, target="batch_payloads",
    cases=_payload_cases, run=_run_payloads, expected=_expected_payloads, compare=_compare_payloads,
    hints=[
        "First build the cleaned list: strip each text, skip the ones that are then empty, cut the rest to "
        "`max_chars` characters.",
        "`kept = [t.strip()[:max_chars] for t in texts if t.strip()]`, then slice it in steps of `max_texts`: "
        "`range(0, len(kept), max_texts)`.",
    ],
    wrong={
        "whitespace-only texts kept": (
            "def batch_payloads(texts, max_texts=64, max_chars=2000):\n"
            "    kept = [t.strip()[:max_chars] for t in texts if t]\n" + _PAYLOADS),
        "texts not stripped": (
            "def batch_payloads(texts, max_texts=64, max_chars=2000):\n"
            "    kept = [t[:max_chars] for t in texts if t.strip()]\n" + _PAYLOADS),
        "cut before stripping": (
            "def batch_payloads(texts, max_texts=64, max_chars=2000):\n"
            "    kept = [t[:max_chars].strip() for t in texts if t.strip()]\n" + _PAYLOADS),
        "the last, shorter payload dropped": (
            "def batch_payloads(texts, max_texts=64, max_chars=2000):\n"
            "    kept = [t.strip()[:max_chars] for t in texts if t.strip()]\n"
            "    return [{'texts': kept[i * max_texts:(i + 1) * max_texts]} for i in range(len(kept) // max_texts)]"),
        "32 texts per payload by default (the micro-batch size)": (
            "def batch_payloads(texts, max_texts=32, max_chars=2000):\n"
            "    kept = [t.strip()[:max_chars] for t in texts if t.strip()]\n" + _PAYLOADS),
    },
)

_EMPTY = "    if len(latencies) == 0:\n        raise ValueError('no latencies')\n"

q2 = Exercise(
    "q2", points=1, target="latency_summary",
    cases=_latency_cases, run=_run_latency, expected=_expected_latency, compare=_compare_latency,
    hints=[
        "Check for an empty input first: `if len(latencies) == 0: raise ValueError(...)`. "
        "Then `ms = np.asarray(latencies, dtype=float) * 1000`.",
        "`np.percentile(ms, 50)` is the median, `np.percentile(ms, 95)` the 95th percentile; convert each to "
        "`float`, and `len(ms)` gives n.",
    ],
    wrong={
        "seconds, not milliseconds": (
            "import numpy as np\ndef latency_summary(latencies):\n" + _EMPTY +
            "    s = np.asarray(latencies, dtype=float)\n"
            "    return {'n': len(s), 'p50_ms': float(np.percentile(s, 50)), 'p95_ms': float(np.percentile(s, 95)),\n"
            "            'mean_ms': float(s.mean())}"),
        "nearest rank instead of interpolation": (
            "def latency_summary(latencies):\n" + _EMPTY +
            "    ms = sorted(x * 1000 for x in latencies)\n"
            "    rank = lambda q: ms[min(len(ms) - 1, int(q / 100 * len(ms)))]\n"
            "    return {'n': len(ms), 'p50_ms': rank(50), 'p95_ms': rank(95), 'mean_ms': sum(ms) / len(ms)}"),
        "percentiles from the unsorted list": (
            "def latency_summary(latencies):\n" + _EMPTY +
            "    ms = [x * 1000 for x in latencies]\n"
            "    return {'n': len(ms), 'p50_ms': ms[len(ms) // 2], 'p95_ms': ms[int(0.95 * (len(ms) - 1))],\n"
            "            'mean_ms': sum(ms) / len(ms)}"),
        "the mean as p50": (
            "import numpy as np\ndef latency_summary(latencies):\n" + _EMPTY +
            "    ms = np.asarray(latencies, dtype=float) * 1000\n"
            "    return {'n': len(ms), 'p50_ms': float(ms.mean()), 'p95_ms': float(np.percentile(ms, 95)),\n"
            "            'mean_ms': float(ms.mean())}"),
        "zeros for an empty list": (
            "import numpy as np\ndef latency_summary(latencies):\n"
            "    if len(latencies) == 0:\n"
            "        return {'n': 0, 'p50_ms': 0.0, 'p95_ms': 0.0, 'mean_ms': 0.0}\n"
            "    ms = np.asarray(latencies, dtype=float) * 1000\n"
            "    return {'n': len(ms), 'p50_ms': float(np.percentile(ms, 50)), 'p95_ms': float(np.percentile(ms, 95)),\n"
            "            'mean_ms': float(ms.mean())}"),
    },
)

_PARSE = ("from prometheus_client.parser import text_string_to_metric_families\n"
          "def metric_value(metrics_text, name, labels=None):\n"
          "    for family in text_string_to_metric_families(metrics_text):\n"
          "        for sample in family.samples:\n")
_MATCH = "all(sample.labels.get(k) == v for k, v in (labels or {}).items())"

q3 = Exercise(
    "q3", points=2, target="metric_value",
    cases=_metric_cases, run=_run_metric, expected=_expected_metric, compare=_compare_metric,
    hints=[
        "Each family from `text_string_to_metric_families(metrics_text)` has `.samples`; a sample has `.name`, "
        "`.labels` (a dict) and `.value`.",
        "Compare `sample.name`, not the family's name: the family `serving_requests` has samples called "
        "`serving_requests_total`, a histogram's family has `_count`, `_sum` and `_bucket` samples.",
        "A sample matches when `sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())`; "
        "after the loops, `raise KeyError(...)`.",
    ],
    wrong={
        "family names instead of sample names": (
            _PARSE + f"            if family.name == name and {_MATCH}:\n"
            "                return float(sample.value)\n    raise KeyError(name)"),
        "labels ignored": (
            _PARSE + "            if sample.name == name:\n"
            "                return float(sample.value)\n    raise KeyError(name)"),
        "labels must match exactly": (
            _PARSE + "            if sample.name == name and sample.labels == (labels or {}):\n"
            "                return float(sample.value)\n    raise KeyError(name)"),
        "None instead of KeyError": (
            _PARSE + f"            if sample.name == name and {_MATCH}:\n"
            "                return float(sample.value)\n    return None"),
        "the value as text": (
            "def metric_value(metrics_text, name, labels=None):\n"
            "    for line in metrics_text.splitlines():\n"
            "        if line.startswith(name) and all(f'{k}=\"{v}\"' in line for k, v in (labels or {}).items()):\n"
            "            return line.rsplit(' ', 1)[1]\n"
            "    raise KeyError(name)"),
    },
)

_GATE = "def promote_decision(candidate, production, min_f1_gain=0.0, max_p95_ratio=1.25):\n    ok = "
_NEW = "candidate['version'] != production['version']"
_BETTER = "candidate['f1'] >= production['f1'] + min_f1_gain"
_FAST = "candidate['p95_ms'] <= max_p95_ratio * production['p95_ms']"
_RETURN = "\n    return 'promote' if ok else 'hold'"

q4 = Exercise(
    "q4", points=1, target="promote_decision",
    cases=_release_cases, run=_run_release, expected=lambda case: "hold" if _reasons(case) else "promote",
    compare=_compare_release,
    hints=[
        "Three conditions, all needed: a different version, enough F1, latency within budget.",
        "`candidate['f1'] >= production['f1'] + min_f1_gain` and "
        "`candidate['p95_ms'] <= max_p95_ratio * production['p95_ms']`: equality passes both.",
    ],
    wrong={
        "strictly better F1 required": _GATE + f"{_NEW} and {_BETTER.replace('>=', '>')} and {_FAST}" + _RETURN,
        "the version not compared": _GATE + f"{_BETTER} and {_FAST}" + _RETURN,
        "latency not checked": _GATE + f"{_NEW} and {_BETTER}" + _RETURN,
        "min_f1_gain ignored": _GATE + f"{_NEW} and candidate['f1'] >= production['f1'] and {_FAST}" + _RETURN,
        "the latency budget fixed at 1.25": (
            _GATE + f"{_NEW} and {_BETTER} and candidate['p95_ms'] <= 1.25 * production['p95_ms']" + _RETURN),
    },
)

EXERCISES = [q1, q2, q3, q4]
