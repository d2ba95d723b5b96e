"""The model service in-process (FastAPI TestClient): every endpoint and every kind of bad input."""
from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import threading
import time

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from utils.serving import build_tiny_classifier, cli_main, create_app, load_classifier  # noqa: E402
from utils.serving.app import MAX_BODY_BYTES, MAX_TEXT_CHARS, MAX_TEXTS  # noqa: E402
from utils.serving.batching import MicroBatcher, QueueFull  # noqa: E402
from utils.serving.monitoring import psi  # noqa: E402

REVIEWS = ["a great film with a brilliant cast", "boring and awful", "the plot was weak but the music was fine",
           "I loved it", "worst movie", "not bad at all, good acting and a fine ending"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return build_tiny_classifier(tmp_path_factory.mktemp("models") / "tiny-sentiment")


@pytest.fixture(scope="module")
def classifier(model_dir):
    return load_classifier(model_dir)


@pytest.fixture()
def client(classifier):
    with TestClient(create_app(classifier, reference_size=10)) as test_client:
        yield test_client


def predict(client, texts):
    answer = client.post("/predict", json={"texts": list(texts)})
    assert answer.status_code == 200, answer.text
    return answer.json()["predictions"]


def test_health_ready_and_version(client, model_dir):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    digest = hashlib.sha256((model_dir / "model.safetensors").read_bytes()).hexdigest()[:12]
    assert ready["model_version"] == f"tiny-sentiment@{digest}"
    assert ready["labels"] == ["negative", "positive"]
    assert ready["limits"]["max_text_chars"] == MAX_TEXT_CHARS
    assert "/predict" in client.get("/openapi.json").json()["paths"]


def test_predict_single_text(client):
    body = client.post("/predict", json={"text": REVIEWS[0]}).json()
    assert body["model_version"].startswith("tiny-sentiment@")
    (p,) = body["predictions"]
    assert set(p["scores"]) == {"negative", "positive"}
    assert sum(p["scores"].values()) == pytest.approx(1.0, abs=1e-5)
    assert p["label"] == max(p["scores"], key=p["scores"].get)
    assert p["score"] == p["scores"][p["label"]]


def test_batch_equals_one_by_one(client):
    batch = predict(client, REVIEWS)
    single = [predict(client, [text])[0] for text in REVIEWS]
    assert [p["label"] for p in batch] == [p["label"] for p in single]
    for b, s in zip(batch, single):  # padding inside a batch must not change a text's scores
        assert b["scores"]["positive"] == pytest.approx(s["scores"]["positive"], abs=1e-4)
    assert len({p["id"] for p in batch + single}) == 2 * len(REVIEWS)


def test_length_sorted_chunks_keep_input_order(classifier):
    small_chunks = dataclasses.replace(classifier, chunk_size=2)
    texts = sorted(REVIEWS, key=len, reverse=True) + ["fine"]
    together = small_chunks.predict(texts)
    for text, probs in zip(texts, together):
        assert probs == pytest.approx(classifier.predict([text])[0], abs=1e-4)


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"text": ""}, 422, "at least 1 character"),
        ({"text": " \n\t "}, 422, "empty or only whitespace"),
        ({"texts": ["fine", "   "]}, 422, "empty or only whitespace"),
        ({"text": "x" * (MAX_TEXT_CHARS + 1)}, 422, f"at most {MAX_TEXT_CHARS} characters"),
        ({"texts": ["ok"] * (MAX_TEXTS + 1)}, 422, f"at most {MAX_TEXTS} items"),
        ({"texts": []}, 422, "at least 1 item"),
        ({"text": 42}, 422, "valid string"),
        ({"texts": "not a list"}, 422, "valid list"),
        ({"texts": ["ok", None]}, 422, "valid string"),
        ({"text": "ok", "lang": "en"}, 422, "Extra inputs are not permitted"),
        ({"text": "ok", "texts": ["ok"]}, 422, "exactly one of"),
        ({}, 422, "exactly one of"),
        ([1, 2], 422, "valid dictionary"),
    ],
)
def test_bad_predict_bodies(client, body, status, message):
    answer = client.post("/predict", json=body)
    assert answer.status_code == status
    assert message in json.dumps(answer.json())


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (b'{"text": "caf\xe9"}', 400, "not valid UTF-8"),
        (b'{"text": "unterminated', 400, "not valid JSON"),
        (b"a" * (MAX_BODY_BYTES + 1), 413, "request body over"),
    ],
)
def test_bad_raw_bodies(client, content, status, message):
    answer = client.post("/predict", content=content, headers={"content-type": "application/json"})
    assert answer.status_code == status
    assert message in answer.text
    assert client.get("/health").status_code == 200  # still alive


