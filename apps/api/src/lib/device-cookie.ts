import { createHmac, createSecretKey, randomUUID } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { deviceCookieName } from "./cookie-names";

// OWASP's device cookies: a successful login leaves a signed token naming the account and a random device
// id; a later login for that account presenting it is spared the account lockout strangers can cause.

export { deviceCookieName };

const audience = "kubeserve-device";

export type TDeviceClaims = { email: string; deviceId: string };

export type TDeviceTokens = {
  issue: (email: string) => Promise<string>;
  /** The claims of a genuine, unexpired device token; undefined for anything else. */
  verify: (token: string | undefined) => Promise<TDeviceClaims | undefined>;
};

export function createDeviceTokens(secret: string, ttlSeconds: number): TDeviceTokens {
  // A key of its own, so no access token can ever pass as a device token or the other way round.
  const key = createSecretKey(
    createHmac("sha256", secret).update("kubeserve device cookie").digest(),
  );
  return {
    issue: (email) =>
      new SignJWT({})
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(email)
        .setJti(randomUUID())
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
        .sign(key),
    verify: async (token) => {
      if (!token || token.length > 2048) return undefined;
      try {
        const { payload } = await jwtVerify(token, key, {
          audience,
          algorithms: ["HS256"],
          requiredClaims: ["sub", "jti", "exp"],
        });
        return { email: payload.sub as string, deviceId: payload.jti as string };
      } catch {
        return undefined;
      }
    },
  };
}

/** Reads one cookie from a `Cookie` header without a parser dependency. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const index = part.indexOf("=");
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

export function serializeDeviceCookie(
  token: string,
  options: { maxAgeSeconds: number; isSecure: boolean },
): string {
  // Scoped to the tRPC path, out of reach of scripts, and never sent on cross-site requests.
  const attributes = [
    `Max-Age=${options.maxAgeSeconds}`,
    "Path=/trpc",
    "HttpOnly",
    "SameSite=Strict",
  ];
  if (options.isSecure) attributes.push("Secure");
  return [`${deviceCookieName}=${token}`, ...attributes].join("; ");
}
