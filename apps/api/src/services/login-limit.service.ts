import type { Prisma } from "@kubeserve/db";
import type { TDeps } from "../deps";
import { clientNetwork } from "../lib/client-network";
import { DomainError } from "../lib/errors";

// Failed logins are counted per account and per client network over a sliding window; only failures
// count, so a user who gets in is never locked out by their own earlier typos beyond the window. A client
// with a valid device cookie for the account (OWASP's device cookies) counts against its own small limit
// instead, so strangers who lock the account out cannot lock out its owner's known devices.

type TTx = Prisma.TransactionClient;

// Advisory lock namespaces (first key of the two-key form), so these locks never meet another feature's.
const loginLockClass = 0x4b534c47; // "KSLG"
const registrationLockClass = 0x4b535247; // "KSRG"

// Waits for the lock happen in the process queue first; these bound the rest under a login storm.
const lockedTransaction = { maxWait: 10_000, timeout: 20_000 };

async function lockFor(tx: TTx, lockClass: number, key: string): Promise<void> {
  // Held until the transaction ends; hashtext collisions only serialise two keys, never merge counts.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${lockClass}::int4, hashtext(${key}))`;
}

async function recentFailures(tx: TTx, where: Prisma.LoginAttemptWhereInput, since: Date) {
  const filter = { ...where, isSuccess: false, createdAt: { gte: since } };
  // One after the other: a transaction is one connection.
  const count = await tx.loginAttempt.count({ where: filter });
  const oldest = await tx.loginAttempt.findFirst({
    where: filter,
    select: { createdAt: true },
    orderBy: { createdAt: "asc" },
  });
  return { count, oldest: oldest?.createdAt };
}

function tooMany(what: string, oldest: Date | undefined, windowMs: number): DomainError {
  const retryAfterSeconds = Math.max(
    1,
    Math.ceil(((oldest?.getTime() ?? Date.now()) + windowMs - Date.now()) / 1000),
  );
  return new DomainError(
    "TOO_MANY_REQUESTS",
    `Too many ${what}: try again in ${retryAfterSeconds} s`,
    { retryAfterSeconds },
  );
}

export type TLoginAttempt = { email: string; ip: string; deviceToken: string | undefined };

/**
 * Runs `check` (the password verification) for one login under a PostgreSQL advisory lock on the account,
 * so count → verify → record is one step per account across every connection and API replica: N parallel
 * or batched guesses get exactly the allowance that is left, and the rest are refused unverified.
 */
export async function withLoginLimit<T>(
  deps: TDeps,
  attempt: TLoginAttempt,
  check: (tx: TTx) => Promise<{ isValid: boolean; value: T }>,
): Promise<{ isValid: boolean; value: T }> {
  const { loginWindowSeconds, maxFailuresPerAccount, maxFailuresPerIp, maxFailuresPerDevice } =
    deps.config.auth;
  const windowMs = loginWindowSeconds * 1000;
  const network = clientNetwork(attempt.ip);
  const device = await deps.deviceTokens.verify(attempt.deviceToken);
  const deviceId = device?.email === attempt.email ? device.deviceId : undefined;

  return deps.loginQueue.run(attempt.email, () =>
    deps.db.$transaction(async (tx) => {
      await lockFor(tx, loginLockClass, attempt.email);
      const since = new Date(Date.now() - windowMs);
      // A device over its own limit is treated like any stranger until its failures age out.
      const isTrustedDevice =
        deviceId !== undefined &&
        (await recentFailures(tx, { deviceId }, since)).count < maxFailuresPerDevice;
      if (!isTrustedDevice) {
        const byAccount = await recentFailures(tx, { email: attempt.email, deviceId: null }, since);
        if (byAccount.count >= maxFailuresPerAccount) {
          throw tooMany("failed logins for this account", byAccount.oldest, windowMs);
        }
        const byNetwork = await recentFailures(tx, { ip: network, deviceId: null }, since);
        if (byNetwork.count >= maxFailuresPerIp) {
          throw tooMany("failed logins from this address", byNetwork.oldest, windowMs);
        }
      }
      const outcome = await check(tx);
      await tx.loginAttempt.create({
        data: {
          email: attempt.email,
          ip: network,
          deviceId: isTrustedDevice ? deviceId : null,
          isSuccess: outcome.isValid,
        },
        select: { id: true },
      });
      return outcome;
    }, lockedTransaction),
  );
}

/** Counts a registration request against its client network's limit, or refuses it (429). */
export async function recordRegistrationAttempt(deps: TDeps, ip: string): Promise<void> {
  const { maxRegistrationsPerIp, registrationWindowSeconds } = deps.config.auth;
  const windowMs = registrationWindowSeconds * 1000;
  const network = clientNetwork(ip);
  await deps.db.$transaction(async (tx) => {
    await lockFor(tx, registrationLockClass, network);
    const filter = { ip: network, createdAt: { gte: new Date(Date.now() - windowMs) } };
    const count = await tx.registrationAttempt.count({ where: filter });
    if (count >= maxRegistrationsPerIp) {
      const oldest = await tx.registrationAttempt.findFirst({
        where: filter,
        select: { createdAt: true },
        orderBy: { createdAt: "asc" },
      });
      throw tooMany("registrations from this address", oldest?.createdAt, windowMs);
    }
    await tx.registrationAttempt.create({ data: { ip: network }, select: { id: true } });
  }, lockedTransaction);
}

/** Drops attempts older than a day (or the longest window) and sessions expired for a day; runs hourly. */
export async function pruneAuthRecords(
  deps: TDeps,
): Promise<{ attempts: number; registrations: number; sessions: number }> {
  const { loginWindowSeconds, registrationWindowSeconds } = deps.config.auth;
  const keepMs = Math.max(86_400, loginWindowSeconds, registrationWindowSeconds) * 1000;
  const before = { createdAt: { lt: new Date(Date.now() - keepMs) } };
  const attempts = await deps.db.loginAttempt.deleteMany({ where: before });
  const registrations = await deps.db.registrationAttempt.deleteMany({ where: before });
  const sessions = await deps.db.session.deleteMany({
    where: { expiresAt: { lt: new Date(Date.now() - 86_400_000) } },
  });
  return { attempts: attempts.count, registrations: registrations.count, sessions: sessions.count };
}