def test_feedback_drives_rolling_quality(client):
    preds = predict(client, REVIEWS[:4])
    flip = {"negative": "positive", "positive": "negative"}
    right = [{"prediction_id": p["id"], "label": p["label"]} for p in preds[:2]]
    wrong = [{"prediction_id": p["id"], "label": flip[p["label"]]} for p in preds[2:]]
    assert client.post("/feedback", json={"items": right}).json() == {"accepted": 2, "unknown_ids": []}
    assert client.get("/monitoring").json()["quality"]["accuracy"] == 1.0
    assert client.post("/feedback", json={"items": wrong}).json()["accepted"] == 2
    quality = client.get("/monitoring").json()["quality"]
    assert quality["count"] == 4 and quality["accuracy"] == 0.5
    assert 'serving_rolling_quality{metric="accuracy"} 0.5' in client.get("/metrics").text


def test_feedback_by_label_id_and_bad_feedback(client):
    pid = predict(client, ["good"])[0]["id"]
    assert client.post("/feedback", json={"items": [{"prediction_id": pid, "label": 1}]}).status_code == 200
    again = client.post("/feedback", json={"items": [{"prediction_id": pid, "label": 1}]})
    assert again.status_code == 404 and "already used" in again.text
    fresh = predict(client, ["bad"])[0]["id"]
    for item, message in [
        ({"prediction_id": fresh, "label": "neutral"}, "unknown label"),
        ({"prediction_id": fresh, "label": 7}, "unknown label"),
        ({"prediction_id": fresh, "label": 1.0}, "valid string"),
        ({"prediction_id": fresh, "label": 1, "note": "x"}, "Extra inputs"),
        ({"prediction_id": "", "label": 1}, "at least 1 character"),
    ]:
        answer = client.post("/feedback", json={"items": [item]})
        assert answer.status_code == 422 and message in answer.text, item
    assert client.post("/feedback", json={"items": []}).status_code == 422
    assert client.post("/feedback", json={"items": [{"prediction_id": fresh, "label": 0}]}).status_code == 200


def test_metrics_count_requests_labels_and_batches(client):
    predict(client, REVIEWS)
    client.post("/predict", json={"text": ""})
    text = client.get("/metrics").text
    assert 'serving_requests_total{endpoint="/predict",status="200"} 1.0' in text
    assert 'serving_requests_total{endpoint="/predict",status="422"} 1.0' in text
    assert "serving_request_latency_seconds_bucket" in text
    counts = [float(line.split()[-1]) for line in text.splitlines() if line.startswith("serving_predictions_total")]
    assert sum(counts) == len(REVIEWS)
    assert "serving_batch_size_count 1.0" in text  # one forward pass for the six texts
    assert 'serving_model_info{version="tiny-sentiment@' in text


def test_drift_against_a_reference_set(classifier):
    short = ["good film", "bad film", "I loved it", "boring", "fine", "awful plot"] * 5
    app = create_app(classifier, reference_texts=short, window=50)
    with TestClient(app) as client:
        assert client.get("/monitoring").json()["drift"]["reference"] == "reference set (30 texts)"
        predict(client, short[:25])
        same = client.get("/monitoring").json()["drift"]
        assert same["length_psi"] < 0.1 and same["status"] in ("stable", "moderate shift")
        long = [" ".join(["the plot was weak but the acting was wonderful"] * (i + 3)) for i in range(25)]
        predict(client, long)
        shifted = client.get("/monitoring").json()["drift"]
        assert shifted["length_psi"] > 0.25 and shifted["status"] == "major shift"
        assert 'serving_drift_psi{feature="length"}' in client.get("/metrics").text


def test_reference_from_first_predictions(client):
    drift = client.get("/monitoring").json()["drift"]
    assert drift["reference"] == "first 10 predictions" and drift["status"] == "waiting"
    predict(client, REVIEWS + REVIEWS)  # 12: the first 10 become the reference
    drift = client.get("/monitoring").json()["drift"]
    assert drift["reference_size"] == 10 and drift["window"] == 2


def test_naive_mode_runs_one_forward_per_request(classifier):
    with TestClient(create_app(classifier, batching=False)) as client:
        predict(client, REVIEWS[:3])
        predict(client, REVIEWS[:2])
        monitoring = client.get("/monitoring").json()
        assert monitoring["batching"] is False
        assert monitoring["batches"] == {"count": 2, "max_size": 3, "mean_size": 2.5}


