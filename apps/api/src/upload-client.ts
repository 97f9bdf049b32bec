import type { Readable } from "node:stream";
import * as tus from "tus-js-client";
import type { TApiClientOptions } from "./client";

// The typed upload helper for scripts and the dashboard: a resumable (tus) upload into one version.

export type TUploadArtifactOptions = {
  /** the file name (taken from a File when not given; required for a Buffer or a stream) */
  filename?: string;
  /** bytes in a stream (a Blob or Buffer knows its own) */
  size?: number;
  /** bytes per PATCH request (default 16 MiB); also what a stream buffers at a time */
  chunkSize?: number;
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  /** aborts the transfer; the upload stays resumable with `uploadUrl` until it expires */
  signal?: AbortSignal;
  /** resume this earlier upload (from `onUploadUrl`); needs a Blob, Buffer or fs.ReadStream (one that can seek) */
  uploadUrl?: string;
  /** called once the server assigned the upload its URL, e.g. to store it for a later resume */
  onUploadUrl?: (url: string) => void;
};

type TSource = Blob | Buffer | Readable;

function describeSource(file: TSource, options: TUploadArtifactOptions) {
  const isBlob = typeof Blob !== "undefined" && file instanceof Blob;
  const filename = options.filename ?? (isBlob && "name" in file ? String(file.name) : undefined);
  const size =
    options.size ??
    (isBlob
      ? file.size
      : typeof Buffer !== "undefined" && Buffer.isBuffer(file)
        ? file.length
        : undefined);
  if (!filename) throw new TypeError("uploadArtifact: pass options.filename (e.g. model.onnx)");
  if (size === undefined) throw new TypeError("uploadArtifact: pass options.size for a stream");
  return { filename, size };
}

/** Uploads `file` into version `versionId` through tus at `{url}/api/v1/uploads`; resolves with its URL. */
export function uploadArtifact(
  client: Pick<TApiClientOptions, "url" | "token">,
  versionId: string,
  file: TSource,
  options: TUploadArtifactOptions = {},
): Promise<{ uploadUrl: string }> {
  const { filename, size } = describeSource(file, options);
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(options.signal.reason);
      return;
    }
    let hasReportedUrl = false;
    const upload = new tus.Upload(file as tus.Upload["file"], {
      endpoint: `${client.url.replace(/\/$/, "")}/api/v1/uploads`,
      ...(options.uploadUrl ? { uploadUrl: options.uploadUrl } : {}),
      uploadSize: size,
      chunkSize: options.chunkSize ?? 16 * 1024 * 1024,
      metadata: { versionId, filename },
      retryDelays: [0, 1000, 3000],
      removeFingerprintOnSuccess: true,
      headers: {},
      onBeforeRequest: (req) => {
        const token = typeof client.token === "function" ? client.token() : client.token;
        if (token) req.setHeader("Authorization", `Bearer ${token}`);
      },
      onProgress: (sent, total) => {
        if (!hasReportedUrl && upload.url) {
          hasReportedUrl = true;
          options.onUploadUrl?.(upload.url);
        }
        options.onProgress?.(sent, total);
      },
      onSuccess: () => {
        options.signal?.removeEventListener("abort", onAbort);
        resolve({ uploadUrl: upload.url ?? "" });
      },
      onError: (error) => {
        options.signal?.removeEventListener("abort", onAbort);
        reject(error);
      },
    });
    const onAbort = () => {
      void upload.abort().then(() => reject(options.signal?.reason));
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    upload.start();
  });
}
