import type { TDeps } from "../deps";
import { isApiKeyShaped, isWellFormedApiKey } from "../lib/api-key-secret";
import { authenticate } from "../services/auth.service";
import type { TRoute } from "./directory";
import type { TKeyVerdict, TVerifiedKey } from "./key-cache";

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

type TCaller = { userId: string; limitKey: string; deploymentIds: string[] };

/** An answer now, or a promise of it when a cache missed: the steady state costs no promise. */
export type TMaybePromise<T> = T | Promise<T>;

const bearerKeyPrefix = "Bearer ks_";

// One caller a cached key: its rate-limit key is then the same string each time (hashed once by the Map).
const callers = new WeakMap<TVerifiedKey, TCaller>();

function callerOf(verdict: TKeyVerdict): TCaller | TRefusal {
  if ("error" in verdict) return { status: 401, message: keyErrors[verdict.error] };
  const { key } = verdict;
  let caller = callers.get(key);
  if (!caller) {
    caller = { userId: key.userId, limitKey: `key:${key.keyId}`, deploymentIds: key.deploymentIds };
    callers.set(key, caller);
  }
  return caller;
}

function identify(deps: TDeps, credential: string): TMaybePromise<TCaller | TRefusal> {
  // The usual `Bearer ks_…` header needs no regex and no trim; anything else is parsed in full.
  let token: string | undefined;
  if (credential.startsWith(bearerKeyPrefix) && isWellFormedApiKey(credential.slice(7))) {
    token = credential.slice(7);
  } else {
    token = /^Bearer\s+(\S+)$/i.exec(credential.trim())?.[1];
  }
  if (!token) {
    return { status: 401, message: "Authorization header must be 'Bearer <API key>'" };
  }
  if (isApiKeyShaped(token)) {
    const cached = deps.gateway.keys.peek(token);
    if (cached) return callerOf(cached);
    return deps.gateway.keys.verify(token).then(callerOf);
  }
  // The dashboard's try-it form calls with the user's access token.
  return authenticate(deps, credential).then((auth) =>
    "error" in auth
      ? { status: 401 as const, message: auth.error.message }
      : { userId: auth.actor.id, limitKey: `user:${auth.actor.id}`, deploymentIds: [] },
  );
}

function decide(
  deps: TDeps,
  route: TRoute | undefined,
  caller: TCaller | TRefusal,
): TGrant | TRefusal {
  if ("status" in caller) return caller;
  if (!route) return notFound;
  const isOwner = route.ownerId === caller.userId;
  if (!isOwner && !route.isPublic) return notFound;
  if (isOwner && caller.deploymentIds.length > 0 && !caller.deploymentIds.includes(route.id)) {
    return { status: 403, message: "This API key is scoped to other deployments" };
  }
  return limit(deps, route, caller.limitKey);
}

function limit(deps: TDeps, route: TRoute, limitKey: string): TGrant | TRefusal {
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

function authorizeRoute(
  deps: TDeps,
  route: TRoute | undefined,
  credential: string | undefined,
  ip: string,
): TMaybePromise<TGrant | TRefusal> {
  if (credential === undefined) {
    // Without a credential a private and a missing deployment look the same.
    if (!route?.isPublic) {
      return {
        status: 401,
        message: "Send an API key: Authorization: Bearer ks_… or X-API-Key: ks_…",
      };
    }
    return limit(deps, route, `ip:${ip}`);
  }
  const caller = identify(deps, credential);
  if (caller instanceof Promise) return caller.then((known) => decide(deps, route, known));
  return decide(deps, route, caller);
}

/** Synchronous when the deployment and the key are cached (nearly every prediction), else a promise. */
export function authorizePrediction(
  deps: TDeps,
  deploymentId: string,
  credential: string | undefined,
  ip: string,
): TMaybePromise<TGrant | TRefusal> {
  const cached = deps.gateway.directory.peek(deploymentId);
  if (cached !== "stale") return authorizeRoute(deps, cached.route, credential, ip);
  return deps.gateway.directory
    .lookup(deploymentId)
    .then((route) => authorizeRoute(deps, route, credential, ip));
}
