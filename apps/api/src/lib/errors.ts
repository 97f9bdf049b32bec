import { TRPCError } from "@trpc/server";
import { Prisma } from "@kubeserve/db";

export type TDomainErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "PRECONDITION_FAILED"
  | "PAYLOAD_TOO_LARGE"
  | "TOO_MANY_REQUESTS"
  | "SERVICE_UNAVAILABLE";

/** The HTTP status of each code, for routes outside tRPC (tRPC maps the same codes the same way). */
export const httpStatusByCode: Record<TDomainErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
};

/** The one error type services throw; `toTRPCError` maps it once (tRPC then picks the HTTP status). */
export class DomainError extends Error {
  override name = "DomainError";
  constructor(
    readonly code: TDomainErrorCode,
    message: string,
    readonly details: { retryAfterSeconds?: number } = {},
  ) {
    super(message);
  }
}

const retryLater = (what: string) =>
  new DomainError("SERVICE_UNAVAILABLE", `${what}: retry in a moment`, { retryAfterSeconds: 1 });

const notStorable = () =>
  new DomainError("BAD_REQUEST", "A value is too long or out of range for the database");

// Messages here are our own words: the database's text names tables, columns and values, and stays in the log.

/** Prisma's codes (also those its driver adapters report) for races and limits the services did not pre-check. */
function fromPrismaError({ code }: { code: string }): DomainError | undefined {
  switch (code) {
    case "P2002":
      return new DomainError("CONFLICT", "It already exists (created concurrently)");
    case "P2003":
      return new DomainError("CONFLICT", "Still in use by another record");
    case "P2025":
      return new DomainError("NOT_FOUND", "Not found");
    case "P2000":
    case "P2007":
    case "P2020":
      return notStorable();
    case "P2034":
      return retryLater("A concurrent change conflicted with this one");
    case "P1001":
    case "P1008":
    case "P1017":
    case "P2024":
    case "P2028":
    case "P2037":
      return retryLater("The database is busy or unreachable");
    default:
      return undefined;
  }
}

/** SQLSTATEs from the plain-SQL path (node-postgres and PGlite errors carry them in `code`). */
function fromSqlState(code: string): DomainError | undefined {
  if (code === "23505") return fromPrismaError({ code: "P2002" });
  if (code === "23503") return fromPrismaError({ code: "P2003" });
  // Class 22 is "data exception": a value the column type cannot hold.
  if (code.startsWith("22")) return notStorable();
  if (code === "40001" || code === "40P01") return fromPrismaError({ code: "P2034" });
  if (code === "53300" || code.startsWith("57P") || code.startsWith("08")) {
    return fromPrismaError({ code: "P1001" });
  }
  return undefined;
}

const unreachableCodes = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE"]);
// node-postgres reports a pool with no free connection (and a connect that timed out) by message only, no code.
const poolTimeoutMessages = new Set([
  "timeout exceeded when trying to connect",
  "Connection terminated due to connection timeout",
]);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

export function toDomainError(error: unknown): DomainError | undefined {
  if (error instanceof DomainError) return error;
  if (error instanceof Prisma.PrismaClientKnownRequestError) return fromPrismaError(error);
  const code = errorCode(error);
  if (code && /^[0-9A-Z]{5}$/.test(code) && "severity" in (error as object)) {
    return fromSqlState(code);
  }
  if (code && unreachableCodes.has(code)) return fromPrismaError({ code: "P1001" });
  if (error instanceof Error && poolTimeoutMessages.has(error.message)) {
    return fromPrismaError({ code: "P2024" });
  }
  return undefined;
}

export function toTRPCError(error: unknown): unknown {
  const domain = toDomainError(error);
  if (!domain) return error;
  return new TRPCError({ code: domain.code, message: domain.message, cause: domain });
}

/** What a client sees for anything unexpected: the request id to quote, never the error's own text. */
export function internalErrorMessage(requestId: string): string {
  return `Internal error (request id ${requestId})`;
}
