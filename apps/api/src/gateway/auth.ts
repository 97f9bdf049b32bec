import type { TDeps } from "../deps";
import { isApiKeyShaped } from "../lib/api-key-secret";
import { authenticate } from "../services/auth.service";
import type { TRoute } from "./directory";

// Who may call a deployment: its owner (an API key of either kind, optionally scoped to listed
// deployments, or an access token), or anyone when the deployment is public. Another user's deployment
// answers exactly as a missing one does.

export type TGrant = { route: TRoute; limitKey: string };

export type TRefusal = {
  status: 401 | 403 | 404 | 429;
  message: string;
  retryAfterSeconds?: number;
};

const notFound: TRefusal = { status: 404, message: "Deployment not found" };

const keyErrors = {
  invalid: "Invalid API key",
  revoked: "This API key has been revoked",
  expired: "This API key has expired",
} as const;

type TCaller = { userId: string; keyId: string | undefined; deploymentIds: string[] };

async function identify(deps: TDeps, credential: string): Promise<TCaller | TRefusal> {
  const match = /^Bearer\s+(\S+)$/i.exec(credential.trim());
  if (!match?.[1]) {
    return { status: 401, message: "Authorization header must be 'Bearer <API key>'" };
  }
  const token = match[1];
  if (isApiKeyShaped(token)) {
    const verdict = await deps.gateway.keys.verify(token);
    if ("error" in verdict) return { status: 401, message: keyErrors[verdict.error] };
    return {
      userId: verdict.key.userId,
      keyId: verdict.key.keyId,
      deploymentIds: verdict.key.deploymentIds,
    };
  }
  // The dashboard's try-it form calls with the user's access token.
  const auth = await authenticate(deps, credential);
  if ("error" in auth) return { status: 401, message: auth.error.message };
  return { userId: auth.actor.id, keyId: undefined, deploymentIds: [] };
}

export async function authorizePrediction(
  deps: TDeps,
  deploymentId: string,
  credential: string | undefined,
  ip: string,
): Promise<TGrant | TRefusal> {
  const route = await deps.gateway.directory.lookup(deploymentId);
  let limitKey: string;
  if (credential === undefined) {
    // Without a credential a private and a missing deployment look the same.
    if (!route?.isPublic) {
      return {
        status: 401,
        message: "Send an API key: Authorization: Bearer ks_… or X-API-Key: ks_…",
      };
    }
    limitKey = `ip:${ip}`;
  } else {
    const caller = await identify(deps, credential);
    if ("status" in caller) return caller;
    if (!route) return notFound;
    const isOwner = route.ownerId === caller.userId;
    if (!isOwner && !route.isPublic) return notFound;
    if (isOwner && caller.deploymentIds.length > 0 && !caller.deploymentIds.includes(route.id)) {
      return { status: 403, message: "This API key is scoped to other deployments" };
    }
    limitKey = caller.keyId ? `key:${caller.keyId}` : `user:${caller.userId}`;
  }
  const wait = deps.gateway.limiter.take(limitKey);
  if (wait > 0) {
    deps.gateway.metrics.rateLimited(route.id);
    return {
      status: 429,
      message: `Rate limit of ${deps.config.gateway.rateLimitRps} requests a second exceeded`,
      retryAfterSeconds: wait,
    };
  }
  return { route, limitKey };
}
