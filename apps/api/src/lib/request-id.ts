import { randomUUID } from "node:crypto";

// Request ids for the gateway's fast path: UUID-shaped like Fastify's (one random prefix a process, then a
// counter), because randomUUID on every prediction was a measurable share of the gateway's CPU.

const prefix = randomUUID().slice(0, 24);
let counter = Math.floor(Math.random() * 2 ** 40);

/** A new id, unique within this process and, by its random prefix, across processes and restarts. */
export function nextRequestId(): string {
  counter = (counter + 1) % 2 ** 48;
  return prefix + counter.toString(16).padStart(12, "0");
}
