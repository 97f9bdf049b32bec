import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import { readCredential } from "../context";
import type { TDeps } from "../deps";
import { internalErrorMessage } from "../lib/errors";
import { errorCodeOf } from "../lib/http-errors";
import { authorizePrediction } from "./auth";
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
  upstreamPath: (modelName: string) => string;
  protocol: string;
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
      return {
        deploymentId: predict[1].toLowerCase(),
        upstreamPath: (modelName) => `/v1/models/${modelName}:predict`,
        protocol: "v1",
      };
    }
  }
  const v2 = v2Path.exec(url);
  if (!v2?.[1] || !v2Pattern.test(v2[2] ?? "")) return undefined;
  const upstream = `/v2/${v2[2] ?? ""}${v2[3] ?? ""}`;
  return { deploymentId: v2[1].toLowerCase(), upstreamPath: () => upstream, protocol: "v2" };
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

async function answer(
  deps: TDeps,
  req: IncomingMessage,
  res: ServerResponse,
  target: TTarget,
  requestId: string,
  body: Buffer | undefined,
): Promise<void> {
  const grant = await authorizePrediction(
    deps,
    target.deploymentId,
    readCredential(req.headers),
    req.socket.remoteAddress ?? "",
  );
  if ("status" in grant) return sendFailure(res, requestId, grant);
  const exchange: TExchange = {
    requestId,
    method: req.method ?? "GET",
    headers: req.headers,
    body,
    warn(details, message) {
      deps.log.warn({ reqId: requestId, ...details }, message);
    },
    send(status, headers, payload) {
      headers["x-request-id"] = requestId;
      if (Buffer.isBuffer(payload)) {
        headers["content-length"] = String(payload.length);
        res.writeHead(status, headers).end(payload);
        return;
      }
      res.writeHead(status, headers);
      payload.once("error", () => res.destroy());
      payload.pipe(res);
    },
    fail(error) {
      sendFailure(res, requestId, error);
    },
  };
  const { inFlight } = deps.gateway.metrics;
  inFlight.inc();
  try {
    await forward(
      deps,
      exchange,
      grant.route,
      target.upstreamPath(grant.route.modelName),
      target.protocol,
    );
  } finally {
    inFlight.dec();
  }
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
  const isLoggingRequests = deps.log.isLevelEnabled("info");
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
      typeof incoming === "string" && requestIdPattern.test(incoming) ? incoming : randomUUID();
    const started = performance.now();
    if (isLoggingRequests) {
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
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      answer(deps, req, res, target, requestId, req.method === "GET" ? undefined : body).catch(
        (error: unknown) => {
          deps.log.error({ err: error, reqId: requestId, url: req.url }, "request failed");
          if (res.headersSent) return void res.destroy();
          sendFailure(res, requestId, { status: 500, message: internalErrorMessage(requestId) });
        },
      );
    });
  });
}
