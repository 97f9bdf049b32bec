import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import type { TDeps } from "../deps";
import type { TEndpoint } from "../runtime/driver";
import type { TRoute } from "./directory";

// Proxies one prediction to a ready replica. Written against a small exchange so the Fastify routes and
// the raw fast path (fast-path.ts) share one implementation of retries, 503s, metrics and cold start.

export type TClientError = { status: number; message: string; retryAfterSeconds?: number };

export type TExchange = {
  requestId: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | undefined;
  warn(details: Record<string, unknown>, message: string): void;
  /** Sends the model server's answer: status, the passed headers, then the whole body or a stream. */
  send(status: number, headers: Record<string, string>, body: Buffer | Readable): unknown;
  fail(error: TClientError): unknown;
};

const bufferedResponseBytes = 1_048_576;

const passedResponseHeaders = [
  "content-type",
  "content-length",
  "inference-header-content-length",
  "retry-after",
];

const retryableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_DESTROYED",
]);

/** Failures where the replica cannot have run the request, or predictions (pure functions) may rerun. */
function isRetryable(error: unknown): boolean {
  return retryableCodes.has((error as { code?: string }).code ?? "");
}

async function recordColdStart(deps: TDeps, route: TRoute): Promise<void> {
  const from = route.coldStartFrom;
  if (from === undefined) return;
  deps.gateway.directory.markWarm(route.id);
  await deps.sql(
    "UPDATE deployments SET cold_start_ms = $1 WHERE id = $2 AND cold_start_ms IS NULL",
    [Math.max(0, Date.now() - from), route.id],
  );
}

export async function forward(
  deps: TDeps,
  exchange: TExchange,
  route: TRoute,
  upstreamPath: string,
  protocol: string,
): Promise<unknown> {
  const started = performance.now();
  const { upstreams, metrics } = deps.gateway;
  const driver = deps.runtimes.find(route.runtime);
  const endpoints = driver?.endpoints(route.id) ?? [];
  if (endpoints.length === 0) {
    const message =
      route.desiredState === "stopped"
        ? "Deployment is stopped: start it to serve predictions"
        : "No replica of this deployment is ready yet: retry shortly";
    metrics.observe(route.id, protocol, 503, performance.now() - started);
    return exchange.fail({ status: 503, message, retryAfterSeconds: 1 });
  }
  const body = exchange.method === "GET" || exchange.method === "HEAD" ? undefined : exchange.body;
  let tried: TEndpoint | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    const endpoint = upstreams.pick(
      attempt === 0 ? endpoints : (driver?.endpoints(route.id) ?? []),
      tried?.replicaId,
    );
    if (!endpoint) break;
    tried = endpoint;
    upstreams.begin(endpoint);
    let response: Dispatcher.ResponseData;
    try {
      response = await upstreams.pool(endpoint).request({
        method: exchange.method as Dispatcher.HttpMethod,
        path: endpoint.pathPrefix === undefined ? upstreamPath : endpoint.pathPrefix + upstreamPath,
        headers: upstreams.headersFor(endpoint, exchange.requestId, exchange.headers),
        body,
        headersTimeout: deps.config.gateway.timeoutMs,
        bodyTimeout: deps.config.gateway.timeoutMs,
      });
    } catch (error) {
      upstreams.end(endpoint);
      exchange.warn({ err: error, replica: endpoint.replicaId, attempt }, "replica request failed");
      if (attempt === 0 && isRetryable(error)) continue;
      metrics.observe(route.id, protocol, 502, performance.now() - started);
      return exchange.fail({
        status: 502,
        message: "The model server failed to answer: retry the request",
      });
    }
    const passed: Record<string, string> = {};
    for (const name of passedResponseHeaders) {
      const value = response.headers[name];
      if (typeof value === "string") passed[name] = value;
    }
    metrics.observe(route.id, protocol, response.statusCode, performance.now() - started);
    if (response.statusCode < 300 && route.coldStartFrom !== undefined) {
      recordColdStart(deps, route).catch((error: unknown) =>
        exchange.warn({ err: error }, "recording cold start failed"),
      );
    }
    const length = Number(passed["content-length"]);
    if (Number.isFinite(length) && length <= bufferedResponseBytes) {
      // Small answers (nearly all predictions) are read whole and sent in one write: cheaper than a stream.
      try {
        const whole = Buffer.from(await response.body.arrayBuffer());
        return exchange.send(response.statusCode, passed, whole);
      } finally {
        upstreams.end(endpoint);
      }
    }
    let isEnded = false;
    const finish = () => {
      if (isEnded) return;
      isEnded = true;
      upstreams.end(endpoint);
    };
    response.body.once("close", finish);
    response.body.once("error", finish);
    return exchange.send(response.statusCode, passed, response.body);
  }
  metrics.observe(route.id, protocol, 503, performance.now() - started);
  return exchange.fail({
    status: 503,
    message: "No replica of this deployment is ready: retry shortly",
    retryAfterSeconds: 1,
  });
}
