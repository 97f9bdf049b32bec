import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export const UNAUTHORIZED_BODY = JSON.stringify({ error: "missing or invalid replica token" });

const SCHEME = "bearer ";
const SPACE = 0x20;
/** The token alone, for callers whose path consumes Authorization (the Kubernetes API server's service proxy). */
export const ALT_HEADER = "x-kubeserve-token";

/**
 * The replica token check, or undefined when the server is open. The scheme is matched without
 * regard to case (RFC 9110); the token is compared in constant time. No allocation per request:
 * the header is written into one scratch buffer (the check runs synchronously).
 */
export function createTokenCheck(
  token: string | undefined,
): ((req: IncomingMessage) => boolean) | undefined {
  if (token === undefined) return undefined;
  const expected = Buffer.from(token, "latin1");
  const headerLength = SCHEME.length + expected.length;
  const scratch = Buffer.alloc(headerLength);
  const given = scratch.subarray(SCHEME.length);
  const isAltTokenValid = (value: string | string[] | undefined) => {
    if (typeof value !== "string" || value.length !== expected.length) return false;
    return timingSafeEqual(Buffer.from(value, "latin1"), expected);
  };
  return (req) => {
    const header = req.headers.authorization;
    if (header === undefined) return isAltTokenValid(req.headers[ALT_HEADER]);
    if (header.length !== headerLength) return false;
    // "Bearer" in any case (the 0x20 bit folds ASCII letters), then exactly one space
    for (let i = 0; i < SCHEME.length - 1; i++) {
      if ((header.charCodeAt(i) | 0x20) !== SCHEME.charCodeAt(i)) return false;
    }
    if (header.charCodeAt(SCHEME.length - 1) !== SPACE) return false;
    scratch.write(header, 0, "latin1");
    return timingSafeEqual(given, expected);
  };
}
