import { describe, expect, it } from "vitest";
import {
  checkModelFile,
  clearResumePoint,
  createSpeedMeter,
  formatSecondsLeft,
  isSameFile,
  readResumePoint,
  saveResumePoint,
} from "./upload-progress";

function memoryStorage() {
  const map = new Map<string, string>();
  return {
    getItem: (key: string) => map.get(key) ?? null,
    setItem: (key: string, value: string) => void map.set(key, value),
    removeItem: (key: string) => void map.delete(key),
    map,
  };
}

describe("checkModelFile", () => {
  it("takes only the framework's extensions, case-insensitively", () => {
    expect(checkModelFile({ name: "iris.ONNX", size: 10 }, "onnx", 100)).toBeUndefined();
    expect(checkModelFile({ name: "notes.txt", size: 10 }, "onnx", 100)).toMatch(
      /\.onnx file; 'notes\.txt' is not one/,
    );
    expect(checkModelFile({ name: "m.joblib", size: 10 }, "onnx", 100)).toBeDefined();
    for (const name of ["m.joblib", "m.pkl", "m.pickle"]) {
      expect(checkModelFile({ name, size: 10 }, "sklearn", 100)).toBeUndefined();
    }
    expect(checkModelFile({ name: "m.onnx", size: 10 }, "sklearn", 100)).toMatch(/scikit-learn/);
  });

  it("refuses empty files and files over the server's limit, naming both sizes", () => {
    expect(checkModelFile({ name: "m.onnx", size: 0 }, "onnx", 100)).toMatch(/empty/);
    expect(checkModelFile({ name: "m.onnx", size: 3 * 2 ** 30 }, "onnx", 2 * 2 ** 30)).toBe(
      "'m.onnx' is 3 GB; the largest file this server accepts is 2 GB",
    );
    expect(
      checkModelFile({ name: "m.onnx", size: 3 * 2 ** 30 }, "onnx", undefined),
    ).toBeUndefined();
  });
});

describe("createSpeedMeter", () => {
  it("measures over a moving window, so the speed follows a slowdown", () => {
    const meter = createSpeedMeter(1_000);
    expect(meter.speed()).toBeUndefined();
    meter.sample(0, 0);
    meter.sample(1_000_000, 500);
    expect(meter.speed()).toBe(2_000_000);
    expect(meter.secondsLeft(3_000_000)).toBe(1);
    meter.sample(1_100_000, 1_500);
    meter.sample(1_200_000, 2_500);
    // Only the last second counts now: 100 kB/s.
    expect(meter.speed()).toBe(100_000);
    expect(meter.secondsLeft(1_400_000)).toBe(2);
  });

  it("has no estimate while stalled", () => {
    const meter = createSpeedMeter();
    meter.sample(500, 0);
    meter.sample(500, 1_000);
    expect(meter.secondsLeft(1_000)).toBeUndefined();
    expect(formatSecondsLeft(undefined)).toBe("estimating…");
    expect(formatSecondsLeft(75)).toBe("1 min 15 s left");
  });
});

describe("resume points", () => {
  it("keep only the dashboard upload URL and the file's identity, and refuse anything else", () => {
    const storage = memoryStorage();
    const point = { uploadUrl: "/api/v1/uploads/abc", name: "m.onnx", size: 5, lastModified: 7 };
    saveResumePoint(storage, "v1", point);
    expect(readResumePoint(storage, "v1")).toEqual(point);
    expect(JSON.parse(storage.map.get("kubeserve.upload.v1") ?? "")).toEqual(point);
    expect(isSameFile(point, { name: "m.onnx", size: 5, lastModified: 7 })).toBe(true);
    expect(isSameFile(point, { name: "m.onnx", size: 6, lastModified: 7 })).toBe(false);
    storage.setItem(
      "kubeserve.upload.v2",
      JSON.stringify({ ...point, uploadUrl: "https://evil.example/x" }),
    );
    expect(readResumePoint(storage, "v2")).toBeUndefined();
    storage.setItem("kubeserve.upload.v3", "{not json");
    expect(readResumePoint(storage, "v3")).toBeUndefined();
    clearResumePoint(storage, "v1");
    expect(readResumePoint(storage, "v1")).toBeUndefined();
  });
});
