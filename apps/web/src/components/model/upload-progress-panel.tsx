"use client";

import { Button } from "@kubeserve/ui";
import {
  cancelUpload,
  dismissUpload,
  resumeUpload,
  type TUploadState,
} from "~/lib/artifact-upload";
import { formatBytes } from "~/lib/format";
import { formatSecondsLeft, formatSpeed } from "~/lib/upload-progress";

const barTones: Record<TUploadState["phase"], string> = {
  uploading: "bg-indigo-500",
  done: "bg-emerald-500",
  interrupted: "bg-amber-500",
  failed: "bg-rose-500",
  cancelled: "bg-slate-400",
};

/** Bytes sent with speed and time left, and what can be done next (cancel, resume, try another file). */
export function UploadProgressPanel({
  versionId,
  versionStatus,
  state,
}: {
  versionId: string;
  versionStatus: string;
  state: TUploadState;
}) {
  const percent = state.total > 0 ? Math.floor((100 * state.sent) / state.total) : 0;
  const seconds = ((state.finishedAt ?? state.startedAt) - state.startedAt) / 1000;
  return (
    <div
      data-testid="upload-progress"
      className="mt-4 rounded-md border border-slate-200 px-4 py-3 text-sm dark:border-slate-800"
    >
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <p className="min-w-0 truncate font-medium">{state.fileName}</p>
        <p className="font-mono text-xs tabular-nums" data-testid="upload-percent">
          {percent}%
        </p>
      </div>
      <div
        role="progressbar"
        aria-label={`Uploading ${state.fileName}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        className="mt-2 h-2 overflow-hidden rounded-full bg-slate-100 dark:bg-slate-800"
      >
        <div
          className={`h-full rounded-full transition-[width] duration-200 ${barTones[state.phase]}`}
          style={{ width: `${percent}%` }}
        />
      </div>
      <div className="mt-2 flex flex-wrap items-center justify-between gap-2 text-xs text-slate-600 dark:text-slate-400">
        <p aria-live="polite">
          {state.phase === "uploading"
            ? `${formatBytes(state.sent)} of ${formatBytes(state.total)} · ${formatSpeed(state.bytesPerSecond)} · ${formatSecondsLeft(state.secondsLeft)}`
            : state.phase === "done"
              ? `Uploaded ${formatBytes(state.total)} in ${seconds.toFixed(1)} s · ${versionStatus === "pending_upload" ? "checking the model…" : versionStatus}`
              : state.phase === "cancelled"
                ? "Upload cancelled; nothing was kept"
                : `${state.error ?? "Upload stopped"} (${formatBytes(state.sent)} of ${formatBytes(state.total)} sent)`}
        </p>
        <div className="flex gap-2">
          {state.phase === "uploading" ? (
            <Button variant="secondary" onClick={() => void cancelUpload(versionId)}>
              Cancel
            </Button>
          ) : null}
          {state.phase === "interrupted" ? (
            <>
              <Button onClick={() => resumeUpload(versionId)}>Resume</Button>
              <Button variant="ghost" onClick={() => void cancelUpload(versionId)}>
                Discard
              </Button>
            </>
          ) : null}
          {state.phase === "failed" || state.phase === "cancelled" ? (
            <Button variant="secondary" onClick={() => dismissUpload(versionId)}>
              Choose another file
            </Button>
          ) : null}
        </div>
      </div>
      {state.phase === "failed" ? (
        <p role="alert" className="mt-2 text-sm text-rose-700 dark:text-rose-300">
          {state.error}
        </p>
      ) : null}
    </div>
  );
}
