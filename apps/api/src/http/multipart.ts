import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { Busboy, type BusboyInstance } from "@fastify/busboy";
import type { TDeps } from "../deps";
import { DomainError } from "../lib/errors";
import type { TVersion } from "../schemas/version";
import { tooLargeError, type TUploadTarget } from "../services/artifact.service";
import type { TActor } from "../services/auth.service";
import { receiveArtifact } from "../services/upload.service";

// POST /upload: multipart/form-data with a `file` part streamed straight into the store (busboy never
// buffers it) and an optional small `requirements` part (a file or a text field), before or after it.

type TDeferred<T> = {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (e: unknown) => void;
};

function defer<T>(): TDeferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Observed here: a form that fails before the file part is read rejects a promise nobody awaits.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

const badForm = (message: string) => new DomainError("BAD_REQUEST", message);

function collect(
  stream: Readable,
  limit: number,
  onDone: (buffer: Buffer) => void,
  onError: (e: unknown) => void,
) {
  const chunks: Buffer[] = [];
  let length = 0;
  stream.on("data", (chunk: Buffer) => {
    length += chunk.length;
    if (length > limit) {
      stream.resume();
      onError(tooLargeError("requirements.txt", limit));
      return;
    }
    chunks.push(chunk);
  });
  stream.on("end", () => {
    if (length <= limit) onDone(Buffer.concat(chunks));
  });
  stream.on("error", onError);
}

export function receiveMultipart(
  deps: TDeps,
  actor: TActor,
  target: TUploadTarget,
  req: IncomingMessage,
): Promise<TVersion> {
  const { requirementsMaxBytes } = deps.config.uploads;
  return new Promise<TVersion>((resolve, reject) => {
    let form: BusboyInstance;
    try {
      form = Busboy({
        headers: req.headers as { "content-type": string },
        limits: { files: 2, fields: 2, parts: 4, fieldSize: requirementsMaxBytes + 1 },
      });
    } catch (error) {
      reject(badForm(`The body is not multipart/form-data: ${(error as Error).message}`));
      return;
    }
    const requirements = defer<Buffer | undefined>();
    let requirementsText: Buffer | undefined;
    let upload: Promise<TVersion> | undefined;
    let fileStream: Readable | undefined;
    let isSettled = false;
    const fail = (error: unknown) => {
      if (isSettled) return;
      isSettled = true;
      requirements.reject(error);
      req.unpipe(form);
      if (fileStream && !fileStream.readableEnded) {
        fileStream.on("error", () => undefined);
        fileStream.destroy(error instanceof Error ? error : new Error(String(error)));
      }
      // Answered once the upload has cleaned up (object removed, claim released).
      if (upload)
        void upload.then(
          () => reject(error),
          () => reject(error),
        );
      else reject(error);
    };

    form.on("file", (field, stream, filename) => {
      if (field === "file") {
        if (upload) {
          stream.resume();
          fail(badForm("The form has more than one 'file' part; send one model file"));
          return;
        }
        fileStream = stream;
        upload = receiveArtifact(deps, actor, target, stream, {
          filename,
          requirements: () => requirements.promise,
        });
        upload.catch(fail);
      } else if (field === "requirements") {
        collect(stream, requirementsMaxBytes, (text) => (requirementsText = text), fail);
      } else {
        stream.resume();
        fail(
          badForm(
            `Unknown form field '${field.slice(0, 64)}': send 'file' and optionally 'requirements'`,
          ),
        );
      }
    });
    form.on("field", (field, value, _nameTruncated, isTruncated) => {
      if (field !== "requirements") {
        fail(
          badForm(
            `Unknown form field '${field.slice(0, 64)}': send 'file' and optionally 'requirements'`,
          ),
        );
      } else if (isTruncated || Buffer.byteLength(value) > requirementsMaxBytes) {
        fail(tooLargeError("requirements.txt", requirementsMaxBytes));
      } else {
        requirementsText = Buffer.from(value, "utf8");
      }
    });
    for (const limit of ["partsLimit", "filesLimit", "fieldsLimit"] as const) {
      form.on(limit, () =>
        fail(badForm("The form has too many parts: send 'file' and optionally 'requirements'")),
      );
    }
    form.on("error", (error: unknown) =>
      fail(badForm(`The multipart body is malformed: ${(error as Error).message}`)),
    );
    form.on("finish", () => {
      if (isSettled) return;
      if (!upload) {
        fail(badForm("The form has no 'file' part (the model file)"));
        return;
      }
      requirements.resolve(requirementsText);
      upload.then((version) => {
        isSettled = true;
        resolve(version);
      }, fail);
    });
    // The client went away mid-form: the file part must fail too, or the store would wait for it forever.
    req.on("close", () => {
      if (!req.complete)
        fail(badForm("The upload stopped before the end of the body; nothing was stored"));
    });
    req.pipe(form);
  });
}
