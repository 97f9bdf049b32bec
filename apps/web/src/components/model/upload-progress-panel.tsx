"use client";

import { Button } from "@kubeserve/ui";
import {
  cancelUpload,
  dismissUpload,
  pauseUpload,
  resumeUpload,
  type TUploadState,
} from "~/lib/artifact-upload";
import { describeUpload, type TUploadAction } from "~/lib/upload-progress";

const barTones: Record<TUploadState["phase"], string> = {
  uploading: "bg-indigo-500",
  paused: "bg-slate-400",
  done: "bg-emerald-500",
  interrupted: "bg-amber-500",
  failed: "bg-rose-500",
  cancelled: "bg-slate-400",
};

const buttons: Record<
  TUploadAction,
  { label: string; variant: "primary" | "secondary" | "ghost"; run: (versionId: string) => void }
> = {
  pause: { label: "Pause", variant: "secondary", run: pauseUpload },
  cancel: { label: "Cancel", variant: "secondary", run: (id) => void cancelUpload(id) },
  resume: { label: "Resume", variant: "primary", run: resumeUpload },
  discard: { label: "Discard", variant: "ghost", run: (id) => void cancelUpload(id) },
  another: { label: "Choose another file", variant: "secondary", run: dismissUpload },
};

/** Bytes sent with speed and time left, and what can be done next (pause, cancel, resume, another file). */
export function UploadProgressPanel({
  versionId,
  versionStatus,
  state,
}: {
  versionId: string;
  versionStatus: string;
  state: TUploadState;
}) {
  const view = describeUpload(state, versionStatus);
  return (
    <div
      data-testid="upload-progress"
      className="mt-4 rounded-md border border-slate-200 px-4 py-3 text-sm dark:border-slate-800"
    >
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <p className="min-w-0 truncate font-medium">{state.fileName}</p>
        <p className="font-mono text-xs tabular-nums" data-testid="upload-percent">
          {view.percent}%
        </p>
      </div>
      <div
        role="progressbar"
        aria-label={`Uploading ${state.fileName}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={view.percent}
        className="mt-2 h-2 overflow-hidden rounded-full bg-slate-100 dark:bg-slate-800"
      >
        <div
          className={`h-full rounded-full transition-[width] duration-200 ${barTones[state.phase]}`}
          style={{ width: `${view.percent}%` }}
        />
      </div>
      <div className="mt-2 flex flex-wrap items-center justify-between gap-2 text-xs text-slate-600 dark:text-slate-400">
        <p aria-live="polite">{view.summary}</p>
        <div className="flex gap-2">
          {view.actions.map((action) => (
            <Button
              key={action}
              variant={buttons[action].variant}
              onClick={() => buttons[action].run(versionId)}
            >
              {buttons[action].label}
            </Button>
          ))}
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
