import type { TVersion } from "./version-card";

/**
 * Where a version without its file gets one. The drag-and-drop resumable upload (react-dropzone over tus,
 * issue 10 item 4) replaces this body; it keeps this props shape and calls beginUpload() from
 * lib/polling.ts while bytes move, so the lists poll every 2 s meanwhile.
 */
export function ArtifactUploadSlot({
  version,
}: {
  version: Pick<TVersion, "id" | "status" | "framework">;
}) {
  if (version.status !== "pending_upload") return null;
  const extension = version.framework === "onnx" ? ".onnx" : ".joblib";
  return (
    <div
      data-testid="upload-slot"
      className="mt-4 rounded-md border border-dashed border-slate-300 px-4 py-5 text-sm text-slate-600 dark:border-slate-700 dark:text-slate-400"
    >
      <p className="font-medium text-slate-800 dark:text-slate-200">Waiting for the model file</p>
      <p className="mt-1">
        Upload the trained <code>{extension}</code> file for this version; its size, checksum and
        signature appear here once it is stored.
      </p>
    </div>
  );
}
