import { STATUS_CODES } from "node:http";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { DomainError, httpStatusByCode, internalErrorMessage, toDomainError } from "./errors";
import { defaultLinger, lingerAfterResponse, type TLingerOptions } from "./lingering-close";

// Every route outside tRPC (today the probes, later uploads and the gateway) gets these for free: one JSON
// error body, our own words for anything unexpected, and bodies refused before they are read.

type TErrorKey = keyof typeof TRPC_ERROR_CODES_BY_KEY;

const keyByStatus: Record<number, TErrorKey> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_SUPPORTED",
  408: "TIMEOUT",
  409: "CONFLICT",
  412: "PRECONDITION_FAILED",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "UNPROCESSABLE_CONTENT",
  429: "TOO_MANY_REQUESTS",
  503: "SERVICE_UNAVAILABLE",
};

type TClientError = { status: number; message: string; retryAfterSeconds?: number | undefined };

function formatByteLimit(bytes: number): string {
  const mib = bytes / 1_048_576;
  const human = Number.isInteger(mib) ? `${mib} MiB` : `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} bytes (${human})`;
}

export function errorCodeOf(status: number): TErrorKey {
  return keyByStatus[status] ?? (status >= 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST");
}

/** Sends `{ error }` shaped as tRPC's envelope on /trpc (so its clients read it) and plainly elsewhere. */
export function sendError(req: FastifyRequest, reply: FastifyReply, error: TClientError) {
  const code = errorCodeOf(error.status);
  const requestId = String(req.id);
  const body = req.url.startsWith("/trpc")
    ? {
        error: {
          message: error.message,
          code: TRPC_ERROR_CODES_BY_KEY[code],
          data: { code, httpStatus: error.status, requestId },
        },
      }
    : { error: { code, message: error.message, requestId } };
  if (error.retryAfterSeconds) reply.header("retry-after", String(error.retryAfterSeconds));
  return reply.code(error.status).type("application/json; charset=utf-8").send(body);
}

/** A client error whose message is safe to show, or undefined for anything unexpected (a 500). */
function describeClientError(error: FastifyError, bodyLimit: number): TClientError | undefined {
  const domain = toDomainError(error);
  if (domain) {
    return {
      status: httpStatusByCode[domain.code],
      message: domain.message,
      retryAfterSeconds: domain.details.retryAfterSeconds,
    };
  }
  const status = error.statusCode;
  if (typeof status !== "number" || status < 400 || status >= 500) return undefined;
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return {
      status,
      message: `Request body exceeds the limit of ${formatByteLimit(bodyLimit)}`,
    };
  }
  // Fastify's own 4xx messages and schema validation messages describe the request, nothing internal.
  if (String(error.code).startsWith("FST_") || error.validation) {
    return { status, message: error.message };
  }
  if (error instanceof SyntaxError)
    return { status, message: "The request body is not valid JSON" };
  return { status, message: STATUS_CODES[status] ?? "Bad request" };
}

export function registerErrorHandling(
  app: FastifyInstance,
  options: { bodyLimit: number; linger?: TLingerOptions | undefined },
): void {
  const linger = options.linger ?? defaultLinger;
  // A route may set its own limit (uploads will); the server's applies everywhere else.
  const bodyLimitOf = (req: FastifyRequest) => req.routeOptions.bodyLimit ?? options.bodyLimit;

  app.setErrorHandler((error: FastifyError, req, reply) => {
    let described = describeClientError(error, bodyLimitOf(req));
    if (!described) {
      req.log.error({ err: error, url: req.url.split("?")[0] }, "request failed");
      described = { status: 500, message: internalErrorMessage(String(req.id)) };
    }
    // Refused before its body was read: the rest is not wanted, but must not turn into a reset.
    if (!req.raw.complete) {
      reply.header("connection", "close");
      lingerAfterResponse(req.raw, linger);
    }
    return sendError(req, reply, described);
  });

  app.setNotFoundHandler((req, reply) =>
    sendError(req, reply, {
      status: 404,
      message: `No route ${req.method} ${req.url.split("?")[0]?.slice(0, 200) ?? ""}`,
    }),
  );

  // Node answers `Expect: 100-continue` itself unless someone listens; this lets the route decide, so a
  // body over the route's limit is refused before the client sends it (curl waits for the 100).
  app.server.on("checkContinue", (req, res) => app.server.emit("request", req, res));
  app.addHook("preParsing", async (req, reply, payload) => {
    const limit = bodyLimitOf(req);
    // Also for routes that parse no body (and unknown paths), which Node would otherwise read to the end.
    if (Number(req.headers["content-length"]) > limit) {
      throw new DomainError(
        "PAYLOAD_TOO_LARGE",
        `Request body exceeds the limit of ${formatByteLimit(limit)}`,
      );
    }
    const expect = req.headers.expect;
    if (typeof expect === "string" && expect.toLowerCase() === "100-continue") {
      reply.raw.writeContinue();
    }
    return payload;
  });
}
