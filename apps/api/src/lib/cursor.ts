import { DomainError } from "./errors";

// A keyset cursor holds the last row's sort value and id, so pages stay exact while rows change.

export function encodeCursor(value: Date | string, id: string): string {
  const raw = value instanceof Date ? value.toISOString() : value;
  return Buffer.from(JSON.stringify([raw, id])).toString("base64url");
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodeCursor<K extends "date" | "string">(
  cursor: string,
  kind: K,
): { value: K extends "date" ? Date : string; id: string } {
  const invalid = new DomainError(
    "BAD_REQUEST",
    "Invalid cursor: pass back nextCursor from the previous page",
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid;
  const [raw, id] = parsed as unknown[];
  if (typeof raw !== "string" || typeof id !== "string" || !uuidPattern.test(id)) throw invalid;
  if (kind === "date") {
    const date = new Date(raw);
    if (Number.isNaN(date.getTime())) throw invalid;
    return { value: date as K extends "date" ? Date : string, id };
  }
  return { value: raw as K extends "date" ? Date : string, id };
}
