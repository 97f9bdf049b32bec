import type { IncomingMessage } from "node:http";
import { type PassThrough, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type CancellationContext, ERRORS, EVENTS, StreamLimiter, type Upload } from "@tus/utils";
import type { Server } from "@tus/server";

// @tus/server reads a PATCH body as a web stream made from the Node request (Readable.toWeb, then
// Readable.fromWeb again for the store): a round of promises per 64 KiB chunk, the largest CPU cost of a
// tus upload after hashing. This hands the store the Node request itself, piped into the same size
// limiter (a store error never destroys the request, so the client still gets its answer; @tus/server
// puts a PassThrough in front for that, one more hop per chunk) and the same graceful end on abort as
// @tus/server's writeToStore.

/** Stands in for `req.body` on the PATCH handler; only writeToStore below ever sees it. */
class NodeBody {
  constructor(readonly request: IncomingMessage) {}
}

type TPatchHandler = {
  send: (req: Request, context: CancellationContext, headers?: Headers) => Promise<Response>;
  writeToStore: (
    body: ReadableStream | NodeBody | null,
    upload: Upload,
    maxFileSize: number,
    context: CancellationContext,
  ) => Promise<number>;
  store: { write: (stream: PassThrough, id: string, offset: number) => Promise<number> };
  listenerCount: (event: string) => number;
};

async function writeNodeBody(
  handler: TPatchHandler,
  source: IncomingMessage,
  upload: Upload,
  maxFileSize: number,
  context: CancellationContext,
): Promise<number> {
  if (context.signal.aborted) throw ERRORS.ABORTED;
  // Piped into, not part of the pipeline: the pipeline destroys its streams on error, never the request.
  const proxy = new StreamLimiter(maxFileSize);
  let sourceError: unknown;
  const onSourceError = (error: unknown) => {
    sourceError = error;
    source.unpipe(proxy);
    if (!context.signal.aborted) proxy.destroy(error as Error);
  };
  source.on("error", onSourceError);
  // A disconnect aborts the context first (@tus/server listens on the request): what arrived is kept.
  const onAbort = () => {
    source.unpipe(proxy);
    if (!proxy.destroyed) proxy.end();
  };
  context.signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await pipeline(source.pipe(proxy), (stream) =>
      handler.store.write(stream as PassThrough, upload.id, upload.offset),
    );
  } catch (error) {
    source.unpipe(proxy);
    const isAbortError = error instanceof Error && error.name === "AbortError";
    throw (sourceError !== undefined && error === sourceError) || isAbortError
      ? ERRORS.ABORTED
      : error;
  } finally {
    source.off("error", onSourceError);
    context.signal.removeEventListener("abort", onAbort);
  }
}

/** Makes `tus`'s PATCH handler stream the Node request straight into the store. */
export function streamNodeBodies(tus: Server): void {
  const handler = tus.handlers.PATCH as unknown as TPatchHandler;
  const send = handler.send.bind(handler);
  const writeToStore = handler.writeToStore.bind(handler);
  handler.send = (req, context, headers) => {
    const node = (req as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
    // An own property shadows srvx's lazy `body` getter, so no web stream is ever made.
    if (node) Object.defineProperty(req, "body", { value: new NodeBody(node), configurable: true });
    return send(req, context, headers);
  };
  handler.writeToStore = (body, upload, maxFileSize, context) => {
    if (!(body instanceof NodeBody)) return writeToStore(body, upload, maxFileSize, context);
    // Progress events need @tus/server's own reading of the body; nothing here listens to them.
    if (handler.listenerCount(EVENTS.POST_RECEIVE) > 0) {
      return writeToStore(
        Readable.toWeb(body.request) as ReadableStream,
        upload,
        maxFileSize,
        context,
      );
    }
    return writeNodeBody(handler, body.request, upload, maxFileSize, context);
  };
}
