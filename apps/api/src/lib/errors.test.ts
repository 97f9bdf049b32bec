import { readTestDatabaseUrl, testDatabaseKinds } from "@kubeserve/db/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type THarness } from "../test/harness";
import { toDomainError } from "./errors";

async function errorOf(statement: () => Promise<unknown>): Promise<unknown> {
  return statement().then(
    () => {
      throw new Error("expected the statement to fail");
    },
    (error: unknown) => error,
  );
}

describe.each(testDatabaseKinds)("database errors as domain errors on %s", (kind) => {
  let h: THarness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.destroy());

  it("maps real driver and Prisma errors by code, in our own words", async () => {
    const user = await h.signUp("errors");
    // Thunks, so each statement runs (and fails) only when its turn comes.
    const cases: [() => Promise<unknown>, string | undefined][] = [
      [() => h.deps.sql("SELECT 'not-a-uuid'::uuid"), "BAD_REQUEST"],
      [() => h.deps.sql("SELECT 'a\\u0000b'::jsonb"), "BAD_REQUEST"],
      [() => h.deps.sql("SELECT '294277-01-01'::timestamptz"), "BAD_REQUEST"],
      [
        () =>
          h.deps.sql(
            "INSERT INTO users (id, email, password_hash, updated_at) VALUES (gen_random_uuid(), $1, 'x', now())",
            [user.email],
          ),
        "CONFLICT",
      ],
      [() => h.deps.db.user.create({ data: { email: user.email, passwordHash: "x" } }), "CONFLICT"],
      [
        () =>
          h.deps.db.model.update({
            where: { id: "00000000-0000-7000-8000-000000000000" },
            data: {},
          }),
        "NOT_FOUND",
      ],
      // Not a client's doing: no mapping, so it becomes a generic 500.
      [() => h.deps.sql("SELECT * FROM no_such_table"), undefined],
    ];
    for (const [statement, code] of cases) {
      const domain = toDomainError(await errorOf(statement));
      expect(domain?.code).toBe(code);
      if (domain) expect(domain.message).not.toMatch(/uuid|jsonb|users|email|constraint|P20/i);
    }
  });
});

describe("a PostgreSQL pool with no free connection", () => {
  it("is a 503 to retry, not an internal error (node-postgres gives it no code)", async () => {
    const pool = new pg.Pool({
      connectionString: readTestDatabaseUrl(),
      max: 1,
      connectionTimeoutMillis: 200,
    });
    const held = await pool.connect();
    try {
      const error = await errorOf(() => pool.connect());
      const domain = toDomainError(error);
      expect(domain?.code).toBe("SERVICE_UNAVAILABLE");
      expect(domain?.details.retryAfterSeconds).toBe(1);
      expect(domain?.message).not.toMatch(/timeout exceeded/);
    } finally {
      held.release();
      await pool.end();
    }
  });
});
