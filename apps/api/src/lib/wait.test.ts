import { describe, expect, it } from "vitest";
import { waitForDependency } from "./wait";

describe("waitForDependency", () => {
  it("retries until the dependency answers", async () => {
    let calls = 0;
    const retries: number[] = [];
    const value = await waitForDependency(
      "flaky thing",
      async () => {
        calls++;
        if (calls < 3) throw new Error("connection refused");
        return "up";
      },
      { timeoutSeconds: 5, onRetry: (_error, attempt) => retries.push(attempt) },
    );
    expect(value).toBe("up");
    expect(retries).toEqual([1, 2]);
  });

  it("gives up after the bounded wait with a message naming the dependency and the last error", async () => {
    const started = Date.now();
    await expect(
      waitForDependency("PostgreSQL at db:5432", () => Promise.reject(new Error("ECONNREFUSED")), {
        timeoutSeconds: 1,
      }),
    ).rejects.toThrow(
      /^PostgreSQL at db:5432 is not reachable after 1 s \(\d+ attempts\): ECONNREFUSED$/,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("stops at once on an error that retrying cannot fix", async () => {
    let calls = 0;
    await expect(
      waitForDependency(
        "database",
        () => {
          calls++;
          return Promise.reject(new Error("pending migrations"));
        },
        { timeoutSeconds: 30, isRetryable: () => false },
      ),
    ).rejects.toThrow("database: pending migrations");
    expect(calls).toBe(1);
  });
});
