import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "./app";
import { readApiConfig } from "./config";
import { createDeps } from "./deps";
import { createHarness, type THarness } from "./test/harness";

// `pnpm start` sets LOG_REQUESTS=false so its terminal is not one line per request; images keep the default.
describe("request log lines (LOG_REQUESTS)", () => {
  let h: THarness;
  beforeAll(async () => {
    h = await createHarness("pglite");
  });
  afterAll(async () => {
    await h.destroy();
  });

  async function requestLines(env: Record<string, string>): Promise<string[]> {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split("\n").filter(Boolean));
        done();
      },
    });
    const config = readApiConfig({ KUBESERVE_HOME: h.config.homeDir, ...env });
    const deps = createDeps({ ...h.deps, config, log: pino({ level: config.logLevel }, sink) });
    const app = await buildApp({ deps, readiness: [] });
    try {
      expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
      expect((await app.inject({ method: "GET", url: "/trpc/nope" })).statusCode).toBe(404);
      // Predictions are answered by the raw fast path on the HTTP server, which inject() does not reach.
      const base = await app.listen({ host: "127.0.0.1", port: 0 });
      const predicted = await fetch(`${base}/api/v1/predict/${randomUUID()}`, {
        method: "POST",
        headers: { authorization: "Bearer ks_notakey", "content-type": "application/json" },
        body: JSON.stringify({ instances: [[1, 2, 3, 4]] }),
      });
      expect(predicted.status).toBe(401);
    } finally {
      await app.close();
    }
    return lines.filter((line) => (JSON.parse(line) as { msg?: string }).msg === "request");
  }

  it("logs one info line per request by default", async () => {
    expect(readApiConfig({ KUBESERVE_HOME: h.config.homeDir }).isLoggingRequests).toBe(true);
    const lines = await requestLines({});
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[1] ?? "{}")).toMatchObject({
      level: 30,
      url: "/trpc/nope",
      status: 404,
    });
    expect(JSON.parse(lines[2] ?? "{}")).toMatchObject({ level: 30, status: 401 });
  });

  it("logs none with LOG_REQUESTS=false, and refuses a value that is not a boolean", async () => {
    expect(await requestLines({ LOG_REQUESTS: "false" })).toEqual([]);
    expect(() =>
      readApiConfig({ KUBESERVE_HOME: h.config.homeDir, LOG_REQUESTS: "quiet" }),
    ).toThrow(/LOG_REQUESTS: must be true or false/);
  });
});
