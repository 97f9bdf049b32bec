import type { ServerResponse } from "node:http";
import { JsonSyntaxError } from "../protocol/json-scan";
import { HttpError } from "../protocol/errors";
import { InferenceError, QueueFullError, ShuttingDownError } from "../runtime/batcher";

export const JSON_TYPE = "application/json";
export const BINARY_TYPE = "application/octet-stream";

export function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  contentType: string,
  isClosing: boolean,
  extra?: Record<string, string>,
): void {
  const headers: Record<string, string | number> = {
    "content-type": contentType,
    "content-length": typeof body === "string" ? Buffer.byteLength(body) : body.length,
  };
  if (isClosing) headers.connection = "close";
  if (extra) Object.assign(headers, extra);
  res.writeHead(status, headers);
  res.end(body);
}

export type TErrorReply = { status: number; message: string; headers?: Record<string, string> };

/** Maps any failure to the status and message a client should see. */
export function describeError(error: unknown): TErrorReply {
  if (error instanceof HttpError) {
    return { status: error.status, message: error.message, headers: error.headers };
  }
  if (error instanceof JsonSyntaxError) return { status: 400, message: error.message };
  if (error instanceof QueueFullError || error instanceof ShuttingDownError) {
    return { status: 503, message: error.message, headers: { "retry-after": "1" } };
  }
  if (error instanceof InferenceError) return { status: 500, message: error.message };
  return { status: 500, message: "internal server error" };
}

export function sendError(res: ServerResponse, reply: TErrorReply, isClosing: boolean): void {
  send(
    res,
    reply.status,
    JSON.stringify({ error: reply.message }),
    JSON_TYPE,
    isClosing,
    reply.headers,
  );
}
