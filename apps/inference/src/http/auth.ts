import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export const UNAUTHORIZED_BODY = JSON.stringify({ error: "missing or invalid replica token" });

const SCHEME = "bearer ";

/**
 * The replica token check, or undefined when the server is open. The scheme is matched without
 * regard to case (RFC 9110); the token itself is compared in constant time.
 */
export function createTokenCheck(
  token: string | undefined,
): ((req: IncomingMessage) => boolean) | undefined {
  if (token === undefined) return undefined;
  const expected = Buffer.from(token, "latin1");
  const headerLength = SCHEME.length + expected.length;
  return (req) => {
    const header = req.headers.authorization;
    if (header === undefined || header.length !== headerLength) return false;
    if (header.slice(0, SCHEME.length).toLowerCase() !== SCHEME) return false;
    return timingSafeEqual(Buffer.from(header.slice(SCHEME.length), "latin1"), expected);
  };
}
