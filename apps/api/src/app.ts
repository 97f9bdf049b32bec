import { randomUUID } from "node:crypto";
import cors from "@fastify/cors";
import type { IncomingMessage } from "node:http";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { incomingMessageToRequest } from "@trpc/server/adapters/node-http";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { createContextInner, readCredential } from "./context";
import type { TDeps } from "./deps";
import { toDomainError } from "./lib/errors";
import { appRouter } from "./routers";

const requestIdPattern = /^[A-Za-z0-9._-]{1,128}$/;

export type TAppOptions = {
  deps: TDeps;
  /** Readiness: resolves when the database answers. */
  checkReady: () => Promise<void>;
};

/** The API's HTTP surface: tRPC at /trpc, health probes; later the upload route and prediction gateway. */
export async function buildApp({ deps, checkReady }: TAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    trustProxy: deps.config.trustProxy,
    // A caller's X-Request-Id is kept so one id follows a request across services.
    genReqId: (req) => {
      const incoming = req.headers["x-request-id"];
      return typeof incoming === "string" && requestIdPattern.test(incoming)
        ? incoming
        : randomUUID();
    },
    routerOptions: { maxParamLength: 5000 },
    bodyLimit: 1024 * 1024,
    forceCloseConnections: "idle",
    // One line per request (below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
  });

  app.addHook("onRequest", async (req, reply) => {
    reply.header("x-request-id", req.id);
  });
  app.addHook("onResponse", async (req, reply) => {
    req.log.info(
      {
        method: req.method,
        url: req.url.split("?")[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      "request",
    );
  });

  await app.register(cors, {
    origin: deps.config.webOrigins,
    credentials: true,
    exposedHeaders: ["x-request-id", "retry-after"],
  });

  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (_req, reply) => {
    try {
      await Promise.race([
        checkReady(),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error("database check timed out")), 2_000),
        ),
      ]);
      return { status: "ready" };
    } catch (error) {
      return reply.code(503).send({ status: "unavailable", reason: (error as Error).message });
    }
  });

  await app.register(async (scope) => {
    // tRPC parses its own JSON (it also accepts batched and GET inputs).
    scope.removeContentTypeParser("application/json");
    scope.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) =>
      done(null, body),
    );
    scope.all("/trpc/:path", async (req, reply) => {
      const raw = req.raw as IncomingMessage & { body?: unknown };
      if (req.body !== undefined) raw.body = req.body;
      const response = await fetchRequestHandler({
        endpoint: "/trpc",
        req: incomingMessageToRequest(raw, reply.raw, { maxBodySize: null }),
        router: appRouter,
        allowBatching: true,
        createContext: () =>
          createContextInner(deps, {
            requestId: String(req.id),
            ip: req.ip,
            userAgent: req.headers["user-agent"],
            credential: readCredential(req.headers),
          }),
        onError({ error, path }) {
          if (error.code === "INTERNAL_SERVER_ERROR" && !toDomainError(error.cause)) {
            req.log.error({ err: error.cause ?? error, path }, "tRPC procedure failed");
          }
        },
        responseMeta({ errors }) {
          const retryAfter = errors
            .map((error) => toDomainError(error.cause)?.details.retryAfterSeconds)
            .find((seconds) => seconds !== undefined);
          return retryAfter ? { headers: new Headers({ "retry-after": String(retryAfter) }) } : {};
        },
      });
      reply.code(response.status);
      response.headers.forEach((value, key) => void reply.header(key, value));
      // Buffered into one write with a Content-Length: the stock adapter streams every response in chunks,
      // which cost more than the query itself; this API uses no streaming links.
      return reply.send(Buffer.from(await response.arrayBuffer()));
    });
  });

  return app;
}
