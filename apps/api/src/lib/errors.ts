import { TRPCError } from "@trpc/server";
import { Prisma } from "@kubeserve/db";

export type TDomainErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "PRECONDITION_FAILED"
  | "TOO_MANY_REQUESTS";

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

/** Database races the services did not pre-check (two concurrent creates) still become clear errors. */
function fromPrismaError(error: Prisma.PrismaClientKnownRequestError): DomainError | undefined {
  if (error.code === "P2002")
    return new DomainError("CONFLICT", "It already exists (created concurrently)");
  if (error.code === "P2025") return new DomainError("NOT_FOUND", "Not found");
  if (error.code === "P2003") return new DomainError("CONFLICT", "Still in use by another record");
  return undefined;
}

export function toDomainError(error: unknown): DomainError | undefined {
  if (error instanceof DomainError) return error;
  if (error instanceof Prisma.PrismaClientKnownRequestError) return fromPrismaError(error);
  return undefined;
}

export function toTRPCError(error: unknown): unknown {
  const domain = toDomainError(error);
  if (!domain) return error;
  return new TRPCError({ code: domain.code, message: domain.message, cause: domain });
}
