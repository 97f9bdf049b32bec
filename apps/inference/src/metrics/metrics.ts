import cluster from "node:cluster";
import { AggregatorRegistry, Registry, collectDefaultMetrics } from "prom-client";
import { FastCounter, FastGauge, FastHistogram } from "./fast-metrics";

// "probe": health checks (the supervisor's readiness polls), kept apart so they never read as traffic.
export type TProtocol = "v2" | "v1" | "predict" | "probe" | "other";

const LATENCY_MS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
const QUEUE_MS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000];
const BATCH_ROWS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/** Every metric carries the labels model, version and deployment (registry default labels). */
export function createMetrics(labels: { model: string; version: string; deployment: string }) {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  // In cluster mode the primary asks each worker for this registry and adds them up.
  if (cluster.isWorker) {
    // Constructing one installs prom-client's worker-side IPC listener.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([registry]);
  }
  return {
    registry,
    requests: new FastCounter(
      "requests_total",
      "HTTP requests by protocol (v2, v1, predict, other) and status code",
      registry,
    ),
    latency: new FastHistogram(
      "prediction_latency_ms",
      "Time from request arrival to response for inference requests, by protocol, in ms",
      registry,
      LATENCY_MS,
    ),
    predictions: new FastCounter(
      "predictions_total",
      "Rows predicted (first dimension of successful inference requests), by protocol",
      registry,
    ),
    queueWait: new FastHistogram(
      "queue_wait_ms",
      "Time a request waited in the batching queue before its run started, in ms",
      registry,
      QUEUE_MS,
    ),
    batchSize: new FastHistogram(
      "batch_size",
      "Rows per ONNX Runtime run (after dynamic batching)",
      registry,
      BATCH_ROWS,
    ),
    runDuration: new FastHistogram(
      "inference_run_ms",
      "Duration of one ONNX Runtime session.run, in ms",
      registry,
      LATENCY_MS,
    ),
    inFlight: new FastGauge(
      "requests_in_flight",
      "Inference requests received and not yet answered",
      registry,
    ),
    modelLoad: new FastGauge(
      "model_load_seconds",
      "Seconds taken to fetch, load and warm up the model",
      registry,
      "max",
    ),
    ready: new FastGauge(
      "model_ready",
      "1 when the model is ready to serve, else 0",
      registry,
      "min",
    ),
  };
}

export type TMetrics = ReturnType<typeof createMetrics>;
