import { randomUUID } from "node:crypto";
import type { TDeps } from "../deps";
import { hashApiKey, isApiKeyShaped, isWellFormedApiKey } from "../lib/api-key-secret";
import { DomainError } from "../lib/errors";
import { hashPassword, verifyAgainstDummy, verifyPassword } from "../lib/passwords";
import type { TLoginInput, TMe, TRegisterInput, TSessionResult, TUser } from "../schemas/auth";
import { recordRegistrationAttempt, withLoginLimit } from "./login-limit.service";

export type TActor = {
  id: string;
  email: string;
  role: "user" | "admin";
  via: "access_token" | "api_key";
  sessionId?: string;
  apiKeyId?: string;
  /** Set for API keys: `predict` keys may not use the management API. */
  apiKeyKind?: "management" | "predict";
};

export type TClientInfo = {
  ip: string;
  userAgent: string | undefined;
  /** The device cookie this client presented, if any. */
  deviceToken?: string | undefined;
};

const userSelect = {
  id: true,
  email: true,
  name: true,
  role: true,
  createdAt: true,
} as const;

type TUserRow = {
  id: string;
  email: string;
  name: string | null;
  role: "user" | "admin";
  createdAt: Date;
};

function toUser(row: TUserRow): TUser {
  return { ...row, createdAt: row.createdAt.toISOString() };
}

// lastUsedAt is a hint for humans: writing it at most once a minute keeps key auth read-only.
const lastUsedResolutionMs = 60_000;

async function issueSession(
  deps: TDeps,
  user: TUserRow,
  client: TClientInfo,
): Promise<TSessionResult> {
  const sessionId = randomUUID();
  const expiresAt = new Date(Date.now() + deps.config.auth.tokenTtlSeconds * 1000);
  await deps.db.session.create({
    data: {
      id: sessionId,
      userId: user.id,
      expiresAt,
      ip: client.ip,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
    },
    select: { id: true },
  });
  const accessToken = await deps.tokens.sign({ userId: user.id, sessionId }, expiresAt);
  return { user: toUser(user), accessToken, expiresAt: expiresAt.toISOString() };
}

export async function registerUser(
  deps: TDeps,
  input: TRegisterInput,
  client: TClientInfo,
): Promise<TSessionResult> {
  if (!deps.config.auth.allowRegistration) {
    throw new DomainError(
      "FORBIDDEN",
      "Registration is disabled on this server: ask an admin for an account",
    );
  }
  // Counted before the existence check, so probing which emails have accounts is throttled too.
  await recordRegistrationAttempt(deps, client.ip);
  const existing = await deps.db.user.findUnique({
    where: { email: input.email },
    select: { id: true },
  });
  if (existing) throw new DomainError("CONFLICT", `An account for ${input.email} already exists`);
  const user = await deps.db.user.create({
    data: {
      email: input.email,
      name: input.name ?? null,
      passwordHash: await hashPassword(input.password),
    },
    select: userSelect,
  });
  return issueSession(deps, user, client);
}

/** A new session, and a fresh device token that spares this client a lockout caused by others. */
export async function loginUser(
  deps: TDeps,
  input: TLoginInput,
  client: TClientInfo,
): Promise<{ session: TSessionResult; deviceToken: string }> {
  const { isValid, value: user } = await withLoginLimit(
    deps,
    { email: input.email, ip: client.ip, deviceToken: client.deviceToken },
    async (tx) => {
      const row = await tx.user.findUnique({
        where: { email: input.email },
        select: { ...userSelect, passwordHash: true },
      });
      return {
        isValid: row
          ? await verifyPassword(row.passwordHash, input.password)
          : await verifyAgainstDummy(input.password),
        value: row,
      };
    },
  );
  if (!user || !isValid) throw new DomainError("UNAUTHORIZED", "Invalid email or password");
  const { passwordHash: _omit, ...publicUser } = user;
  return {
    session: await issueSession(deps, publicUser, client),
    deviceToken: await deps.deviceTokens.issue(input.email),
  };
}

export async function logoutSession(deps: TDeps, actor: TActor): Promise<void> {
  if (!actor.sessionId) {
    throw new DomainError(
      "BAD_REQUEST",
      "Logout revokes an access token; this request used an API key (revoke keys with apiKey.revoke)",
    );
  }
  await deps.db.session.updateMany({
    where: { id: actor.sessionId, userId: actor.id, revokedAt: null },
    data: { revokedAt: new Date() },
  });
}

