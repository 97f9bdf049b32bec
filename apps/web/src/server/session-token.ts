import { decode, type JWT } from "next-auth/jwt";
import { readWebConfig } from "~/config";

/** True while the API token in a session has not expired. */
export function isTokenLive(expiresAt: string | undefined, now = Date.now()): boolean {
  return expiresAt !== undefined && Date.parse(expiresAt) > now;
}

/** Decodes the encrypted session cookie (server side only); anything tampered or stale reads as none. */
export async function readSessionToken(cookieValue: string | undefined): Promise<JWT | null> {
  if (!cookieValue) return null;
  try {
    return await decode({ token: cookieValue, secret: readWebConfig().sessionSecret });
  } catch {
    return null;
  }
}
