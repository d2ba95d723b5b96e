"""What the service knows about itself: Prometheus metrics, feedback-based quality, drift.

* Prometheus (``GET /metrics``): request counts by endpoint and status, latency histogram,
  predicted-label counts, batch-size histogram, feedback count, rolling quality and drift gauges.
* Quality: ``POST /feedback`` pairs a returned ``prediction_id`` with the true label; accuracy,
  precision, recall and F1 over the last ``window`` feedback items come from the course's
  ``utils.metrics.classification_metrics`` (two labels: scores of the second; more: macro averages).
* Drift: population stability index (PSI) of the predicted-label distribution and of the input-length
  distribution (characters, reference-decile bins) in the last ``window`` predictions against a
  reference — a reference set given at start, else the first ``reference_size`` predictions.
  Rule of thumb: PSI < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 major shift.
"""
from __future__ import annotations

import time
import warnings
from collections import Counter as Tally
from collections import OrderedDict, deque
from typing import Sequence

import numpy as np
import sklearn.metrics  # noqa: F401  (loaded at start-up rather than on the first /monitoring call)
from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram, Info, disable_created_metrics,
                               generate_latest)

from utils.metrics import classification_metrics

disable_created_metrics()  # no *_created series: they double the output and no dashboard here reads them

KNOWN_ENDPOINTS = {"/", "/predict", "/feedback", "/health", "/ready", "/metrics", "/monitoring"}
PSI_MODERATE, PSI_MAJOR = 0.1, 0.25
MIN_DRIFT_SAMPLES = 20


def psi(reference: Sequence[float], current: Sequence[float], eps: float = 1e-4) -> float:
    """Population stability index between two histograms (counts or proportions, same bins)."""
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    if ref.shape != cur.shape or ref.sum() <= 0 or cur.sum() <= 0:
        raise ValueError("psi needs two non-empty histograms over the same bins")
    ref = np.clip(ref / ref.sum(), eps, None)
    cur = np.clip(cur / cur.sum(), eps, None)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def drift_status(value: float | None) -> str:
    if value is None:
        return "waiting"
    return "major shift" if value > PSI_MAJOR else "moderate shift" if value > PSI_MODERATE else "stable"


