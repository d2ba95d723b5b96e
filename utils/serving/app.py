"""The FastAPI application: prediction, feedback, health, metrics and the web page.

Limits (enforced with 4xx answers, never a crash):

* a request body is at most ``MAX_BODY_BYTES`` (413), UTF-8 JSON (400 / 422 otherwise);
* a text is 1 to ``MAX_TEXT_CHARS`` characters and not only whitespace (422);
* one request carries at most ``MAX_TEXTS`` texts or feedback items (422);
* fields other than the documented ones are refused (422);
* when more than ``max_queue`` texts are waiting the service answers 503 with ``Retry-After``.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator, model_validator

from .batching import MicroBatcher, QueueFull
from .model import Classifier, load_classifier
from .monitoring import Monitor

MAX_TEXT_CHARS = 2000
MAX_TEXTS = 64
MAX_BODY_BYTES = 1 << 20
STATIC_DIR = Path(__file__).parent / "static"
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
log = logging.getLogger("uvicorn.error.serving")  # shown with uvicorn's own messages

Text = Annotated[StrictStr, Field(min_length=1, max_length=MAX_TEXT_CHARS)]


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("text is empty or only whitespace")
    return text


class PredictRequest(BaseModel):
    """Either ``{"text": "..."}`` or ``{"texts": ["...", ...]}``."""

    model_config = ConfigDict(extra="forbid")
    text: Text | None = None
    texts: Annotated[list[Text], Field(min_length=1, max_length=MAX_TEXTS)] | None = None

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value):
        return None if value is None else _not_blank(value)

    @field_validator("texts")
    @classmethod
    def _texts_not_blank(cls, value):
        return None if value is None else [_not_blank(v) for v in value]

    @model_validator(mode="after")
    def _exactly_one(self):
        if (self.text is None) == (self.texts is None):
            raise ValueError('send exactly one of "text" (a string) or "texts" (a list of strings)')
        return self

    def items(self) -> list[str]:
        return [self.text] if self.text is not None else list(self.texts)


class Prediction(BaseModel):
    id: str = Field(description="send it back to POST /feedback with the true label")
    label: str
    score: float
    scores: dict[str, float]


class PredictResponse(BaseModel):
    model_version: str
    predictions: list[Prediction]


class FeedbackItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prediction_id: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    label: StrictStr | StrictInt = Field(description="true label, by name or by id")


class FeedbackRequest(BaseModel):
    """``{"items": [{"prediction_id": "...", "label": "positive"}, ...]}``."""

    model_config = ConfigDict(extra="forbid")
    items: Annotated[list[FeedbackItem], Field(min_length=1, max_length=MAX_TEXTS)]


class FeedbackResponse(BaseModel):
    accepted: int
    unknown_ids: list[str]


class RequestGuard:
    """ASGI middleware: caps body size and records every request's status and latency."""

    def __init__(self, app, monitor_of):
        self.app = app
        self.monitor_of = monitor_of

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = {"code": 500}

        async def send_and_note(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            if scope["method"] not in ("POST", "PUT", "PATCH"):
                await self.app(scope, receive, send_and_note)
            elif (body := await self._read_body(receive)) is None:
                too_big = JSONResponse({"detail": f"request body over {MAX_BODY_BYTES} bytes"}, 413)
                await too_big(scope, receive, send_and_note)
            elif not _is_utf8(body):
                bad = JSONResponse({"detail": "request body is not valid UTF-8"}, 400)
                await bad(scope, receive, send_and_note)
            else:
                await self.app(scope, self._replay(body, receive), send_and_note)
        finally:
            monitor = self.monitor_of()
            if monitor is not None:
                monitor.observe_request(scope["path"], status["code"], time.perf_counter() - started)

    @staticmethod
    async def _read_body(receive) -> bytes | None:
        """The whole body, or None when it is over the limit (then read to the end and dropped,
        so that the client, still sending, gets the 413 instead of a broken connection)."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= MAX_BODY_BYTES:
                chunks.append(chunk)
            elif size > 16 * MAX_BODY_BYTES:  # not worth reading further: answer now
                return None
            if not message.get("more_body", False):
                return None if size > MAX_BODY_BYTES else b"".join(chunks)

    @staticmethod
    def _replay(body: bytes, receive):
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay


class Service:
    """The state behind one app: classifier (once loaded), batcher, monitor."""

    def __init__(self, batching: bool, max_batch_size: int, max_wait_ms: float, max_queue: int,
                 window: int, reference_size: int):
        self.batching = batching
        self.options = dict(max_batch_size=max_batch_size, max_wait_ms=max_wait_ms, max_queue=max_queue)
        self.window, self.reference_size = window, reference_size
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="forward")
        self.classifier: Classifier | None = None
        self.monitor: Monitor | None = None
        self.batcher: MicroBatcher | None = None
        self.error: str | None = None
        self.naive_inflight = 0

    async def attach(self, classifier: Classifier, reference_texts: Sequence[str] | None) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.executor, classifier.predict, ["warm-up"])  # first call is slow
        monitor = Monitor(classifier.labels, classifier.version, window=self.window,
                          reference_size=self.reference_size)
        if reference_texts:
            probs = await loop.run_in_executor(self.executor, classifier.predict, list(reference_texts))
            monitor.set_reference([len(t) for t in reference_texts], [_argmax(p) for p in probs],
                                  f"reference set ({len(reference_texts)} texts)")
        if self.batching:
            self.batcher = MicroBatcher(classifier.predict, executor=self.executor,
                                        on_batch=monitor.observe_batch, **self.options)
            await self.batcher.start()
        self.monitor, self.classifier = monitor, classifier

    async def predict(self, texts: list[str]) -> list[list[float]]:
        if self.batcher is not None:
            return await self.batcher.submit(texts)
        if self.naive_inflight + len(texts) > self.options["max_queue"]:
            raise QueueFull(f"more than {self.options['max_queue']} texts waiting")
        self.naive_inflight += len(texts)
        try:  # naive: one forward pass per request, on the same single forward thread
            started = time.perf_counter()
            probs = await asyncio.get_running_loop().run_in_executor(self.executor, self.classifier.predict, texts)
            self.monitor.observe_batch(len(texts), time.perf_counter() - started)
            return probs
        finally:
            self.naive_inflight -= len(texts)


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _argmax(values: Sequence[float]) -> int:
    return max(range(len(values)), key=values.__getitem__)


def _clean_errors(errors) -> list[dict]:
    """Validation errors without the echoed input (which may be a megabyte of text)."""
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "invalid"), "type": e.get("type", "")}
            for e in errors]


def create_app(
    model: str | Path | Classifier,
    *,
    batching: bool = True,
    max_batch_size: int = 32,
    max_wait_ms: float = 5.0,
    max_queue: int = 4096,
    window: int = 500,
    reference_size: int = 200,
    reference_texts: Sequence[str] | None = None,
) -> FastAPI:
    """Build the service for ``model`` (a loaded ``Classifier``, a folder, or a resource role).

    A folder or role is loaded in the background after start-up: ``/health`` answers at once,
    ``/ready`` turns 200 when the model is in memory. ``batching=False`` gives the naive endpoint
    (one forward pass per request) used as the benchmark's baseline.
    """
    service = Service(batching, max_batch_size, max_wait_ms, max_queue, window, reference_size)

    async def load_in_background():
        try:
            classifier = model if isinstance(model, Classifier) else await asyncio.to_thread(load_classifier, model)
            await service.attach(classifier, reference_texts)
            log.info("model %s ready (batching=%s)", classifier.version, batching)
        except Exception as err:  # reported by /ready; the process stays up for inspection
            service.error = f"{type(err).__name__}: {err}"
            log.exception("model failed to load")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        loader = asyncio.create_task(load_in_background())
        if isinstance(model, Classifier):
            await loader
        yield
        loader.cancel()
        if service.batcher is not None:
            await service.batcher.stop()
        service.executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="Course model service", version="1.0", lifespan=lifespan,
                  description="Sequence classification with dynamic micro-batching and monitoring.")
    app.state.service = service
    app.add_middleware(RequestGuard, monitor_of=lambda: service.monitor)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        errors = _clean_errors(exc.errors())
        if any(e["type"] == "json_invalid" for e in errors):
            return JSONResponse({"detail": "body is not valid JSON (UTF-8)", "errors": errors}, 400)
        return JSONResponse({"detail": errors}, 422)

    def not_ready() -> JSONResponse:
        detail = f"model failed to load: {service.error}" if service.error else "model is loading"
        return JSONResponse({"detail": detail}, 503, headers={"Retry-After": "1"})

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC_DIR / "index.html", headers=PAGE_HEADERS)

    @app.get("/health")
    async def health():
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/ready")
    async def ready():
        """Readiness: 200 once the model is loaded, 503 before (or if loading failed)."""
        if service.classifier is None:
            return not_ready()
        c = service.classifier
        return {"ready": True, "model_version": c.version, "labels": c.labels, "batching": batching,
                "limits": {"max_text_chars": MAX_TEXT_CHARS, "max_texts": MAX_TEXTS,
                           "max_body_bytes": MAX_BODY_BYTES, "max_tokens": c.max_tokens}}

    @app.post("/predict", response_model=PredictResponse,
              responses={400: {}, 413: {}, 422: {}, 503: {}})
    async def predict(body: PredictRequest):
        """Label, per-label scores and a prediction id for each text."""
        if service.classifier is None:
            return not_ready()
        texts = body.items()
        try:
            probs = await service.predict(texts)
        except QueueFull as err:
            return JSONResponse({"detail": f"busy: {err}"}, 503, headers={"Retry-After": "1"})
        labels, monitor = service.classifier.labels, service.monitor
        out = []
        for text, p in zip(texts, probs):
            best, pid = _argmax(p), uuid.uuid4().hex
            monitor.record_prediction(pid, len(text), best)
            out.append(Prediction(id=pid, label=labels[best], score=p[best],
                                  scores={label: v for label, v in zip(labels, p)}))
        return PredictResponse(model_version=service.classifier.version, predictions=out)

    @app.post("/feedback", response_model=FeedbackResponse, responses={404: {}, 422: {}, 503: {}})
    async def feedback(body: FeedbackRequest):
        """True labels for earlier predictions; they feed the rolling quality metrics."""
        if service.classifier is None:
            return not_ready()
        labels = service.classifier.labels
        true_ids = []
        for i, item in enumerate(body.items):
            if isinstance(item.label, int) and 0 <= item.label < len(labels):
                true_ids.append(item.label)
            elif isinstance(item.label, str) and item.label in labels:
                true_ids.append(labels.index(item.label))
            else:
                detail = [{"loc": ["body", "items", i, "label"], "type": "value_error",
                           "msg": f"unknown label {item.label!r}; expected one of {labels} or 0..{len(labels) - 1}"}]
                return JSONResponse({"detail": detail}, 422)
        unknown = [item.prediction_id for item, true_id in zip(body.items, true_ids)
                   if not service.monitor.record_feedback(item.prediction_id, true_id)]
        accepted = len(body.items) - len(unknown)
        if not accepted:
            return JSONResponse({"detail": "unknown or already used prediction_id", "unknown_ids": unknown}, 404)
        return FeedbackResponse(accepted=accepted, unknown_ids=unknown)

    @app.get("/metrics", include_in_schema=False)
    async def metrics():
        if service.monitor is None:
            return Response(b"", media_type=CONTENT_TYPE_LATEST)
        return Response(service.monitor.render(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/monitoring")
    async def monitoring():
        """The monitoring numbers as JSON (what the web page shows)."""
        if service.monitor is None:
            return not_ready()
        return service.monitor.snapshot() | {"batching": batching, "queue": service.batcher.pending
                                             if service.batcher else service.naive_inflight}

    return app


def read_reference(path: str | Path) -> list[str]:
    """Reference texts for drift: a .txt file (one text per line) or .jsonl with a "text" field."""
    path = Path(path)
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if path.suffix == ".jsonl":
        return [json.loads(line)["text"] for line in lines]
    return lines
