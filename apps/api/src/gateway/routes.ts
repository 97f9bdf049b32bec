import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { readCredential } from "../context";
import type { TDeps } from "../deps";
import { sendError } from "../lib/http-errors";
import { authorizePrediction } from "./auth";
import type { TRoute } from "./directory";
import { installFastPath, v2Pattern } from "./fast-path";
import { forward, type TExchange } from "./forward";
import { buildOpenApi } from "./openapi";

// The prediction gateway, on the API's own port: the routes share the API's auth, key cache and the
// runtime's replica list in memory, so routing needs no extra hop and no second service to run.

type TParams = { deploymentId: string; "*"?: string };

function exchangeOf(req: FastifyRequest, reply: FastifyReply): TExchange {
  return {
    requestId: String(req.id),
    method: req.method,
    headers: req.headers,
    body: req.body as Buffer | undefined,
    warn: (details, message) => req.log.warn(details, message),
    send(status, headers, body) {
      void reply.code(status).headers(headers);
      return reply.send(body);
    },
    fail: (error) => sendError(req, reply, error),
  };
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

export async function registerGateway(app: FastifyInstance, deps: TDeps): Promise<void> {
  await deps.gateway.keys.start();
  app.addHook("onClose", () => deps.gateway.keys.close());
  installFastPath(app, deps);
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
        forward(deps, exchangeOf(req, reply), route, `/v1/models/${route.modelName}:predict`, "v1"),
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
          return forward(deps, exchangeOf(req, reply), route, `/v2/${rest}${query}`, "v2");
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
