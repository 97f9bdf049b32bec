"""The runtime's metrics through ray.util.metrics, exported by Ray's own Prometheus endpoint.

Same interface as metrics.Metrics (the shared handlers call it), same labels (model, version, deployment,
protocol, code). Ray prefixes every application metric with `ray_` and a Counter gains `_total`, so
`kubeserve_requests` is scraped as `ray_kubeserve_requests_total` (promqlFor in the API's services/prometheus-metrics.ts).
"""

from __future__ import annotations

from typing import Any

from .metrics import BATCH_ROWS, LATENCY_MS, PROTOCOLS, QUEUE_MS

BASE = ("model", "version", "deployment")


class _Bound:
    """One metric with fixed tags; a gauge keeps its value here because Ray's Gauge only has `set`."""

    def __init__(self, metric: Any, tags: dict[str, str]) -> None:
        self._metric = metric
        self._tags = tags
        self._value = 0.0

    def inc(self, value: float = 1.0) -> None:
        if hasattr(self._metric, "inc"):
            if value:
                self._metric.inc(value, tags=self._tags)
            return
        self.set(self._value + value)

    def dec(self, value: float = 1.0) -> None:
        self.set(self._value - value)

    def set(self, value: float) -> None:
        self._value = value
        self._metric.set(value, tags=self._tags)

    def observe(self, value: float) -> None:
        self._metric.observe(value, tags=self._tags)


class RayMetrics:
    def __init__(self, model: str, version: str, deployment: str) -> None:
        from ray.util import metrics  # type: ignore[import-not-found]

        tags = dict(zip(BASE, (model, version, deployment)))
        self._tags = tags

        def histogram(name: str, text: str, buckets: tuple[float, ...], keys: tuple[str, ...] = BASE) -> Any:
            return metrics.Histogram(f"kubeserve_{name}", description=text, boundaries=list(buckets), tag_keys=keys)

        def gauge(name: str, text: str) -> _Bound:
            return _Bound(metrics.Gauge(f"kubeserve_{name}", description=text, tag_keys=BASE), tags)

        self._requests = metrics.Counter(
            "kubeserve_requests", description="HTTP requests by protocol and status code", tag_keys=(*BASE, "protocol", "code")
        )
        latency = histogram("prediction_latency_ms", "Inference request latency by protocol, in ms", LATENCY_MS, (*BASE, "protocol"))
        predictions = metrics.Counter(
            "kubeserve_predictions", description="Rows predicted by protocol", tag_keys=(*BASE, "protocol")
        )
        self.queue_wait = _Bound(histogram("queue_wait_ms", "Wait in the batching queue, in ms", QUEUE_MS), tags)
        self.batch_size = _Bound(histogram("batch_size", "Rows per model run", BATCH_ROWS), tags)
        self.run_duration = _Bound(histogram("inference_run_ms", "Duration of one model run, in ms", LATENCY_MS), tags)
        self.in_flight = gauge("requests_in_flight", "Inference requests received and not yet answered")
        self.model_load = gauge("model_load_seconds", "Seconds taken to fetch, load and warm up the model")
        self.ready = gauge("model_ready", "1 when the model is ready to serve, else 0")
        self.latency = {p: _Bound(latency, {**tags, "protocol": p}) for p in PROTOCOLS}
        self.predictions = {p: _Bound(predictions, {**tags, "protocol": p}) for p in PROTOCOLS}

    def count_request(self, protocol: str, status: int) -> None:
        self._requests.inc(1.0, tags={**self._tags, "protocol": protocol, "code": str(status)})

    def render(self) -> bytes:
        # Ray's metrics agent exports these; the replica's own /metrics has nothing of its own to add.
        return b"# metrics of this replica are exported by Ray's Prometheus endpoint (ray_kubeserve_*)\n"
