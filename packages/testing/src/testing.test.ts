import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort, waitFor } from "./index";

describe("freePort", () => {
  it("returns a port that can be bound at once", async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});

describe("waitFor", () => {
  it("retries through thrown errors and undefined until a value comes", async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        calls++;
        if (calls === 1) throw new Error("ECONNREFUSED");
        return calls < 3 ? undefined : "up";
      },
      { what: "thing", intervalMs: 5 },
    );
    expect(value).toBe("up");
    expect(calls).toBe(3);
  });

  it("names what it waited for and the last error when time runs out", async () => {
    await expect(
      waitFor(
        () => {
          throw new Error("ECONNREFUSED");
        },
        { what: "API at http://x", timeoutMs: 50, intervalMs: 5 },
      ),
    ).rejects.toThrow("API at http://x not ready after 50 ms (last error: ECONNREFUSED)");
  });

  it("stops at once when abortIf gives a reason", async () => {
    let calls = 0;
    await expect(
      waitFor(
        () => {
          calls++;
          return undefined;
        },
        { what: "server", abortIf: () => (calls >= 2 ? "exited with code 1" : undefined) },
      ),
    ).rejects.toThrow("server: exited with code 1");
    expect(calls).toBe(2);
  });
});
