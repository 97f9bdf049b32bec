import type { IncomingMessage } from "node:http";

export type TLingerOptions = { maxMs: number; idleMs: number };

export const defaultLinger: TLingerOptions = { maxMs: 5_000, idleMs: 1_000 };

/**
 * For a response sent before the request body was read (413): closing at once would make the kernel
 * answer the bytes still arriving with a reset, which can destroy the response before the client reads
 * it (EPIPE/ECONNRESET, no status). Like nginx's lingering close, the socket is half-closed after the
 * response and what still arrives is discarded, until the client closes, goes idle, or `maxMs` pass.
 */
export function lingerAfterResponse(req: IncomingMessage, options = defaultLinger): void {
  const socket = req.socket;
  const startedAt = Date.now();
  let lastBytes = socket.bytesRead;
  let lastActivityAt = startedAt;
  // bytesRead counts at the handle, so it moves even while Node's parser consumes the socket directly.
  const watch = setInterval(
    () => {
      const now = Date.now();
      if (socket.bytesRead !== lastBytes) {
        lastBytes = socket.bytesRead;
        lastActivityAt = now;
      }
      if (now - lastActivityAt >= options.idleMs || now - startedAt >= options.maxMs) {
        socket.destroy();
      }
    },
    Math.max(10, Math.min(250, options.idleMs / 4)),
  );
  watch.unref();
  socket.once("close", () => clearInterval(watch));
  // Node's parser goes on reading the rest of the body into the request, which drops it.
  req.resume();
  // Node destroys a `Connection: close` socket right after the response; half-close it instead.
  socket.destroySoon = () => {
    socket.end();
  };
}
