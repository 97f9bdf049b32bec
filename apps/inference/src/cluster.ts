import cluster, { type Worker } from "node:cluster";
import type { TLogger } from "./logger";

const METRICS_REQUEST = "kubeserve:metrics-request";
const METRICS_REPLY = "kubeserve:metrics-reply";
const READY = "kubeserve:ready";

type TMessage =
  | { type: typeof METRICS_REQUEST; id: number }
  | { type: typeof METRICS_REPLY; id: number; text?: string; error?: string }
  | { type: typeof READY };

function isMessage(value: unknown): value is TMessage {
  return typeof value === "object" && value !== null && "type" in value;
}

/** Worker side: tell the primary this worker's model is ready. */
export function announceReady(): void {
  process.send?.({ type: READY } satisfies TMessage);
}

/** Worker side: metrics of all workers, added up by the primary. */
export function createClusterMetricsCollector(): () => Promise<string> {
  let nextId = 0;
  const pending = new Map<number, { resolve: (t: string) => void; reject: (e: Error) => void }>();
  process.on("message", (message: unknown) => {
    if (!isMessage(message) || message.type !== METRICS_REPLY) return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) waiter?.reject(new Error(message.error));
    else waiter?.resolve(message.text ?? "");
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      process.send?.({ type: METRICS_REQUEST, id } satisfies TMessage);
    });
}

/**
 * Primary side: forks the workers (they run the same CLI and share the listening socket),
 * answers their metrics requests, replaces a worker that dies after start-up, and on SIGTERM
 * lets every worker drain before exiting.
 */
export async function runClusterPrimary(workers: number, logger: TLogger): Promise<void> {
  const { AggregatorRegistry } = await import("prom-client");
  const aggregator = new AggregatorRegistry();
  let readyCount = 0;
  let isStopping = false;
  const isReady = new WeakSet<Worker>();

  const onMessage = (worker: Worker, message: unknown) => {
    if (!isMessage(message)) return;
    if (message.type === READY) {
      isReady.add(worker);
      readyCount++;
      if (readyCount === workers) logger.info({ workers }, "all workers ready");
    } else if (message.type === METRICS_REQUEST) {
      aggregator.clusterMetrics().then(
        (text) => worker.send({ type: METRICS_REPLY, id: message.id, text } satisfies TMessage),
        (error: Error) =>
          worker.send({
            type: METRICS_REPLY,
            id: message.id,
            error: error.message,
          } satisfies TMessage),
      );
    }
  };
  cluster.on("message", onMessage);
  cluster.on("exit", (worker, code, signal) => {
    if (isStopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(process.exitCode ?? 0);
      return;
    }
    if (!isReady.has(worker)) {
      logger.fatal({ code, signal }, "a worker failed to start; stopping");
      isStopping = true;
      for (const other of Object.values(cluster.workers ?? {})) other?.kill("SIGTERM");
      process.exitCode = code || 1;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(process.exitCode);
      return;
    }
    logger.error({ code, signal }, "worker died; starting a replacement");
    cluster.fork();
  });
  const stop = (signal: string) => {
    logger.info({ signal }, "stopping workers");
    isStopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  for (let i = 0; i < workers; i++) cluster.fork();
}
