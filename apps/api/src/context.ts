import type { TDeps } from "./deps";
import { authenticate, type TActor } from "./services/auth.service";
import type { DomainError } from "./lib/errors";

export type TRequestInfo = {
  requestId: string;
  ip: string;
  userAgent: string | undefined;
  /** Raw `Authorization` or `X-API-Key` value, checked only when a procedure needs a user. */
  credential: string | undefined;
};

export type TAuthResult = { actor: TActor } | { error: DomainError };

/** Context without HTTP, so router tests call procedures through `createCaller` directly. */
export function createContextInner(deps: TDeps, request: Partial<TRequestInfo> = {}) {
  const info: TRequestInfo = {
    requestId: request.requestId ?? "internal",
    ip: request.ip ?? "127.0.0.1",
    userAgent: request.userAgent,
    credential: request.credential,
  };
  let auth: Promise<TAuthResult> | undefined;
  return {
    deps,
    request: info,
    // Memoised: a batched HTTP call authenticates once for all its procedures.
    getAuth: () => (auth ??= authenticate(deps, info.credential)),
  };
}

export type TContext = ReturnType<typeof createContextInner>;

export function readCredential(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const apiKey = headers["x-api-key"];
  if (typeof apiKey === "string" && apiKey) return `Bearer ${apiKey}`;
  const authorization = headers.authorization;
  return typeof authorization === "string" && authorization ? authorization : undefined;
}
