import type { TDeps } from "../deps";
import { DomainError } from "../lib/errors";

// Failed logins are counted per account and per client IP over a sliding window; only failures count,
// so a user who gets in is never locked out by their own earlier typos beyond the window.

async function countRecentFailures(
  deps: TDeps,
  where: { email: string } | { ip: string },
  since: Date,
) {
  const rows = await deps.db.loginAttempt.findMany({
    where: { ...where, isSuccess: false, createdAt: { gte: since } },
    select: { createdAt: true },
    orderBy: { createdAt: "asc" },
  });
  return { count: rows.length, oldest: rows[0]?.createdAt };
}

export async function assertLoginAllowed(deps: TDeps, email: string, ip: string): Promise<void> {
  const { loginWindowSeconds, maxFailuresPerAccount, maxFailuresPerIp } = deps.config.auth;
  const windowMs = loginWindowSeconds * 1000;
  const since = new Date(Date.now() - windowMs);
  const [byAccount, byIp] = await Promise.all([
    countRecentFailures(deps, { email }, since),
    countRecentFailures(deps, { ip }, since),
  ]);
  const limited =
    byAccount.count >= maxFailuresPerAccount
      ? { what: "this account", oldest: byAccount.oldest }
      : byIp.count >= maxFailuresPerIp
        ? { what: "this address", oldest: byIp.oldest }
        : undefined;
  if (!limited) return;
  const retryAfterSeconds = Math.max(
    1,
    Math.ceil(((limited.oldest?.getTime() ?? Date.now()) + windowMs - Date.now()) / 1000),
  );
  throw new DomainError(
    "TOO_MANY_REQUESTS",
    `Too many failed logins for ${limited.what}: try again in ${retryAfterSeconds} s`,
    { retryAfterSeconds },
  );
}

export async function recordLoginAttempt(
  deps: TDeps,
  email: string,
  ip: string,
  isSuccess: boolean,
) {
  await deps.db.loginAttempt.create({ data: { email, ip, isSuccess }, select: { id: true } });
}

/** Drops attempts older than a day and sessions expired for a day; the server runs it hourly. */
export async function pruneAuthRecords(
  deps: TDeps,
): Promise<{ attempts: number; sessions: number }> {
  const windowMs = Math.max(86_400, deps.config.auth.loginWindowSeconds) * 1000;
  const attempts = await deps.db.loginAttempt.deleteMany({
    where: { createdAt: { lt: new Date(Date.now() - windowMs) } },
  });
  const sessions = await deps.db.session.deleteMany({
    where: { expiresAt: { lt: new Date(Date.now() - 86_400_000) } },
  });
  return { attempts: attempts.count, sessions: sessions.count };
}
