"""The service as users run it: ``course serve`` in a child process (real uvicorn) on 127.0.0.1."""
from __future__ import annotations

import asyncio
import re
import signal

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")

from utils.serving import build_tiny_classifier, start_background  # noqa: E402


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    model_dir = build_tiny_classifier(tmp_path_factory.mktemp("models") / "tiny-live")
    with start_background(model_dir, max_wait_ms=50, log_level="warning", timeout=120) as running:
        yield running


def _metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.MULTILINE)
    assert match, f"{name} missing from /metrics"
    return float(match.group(1))


def test_concurrent_mixed_requests(service):
    good = [{"text": f"a great film number {i}"} for i in range(48)]
    bad = [{"text": ""}, {"text": 5}, {"texts": ["ok"] * 65}, {"text": "ok", "x": 1}] * 4

    async def fire():
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(base_url=service.url, limits=limits, timeout=30) as client:
            return await asyncio.gather(*(client.post("/predict", json=body) for body in good + bad))

    answers = asyncio.run(fire())
    assert [a.status_code for a in answers] == [200] * len(good) + [422] * len(bad)
    versions = {a.json()["model_version"] for a in answers[: len(good)]}
    assert len(versions) == 1 and versions.pop().startswith("tiny-live@")

    metrics = httpx.get(f"{service.url}/metrics").text
    batches = _metric(metrics, "serving_batch_size_count")
    texts = _metric(metrics, "serving_batch_size_sum")
    assert texts == len(good)
    assert batches < len(good)  # concurrent requests shared forward passes
    assert f'serving_requests_total{{endpoint="/predict",status="422"}} {float(len(bad))}' in metrics


def test_page_and_health(service):
    assert httpx.get(f"{service.url}/health").json() == {"status": "ok"}
    assert "<textarea" in httpx.get(service.url).text
    assert httpx.get(f"{service.url}/ready").json()["batching"] is True


def test_stop_is_graceful(service):  # last: it ends the module's service
    code = service.stop(timeout=15)
    # uvicorn re-raises SIGTERM after its shutdown completes; SIGKILL (-9) would mean it hung
    assert code in (0, -signal.SIGTERM), service.log()
    assert not service.running()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{service.url}/health", timeout=2)


def test_a_model_that_fails_to_load_is_reported_at_once(tmp_path):
    (tmp_path / "config.json").write_text("{}")  # passes the CLI's checks, fails in the loader:
    (tmp_path / "model.safetensors").write_bytes(b"not a tensor file")  # the service stays up, /ready says why
    with pytest.raises(RuntimeError, match="model failed to load"):
        start_background(tmp_path, log_level="warning", timeout=120)
