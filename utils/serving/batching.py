"""Dynamic micro-batching: concurrent requests share one forward pass.

Each text waits in an ``asyncio.Queue`` with a future. One worker task takes the first waiting text,
gathers more until ``max_batch_size`` texts are collected or ``max_wait_ms`` has passed since the
first, runs the batch in a worker thread (the event loop keeps serving requests meanwhile) and
resolves the futures. Under load the queue fills while a batch runs, so batches grow on their own.
"""
from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence


class QueueFull(RuntimeError):
    """More texts are waiting than the batcher accepts; the caller should retry later (HTTP 503)."""


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

    async def start(self) -> None:
        """Start the worker task on the running event loop."""
        if self._worker is None:
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._run(), name="micro-batcher")

    async def stop(self) -> None:
        """Stop the worker; texts still waiting get a ``RuntimeError``."""
        if self._worker is None:
            return
        self._worker.cancel()
        try:
            await self._worker
        except asyncio.CancelledError:
            pass
        self._worker = None
        while not self._queue.empty():
            _, future = self._queue.get_nowait()
            if not future.done():
                future.set_exception(RuntimeError("service is shutting down"))

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
        futures = [loop.create_future() for _ in texts]
        for text, future in zip(texts, futures):
            self._queue.put_nowait((text, future))
        return list(await asyncio.gather(*futures))

    async def _collect(self) -> list[tuple[str, asyncio.Future]]:
        batch = [await self._queue.get()]
        deadline = time.monotonic() + self.max_wait
        while len(batch) < self.max_batch_size:
            if not self._queue.empty():
                batch.append(self._queue.get_nowait())
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self._queue.get(), remaining))
            except asyncio.TimeoutError:
                break
        return batch

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._collect()
            live = [(text, fut) for text, fut in batch if not fut.done()]  # skip cancelled callers
            if not live:
                continue
            started = time.perf_counter()
            try:
                results = await loop.run_in_executor(
                    self._executor, self.predict_fn, [text for text, _ in live]
                )
            except Exception as err:  # a failed batch fails its requests, never the worker
                for _, future in live:
                    if not future.done():
                        future.set_exception(err)
                continue
            if self.on_batch is not None:
                self.on_batch(len(live), time.perf_counter() - started)
            for (_, future), result in zip(live, results):
                if not future.done():
                    future.set_result(result)
