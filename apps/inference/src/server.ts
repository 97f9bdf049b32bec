import cluster from "node:cluster";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { parseConfig, type TConfig, type TConfigInput } from "./config";
import { createRequestHandler } from "./http/handler";
import type { TLoadedServing, TServingState } from "./http/serving-state";
import { createLogger, type TLogger } from "./logger";
import { createMetrics } from "./metrics/metrics";
import { InferenceStats } from "./metrics/stats";
import { loadModel, ModelLoadError, type TLoadedModel } from "./model/load-model";
import { parseS3Uri, resolveModelFile } from "./model/resolve-model";
import { JsonScanner } from "./protocol/json-scan";
import { describeModel, describeTritonConfig } from "./protocol/metadata";
import { Batcher } from "./runtime/batcher";

export type TInferenceServer = {
  /** base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  config: TConfig & { name: string };
  isReady: () => boolean;
  /** stops accepting, answers what is in flight, then releases the model */
  close: () => Promise<void>;
};

export type TStartOptions = TConfigInput & {
  logger?: TLogger;
  /** replaces this process's /metrics text, e.g. with the sum over cluster workers */
  renderMetrics?: () => Promise<string>;
  /** called once the port is open, before the model is loaded (liveness already answers) */
  onListening?: (url: string) => void;
};

function deriveModelName(model: string): string {
  const key = parseS3Uri(model)?.key ?? model;
  const base = path.basename(key).replace(/\.onnx$/i, "");
  return base.replace(/[^A-Za-z0-9_.-]/g, "-").replace(/^[^A-Za-z0-9]+/, "") || "model";
}

function prepareServing(
  config: TConfig & { name: string },
  model: TLoadedModel,
  state: TServingState,
  logger: TLogger,
): TLoadedServing {
  const { signature, session } = model;
  const v1Output = config.v1Output
    ? signature.outputs.find((o) => o.name === config.v1Output)
    : signature.outputs[0];
  if (!v1Output) {
    const names = signature.outputs.map((o) => o.name).join(", ");
    throw new ModelLoadError(
      `KUBESERVE_V1_OUTPUT (--v1-output) '${config.v1Output}' is not an output of the model; outputs: ${names}`,
    );
  }
  if (config.batching === "on" && !signature.hasBatchDim) {
    logger.warn(
      "batching requested but the model has no dynamic first dimension; running unbatched",
    );
  }
  const isBatching = config.batching !== "off" && signature.hasBatchDim;
  const queueWait = state.metrics.queueWait.child();
  const batchSize = state.metrics.batchSize.child();
  const runDuration = state.metrics.runDuration.child();
  const batcher = new Batcher(
    session,
    {
      isBatching,
      maxBatchSize: config.maxBatchSize,
      maxQueueDelayMs: config.maxQueueDelayMs,
      maxQueueSize: config.maxQueueSize,
      maxQueueBytes: config.maxQueueBytes,
    },
    {
      onRun: (rows, _requests, runMs, queueMs) => {
        batchSize.observe(rows);
        runDuration.observe(runMs);
        for (const ms of queueMs) queueWait.observe(ms);
        state.stats.recordRun(rows, runMs, queueMs);
      },
      onRunFailed: (_requests, runMs) => runDuration.observe(runMs),
    },
  );
  const identity = { name: config.name, version: config.version };
  return {
    signature,
    batcher,
    scanner: new JsonScanner(),
    v1Output,
    v2Prefix: `{"model_name":${JSON.stringify(config.name)},"model_version":${JSON.stringify(config.version)}`,
    metadataJson: describeModel(identity, signature),
    tritonConfigJson: describeTritonConfig(identity, signature, {
      isBatching,
      maxBatchSize: config.maxBatchSize,
      maxQueueDelayMs: config.maxQueueDelayMs,
    }),
  };
}

async function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  server.listen(port, host);
  await Promise.race([
    once(server, "listening"),
    once(server, "error").then(([e]) => Promise.reject(e as Error)),
  ]);
  return server.address() as AddressInfo;
}

/**
 * Starts the HTTP server at once (liveness answers during loading), then fetches, loads and
 * warms up the model; resolves when the model is ready, rejects if it cannot be served.
 */
export async function startInferenceServer(options: TStartOptions): Promise<TInferenceServer> {
  const { logger: givenLogger, renderMetrics, onListening, ...input } = options;
  const parsed = parseConfig(input);
  const config = { ...parsed, name: parsed.name ?? deriveModelName(parsed.model) };
  const logger =
    givenLogger ?? createLogger(config.logLevel, { model: config.name, version: config.version });
  const metrics = createMetrics({
    model: config.name,
    version: config.version,
    deployment: config.deployment,
  });
  const state: TServingState = {
    model: { name: config.name, version: config.version },
    logger,
    metrics,
    stats: new InferenceStats(),
    maxBodyBytes: config.maxBodyBytes,
    authToken: config.authToken,
    isHealthPublic: config.publicHealth,
    loaded: undefined,
    isDraining: false,
    renderMetrics: renderMetrics ?? (() => metrics.loadRegistry().then((r) => r.metrics())),
  };
  const server = createServer({ keepAliveTimeout: 65_000 }, createRequestHandler(state));
  const address = await listen(server, config.host, config.port);
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${address.port}`;
  // supervisors read this line for the port (--port 0 picks a free one)
  logger.info({ url, host: address.address, port: address.port }, "listening");
  logger.info({ isAuthRequired: config.authToken !== undefined }, "loading model");
  onListening?.(url);

  let model: TLoadedModel;
  const startedAt = performance.now();
  try {
    const file = await resolveModelFile(config, logger);
    model = await loadModel(file, config);
    state.loaded = prepareServing(config, model, state, logger);
  } catch (error) {
    server.close();
    server.closeAllConnections();
    throw error;
  }
  // A cluster worker must answer the primary's aggregation messages from its first scrape on.
  if (cluster.isWorker) await metrics.loadRegistry();
  const loadSeconds = (performance.now() - startedAt) / 1000;
  metrics.modelLoad.child().value = loadSeconds;
  metrics.ready.child().value = 1;
  logger.info(
    {
      seconds: Number(loadSeconds.toFixed(3)),
      inputs: model.signature.inputs.map(
        (s) => `${s.name}:${s.info.datatype}[${s.shape.join(",")}]`,
      ),
      outputs: model.signature.outputs.map(
        (s) => `${s.name}:${s.info.datatype}[${s.shape.join(",")}]`,
      ),
    },
    "model ready",
  );

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      state.isDraining = true;
      metrics.ready.child().value = 0;
      logger.info("shutting down: draining in-flight requests");
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      await closed;
      clearTimeout(timer);
      // a force-closed connection can leave its batch on the session: release only after it
      const batches = await state.loaded!.batcher.close();
      await model.session.release();
      logger.info({ droppedQueued: batches.dropped, awaitedRun: batches.wasRunning }, "shut down");
    })());

  return {
    url,
    port: address.port,
    config,
    isReady: () => state.loaded !== undefined && !state.isDraining,
    close,
  };
}
