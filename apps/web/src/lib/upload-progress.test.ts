import { describe, expect, it } from "vitest";
import {
  checkModelFile,
  clearResumePoint,
  createSpeedMeter,
  describeUpload,
  formatSecondsLeft,
  formatSpeed,
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

describe("formatting speed and time left", () => {
  it("rounds the time left up once, so minutes never show 60 s", () => {
    expect(formatSecondsLeft(0.4)).toBe("under a second left");
    expect(formatSecondsLeft(58.4)).toBe("59 s left");
    expect(formatSecondsLeft(59.2)).toBe("1 min 0 s left");
    expect(formatSecondsLeft(59.5 + 60)).toBe("2 min 0 s left");
    expect(formatSecondsLeft(3_600 * 2 + 60 * 5)).toBe("2 h 5 min left");
    expect(formatSpeed(undefined)).toBe("—");
    expect(formatSpeed(1_572_864)).toBe("1.5 MB/s");
  });
});

describe("describeUpload", () => {
  const base = {
    fileName: "iris.onnx",
    sent: 0,
    total: 4 * 1024 * 1024,
    bytesPerSecond: undefined,
    secondsLeft: undefined,
    startedAt: 1_000,
  };

  it("shows bytes, speed and time left while uploading, with pause and cancel", () => {
    const view = describeUpload(
      {
        ...base,
        phase: "uploading",
        sent: 1024 * 1024,
        bytesPerSecond: 512 * 1024,
        secondsLeft: 6,
      },
      "pending_upload",
    );
    expect(view).toEqual({
      percent: 25,
      summary: "1 MB of 4 MB · 512 KB/s · 6 s left",
      actions: ["pause", "cancel"],
    });
    const early = describeUpload({ ...base, phase: "uploading", sent: 10 }, "pending_upload");
    expect(early.summary).toBe("10 B of 4 MB · — · estimating…");
  });

  it("never shows 100% before the last byte, nor more than 100%", () => {
    const almost = describeUpload(
      { ...base, phase: "uploading", sent: base.total - 1 },
      "pending_upload",
    );
    expect(almost.percent).toBe(99);
    expect(describeUpload({ ...base, phase: "uploading", sent: base.total * 2 }, "x").percent).toBe(
      100,
    );
    expect(describeUpload({ ...base, phase: "uploading", total: 0 }, "x").percent).toBe(0);
  });

  it("offers resume after a pause or a network cut, and a new file after a refusal or cancel", () => {
    const sent = 3 * 1024 * 1024;
    expect(describeUpload({ ...base, phase: "paused", sent }, "pending_upload")).toEqual({
      percent: 75,
      summary: "Paused at 3 MB of 4 MB; resuming continues from there",
      actions: ["resume", "discard"],
    });
    const cut = { ...base, phase: "interrupted" as const, sent, error: "The connection was lost" };
    expect(describeUpload(cut, "pending_upload")).toEqual({
      percent: 75,
      summary: "The connection was lost (3 MB of 4 MB sent)",
      actions: ["resume", "discard"],
    });
    const refused = { ...base, phase: "failed" as const, sent, error: "Not an ONNX model" };
    expect(describeUpload(refused, "pending_upload").actions).toEqual(["another"]);
    expect(describeUpload({ ...base, phase: "cancelled" }, "pending_upload")).toEqual({
      percent: 0,
      summary: "Upload cancelled; nothing was kept",
      actions: ["another"],
    });
  });

  it("reports the time taken once done, then the model check's outcome", () => {
    const done = { ...base, phase: "done" as const, sent: base.total, finishedAt: 3_500 };
    expect(describeUpload(done, "pending_upload")).toEqual({
      percent: 100,
      summary: "Uploaded 4 MB in 2.5 s · checking the model…",
      actions: [],
    });
    expect(describeUpload(done, "ready").summary).toBe("Uploaded 4 MB in 2.5 s · ready");
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
