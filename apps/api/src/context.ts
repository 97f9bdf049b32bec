import type { TDeps } from "./deps";
import { deviceCookieName, readCookie, serializeDeviceCookie } from "./lib/device-cookie";
import type { DomainError } from "./lib/errors";
import { authenticate, type TActor } from "./services/auth.service";

export type TRequestInfo = {
  requestId: string;
  ip: string;
  userAgent: string | undefined;
  /** Raw `Authorization` or `X-API-Key` value, checked only when a procedure needs a user. */
  credential: string | undefined;
  /** The `ks_device` cookie, checked only by login. */
  deviceToken: string | undefined;
  /** Whether the client reached us over HTTPS (cookies then get `Secure`). */
  isSecure: boolean;
};

export type TAuthResult = { actor: TActor } | { error: DomainError };

/** Context without HTTP, so router tests call procedures through `createCaller` directly. */
export function createContextInner(deps: TDeps, request: Partial<TRequestInfo> = {}) {
  const info: TRequestInfo = {
    requestId: request.requestId ?? "internal",
    ip: request.ip ?? "127.0.0.1",
    userAgent: request.userAgent,
    credential: request.credential,
    deviceToken: request.deviceToken,
    isSecure: request.isSecure ?? false,
  };
  let auth: Promise<TAuthResult> | undefined;
  // Set-Cookie values the HTTP layer adds to the response (createCaller users read them here).
  const cookies: string[] = [];
  return {
    deps,
    request: info,
    response: {
      cookies,
      setDeviceToken: (token: string) =>
        cookies.push(
          serializeDeviceCookie(token, {
            maxAgeSeconds: deps.config.auth.deviceTtlSeconds,
            isSecure: info.isSecure,
          }),
        ),
    },
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

export function readDeviceToken(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const cookie = headers.cookie;
  return readCookie(typeof cookie === "string" ? cookie : undefined, deviceCookieName);
}
