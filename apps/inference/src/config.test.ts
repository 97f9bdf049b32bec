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
