import { isIP } from "node:net";
import { headers } from "next/headers";

/**
 * The browser's address as this server saw it, for the API's per-IP limits (which would otherwise count
 * every dashboard user as the dashboard). Next sets X-Forwarded-For to the socket address when a request
 * has none; a proxy in front appends the address it saw, so the last entry is the nearest hop's view.
 */
export async function readClientAddress(): Promise<string | undefined> {
  const forwarded = (await headers()).get("x-forwarded-for");
  const last = forwarded
    ?.split(",")
    .at(-1)
    ?.trim()
    .replace(/^::ffff:/, "");
  return last && isIP(last) ? last : undefined;
}
