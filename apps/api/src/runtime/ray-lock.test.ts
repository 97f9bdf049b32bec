import { createTestDatabase, type TTestDatabase } from "@kubeserve/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRayLock } from "./ray-lock";

// Two API replicas (two locks on one PostgreSQL database) never run a Ray write cycle at the same time.

describe("ray write lock", () => {
  let database: TTestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase("postgres");
  }, 60_000);
  afterAll(async () => {
    await database.destroy();
  });

  async function overlapOf(locks: Array<ReturnType<typeof createRayLock>>): Promise<number> {
    let inside = 0;
    let most = 0;
    await Promise.all(
      locks.flatMap((lock) =>
        [1, 2, 3].map(() =>
          lock(async () => {
            inside += 1;
            most = Math.max(most, inside);
            await new Promise((resolve) => setTimeout(resolve, 30));
            inside -= 1;
          }),
        ),
      ),
    );
    return most;
  }

  it("serialises writers across replicas with pg_advisory_xact_lock", async () => {
    const replica = () =>
      createRayLock({ db: database.prisma, isPostgres: true, timeoutMs: 10_000 });
    expect(await overlapOf([replica(), replica()])).toBe(1);
  });

  it("without the database lock, two replicas' writers overlap (the test can fail)", async () => {
    const local = () =>
      createRayLock({ db: database.prisma, isPostgres: false, timeoutMs: 10_000 });
    expect(await overlapOf([local(), local()])).toBe(2);
  });
});
