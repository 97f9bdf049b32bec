"use client";

import { useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { type FileRejection, useDropzone } from "react-dropzone";
import { startUpload, useUploadState } from "~/lib/artifact-upload";
import { formatBytes } from "~/lib/format";
import { beginUpload } from "~/lib/polling";
import { checkModelFile, extensionsFor, readResumePoint } from "~/lib/upload-progress";
import { useUploadLimit } from "./upload-limit";
import { UploadProgressPanel } from "./upload-progress-panel";
import type { TVersion } from "./version-card";

type TSlotVersion = Pick<TVersion, "id" | "status" | "framework"> & { hasArtifact: boolean };

function describeRejection(rejections: readonly FileRejection[]): string {
  const first = rejections[0];
  if (!first) return "";
  if (rejections.length > 1) return "Drop one model file at a time";
  return first.errors[0]?.message ?? `'${first.file.name}' cannot be uploaded`;
}

/**
 * Where a version without its file gets one: a drop zone that refuses wrong types and sizes before any
 * byte is sent, then the tus upload's progress. While bytes move (and until the API has checked the
 * file) the version lists poll every 2 s, so the signature appears by itself.
 */
export function ArtifactUploadSlot({ version }: { version: TSlotVersion }) {
  const upload = useUploadState(version.id);
  const isAwaitingCheck = upload?.phase === "done" && version.status === "pending_upload";
  useEffect(
    () => (isAwaitingCheck ? beginUpload(`${version.id}:check`) : undefined),
    [isAwaitingCheck, version.id],
  );

  if (upload) {
    return (
      <UploadProgressPanel versionId={version.id} versionStatus={version.status} state={upload} />
    );
  }
  if (version.status !== "pending_upload" || version.hasArtifact) return null;
  return <ModelDropzone versionId={version.id} framework={version.framework} />;
}

const noSubscription = () => () => {};

/** An interrupted upload of this version from an earlier page (read after hydration: the server has none). */
function useResumePoint(versionId: string) {
  const raw = useSyncExternalStore(
    noSubscription,
    () => localStorage.getItem(`kubeserve.upload.${versionId}`),
    () => null,
  );
  return useMemo(
    () =>
      raw
        ? readResumePoint(
            { getItem: () => raw, setItem: () => {}, removeItem: () => {} },
            versionId,
          )
        : undefined,
    [raw, versionId],
  );
}

function ModelDropzone({ versionId, framework }: { versionId: string; framework: string }) {
  const maxBytes = useUploadLimit();
  const extensions = extensionsFor(framework);
  const [error, setError] = useState<string>();
  const [requirements, setRequirements] = useState<File>();
  const resumePoint = useResumePoint(versionId);

  const { getRootProps, getInputProps, isDragActive, isDragReject } = useDropzone({
    accept: { "application/octet-stream": [...extensions] },
    maxFiles: 1,
    multiple: false,
    // Checked here by name and size, before any byte leaves the browser (the API checks again).
    validator: (file) => {
      const problem = checkModelFile(file, framework, maxBytes);
      return problem ? { code: "kubeserve-invalid", message: problem } : null;
    },
    onDropAccepted: ([file]) => {
      setError(undefined);
      if (file) void startUpload(versionId, file, requirements);
    },
    onDropRejected: (rejections) => {
      const first = rejections[0];
      const own = first ? checkModelFile(first.file, framework, maxBytes) : undefined;
      setError(rejections.length === 1 && own ? own : describeRejection(rejections));
    },
  });

  const isSklearn = framework === "sklearn";
  return (
    <div className="mt-4 flex flex-col gap-3" data-testid="upload-slot">
      {resumePoint ? (
        <p className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-900 dark:bg-amber-950/40 dark:text-amber-200">
          An upload of <strong>{resumePoint.name}</strong> ({formatBytes(resumePoint.size)}) was
          interrupted. Drop the same file to continue where it stopped.
        </p>
      ) : null}
      <div
        {...getRootProps({
          "aria-label": `Upload the model file (${extensions.join(", ")})`,
          className: `flex cursor-pointer flex-col items-center gap-2 rounded-lg border-2 border-dashed px-6 py-8 text-center text-sm transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500 ${
            isDragReject
              ? "border-rose-400 bg-rose-50 dark:bg-rose-950/30"
              : isDragActive
                ? "border-indigo-400 bg-indigo-50 dark:bg-indigo-950/30"
                : "border-slate-300 hover:border-indigo-400 hover:bg-slate-50 dark:border-slate-700 dark:hover:bg-slate-800/50"
          }`,
        })}
      >
        <input {...getInputProps({ "aria-label": "Model file" })} data-testid="artifact-input" />
        <svg
          aria-hidden="true"
          viewBox="0 0 24 24"
          className="size-8 text-slate-400"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.5"
        >
          <path
            strokeLinecap="round"
            strokeLinejoin="round"
            d="M12 16V4m0 0 4 4m-4-4-4 4M4 16v2a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-2"
          />
        </svg>
        <p className="font-medium text-slate-800 dark:text-slate-200">
          {isDragActive ? "Drop to upload" : "Drop the model file here, or click to choose"}
        </p>
        <p className="text-xs text-slate-500 dark:text-slate-400">
          {extensions.join(", ")}
          {maxBytes ? ` · up to ${formatBytes(maxBytes)}` : ""} · resumable if the connection drops
        </p>
      </div>
      {error ? (
        <p
          role="alert"
          data-testid="upload-error"
          className="text-sm text-rose-700 dark:text-rose-300"
        >
          {error}
        </p>
      ) : null}
      {isSklearn ? (
        <label className="flex flex-wrap items-center gap-2 text-sm text-slate-600 dark:text-slate-400">
          <span>requirements.txt (optional, sent before the model)</span>
          <input
            type="file"
            accept=".txt,text/plain"
            className="text-xs file:mr-2 file:rounded file:border file:border-slate-300 file:bg-white file:px-2 file:py-1 dark:file:border-slate-700 dark:file:bg-slate-900"
            onChange={(event) => setRequirements(event.currentTarget.files?.[0])}
          />
        </label>
      ) : null}
    </div>
  );
}
