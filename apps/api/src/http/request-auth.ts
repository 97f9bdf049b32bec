import type { IncomingHttpHeaders } from "node:http";
import { readCredential } from "../context";
import type { TDeps } from "../deps";
import { authenticate, type TActor } from "../services/auth.service";

/** The same `Authorization: Bearer <jwt | API key>` / `X-API-Key` check tRPC's protected procedures make. */
export async function requireActor(deps: TDeps, headers: IncomingHttpHeaders): Promise<TActor> {
  const result = await authenticate(deps, readCredential(headers));
  if ("error" in result) throw result.error;
  return result.actor;
}
