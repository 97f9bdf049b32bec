import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { readCredential } from "../context";
import type { TDeps } from "../deps";
import { nextRequestId } from "../lib/request-id";
import { internalErrorMessage } from "../lib/errors";
import { errorCodeOf } from "../lib/http-errors";
import { authorizePrediction, type TGrant, type TRefusal } from "./auth";
import { forward, type TClientError, type TExchange } from "./forward";

// Predictions are answered on the raw node:http request, before Fastify builds its request, reply, child
// logger and hook chain (about half of the gateway's CPU per request). Only the plain case is taken here:
// anything unusual (CORS, Expect, chunked or oversized bodies, no credential, an odd path, shutdown) falls
// through to the Fastify routes in routes.ts, which answer it the same way with all the API's handling.

export const requestIdPattern = /^[A-Za-z0-9._-]{1,128}$/;
export const v2Pattern = /^models\/[^/?#]+(\/versions\/[^/?#]+)?(\/(infer|ready))?$/;

const predictPath = /^\/api\/v1\/predict\/([0-9a-fA-F-]{36})(?:\?.*)?$/;
const v2Path = /^\/api\/v1\/deployments\/([0-9a-fA-F-]{36})\/v2\/([^?#%]*)(\?.*)?$/;

type TTarget = {
  deploymentId: string;
  /** The model server's path for V2 requests; V1 ones go to /v1/models/{the route's model}:predict. */
  v2Upstream: string | undefined;
  protocol: "v1" | "v2";
};

function targetOf(req: IncomingMessage, maxBodyBytes: number): TTarget | undefined {
  const { headers, method, url = "" } = req;
  if (headers.origin !== undefined || headers.expect !== undefined) return undefined;
  if (headers["transfer-encoding"] !== undefined) return undefined;
  if (method === "POST") {
    const length = Number(headers["content-length"]);
    if (!(length <= maxBodyBytes) || headers["content-type"] === undefined) return undefined;
  } else if (method !== "GET" || (headers["content-length"] ?? "0") !== "0") {
    return undefined;
  }
  if (headers.authorization === undefined && headers["x-api-key"] === undefined) return undefined;
  if (method === "POST") {
    const predict = predictPath.exec(url);
    if (predict?.[1]) {
      return { deploymentId: predict[1].toLowerCase(), v2Upstream: undefined, protocol: "v1" };
    }
  }
  const v2 = v2Path.exec(url);
  if (!v2?.[1] || !v2Pattern.test(v2[2] ?? "")) return undefined;
  const upstream = `/v2/${v2[2] ?? ""}${v2[3] ?? ""}`;
  return { deploymentId: v2[1].toLowerCase(), v2Upstream: upstream, protocol: "v2" };
}

function sendFailure(res: ServerResponse, requestId: string, error: TClientError): void {
  const body = JSON.stringify({
    error: { code: errorCodeOf(error.status), message: error.message, requestId },
  });
  const headers: Record<string, string> = {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(body)),
    "x-request-id": requestId,
  };
  if (error.retryAfterSeconds) headers["retry-after"] = String(error.retryAfterSeconds);
  if (error.status === 401) headers["www-authenticate"] = 'Bearer realm="kubeserve"';
  res.writeHead(error.status, headers).end(body);
}

// Methods on a class rather than closures per request: fewer allocations on the hot path.
class RawExchange implements TExchange {
  constructor(
    private readonly deps: TDeps,
    private readonly res: ServerResponse,
    readonly requestId: string,
    readonly method: string,
    readonly headers: Record<string, string | string[] | undefined>,
    readonly body: Buffer | undefined,
  ) {}

  warn(details: Record<string, unknown>, message: string): void {
    this.deps.log.warn({ reqId: this.requestId, ...details }, message);
  }

  send(status: number, headers: Record<string, string>, payload: Buffer | Readable): void {
    const { res } = this;
    headers["x-request-id"] = this.requestId;
    if (Buffer.isBuffer(payload)) {
      headers["content-length"] = String(payload.length);
      res.writeHead(status, headers).end(payload);
      return;
    }
    res.writeHead(status, headers);
    payload.once("error", () => res.destroy());
    payload.pipe(res);
  }

  fail(error: TClientError): void {
    sendFailure(this.res, this.requestId, error);
  }
}

async function proceed(
  deps: TDeps,
  exchange: RawExchange,
  target: TTarget,
  grant: TGrant | TRefusal,
): Promise<void> {
  if ("status" in grant) return exchange.fail(grant);
  const { route } = grant;
  const { inFlight } = deps.gateway.metrics;
  inFlight.inc();
  try {
    await forward(
      deps,
      exchange,
      route,
      target.v2Upstream ?? `/v1/models/${route.modelName}:predict`,
      target.protocol,
    );
  } finally {
    inFlight.dec();
  }
}

function answer(
  deps: TDeps,
  req: IncomingMessage,
  exchange: RawExchange,
  target: TTarget,
): Promise<void> {
  const credential = readCredential(req.headers);
  // The peer address is only needed to rate-limit anonymous calls to public deployments.
  const ip = credential === undefined ? (req.socket.remoteAddress ?? "") : "";
  const grant = authorizePrediction(deps, target.deploymentId, credential, ip);
  if (grant instanceof Promise)
    return grant.then((known) => proceed(deps, exchange, target, known));
  return proceed(deps, exchange, target, grant);
}

/** Routes plain prediction requests past Fastify; everything else reaches Fastify's own handler. */
export function installFastPath(app: FastifyInstance, deps: TDeps): void {
  const server = app.server;
  const handlers = server.listeners("request") as ((
    req: IncomingMessage,
    res: ServerResponse,
  ) => void)[];
  let isClosing = false;
  app.addHook("preClose", (done) => {
    isClosing = true;
    done();
  });
  const isLoggingRequests = deps.config.isLoggingRequests && deps.log.isLevelEnabled("info");
  const maxBodyBytes = deps.config.gateway.maxBodyBytes;
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const target = isClosing ? undefined : targetOf(req, maxBodyBytes);
    if (!target) {
      for (const handle of handlers) handle(req, res);
      return;
    }
    const incoming = req.headers["x-request-id"];
    const requestId =
      typeof incoming === "string" && requestIdPattern.test(incoming) ? incoming : nextRequestId();
    if (isLoggingRequests) {
      const started = performance.now();
      res.once("finish", () =>
        deps.log.info(
          {
            reqId: requestId,
            method: req.method,
            url: req.url?.split("?")[0],
            status: res.statusCode,
            ms: Math.round(performance.now() - started),
          },
          "request",
        ),
      );
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("error", () => res.destroy());
    req.once("end", () => {
      const method = req.method ?? "GET";
      const body =
        method === "GET" ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      const exchange = new RawExchange(deps, res, requestId, method, req.headers, body);
      let answered: Promise<void>;
      try {
        answered = answer(deps, req, exchange, target);
      } catch (error) {
        answered = Promise.reject(error);
      }
      answered.catch((error: unknown) => {
        deps.log.error({ err: error, reqId: requestId, url: req.url }, "request failed");
        if (res.headersSent) return void res.destroy();
        sendFailure(res, requestId, { status: 500, message: internalErrorMessage(requestId) });
      });
    });
  });
}
