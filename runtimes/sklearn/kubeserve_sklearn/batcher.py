"""Dynamic batching on the event loop: requests that arrive while a run computes go together.

scikit-learn computes synchronously on the loop (as onnxruntime-node does in apps/inference), so
new requests wait in the socket buffers during a run and are all parsed right after it; the next
dispatch (loop.call_soon, after that I/O) merges them. At low load nothing waits on a timer; under
load (the last batch had more rows than are queued) it waits up to max_queue_delay for the crowd.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .metrics import Metrics

TRunner = Callable[[np.ndarray, frozenset[str]], dict[str, np.ndarray]]


class QueueFullError(Exception):
    pass


class ShuttingDownError(Exception):
    pass


class InferenceError(Exception):
    pass


@dataclass
class _Item:
    rows: np.ndarray
    outputs: frozenset[str]
    nbytes: int
    future: asyncio.Future[dict[str, np.ndarray]]
    queued_at: float = field(default_factory=time.perf_counter)


class Batcher:
    def __init__(
        self,
        run: TRunner,
        metrics: Metrics,
        is_batching: bool,
        max_batch_size: int,
        max_queue_delay_ms: float,
        max_queue_size: int,
        max_queue_bytes: int,
    ) -> None:
        self._run = run
        self._metrics = metrics
        self._is_batching = is_batching
        self._max_rows = max_batch_size if is_batching else 1
        self._delay = max_queue_delay_ms / 1000.0
        self._max_size = max_queue_size
        self._max_bytes = max_queue_bytes
        self._queue: deque[_Item] = deque()
        self._queued_bytes = 0
        self._is_scheduled = False
        self._has_waited = False
        self._last_rows = 0
        self.is_draining = False

    def reconfigure(self, is_batching: bool, max_batch_size: int, max_queue_delay_ms: float) -> None:
        """A live change (Ray Serve's user_config): queued requests keep their place, the next run uses it."""
        self._is_batching = is_batching
        self._max_rows = max_batch_size if is_batching else 1
        self._delay = max_queue_delay_ms / 1000.0

    def admit(self, nbytes: int) -> None:
        """Checked before the body is parsed; one request always fits an empty queue."""
        if self.is_draining:
            raise ShuttingDownError("the server is shutting down")
        if len(self._queue) >= self._max_size:
            raise QueueFullError(f"the queue is full ({self._max_size} requests); retry later")
        if self._queue and self._queued_bytes + nbytes > self._max_bytes:
            raise QueueFullError(f"the queue holds {self._queued_bytes} bytes of requests; retry later")

    def submit(self, rows: np.ndarray, outputs: frozenset[str], nbytes: int) -> asyncio.Future[dict[str, np.ndarray]]:
        loop = asyncio.get_running_loop()
        item = _Item(rows, outputs, nbytes, loop.create_future())
        self._queue.append(item)
        self._queued_bytes += nbytes
        self._schedule(loop)
        return item.future

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self._is_scheduled:
            self._is_scheduled = True
            loop.call_soon(self._dispatch)

    def _queued_rows(self) -> int:
        return sum(item.rows.shape[0] for item in self._queue)

    def _dispatch(self) -> None:
        self._is_scheduled = False
        if not self._queue:
            return
        loop = asyncio.get_running_loop()
        if (
            self._is_batching
            and self._delay > 0
            and not self._has_waited
            and self._last_rows > self._queued_rows()
            and self._queued_rows() < self._max_rows
        ):
            self._has_waited = True
            self._is_scheduled = True
            loop.call_later(self._delay, self._dispatch)
            return
        self._has_waited = False
        batch = [self._queue.popleft()]
        rows = batch[0].rows.shape[0]
        while self._queue and rows + self._queue[0].rows.shape[0] <= self._max_rows:
            item = self._queue.popleft()
            batch.append(item)
            rows += item.rows.shape[0]
        for item in batch:
            self._queued_bytes -= item.nbytes
        self._execute(batch, rows)
        self._last_rows = rows
        if self._queue:
            self._schedule(loop)

    def _execute(self, batch: list[_Item], rows: int) -> None:
        started = time.perf_counter()
        for item in batch:
            self._metrics.queue_wait.observe((started - item.queued_at) * 1000.0)
        outputs = frozenset().union(*(item.outputs for item in batch))
        inputs = batch[0].rows if len(batch) == 1 else np.concatenate([item.rows for item in batch])
        try:
            result = self._run(inputs, outputs)
        except Exception as error:  # noqa: BLE001 - every failure of the model answers 500
            failure = InferenceError(f"the model failed: {type(error).__name__}: {error}")
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(failure)
            return
        finally:
            self._metrics.run_duration.observe((time.perf_counter() - started) * 1000.0)
            self._metrics.batch_size.observe(rows)
        offset = 0
        for item in batch:
            n = item.rows.shape[0]
            if not item.future.done():
                item.future.set_result({k: v[offset : offset + n] for k, v in result.items()})
            offset += n

    @property
    def pending(self) -> int:
        return len(self._queue)
