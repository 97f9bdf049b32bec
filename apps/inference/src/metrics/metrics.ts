import cluster from "node:cluster";
import type { Registry } from "prom-client";
import { FastCounter, FastGauge, FastHistogram } from "./fast-metrics";

// "probe": health checks (the supervisor's readiness polls), kept apart so they never read as traffic.
export type TProtocol = "v2" | "v1" | "predict" | "probe" | "other";

const LATENCY_MS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
const QUEUE_MS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000];
const BATCH_ROWS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/** Every metric carries the labels model, version and deployment (registry default labels). */
export function createMetrics(labels: { model: string; version: string; deployment: string }) {
  const metrics = createFastMetrics();
  let registry: Promise<Registry> | undefined;
  // prom-client costs more CPU to import than the rest of start-up: it loads on the first scrape.
  const loadRegistry = () =>
    (registry ??= import("prom-client").then((prom) => {
      const loaded = new prom.Registry();
      loaded.setDefaultLabels(labels);
      prom.collectDefaultMetrics({ register: loaded });
      for (const metric of Object.values(metrics)) loaded.registerMetric(metric as never);
      // In cluster mode the primary asks each worker for this registry and adds them up.
      if (cluster.isWorker) {
        // Constructing one installs prom-client's worker-side IPC listener.
        new prom.AggregatorRegistry();
        prom.AggregatorRegistry.setRegistries([loaded]);
      }
      return loaded;
    }));
  return { ...metrics, loadRegistry };
}

function createFastMetrics() {
  return {
    requests: new FastCounter(
      "requests_total",
      "HTTP requests by protocol (v2, v1, predict, other) and status code",
    ),
    latency: new FastHistogram(
      "prediction_latency_ms",
      "Time from request arrival to response for inference requests, by protocol, in ms",
      LATENCY_MS,
    ),
    predictions: new FastCounter(
      "predictions_total",
      "Rows predicted (first dimension of successful inference requests), by protocol",
    ),
    queueWait: new FastHistogram(
      "queue_wait_ms",
      "Time a request waited in the batching queue before its run started, in ms",
      QUEUE_MS,
    ),
    batchSize: new FastHistogram(
      "batch_size",
      "Rows per ONNX Runtime run (after dynamic batching)",
      BATCH_ROWS,
    ),
    runDuration: new FastHistogram(
      "inference_run_ms",
      "Duration of one ONNX Runtime session.run, in ms",
      LATENCY_MS,
    ),
    inFlight: new FastGauge(
      "requests_in_flight",
      "Inference requests received and not yet answered",
    ),
    modelLoad: new FastGauge(
      "model_load_seconds",
      "Seconds taken to fetch, load and warm up the model",
      "max",
    ),
    ready: new FastGauge("model_ready", "1 when the model is ready to serve, else 0", "min"),
  };
}

export type TMetrics = ReturnType<typeof createMetrics>;
