import { describe, expect, it } from "vitest";
import { formatLogLine, parseLogLine } from "./log-lines";

// 2026-12-03T12:00:01.250Z
const time = Date.UTC(2026, 11, 3, 12, 0, 1, 250);

describe("parseLogLine", () => {
  it("reads the model server's pino line: time, level, message and the fields that vary", () => {
    const line = JSON.stringify({
      level: 30,
      time,
      pid: 4242,
      hostname: "box",
      service: "kubeserve-inference",
      model: "iris",
      version: "v1",
      url: "http://127.0.0.1:41000",
      port: 41000,
      msg: "listening",
    });
    expect(parseLogLine(line, "UTC")).toEqual({
      isStructured: true,
      time: "12:00:01.250",
      level: "info",
      message: "listening",
      fields: [
        ["url", "http://127.0.0.1:41000"],
        ["port", "41000"],
      ],
    });
  });

  it("reads the Python runtime's line (fields before msg) and quotes values with spaces", () => {
    const line = `{"level": 50, "time": ${time}, "pid": 7, "hostname": "box", "error": "No module named 'xgboost'", "msg": "model failed to load"}`;
    expect(formatLogLine(line, "UTC")).toBe(
      `12:00:01.250 ERROR model failed to load error="No module named 'xgboost'"`,
    );
  });

  it("shows a list of names comma-separated, other arrays and objects as JSON", () => {
    const line = JSON.stringify({
      level: 30,
      time,
      inputs: ["input:FP32[-1,4]"],
      outputs: ["probabilities:FP32[-1,3]", "label:INT64[-1]"],
      shape: { rows: 2 },
      msg: "model ready",
    });
    expect(formatLogLine(line, "UTC")).toBe(
      `12:00:01.250 INFO  model ready inputs=input:FP32[-1,4] outputs=probabilities:FP32[-1,3],label:INT64[-1] shape="{\\"rows\\":2}"`,
    );
  });

  it("shows an error object by its type and message, not its stack", () => {
    const line = JSON.stringify({
      level: 50,
      time,
      err: { type: "TypeError", message: "x is not a function", stack: "TypeError: …\n at y" },
      msg: "request failed",
    });
    expect(formatLogLine(line, "UTC")).toBe(
      `12:00:01.250 ERROR request failed err="TypeError: x is not a function"`,
    );
  });

  it("shows lists of names bare and objects as compact JSON", () => {
    const line = JSON.stringify({
      level: 30,
      msg: "model ready",
      inputs: ["input:FP32[-1,4]"],
      outputs: ["probabilities:FP32[-1,3]", "label:INT64[-1]"],
      batching: { maxBatchSize: 32 },
      isAuthRequired: true,
    });
    expect(formatLogLine(line)).toBe(
      'INFO  model ready inputs=input:FP32[-1,4] outputs=probabilities:FP32[-1,3],label:INT64[-1] batching="{\\"maxBatchSize\\":32}" isAuthRequired=true',
    );
  });

  it("maps level numbers and names, pads the level, and shortens a long field", () => {
    expect(formatLogLine(JSON.stringify({ level: 40, time, msg: "slow" }), "UTC")).toBe(
      "12:00:01.250 WARN  slow",
    );
    expect(
      formatLogLine(
        JSON.stringify({ level: "warning", time: "2026-12-03T12:00:01.250Z", msg: "w" }),
        "UTC",
      ),
    ).toBe("12:00:01.250 WARN  w");
    const long = formatLogLine(JSON.stringify({ msg: "m", blob: "a".repeat(500) }), "UTC");
    expect(long.length).toBeLessThan(200);
    expect(long).toMatch(/^m blob=a+…$/);
  });

  it("drops terminal colour codes, as onnxruntime writes them even into a pipe", () => {
    const line =
      "\u001b[0;93m2026-12-03 12:09:19.247 [W:onnxruntime:onnxruntime-node] Failed to persist telemetry device ID\u001b[m";
    expect(formatLogLine(line)).toBe(
      "2026-12-03 12:09:19.247 [W:onnxruntime:onnxruntime-node] Failed to persist telemetry device ID",
    );
    expect(formatLogLine(`\u001b[1m${JSON.stringify({ level: 30, msg: "ok" })}`)).toBe("INFO  ok");
  });

  it("keeps non-JSON lines, JSON without a message and broken JSON exactly as they came", () => {
    for (const line of [
      "Traceback (most recent call last):",
      '  File "x.py", line 1',
      "[1, 2, 3]",
      '{"level": 30}',
      '{"msg": "cut off',
      "",
    ]) {
      expect(parseLogLine(line)).toEqual({ isStructured: false, text: line });
      expect(formatLogLine(line)).toBe(line);
    }
  });
});
