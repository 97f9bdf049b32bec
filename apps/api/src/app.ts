import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import cors, { type FastifyCorsOptionsDelegateCallback } from "@fastify/cors";
import type { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { incomingMessageToRequest } from "@trpc/server/adapters/node-http";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { TApiConfig } from "./config";
import { createContextInner, readCredential, readDeviceToken } from "./context";
import type { TDeps } from "./deps";
import { requestIdPattern } from "./gateway/fast-path";
import { registerGateway } from "./gateway/routes";
import { registerArtifactRoutes } from "./http/artifact.routes";
import { TUS_PATH } from "./http/tus.routes";
import { toDomainError } from "./lib/errors";
import { registerErrorHandling, sendError } from "./lib/http-errors";
import type { TLingerOptions } from "./lib/lingering-close";
import { checkReadiness, type TReadinessCheck } from "./lib/readiness";
import { answerSingleQuery } from "./lib/single-query";
import { appRouter } from "./routers";
import { isReportedError } from "./trpc";

export type TAppOptions = {
  deps: TDeps;
  /** Readiness: the dependencies /readyz checks (database, storage, runtimes). */
  readiness: TReadinessCheck[];
  /** How long a refused upload may go on being discarded before its connection is closed. */
  linger?: TLingerOptions;
};

/** Fastify dropped hop counts (they trust nothing now); a count means "the last N hops are ours". */
function toTrustProxy(setting: TApiConfig["trustProxy"]) {
  if (typeof setting !== "number") return setting;
  return (_address: string, hop: number) => hop < setting;
}

/** The API's HTTP surface: tRPC at /trpc, health probes, artifact uploads and downloads, the prediction gateway. */
export async function buildApp({ deps, readiness, linger }: TAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    trustProxy: toTrustProxy(deps.config.trustProxy),
    // A caller's X-Request-Id is kept so one id follows a request across services.
    genReqId: (req) => {
      const incoming = req.headers["x-request-id"];
      return typeof incoming === "string" && requestIdPattern.test(incoming)
        ? incoming
        : randomUUID();
    },
    routerOptions: { maxParamLength: 5000 },
    bodyLimit: deps.config.maxBodyBytes,
    forceCloseConnections: "idle",
    // One line per request (below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
  });
  registerErrorHandling(app, { bodyLimit: deps.config.maxBodyBytes, linger });

  // Callback hooks, not async ones: they run on every prediction, and a promise each costs measurable time.
  app.addHook("onRequest", (req, reply, done) => {
    void reply.header("x-request-id", req.id);
    done();
  });
  const isLoggingRequests = deps.config.isLoggingRequests && deps.log.isLevelEnabled("info");
  app.addHook("onResponse", (req, reply, done) => {
    if (!isLoggingRequests) return done();
    req.log.info(
      {
        method: req.method,
        url: req.url.split("?")[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      "request",
    );
    done();
  });

  const corsOptions = {
    origin: deps.config.webOrigins,
    credentials: true,
    exposedHeaders: ["x-request-id", "retry-after"],
  };
  const delegateCors: FastifyCorsOptionsDelegateCallback = (req, callback) => {
    // An OPTIONS without Origin is no preflight but a tus client (the dashboard's server) asking the
    // upload route its limits (Tus-Max-Size): tus answers it, where cors would refuse it with a 400.
    const isTusDiscovery =
      req.method === "OPTIONS" &&
      req.headers.origin === undefined &&
      (req.url === TUS_PATH || req.url.startsWith(`${TUS_PATH}/`));
    callback(null, isTusDiscovery ? { origin: false } : corsOptions);
  };
  await app.register(cors, () => delegateCors);

  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (req, reply) => {
    const report = await checkReadiness(readiness);
    // The probe is public: the drivers' messages (hosts, users, SQL) go to the log only.
    for (const failure of report.failures) {
      req.log.warn({ err: failure.error, check: failure.name }, "readiness check failed");
    }
    if (report.isReady) return { status: "ready", checks: report.checks };
    return reply
      .code(503)
      .send({ status: "unavailable", reason: report.reason, checks: report.checks });
  });

  await registerArtifactRoutes(app, deps);

  await app.register(async (scope) => {
    // tRPC parses its own JSON (it also accepts batched and GET inputs).
    scope.removeContentTypeParser("application/json");
    scope.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) =>
      done(null, body),
    );
    scope.all<{ Params: { path: string }; Querystring: { batch?: string } }>(
      "/trpc/:path",
      async (req, reply) => {
        // tRPC's maxBatchSize below refuses the same, but without saying what the limit is.
        const calls = req.query.batch === "1" ? req.params.path.split(",").length : 1;
        if (calls > deps.config.trpcMaxBatchSize) {
          return sendError(req, reply, {
            status: 400,
            message: `A batch may hold at most ${deps.config.trpcMaxBatchSize} calls (this one has ${calls})`,
          });
        }
        const createContext = () =>
          createContextInner(deps, {
            requestId: String(req.id),
            ip: req.ip,
            userAgent: req.headers["user-agent"],
            credential: readCredential(req.headers),
            deviceToken: readDeviceToken(req.headers),
            isSecure: req.protocol === "https",
          });
        const logError = (error: TRPCError, path: string) => {
          if (error.code === "INTERNAL_SERVER_ERROR" && !isReportedError(error)) {
            req.log.error({ err: error.cause ?? error, path }, "tRPC request failed");
          }
        };
        const { input } = req.query as { input?: unknown };
        const isSingleQuery =
          req.method === "GET" &&
          req.query.batch !== "1" &&
          (input === undefined || typeof input === "string");
        if (isSingleQuery) {
          const answer = await answerSingleQuery({
            path: req.params.path,
            rawInput: input as string | undefined,
            ctx: createContext(),
            onError: logError,
          });
          if (answer) return reply.code(answer.status).headers(answer.headers).send(answer.body);
        }
        const raw = req.raw as IncomingMessage & { body?: unknown };
        if (req.body !== undefined) raw.body = req.body;
        const response = await fetchRequestHandler({
          endpoint: "/trpc",
          req: incomingMessageToRequest(raw, reply.raw, { maxBodySize: null }),
          router: appRouter,
          allowBatching: true,
          // Each call in a batch still runs, and is limited, on its own; this caps how many one request holds.
          maxBatchSize: deps.config.trpcMaxBatchSize,
          createContext,
          onError: ({ error, path }) => logError(error, path ?? "unknown"),
          responseMeta({ ctx, errors }) {
            const headers = new Headers();
            const retryAfter = errors
              .map((error) => toDomainError(error.cause)?.details.retryAfterSeconds)
              .find((seconds) => seconds !== undefined);
            if (retryAfter) headers.set("retry-after", String(retryAfter));
            for (const cookie of ctx?.response.cookies ?? []) headers.append("set-cookie", cookie);
            return { headers };
          },
        });
        reply.code(response.status);
        response.headers.forEach((value, key) => {
          if (key !== "set-cookie") void reply.header(key, value);
        });
        const cookies = response.headers.getSetCookie();
        if (cookies.length > 0) void reply.header("set-cookie", cookies);
        // Buffered into one write with a Content-Length: the stock adapter streams every response in chunks,
        // which cost more than the query itself; this API uses no streaming links.
        return reply.send(Buffer.from(await response.arrayBuffer()));
      },
    );
  });

  await registerGateway(app, deps);

  return app;
}
