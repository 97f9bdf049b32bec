import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config";

describe("loadConfig", () => {
  it("applies defaults for a small container", () => {
    const config = loadConfig(["--model", "m.onnx"], {});
    expect(config).toMatchObject({
      model: "m.onnx",
      version: "1",
      port: 8080,
      maxBodyBytes: 32 * 1024 * 1024,
      batching: "auto",
      maxBatchSize: 32,
      maxQueueDelayMs: 1,
      intraOpThreads: 1,
      interOpThreads: 1,
      workers: 1,
    });
  });

  it("reads environment variables and lets CLI flags override them", () => {
    const env = {
      KUBESERVE_MODEL: "env.onnx",
      KUBESERVE_PORT: "9000",
      KUBESERVE_MAX_BATCH_SIZE: "8",
    };
    expect(loadConfig([], env)).toMatchObject({ model: "env.onnx", port: 9000, maxBatchSize: 8 });
    expect(loadConfig(["--port", "9100"], env)).toMatchObject({ model: "env.onnx", port: 9100 });
  });

  it("reads the replica token and the queue byte budget from env or flags", () => {
    const token = "0123456789abcdef-token";
    const defaults = loadConfig(["--model", "m.onnx"], {});
    expect(defaults).toMatchObject({ maxQueueBytes: 268435456 });
    expect(defaults).not.toHaveProperty("authToken");
    expect(
      loadConfig(["--model", "m.onnx"], {
        KUBESERVE_AUTH_TOKEN: token,
        KUBESERVE_MAX_QUEUE_BYTES: "1048576",
      }),
    ).toMatchObject({ authToken: token, maxQueueBytes: 1048576 });
    expect(
      loadConfig(
        ["--model", "m.onnx", "--auth-token", `${token}2`, "--max-queue-bytes", "4096"],
        {},
      ),
    ).toMatchObject({ authToken: `${token}2`, maxQueueBytes: 4096 });
    expect(() => loadConfig(["--model", "m.onnx", "--max-queue-bytes", "10"], {})).toThrow(
      /KUBESERVE_MAX_QUEUE_BYTES \(--max-queue-bytes\)/,
    );
  });

  it("names the variable and flag of a bad value", () => {
    expect(() => loadConfig(["--model", "m.onnx", "--batching", "maybe"], {})).toThrow(
      /KUBESERVE_BATCHING \(--batching\)/,
    );
    expect(() => loadConfig([], {})).toThrow(/KUBESERVE_MODEL \(--model\)/);
    expect(() => loadConfig(["--model", "m.onnx", "--sha256", "abc"], {})).toThrow(/64 hex digits/);
  });

  it("rejects unknown flags with the help text", () => {
    expect(() => loadConfig(["--modle", "m.onnx"], {})).toThrow(ConfigError);
  });

  it("returns help for --help", () => {
    expect(loadConfig(["--help"], {})).toBe("help");
  });
});
