"""Dynamic micro-batching: concurrent requests share one forward pass.

Each text waits in an ``asyncio.Queue`` with a future. One worker task runs one batch at a time in a
worker thread (the event loop keeps serving requests meanwhile) and resolves the futures. What it
does with the first text it finds depends on whether other requests are in flight:

* **idle** (no forward pass running, nothing else queued, and the last pass served a lone request):
  the text is dispatched at once, with whatever was queued alongside it (the other texts of its
  request). A lone request never waits for company that is not coming, so at low load the service
  is as fast as one forward pass per request;
* **busy** (texts piled up while the last forward pass ran) or **just busy** (the last pass served
  several requests, whose clients are likely to send their next ones any moment): the worker takes
  every waiting text and, while the batch has fewer than ``max_batch_size`` texts, waits up to
  ``max_wait_ms`` for more, timed from when the answers of the last batch have gone out. Under load
  the queue fills while a batch runs, so batches grow on their own, and the short wait lets the
  requests answered by the last batch come back and join the next one instead of being split off
  into a forward pass of their own (in ``benchmarks/serving.py`` that split cost a quarter to a half
  more CPU per request).
"""
from __future__ import annotations

import asyncio
import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, NamedTuple, Sequence


class QueueFull(RuntimeError):
    """More texts are waiting than the batcher accepts; the caller should retry later (HTTP 503)."""


class _Item(NamedTuple):
    text: str
    future: asyncio.Future
    queued: float  # time.monotonic() when its request was submitted
    request: int  # which submit() call it came from


class MicroBatcher:
    """Group texts submitted concurrently into batches for ``predict_fn(list[str]) -> list``."""

    def __init__(
        self,
        predict_fn: Callable[[list[str]], list],
        *,
        max_batch_size: int = 32,
        max_wait_ms: float = 5.0,
        max_queue: int = 4096,
        executor: ThreadPoolExecutor | None = None,
        on_batch: Callable[[int, float], None] | None = None,
    ) -> None:
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be at least 1")
        if max_wait_ms < 0:
            raise ValueError("max_wait_ms must be >= 0")
        self.predict_fn = predict_fn
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000
        self.max_queue = max_queue
        self.on_batch = on_batch
        self._executor = executor or ThreadPoolExecutor(1, thread_name_prefix="forward")
        self._queue: asyncio.Queue | None = None
        self._worker: asyncio.Task | None = None
        self._last_forward_end = float("-inf")  # monotonic time the last forward pass returned
        self._in_forward: list[_Item] = []  # the batch being run
        self._had_company = False  # the last forward pass served more than one request
        self._request_ids = itertools.count()

    async def start(self) -> None:
        """Start the worker task on the running event loop."""
        if self._worker is None:
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._run(), name="micro-batcher")

    async def stop(self) -> None:
        """Stop the worker; texts still waiting or in the running batch get a ``RuntimeError``."""
        if self._worker is None:
            return
        self._worker.cancel()
        try:
            await self._worker
        except asyncio.CancelledError:
            pass
        self._worker = None
        waiting = [self._queue.get_nowait() for _ in range(self._queue.qsize())]
        for item in self._in_forward + waiting:
            if not item.future.done():
                item.future.set_exception(RuntimeError("service is shutting down"))
        self._in_forward = []

    @property
    def pending(self) -> int:
        return self._queue.qsize() if self._queue else 0

    async def submit(self, texts: Sequence[str]) -> list:
        """Queue ``texts`` and return their results in order once their batches have run."""
        if self._worker is None:
            raise RuntimeError("MicroBatcher.start() has not been awaited")
        if self._queue.qsize() + len(texts) > self.max_queue:
            raise QueueFull(f"more than {self.max_queue} texts waiting")
        loop = asyncio.get_running_loop()
        queued, request = time.monotonic(), next(self._request_ids)
        futures = [loop.create_future() for _ in texts]
        for text, future in zip(texts, futures):
            self._queue.put_nowait(_Item(text, future, queued, request))
        if len(futures) == 1:  # the common case, without gather's extra future
            return [await futures[0]]
        return list(await asyncio.gather(*futures))

    def _take_waiting(self, batch: list) -> None:
        """Move texts already in the queue into ``batch``, up to ``max_batch_size``."""
        while len(batch) < self.max_batch_size and not self._queue.empty():
            batch.append(self._queue.get_nowait())

    async def _collect(self) -> list[_Item]:
        batch = [await self._queue.get()]
        self._take_waiting(batch)
        if batch[0].queued >= self._last_forward_end and not self._had_company:
            return batch  # idle, and the last pass served a lone request: nobody else is coming, go now
        deadline = time.monotonic() + self.max_wait  # busy, or just was: wait a little for more
        while len(batch) < self.max_batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self._queue.get(), remaining))
            except asyncio.TimeoutError:
                break
            self._take_waiting(batch)
        return batch

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._collect()
            live = [item for item in batch if not item.future.done()]  # skip cancelled callers
            if not live:
                continue
            self._had_company = len({item.request for item in live}) > 1
            started = time.perf_counter()
            self._in_forward = live  # stop() fails these if it cancels the worker meanwhile
            try:
                results = await loop.run_in_executor(
                    self._executor, self.predict_fn, [item.text for item in live]
                )
                failure = None
            except Exception as err:  # a failed batch fails its requests, never the worker
                failure = err
            self._last_forward_end, self._in_forward = time.monotonic(), []
            if failure is not None:
                for item in live:
                    if not item.future.done():
                        item.future.set_exception(failure)
                continue
            if self.on_batch is not None:
                self.on_batch(len(live), time.perf_counter() - started)
            for item, result in zip(live, results):
                if not item.future.done():
                    item.future.set_result(result)
            await asyncio.sleep(0)  # the answers go out before the next wait for company is timed