class Monitor:
    """Collects the service's metrics; every method is called from the event-loop thread."""

    def __init__(
        self,
        labels: Sequence[str],
        model_version: str,
        *,
        window: int = 500,
        reference_size: int = 200,
        max_tracked: int = 10_000,
    ) -> None:
        self.labels = list(labels)
        self.model_version = model_version
        self.window = window
        self.reference_size = reference_size
        self.max_tracked = max_tracked
        self.started = time.time()
        self.registry = CollectorRegistry()
        reg = self.registry
        self.requests = Counter("serving_requests", "HTTP requests by endpoint and status",
                                ["endpoint", "status"], registry=reg)
        self.latency = Histogram("serving_request_latency_seconds", "Request latency",
                                 ["endpoint"], registry=reg)
        self.predicted = Counter("serving_predictions", "Predictions by predicted label",
                                 ["label"], registry=reg)
        self.batch_size = Histogram("serving_batch_size", "Texts per forward pass", registry=reg,
                                    buckets=(1, 2, 4, 8, 16, 32, 64, 128))
        self.batch_seconds = Histogram("serving_batch_seconds", "Duration of one forward pass",
                                       registry=reg)
        self.feedback_count = Counter("serving_feedback", "Feedback items received", registry=reg)
        self.quality = Gauge("serving_rolling_quality", "Rolling quality over recent feedback",
                             ["metric"], registry=reg)
        self.drift = Gauge("serving_drift_psi", "PSI of recent predictions against the reference",
                           ["feature"], registry=reg)
        Info("serving_model", "The model being served", registry=reg).info({"version": model_version})
        for label in self.labels:  # export zeros from the start so dashboards see every label
            self.predicted.labels(label)
        self._status_tally: Tally = Tally()
        self._label_tally: Tally = Tally({label: 0 for label in self.labels})
        self._feedback_total = 0
        self._latencies: deque = deque(maxlen=2000)
        self._batches = {"count": 0, "texts": 0, "max": 0}
        self._tracked: OrderedDict[str, int] = OrderedDict()
        self._feedback: deque = deque(maxlen=window)
        self._reference: dict | None = None
        self._reference_source = f"first {reference_size} predictions"
        self._ref_labels: list[int] = []
        self._ref_lengths: list[int] = []
        self._cur_labels: deque = deque(maxlen=window)
        self._cur_lengths: deque = deque(maxlen=window)

    # -- recording -------------------------------------------------------------------------------
    def observe_request(self, path: str, status: int, seconds: float) -> None:
        endpoint = path if path in KNOWN_ENDPOINTS or path.startswith("/static/") else "other"
        endpoint = "/static" if endpoint.startswith("/static/") else endpoint
        self.requests.labels(endpoint, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)
        self._status_tally[str(status)] += 1
        if endpoint == "/predict" and status == 200:
            self._latencies.append(seconds)

    def observe_batch(self, size: int, seconds: float) -> None:
        self.batch_size.observe(size)
        self.batch_seconds.observe(seconds)
        self._batches["count"] += 1
        self._batches["texts"] += size
        self._batches["max"] = max(self._batches["max"], size)

    def set_reference(self, lengths: Sequence[int], label_ids: Sequence[int], source: str) -> None:
        """Use a fixed reference set (e.g. the validation split) for drift instead of the first N."""
        if not lengths or len(lengths) != len(label_ids):
            raise ValueError("reference needs the same, non-zero number of lengths and labels")
        self._freeze_reference(list(lengths), list(label_ids), source)

    def _freeze_reference(self, lengths: list[int], label_ids: list[int], source: str) -> None:
        edges = np.unique(np.quantile(lengths, np.linspace(0.1, 0.9, 9)))
        self._reference = {
            "edges": edges,
            "length_hist": self._length_hist(lengths, edges),
            "label_hist": np.bincount(label_ids, minlength=len(self.labels)),
            "size": len(lengths),
        }
        self._reference_source = source
        self._cur_labels.clear()
        self._cur_lengths.clear()

    @staticmethod
    def _length_hist(lengths: Sequence[int], edges: np.ndarray) -> np.ndarray:
        return np.bincount(np.searchsorted(edges, lengths, side="right"), minlength=len(edges) + 1)

    def record_prediction(self, prediction_id: str, text_length: int, label_id: int) -> None:
        self.predicted.labels(self.labels[label_id]).inc()
        self._label_tally[self.labels[label_id]] += 1
        self._tracked[prediction_id] = label_id
        while len(self._tracked) > self.max_tracked:
            self._tracked.popitem(last=False)
        if self._reference is None:
            self._ref_lengths.append(text_length)
            self._ref_labels.append(label_id)
            if len(self._ref_lengths) >= self.reference_size:
                self._freeze_reference(self._ref_lengths, self._ref_labels, self._reference_source)
        else:
            self._cur_lengths.append(text_length)
            self._cur_labels.append(label_id)

    def record_feedback(self, prediction_id: str, true_id: int) -> bool:
        """Pair a tracked prediction with its true label; False when the id is unknown or used."""
        predicted = self._tracked.pop(prediction_id, None)
        if predicted is None:
            return False
        self._feedback.append((true_id, predicted))
        self.feedback_count.inc()
        self._feedback_total += 1
        return True

    # -- reading ---------------------------------------------------------------------------------
    def quality_now(self) -> dict:
        out = {"count": self._feedback_total, "window": len(self._feedback)}
        if not self._feedback:
            return out | dict.fromkeys(("accuracy", "precision", "recall", "f1"))
        truth, pred = zip(*self._feedback)
        one_hot = np.eye(len(self.labels))[list(pred)]  # the course's metric definitions take scores
        with warnings.catch_warnings():  # "a single label was found": expected while feedback is sparse
            warnings.simplefilter("ignore", UserWarning)
            scores = classification_metrics((one_hot, np.asarray(truth)))
        return out | {key: scores[key] for key in ("accuracy", "precision", "recall", "f1")}

    def drift_now(self) -> dict:
        ref = self._reference
        out = {"reference": self._reference_source, "reference_size": ref["size"] if ref else len(self._ref_lengths),
               "window": len(self._cur_labels), "label_psi": None, "length_psi": None}
        if ref is not None and len(self._cur_labels) >= MIN_DRIFT_SAMPLES:
            cur_labels = np.bincount(list(self._cur_labels), minlength=len(self.labels))
            out["label_psi"] = psi(ref["label_hist"], cur_labels)
            out["length_psi"] = psi(ref["length_hist"], self._length_hist(list(self._cur_lengths), ref["edges"]))
        worst = max((v for v in (out["label_psi"], out["length_psi"]) if v is not None), default=None)
        return out | {"status": drift_status(worst)}

    def snapshot(self) -> dict:
        """Everything ``GET /monitoring`` shows, as plain JSON-able values."""
        lat = np.asarray(self._latencies) * 1000
        counts = dict(self._label_tally)
        batches = self._batches
        return {
            "model_version": self.model_version,
            "uptime_s": round(time.time() - self.started, 1),
            "requests": {"total": sum(self._status_tally.values()), "by_status": dict(self._status_tally)},
            "latency_ms": {"p50": float(np.percentile(lat, 50)) if lat.size else None,
                           "p95": float(np.percentile(lat, 95)) if lat.size else None,
                           "window": int(lat.size)},
            "predictions": {"total": sum(counts.values()), "by_label": counts},
            "batches": {"count": batches["count"], "max_size": batches["max"],
                        "mean_size": batches["texts"] / batches["count"] if batches["count"] else None},
            "quality": self.quality_now(),
            "drift": self.drift_now(),
        }

    def render(self) -> bytes:
        """Prometheus text exposition, with the quality and drift gauges refreshed first."""
        quality = self.quality_now()
        for metric in ("accuracy", "precision", "recall", "f1"):
            self.quality.labels(metric).set(quality[metric] if quality[metric] is not None else float("nan"))
        drift = self.drift_now()
        for feature in ("label", "length"):
            value = drift[f"{feature}_psi"]
            self.drift.labels(feature).set(value if value is not None else float("nan"))
        return generate_latest(self.registry)
