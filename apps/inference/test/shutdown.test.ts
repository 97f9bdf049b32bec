import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { startInferenceServer } from "../src/index";
import { postRaw, slowModelRequest, type TLogLine, writeSlowModelFile } from "./helpers";

describe("shutdown with ONNX runs in flight", () => {
  it("close() force-closes connections but releases the session only after the running batch", async () => {
    const lines: TLogLine[] = [];
    const logger = pino(
      { level: "info" },
      { write: (line: string) => lines.push(JSON.parse(line) as TLogLine) },
    );
    const server = await startInferenceServer({
      model: writeSlowModelFile(),
      name: "slow",
      host: "127.0.0.1",
      port: 0,
      shutdownTimeoutMs: 0,
      logger,
    });
    const { body, headers } = slowModelRequest();
    const replies = Array.from({ length: 5 }, () =>
      postRaw(`${server.url}/v2/models/slow/infer`, body, headers).then(
        (res) => res.status,
        () => "connection closed",
      ),
    );
    // once one answer is out, the next request is on the session and the rest are queued
    await Promise.race(replies);
    await server.close();
    const statuses = await Promise.all(replies);

    expect(statuses).toContain(200);
    const shutDown = lines.find((l) => l.msg === "shut down");
    expect(shutDown).toBeDefined();
    // there was work in flight when close() began, and none of it met a released session
    expect(shutDown!.droppedQueued).toBeGreaterThan(0);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  }, 30_000);
});
