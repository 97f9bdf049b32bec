import { describe, expect, it } from "vitest";
import { configFastPath } from "./config-fast";
import { getConfigSchema } from "./config";

// Each value is tried alone on top of a valid base: the fast path must give zod's output or defer.
const CASES: Record<string, unknown[]> = {
  model: ["m.onnx", "", "s3://b/k", 5],
  name: ["iris", "-iris", "a b", "x.y_z-1", undefined],
  version: ["1", "v2.0", "", "_x"],
  sha256: ["a".repeat(64), "A".repeat(64), "abc", "g".repeat(64)],
  deployment: ["", "d1"],
  host: ["127.0.0.1", ""],
  port: ["0", "8080", "65535", "65536", "-1", "1.5", " 80", "0x10", "1e3", 9000, 70000, 1.5, NaN],
  authToken: ["0123456789abcdef", "short", "with space in it ok?", undefined],
  publicHealth: ["true", "false", "yes", true, false],
  maxBodyBytes: ["1023", "1024", String(2 ** 31), String(2 ** 31 + 1)],
  batching: ["auto", "on", "off", "maybe"],
  maxQueueDelayMs: ["0", "0.5", "1000", "1000.1", ".5", "2.", 3],
  maxQueueBytes: ["10", "4096", "1099511627776", "1099511627777"],
  workers: ["1", "64", "65", "0"],
  s3Endpoint: ["http://minio:9000", "ftp://x", "nope"],
  logLevel: ["info", "silent", "verbose"],
  shutdownTimeoutMs: ["0", "600000", "600001"],
};

describe("configFastPath", () => {
  it("agrees with the zod schema or defers to it", () => {
    let decided = 0;
    for (const [key, values] of Object.entries(CASES)) {
      for (const value of values) {
        const input = { model: "m.onnx", [key]: value };
        const fast = configFastPath(input);
        const zod = getConfigSchema().safeParse(input);
        if (fast === undefined) continue;
        decided++;
        expect(zod.success, `${key}=${String(value)}`).toBe(true);
        expect(fast, `${key}=${String(value)}`).toStrictEqual(zod.data);
      }
    }
    expect(decided).toBeGreaterThan(35);
  });

  it("takes the CLI's common case without zod and keeps zod's shape for a re-parse", () => {
    const input = { model: "/m/iris.onnx", name: "iris", port: "0", authToken: "x".repeat(32) };
    const first = configFastPath(input);
    expect(first).toStrictEqual(getConfigSchema().parse(input));
    expect(configFastPath({ ...first, name: undefined })).toStrictEqual(
      getConfigSchema().parse({ ...first, name: undefined }),
    );
  });
});
