"use client";

import { uploadArtifact } from "@kubeserve/api";
import { useSyncExternalStore } from "react";
import { beginUpload } from "./polling";
import {
  clearResumePoint,
  createSpeedMeter,
  isSameFile,
  readResumePoint,
  saveResumePoint,
  type TUploadState,
} from "./upload-progress";

// Uploads running in this tab, one per version, kept outside React so a re-render or a re-mounted card
// never loses one. Bytes go to the dashboard's own /api/v1/uploads (src/server/upload-proxy.ts), which
// adds the session's API token on the server.

export type { TUploadPhase, TUploadState } from "./upload-progress";

type TRunning = {
  state: TUploadState;
  file: File;
  controller?: AbortController;
  uploadUrl?: string;
};

const uploads = new Map<string, TRunning>();
const listeners = new Set<() => void>();

function publish(versionId: string, patch: Partial<TUploadState>) {
  const running = uploads.get(versionId);
  if (!running) return;
  running.state = { ...running.state, ...patch };
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useUploadState(versionId: string): TUploadState | undefined {
  return useSyncExternalStore(
    subscribe,
    () => uploads.get(versionId)?.state,
    () => undefined,
  );
}

/** The server's words from a refused tus request, or undefined for a network failure worth resuming. */
function readRefusal(error: unknown): { status: number; message: string } | undefined {
  const response = (
    error as { originalResponse?: { getStatus(): number; getBody(): string } | null }
  )?.originalResponse;
  if (!response) return undefined;
  const status = response.getStatus();
  const body = response.getBody()?.trim();
  return { status, message: readErrorMessage(body) || `The upload was refused (HTTP ${status})` };
}

/** The message of an API error body (`{"error":{"message"}}` or `{"message"}`), or the text as it is. */
function readErrorMessage(body: string | undefined): string | undefined {
  if (!body?.startsWith("{")) return body;
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: { message?: unknown } };
    const message = parsed.error?.message ?? parsed.message;
    return typeof message === "string" ? message : body;
  } catch {
    return body;
  }
}

async function sendRequirements(versionId: string, requirements: File): Promise<void> {
  const response = await fetch(`/api/v1/versions/${encodeURIComponent(versionId)}/requirements`, {
    method: "PUT",
    headers: { "content-type": "text/plain" },
    body: requirements,
  });
  if (!response.ok) {
    const text = await response.text();
    throw new Error(`requirements.txt: ${readErrorMessage(text) || `HTTP ${response.status}`}`);
  }
}

/** Starts (or, for the same file as an interrupted upload, continues) the upload of `file` into a version. */
export async function startUpload(
  versionId: string,
  file: File,
  requirements?: File,
): Promise<void> {
  if (uploads.get(versionId)?.state.phase === "uploading") return;
  const previous = readResumePoint(localStorage, versionId);
  const resumeUrl =
    uploads.get(versionId)?.uploadUrl ??
    (previous && isSameFile(previous, file) ? previous.uploadUrl : undefined);
  const controller = new AbortController();
  const meter = createSpeedMeter();
  uploads.set(versionId, {
    file,
    controller,
    uploadUrl: resumeUrl,
    state: {
      phase: "uploading",
      fileName: file.name,
      sent: 0,
      total: file.size,
      bytesPerSecond: undefined,
      secondsLeft: undefined,
      startedAt: Date.now(),
    },
  });
  for (const listener of listeners) listener();
  const endBusy = beginUpload(versionId);
  try {
    if (requirements) await sendRequirements(versionId, requirements);
    await uploadArtifact({ url: window.location.origin }, versionId, file, {
      ...(resumeUrl ? { uploadUrl: new URL(resumeUrl, window.location.origin).href } : {}),
      chunkSize: 8 * 1024 * 1024,
      signal: controller.signal,
      onUploadUrl: (url) => {
        const path = new URL(url, window.location.origin).pathname;
        const running = uploads.get(versionId);
        if (running) running.uploadUrl = path;
        saveResumePoint(localStorage, versionId, {
          uploadUrl: path,
          name: file.name,
          size: file.size,
          lastModified: file.lastModified,
        });
      },
      onProgress: (sent, total) => {
        const now = Date.now();
        meter.sample(sent, now);
        publish(versionId, {
          sent,
          total,
          bytesPerSecond: meter.speed(),
          secondsLeft: meter.secondsLeft(total),
        });
      },
    });
    clearResumePoint(localStorage, versionId);
    publish(versionId, { phase: "done", sent: file.size, secondsLeft: 0, finishedAt: Date.now() });
  } catch (error) {
    if (controller.signal.aborted) return;
    const refusal =
      error instanceof Error && error.message.startsWith("requirements.txt:")
        ? { status: 400, message: error.message }
        : readRefusal(error);
    if (refusal && refusal.status !== 404) {
      clearResumePoint(localStorage, versionId);
      const running = uploads.get(versionId);
      if (running) running.uploadUrl = undefined;
      publish(versionId, { phase: "failed", error: refusal.message });
    } else if (refusal) {
      // The interrupted upload expired or was swept: start over from byte 0 next time.
      clearResumePoint(localStorage, versionId);
      const running = uploads.get(versionId);
      if (running) running.uploadUrl = undefined;
      publish(versionId, {
        phase: "interrupted",
        error: "The earlier upload expired; retry starts again",
      });
    } else {
      publish(versionId, { phase: "interrupted", error: "The connection to the server was lost" });
    }
  } finally {
    endBusy();
  }
}

/** Stops sending but keeps the server's part and the resume point, so resuming continues from there. */
export function pauseUpload(versionId: string): void {
  const running = uploads.get(versionId);
  if (running?.state.phase !== "uploading") return;
  publish(versionId, { phase: "paused", bytesPerSecond: undefined, secondsLeft: undefined });
  running.controller?.abort(new DOMException("Upload paused", "AbortError"));
}

/** Continues a paused or interrupted upload from the byte the server has. */
export function resumeUpload(versionId: string): void {
  const running = uploads.get(versionId);
  if (running) void startUpload(versionId, running.file);
}

/** Stops the transfer and tells the server to drop what it has, so the version can take a new upload. */
export async function cancelUpload(versionId: string): Promise<void> {
  const running = uploads.get(versionId);
  if (!running) return;
  running.controller?.abort(new DOMException("Upload cancelled", "AbortError"));
  publish(versionId, { phase: "cancelled" });
  clearResumePoint(localStorage, versionId);
  const url = running.uploadUrl;
  running.uploadUrl = undefined;
  if (url) {
    await fetch(url, { method: "DELETE", headers: { "tus-resumable": "1.0.0" } }).catch(
      () => undefined,
    );
  }
}

/** Forgets a finished, failed or cancelled upload so the dropzone shows again. */
export function dismissUpload(versionId: string): void {
  if (uploads.get(versionId)?.state.phase === "uploading") return;
  uploads.delete(versionId);
  for (const listener of listeners) listener();
}