def test_web_page_is_served_with_security_headers(client):
    page = client.get("/")
    assert page.status_code == 200 and "<textarea" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "://" not in page.text  # everything comes from the service itself, no CDN
    assert client.get("/static/app.js").status_code == 200


def test_not_ready_when_the_model_cannot_load(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with TestClient(create_app(tmp_path)) as client:
        for _ in range(50):
            ready = client.get("/ready")
            if "failed" in ready.text:
                break
            time.sleep(0.1)
        assert ready.status_code == 503 and "safetensors" in ready.text
        assert client.post("/predict", json={"text": "hi"}).status_code == 503
        assert client.get("/health").status_code == 200


def test_load_errors_are_clear(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="no \\*.safetensors"):
        load_classifier(tmp_path)
    with pytest.raises(FileNotFoundError, match="not found"):
        load_classifier(tmp_path / "missing" / "model")
    assert cli_main(["--model", str(tmp_path / "missing" / "model")]) == 2
    assert "not found" in capsys.readouterr().err


def test_psi_values():
    assert psi([10, 10], [5, 5]) == 0.0
    assert psi([50, 50], [90, 10]) == pytest.approx(0.4 * 0.5878 + 0.4 * 1.6094, rel=1e-3)
    with pytest.raises(ValueError):
        psi([1, 2], [1, 2, 3])


def test_micro_batcher_groups_orders_and_survives_errors():
    calls = []

    def fake_predict(texts):
        calls.append(list(texts))
        if "boom" in texts:
            raise RuntimeError("model exploded")
        return [len(t) for t in texts]

    async def scenario():
        batcher = MicroBatcher(fake_predict, max_batch_size=4, max_wait_ms=20, max_queue=8)
        await batcher.start()
        words = ["a", "bb", "ccc", "dddd", "eeeee", "ffffff"]
        results = await asyncio.gather(*(batcher.submit([w]) for w in words))
        assert results == [[1], [2], [3], [4], [5], [6]]
        assert [len(c) for c in calls] == [4, 2]
        with pytest.raises(RuntimeError, match="exploded"):
            await batcher.submit(["boom"])
        assert await batcher.submit(["ok", "fine"]) == [2, 4]  # worker still alive
        with pytest.raises(QueueFull):
            await batcher.submit(["x"] * 9)
        await batcher.stop()

    asyncio.run(scenario())


class GatedPredict:
    """A fake ``predict_fn`` that records its batches; while ``hold`` is set, a batch blocks until
    ``release()``, so a test controls when the forward pass ends without sleeping."""

    def __init__(self, hold: bool = False):
        self.calls: list[list[str]] = []
        self.started = threading.Event()
        self._gate = threading.Event()
        if not hold:
            self._gate.set()

    def __call__(self, texts):
        self.calls.append(list(texts))
        self.started.set()
        if not self._gate.wait(timeout=30):
            raise TimeoutError("the test never released the batch")
        if "boom" in texts:
            raise RuntimeError("model exploded")
        return [len(t) for t in texts]

    def release(self):
        self._gate.set()


async def _busy_batcher(first: list[str], later: list[list[str]], **options):
    """A started batcher whose forward pass is held busy with ``first`` while the ``later`` requests
    queue behind it; returns the batcher, its ``GatedPredict`` and the requests' tasks."""
    fake = GatedPredict(hold=True)
    batcher = MicroBatcher(fake, **options)
    await batcher.start()
    running = asyncio.create_task(batcher.submit(first))
    assert await asyncio.to_thread(fake.started.wait, 30)  # dispatched alone, now in the forward pass
    queued = [asyncio.create_task(batcher.submit(texts)) for texts in later]
    await asyncio.sleep(0.05)  # they reach the queue
    return batcher, fake, running, queued


def test_micro_batcher_serves_a_lone_request_without_waiting():
    async def scenario():
        fake = GatedPredict()
        batcher = MicroBatcher(fake, max_batch_size=32, max_wait_ms=3000)  # the old batcher waited 3 s
        await batcher.start()
        for words in (["one"], ["two", "three"], ["four"]):  # one after another: each finds the queue empty
            started = time.monotonic()
            assert await batcher.submit(words) == [len(w) for w in words]
            assert time.monotonic() - started < 1.0  # far below max_wait, with room for a busy machine
        assert fake.calls == [["one"], ["two", "three"], ["four"]]  # a request's texts stay together
        await batcher.stop()

    asyncio.run(scenario())


def test_micro_batcher_batches_requests_that_arrive_during_a_forward_pass():
    async def scenario():
        batcher, fake, first, waiting = await _busy_batcher(
            ["a"], [["b"], ["cc"], ["ddd"], ["eeee"]], max_batch_size=3, max_wait_ms=200)
        assert batcher.pending == 4  # queued behind the running batch
        fake.release()
        assert await first == [1]
        assert await asyncio.gather(*waiting) == [[1], [2], [3], [4]]
        assert fake.calls[:2] == [["a"], ["b", "cc", "ddd"]]  # full batch: dispatched without waiting
        assert fake.calls[2:] == [["eeee"]]  # left over, dispatched when max_wait_ms has passed
        await batcher.stop()

    asyncio.run(scenario())


def test_micro_batcher_under_load_waits_for_more_until_the_batch_is_full():
    async def scenario():
        # "b" is queued while "a" runs: the service is busy, so "b" may wait up to 3 s for company
        batcher, fake, first, (second,) = await _busy_batcher(["a"], [["b"]], max_batch_size=2, max_wait_ms=3000)
        fake.release()
        assert await first == [1]
        await asyncio.sleep(0.05)
        assert fake.calls == [["a"]] and not second.done()  # "b" is waiting ...
        assert await batcher.submit(["cc"]) == [2]  # ... and the next request fills its batch
        assert await second == [1]
        assert fake.calls == [["a"], ["b", "cc"]]
        await batcher.stop()

    asyncio.run(scenario())


def test_micro_batcher_waits_for_company_only_after_a_shared_pass():
    async def scenario():
        fake = GatedPredict()
        batcher = MicroBatcher(fake, max_batch_size=2, max_wait_ms=1000)
        await batcher.start()
        assert await asyncio.gather(batcher.submit(["a"]), batcher.submit(["b"])) == [[1], [1]]  # one pass
        late = asyncio.create_task(batcher.submit(["c"]))  # right after a shared pass, "c" waits for company ...
        await asyncio.sleep(0.05)
        assert not late.done()
        assert await batcher.submit(["dd"]) == [2]  # ... which comes and fills the batch
        assert await late == [1]
        started = time.monotonic()
        assert await batcher.submit(["e"]) == [1]  # after the shared ["c", "dd"]: waits 1 s, in vain
        waited, started = time.monotonic() - started, time.monotonic()
        assert await batcher.submit(["f"]) == [1]  # after a lone pass: served at once
        assert waited > 0.9 and time.monotonic() - started < 0.5
        assert fake.calls == [["a", "b"], ["c", "dd"], ["e"], ["f"]]
        await batcher.stop()

    asyncio.run(scenario())


def test_micro_batcher_errors_fail_only_their_batch():
    async def scenario():
        batcher, fake, first, doomed = await _busy_batcher(["ok"], [["boom"], ["fine"]], max_wait_ms=0)
        fake.release()
        assert await first == [2]
        for task in doomed:  # "fine" shared the failed forward pass with "boom"
            with pytest.raises(RuntimeError, match="exploded"):
                await task
        assert fake.calls == [["ok"], ["boom", "fine"]]
        assert await batcher.submit(["still", "alive"]) == [5, 5]  # the worker survived
        await batcher.stop()

    asyncio.run(scenario())


def test_micro_batcher_queue_full_and_shutdown():
    async def scenario():
        with pytest.raises(RuntimeError, match="start"):
            await MicroBatcher(GatedPredict()).submit(["x"])
        # "a" is running, so no longer counted as waiting; "b", "c", "d" fill the queue of 3
        batcher, fake, first, (queued,) = await _busy_batcher(["a"], [["b", "c", "d"]], max_batch_size=2,
                                                              max_wait_ms=3000, max_queue=3)
        with pytest.raises(QueueFull):
            await batcher.submit(["e"])
        await batcher.stop()  # the running and the waiting texts are failed, not left hanging
        for task in (first, queued):
            with pytest.raises(RuntimeError, match="shutting down"):
                await task
        fake.release()

    asyncio.run(scenario())


def test_dockerfile_runs_the_service_cli(client):
    """The container's CMD and HEALTHCHECK must match the real CLI and routes (no engine to build it here)."""
    from pathlib import Path

    from utils.serving import _parser

    dockerfile = (Path(__file__).resolve().parents[1] / "Dockerfile").read_text()
    cmd = json.loads(next(line for line in dockerfile.splitlines() if line.startswith("CMD "))[4:])
    assert cmd[:3] == ["python", "-m", "utils.serving"]
    args = _parser().parse_args(cmd[3:])
    assert args.model == "/model" and args.host == "0.0.0.0"
    health_path = dockerfile.split("HEALTHCHECK", 1)[1].split(f":{args.port}", 1)[1].split("'")[0]
    assert client.get(health_path).status_code == 200
    user = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert user and user[-1] not in ("root", "0")
