import { randomUUID } from "node:crypto";
import cors from "@fastify/cors";
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from "@trpc/server/adapters/fastify";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { createFastifyContextFactory } from "./context";
import type { TDeps } from "./deps";
import { toDomainError } from "./lib/errors";
import { appRouter, type AppRouter } from "./routers";

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
  });

  app.addHook("onRequest", async (req, reply) => {
    reply.header("x-request-id", req.id);
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

  await app.register(fastifyTRPCPlugin, {
    prefix: "/trpc",
    trpcOptions: {
      router: appRouter,
      createContext: createFastifyContextFactory(deps),
      allowBatching: true,
      onError({ error, path, req }) {
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
    } satisfies FastifyTRPCPluginOptions<AppRouter>["trpcOptions"],
  });

  return app;
}
