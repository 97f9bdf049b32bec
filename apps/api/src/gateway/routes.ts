import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Dispatcher } from "undici";
import { readCredential } from "../context";
import type { TDeps } from "../deps";
import { sendError } from "../lib/http-errors";
import type { TEndpoint } from "../runtime/driver";
import { authorizePrediction } from "./auth";
import type { TRoute } from "./directory";
import { buildOpenApi } from "./openapi";

// The prediction gateway, on the API's own port: the routes share the API's auth, key cache and the
// runtime's replica list in memory, so routing needs no extra hop and no second service to run.

type TParams = { deploymentId: string; "*"?: string };

const bufferedResponseBytes = 1_048_576;

const passedRequestHeaders = ["content-type", "inference-header-content-length", "accept"];
const passedResponseHeaders = [
  "content-type",
  "content-length",
  "inference-header-content-length",
  "retry-after",
];

/** Failures where the replica cannot have run the request, or predictions (pure functions) may rerun. */
function isRetryable(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? "";
  return [
    "ECONNREFUSED",
    "ECONNRESET",
    "EPIPE",
    "UND_ERR_SOCKET",
    "UND_ERR_CLOSED",
    "UND_ERR_DESTROYED",
  ].includes(code);
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

async function forward(
  deps: TDeps,
  req: FastifyRequest<{ Params: TParams }>,
  reply: FastifyReply,
  route: TRoute,
  upstreamPath: string,
  protocol: string,
) {
  const started = performance.now();
  const { upstreams } = deps.gateway;
  const driver = deps.runtimes.find(route.runtime);
  const endpoints = driver?.endpoints(route.id) ?? [];
  if (endpoints.length === 0) {
    const message =
      route.desiredState === "stopped"
        ? "Deployment is stopped: start it to serve predictions"
        : "No replica of this deployment is ready yet: retry shortly";
    deps.gateway.metrics.observe(route.id, protocol, 503, performance.now() - started);
    return sendError(req, reply, { status: 503, message, retryAfterSeconds: 1 });
  }
  const headers: Record<string, string> = { "x-request-id": String(req.id) };
  for (const name of passedRequestHeaders) {
    const value = req.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  const body = req.method === "GET" || req.method === "HEAD" ? undefined : (req.body as Buffer);
  let tried: TEndpoint | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    const endpoint = upstreams.pick(driver?.endpoints(route.id) ?? [], tried?.replicaId);
    if (!endpoint) break;
    tried = endpoint;
    upstreams.begin(endpoint);
    let response: Dispatcher.ResponseData;
    try {
      response = await upstreams.pool(endpoint).request({
        method: req.method as Dispatcher.HttpMethod,
        path: endpoint.pathPrefix === undefined ? upstreamPath : endpoint.pathPrefix + upstreamPath,
        headers: {
          ...headers,
          ...(endpoint.headers ?? { authorization: `Bearer ${endpoint.token}` }),
        },
        body,
        headersTimeout: deps.config.gateway.timeoutMs,
        bodyTimeout: deps.config.gateway.timeoutMs,
      });
    } catch (error) {
      upstreams.end(endpoint);
      req.log.warn({ err: error, replica: endpoint.replicaId, attempt }, "replica request failed");
      if (attempt === 0 && isRetryable(error)) continue;
      deps.gateway.metrics.observe(route.id, protocol, 502, performance.now() - started);
      return sendError(req, reply, {
        status: 502,
        message: "The model server failed to answer: retry the request",
      });
    }
    reply.code(response.statusCode);
    for (const name of passedResponseHeaders) {
      const value = response.headers[name];
      if (typeof value === "string") void reply.header(name, value);
    }
    deps.gateway.metrics.observe(
      route.id,
      protocol,
      response.statusCode,
      performance.now() - started,
    );
    if (response.statusCode < 300 && route.coldStartFrom !== undefined) {
      recordColdStart(deps, route).catch((error: unknown) =>
        req.log.warn({ err: error }, "recording cold start failed"),
      );
    }
    const length = Number(response.headers["content-length"]);
    if (Number.isFinite(length) && length <= bufferedResponseBytes) {
      // Small answers (nearly all predictions) are read whole and sent in one write: cheaper than a stream.
      try {
        return reply.send(Buffer.from(await response.body.arrayBuffer()));
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
    return reply.send(response.body);
  }
  deps.gateway.metrics.observe(route.id, protocol, 503, performance.now() - started);
  return sendError(req, reply, {
    status: 503,
    message: "No replica of this deployment is ready: retry shortly",
    retryAfterSeconds: 1,
  });
}

async function guarded(
  deps: TDeps,
  req: FastifyRequest<{ Params: TParams }>,
  reply: FastifyReply,
  run: (route: TRoute) => unknown,
) {
  const grant = await authorizePrediction(
    deps,
    req.params.deploymentId.toLowerCase(),
    readCredential(req.headers),
    req.ip,
  );
  if ("status" in grant) {
    if (grant.status === 401) void reply.header("www-authenticate", 'Bearer realm="kubeserve"');
    return sendError(req, reply, grant);
  }
  deps.gateway.metrics.inFlight.inc();
  try {
    return await run(grant.route);
  } finally {
    deps.gateway.metrics.inFlight.dec();
  }
}

const v2Pattern = /^models\/[^/?#]+(\/versions\/[^/?#]+)?(\/(infer|ready))?$/;

export async function registerGateway(app: FastifyInstance, deps: TDeps): Promise<void> {
  await deps.gateway.keys.start();
  app.addHook("onClose", () => deps.gateway.keys.close());
  await app.register(async (scope) => {
    // Bodies are passed to the model server as they came (JSON or the binary tensor extension).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      "*",
      { parseAs: "buffer", bodyLimit: deps.config.gateway.maxBodyBytes },
      (_req, body, done) => done(null, body),
    );

    const bodyLimit = deps.config.gateway.maxBodyBytes;
    scope.post<{ Params: TParams }>("/api/v1/predict/:deploymentId", { bodyLimit }, (req, reply) =>
      guarded(deps, req, reply, (route) =>
        forward(deps, req, reply, route, `/v1/models/${route.modelName}:predict`, "v1"),
      ),
    );

    scope.route<{ Params: TParams }>({
      method: ["GET", "POST"],
      url: "/api/v1/deployments/:deploymentId/v2/*",
      bodyLimit,
      handler: (req, reply) =>
        guarded(deps, req, reply, (route) => {
          const rest = req.params["*"] ?? "";
          if (!v2Pattern.test(rest)) {
            return sendError(req, reply, {
              status: 404,
              message: "Unknown path: the gateway serves v2/models/{name}, …/ready and …/infer",
            });
          }
          const query = req.url.includes("?") ? req.url.slice(req.url.indexOf("?")) : "";
          return forward(deps, req, reply, route, `/v2/${rest}${query}`, "v2");
        }),
    });

    scope.get<{ Params: TParams }>("/api/v1/deployments/:deploymentId/openapi.json", (req, reply) =>
      guarded(deps, req, reply, async (route) => {
        const base = deps.config.publicUrl ?? `${req.protocol}://${req.host}`;
        return reply.send(buildOpenApi(route, base));
      }),
    );
  });
}