export async function logoutAllSessions(deps: TDeps, actor: TActor): Promise<number> {
  const result = await deps.db.session.updateMany({
    where: { userId: actor.id, revokedAt: null, expiresAt: { gt: new Date() } },
    data: { revokedAt: new Date() },
  });
  return result.count;
}

export async function getMe(deps: TDeps, actor: TActor): Promise<TMe> {
  const user = await deps.db.user.findUnique({ where: { id: actor.id }, select: userSelect });
  if (!user) throw new DomainError("UNAUTHORIZED", "The account no longer exists");
  return { user: toUser(user), authenticatedWith: actor.via };
}

type TKeyAuthRow = {
  id: string;
  kind: "management" | "predict";
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  user_id: string;
  email: string;
  role: "user" | "admin";
};

// Authentication runs on every request, so it is one indexed SQL read rather than an ORM round trip.
async function authenticateApiKey(deps: TDeps, key: string): Promise<TActor> {
  if (!isWellFormedApiKey(key)) throw new DomainError("UNAUTHORIZED", "Invalid API key");
  const [row] = await deps.sql<TKeyAuthRow>(
    `SELECT k.id, k.kind, k.expires_at, k.revoked_at, k.last_used_at, u.id AS user_id, u.email, u.role
       FROM api_keys k JOIN users u ON u.id = k.user_id
      WHERE k.key_hash = $1`,
    [hashApiKey(key)],
  );
  if (!row) throw new DomainError("UNAUTHORIZED", "Invalid API key");
  if (row.revoked_at) throw new DomainError("UNAUTHORIZED", "This API key has been revoked");
  const now = Date.now();
  if (row.expires_at && row.expires_at.getTime() <= now) {
    throw new DomainError("UNAUTHORIZED", "This API key has expired");
  }
  if (!row.last_used_at || now - row.last_used_at.getTime() > lastUsedResolutionMs) {
    await deps.sql("UPDATE api_keys SET last_used_at = $1 WHERE id = $2", [new Date(now), row.id]);
  }
  return {
    id: row.user_id,
    email: row.email,
    role: row.role,
    via: "api_key",
    apiKeyId: row.id,
    apiKeyKind: row.kind,
  };
}

type TSessionAuthRow = {
  user_id: string;
  revoked_at: Date | null;
  email: string;
  role: "user" | "admin";
};

async function authenticateAccessToken(deps: TDeps, token: string): Promise<TActor> {
  const claims = await deps.tokens.verify(token);
  if ("error" in claims) {
    throw new DomainError(
      "UNAUTHORIZED",
      claims.error === "expired" ? "Access token expired: log in again" : "Invalid access token",
    );
  }
  const [session] = await deps.sql<TSessionAuthRow>(
    `SELECT s.user_id, s.revoked_at, u.email, u.role
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = $1`,
    [claims.sessionId],
  );
  if (!session || session.user_id !== claims.userId) {
    throw new DomainError("UNAUTHORIZED", "Invalid access token");
  }
  if (session.revoked_at)
    throw new DomainError("UNAUTHORIZED", "Access token revoked: log in again");
  return {
    id: session.user_id,
    email: session.email,
    role: session.role,
    via: "access_token",
    sessionId: claims.sessionId,
  };
}

/** Resolves `Authorization: Bearer <jwt | API key>`; every protected procedure goes through here. */
export async function authenticate(
  deps: TDeps,
  credential: string | undefined,
): Promise<{ actor: TActor } | { error: DomainError }> {
  if (!credential) {
    return {
      error: new DomainError(
        "UNAUTHORIZED",
        "Sign in: send Authorization: Bearer <access token or API key>",
      ),
    };
  }
  const match = /^Bearer\s+(\S+)$/i.exec(credential.trim());
  if (!match?.[1]) {
    return {
      error: new DomainError("UNAUTHORIZED", "Authorization header must be 'Bearer <token>'"),
    };
  }
  const token = match[1];
  try {
    const actor = isApiKeyShaped(token)
      ? await authenticateApiKey(deps, token)
      : await authenticateAccessToken(deps, token);
    return { actor };
  } catch (error) {
    if (error instanceof DomainError) return { error };
    throw error;
  }
}
