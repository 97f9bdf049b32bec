"""Prometheus metrics with the names, labels and buckets of apps/inference (one dashboard for both).

With several workers prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by the
supervisor before a worker imports this) adds the workers' values up at scrape time.
"""

from __future__ import annotations

import os

os.environ.setdefault("PROMETHEUS_DISABLE_CREATED_SERIES", "True")

from prometheus_client import (  # noqa: E402 - the variable above must be set first
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import gc_collector, platform_collector, process_collector  # noqa: E402

LATENCY_MS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000)
QUEUE_MS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000)
BATCH_ROWS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
PROTOCOLS = ("v2", "v1", "predict", "other")
BASE = ("model", "version", "deployment")
CONTENT_TYPE = CONTENT_TYPE_LATEST


def is_multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class Metrics:
    """Children are bound once per label set, so an observation is one call."""

    def __init__(self, model: str, version: str, deployment: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        base = (model, version, deployment)
        r = self.registry
        self._requests = Counter(
            "requests_total",
            "HTTP requests by protocol (v2, v1, predict, other) and status code",
            (*BASE, "protocol", "code"),
            registry=r,
        )
        latency = Histogram(
            "prediction_latency_ms",
            "Time from request arrival to response for inference requests, by protocol, in ms",
            (*BASE, "protocol"),
            registry=r,
            buckets=LATENCY_MS,
        )
        predictions = Counter(
            "predictions_total",
            "Rows predicted (first dimension of successful inference requests), by protocol",
            (*BASE, "protocol"),
            registry=r,
        )
        self.queue_wait = Histogram(
            "queue_wait_ms",
            "Time a request waited in the batching queue before its run started, in ms",
            BASE,
            registry=r,
            buckets=QUEUE_MS,
        ).labels(*base)
        self.batch_size = Histogram(
            "batch_size", "Rows per scikit-learn call (after dynamic batching)", BASE, registry=r, buckets=BATCH_ROWS
        ).labels(*base)
        self.run_duration = Histogram(
            "inference_run_ms", "Duration of one scikit-learn predict call, in ms", BASE, registry=r, buckets=LATENCY_MS
        ).labels(*base)
        self.in_flight = Gauge(
            "requests_in_flight",
            "Inference requests received and not yet answered",
            BASE,
            registry=r,
            multiprocess_mode="livesum",
        ).labels(*base)
        self.model_load = Gauge(
            "model_load_seconds",
            "Seconds taken to fetch, load and warm up the model",
            BASE,
            registry=r,
            multiprocess_mode="livemax",
        ).labels(*base)
        self.ready = Gauge(
            "model_ready", "1 when the model is ready to serve, else 0", BASE, registry=r, multiprocess_mode="livemin"
        ).labels(*base)
        self.ready.set(0)
        self.latency = {p: latency.labels(*base, p) for p in PROTOCOLS}
        self.predictions = {p: predictions.labels(*base, p) for p in PROTOCOLS}
        self._base = base
        self._codes: dict[tuple[str, int], object] = {}
        if not is_multiprocess():
            process_collector.ProcessCollector(registry=r)
            platform_collector.PlatformCollector(registry=r)
            gc_collector.GCCollector(registry=r)

    def count_request(self, protocol: str, status: int) -> None:
        key = (protocol, status)
        child = self._codes.get(key)
        if child is None:
            child = self._requests.labels(*self._base, protocol, str(status))
            self._codes[key] = child
        child.inc()  # type: ignore[attr-defined]

    def render(self) -> bytes:
        if not is_multiprocess():
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
