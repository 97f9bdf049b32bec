import { ZModelName } from "@kubeserve/k8s/names";
import { DomainError } from "./errors";

// A keyset cursor holds the last row's sort value and id, so pages stay exact while rows change.
// Decoding accepts exactly what encodeCursor writes for values the columns hold, so a forged cursor is a
// 400 here and never reaches PostgreSQL as a value it cannot represent (JS dates reach year 275760).

export type TCursorKind = "date" | "name";

export function encodeCursor(value: Date | string, id: string): string {
  const raw = value instanceof Date ? value.toISOString() : value;
  return Buffer.from(JSON.stringify([raw, id])).toString("base64url");
}

const base64urlPattern = /^[A-Za-z0-9_-]+$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// timestamptz(3) as Date.toISOString() writes it for years 1–9999: the range both JS and PostgreSQL hold.
const isoMillisPattern = /^(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function decodeDate(raw: string): Date | undefined {
  const match = isoMillisPattern.exec(raw);
  if (!match || Number(match[1]) < 1) return undefined;
  const date = new Date(raw);
  // Round-tripping rejects impossible calendar dates such as February 30th.
  return !Number.isNaN(date.getTime()) && date.toISOString() === raw ? date : undefined;
}

export function decodeCursor<K extends TCursorKind>(
  cursor: string,
  kind: K,
): { value: K extends "date" ? Date : string; id: string } {
  // Built only on failure: capturing a stack on every page would cost more than decoding.
  const invalid = () =>
    new DomainError("BAD_REQUEST", "Invalid cursor: pass back nextCursor from the previous page");
  if (!base64urlPattern.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
  const [raw, id] = parsed as unknown[];
  if (typeof raw !== "string" || typeof id !== "string" || !uuidPattern.test(id)) throw invalid();
  const value = kind === "date" ? decodeDate(raw) : ZModelName.safeParse(raw).data;
  if (value === undefined) throw invalid();
  return { value: value as K extends "date" ? Date : string, id };
}
