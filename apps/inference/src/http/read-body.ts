import type { IncomingMessage } from "node:http";
import { HttpError } from "../protocol/errors";

export type TBodyCallback = (error: HttpError | undefined, body: Buffer) => void;

const EMPTY = Buffer.alloc(0);

/**
 * Reads the request body up to limit bytes. Above the limit the callback gets a 413 at once;
 * the rest of the body is discarded so the client can read the answer, and a client that keeps
 * sending far past the limit is disconnected.
 */
export function readBody(req: IncomingMessage, limit: number, done: TBodyCallback): void {
  const declared = req.headers["content-length"];
  const tooLarge = () =>
    new HttpError(413, `the request body is larger than the limit of ${limit} bytes`);
  if (declared !== undefined && Number(declared) > limit) {
    done(tooLarge(), EMPTY);
    discardRest(req, limit);
    return;
  }
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let size = 0;
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      req.off("data", onData);
      req.off("end", onEnd);
      first = undefined;
      chunks = undefined;
      done(tooLarge(), EMPTY);
      discardRest(req, limit);
      return;
    }
    if (first === undefined) first = chunk;
    else (chunks ??= [first]).push(chunk);
  };
  const onEnd = () => {
    done(undefined, chunks ? Buffer.concat(chunks, size) : (first ?? EMPTY));
  };
  req.on("data", onData);
  req.on("end", onEnd);
}

function discardRest(req: IncomingMessage, limit: number): void {
  let discarded = 0;
  req.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > limit) req.socket.destroy();
  });
}
