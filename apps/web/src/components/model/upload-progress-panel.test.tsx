// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { TUploadState } from "~/lib/upload-progress";

// The transfer itself (tus through the dashboard) is covered by the upload proxy tests and Playwright;
// here only what the panel shows and which action each button starts.
const actions = vi.hoisted(() => ({
  cancelUpload: vi.fn(async () => {}),
  dismissUpload: vi.fn(),
  pauseUpload: vi.fn(),
  resumeUpload: vi.fn(),
}));
vi.mock("~/lib/artifact-upload", () => actions);

const { UploadProgressPanel } = await import("./upload-progress-panel");

const versionId = "0190a000-0000-7000-8000-0000000000a1";
const base: TUploadState = {
  phase: "uploading",
  fileName: "iris-logreg.onnx",
  sent: 2 * 1024 * 1024,
  total: 8 * 1024 * 1024,
  bytesPerSecond: 1024 * 1024,
  secondsLeft: 6,
  startedAt: 0,
};

function show(state: Partial<TUploadState>, versionStatus = "pending_upload") {
  render(
    <UploadProgressPanel
      versionId={versionId}
      versionStatus={versionStatus}
      state={{ ...base, ...state }}
    />,
  );
}

const buttonNames = () => screen.queryAllByRole("button").map((b) => b.textContent);

afterEach(() => {
  cleanup();
  vi.clearAllMocks();
});

describe("UploadProgressPanel", () => {
  it("shows percent, speed and time left while uploading; pause and cancel act on this version", () => {
    show({});
    const bar = screen.getByRole("progressbar", { name: "Uploading iris-logreg.onnx" });
    expect(bar.getAttribute("aria-valuenow")).toBe("25");
    expect(screen.getByTestId("upload-percent").textContent).toBe("25%");
    expect(screen.getByText("2 MB of 8 MB · 1 MB/s · 6 s left")).toBeTruthy();
    expect(buttonNames()).toEqual(["Pause", "Cancel"]);
    fireEvent.click(screen.getByRole("button", { name: "Pause" }));
    expect(actions.pauseUpload).toHaveBeenCalledWith(versionId);
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(actions.cancelUpload).toHaveBeenCalledWith(versionId);
  });

  it("offers resume and discard when paused or cut off", () => {
    show({ phase: "paused", bytesPerSecond: undefined, secondsLeft: undefined });
    expect(screen.getByText("Paused at 2 MB of 8 MB; resuming continues from there")).toBeTruthy();
    expect(buttonNames()).toEqual(["Resume", "Discard"]);
    fireEvent.click(screen.getByRole("button", { name: "Resume" }));
    expect(actions.resumeUpload).toHaveBeenCalledWith(versionId);
    cleanup();
    show({ phase: "interrupted", error: "The connection to the server was lost" });
    expect(
      screen.getByText("The connection to the server was lost (2 MB of 8 MB sent)"),
    ).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Discard" }));
    expect(actions.cancelUpload).toHaveBeenCalledWith(versionId);
  });

  it("names a refusal as an alert and lets the user pick another file", () => {
    show({ phase: "failed", error: "Not an ONNX model: bad magic" });
    expect(screen.getByRole("alert").textContent).toBe("Not an ONNX model: bad magic");
    fireEvent.click(screen.getByRole("button", { name: "Choose another file" }));
    expect(actions.dismissUpload).toHaveBeenCalledWith(versionId);
  });

  it("is at 100% with no buttons once done, then shows the check's outcome", () => {
    show({ phase: "done", sent: base.total, finishedAt: 4_000 }, "ready");
    expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("100");
    expect(screen.getByText("Uploaded 8 MB in 4.0 s · ready")).toBeTruthy();
    expect(buttonNames()).toEqual([]);
  });
});
