import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createTestPostgres, type TTestDatabase } from "@kubeserve/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../lib/passwords";

const run = promisify(execFile);

describe("CLI commands against PostgreSQL", () => {
  let database: TTestDatabase;
  let env: Record<string, string>;
  const cli = (script: string, args: string[] = []) =>
    run(process.execPath, ["--import", "tsx", path.resolve(import.meta.dirname, script), ...args], {
      env,
    });

  beforeAll(async () => {
    database = await createTestPostgres();
    env = {
      PATH: process.env.PATH ?? "",
      DATABASE_URL: database.url as string,
      KUBESERVE_HOME: mkdtempSync(path.join(tmpdir(), "ks-cli-")),
      SEED_DEMO_EMAIL: "Demo@Example.com",
      SEED_DEMO_PASSWORD: "demo password 1",
    };
  });
  afterAll(() => database.destroy());

  it("seed creates the demo user once, with a working password", async () => {
    expect((await cli("seed.ts")).stdout).toMatch(/created demo user demo@example.com/);
    expect((await cli("seed.ts")).stdout).toMatch(/already exists/);
    const users = await database.prisma.user.findMany({
      select: { email: true, role: true, passwordHash: true },
    });
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ email: "demo@example.com", role: "user" });
    expect(await verifyPassword(users[0]?.passwordHash ?? "", "demo password 1")).toBe(true);
    // Each command is a fresh tsx process: slow on a loaded machine.
  }, 120_000);

  it("user:role promotes a user to admin and refuses unknown users and roles", async () => {
    await cli("seed.ts");
    expect((await cli("set-role.ts", ["demo@example.com", "admin"])).stdout).toMatch(
      /is now admin/,
    );
    const user = await database.prisma.user.findUnique({
      where: { email: "demo@example.com" },
      select: { role: true },
    });
    expect(user?.role).toBe("admin");
    await expect(cli("set-role.ts", ["nobody@example.com", "admin"])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/no user with email nobody@example.com/),
    });
    await expect(cli("set-role.ts", ["demo@example.com", "root"])).rejects.toMatchObject({
      code: 1,
    });
  }, 120_000);
});
