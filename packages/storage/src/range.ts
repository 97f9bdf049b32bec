import { StorageRangeError } from "./errors";
import type { TGetOptions } from "./types";

export type TResolvedRange = { start: number; end: number; contentLength: number };

/** Inclusive HTTP-style range inside an object of `size` bytes; `end` past the object is clamped. */
export function resolveRange(key: string, size: number, options: TGetOptions = {}): TResolvedRange {
  const { start: from, end: to } = options;
  for (const [name, value] of Object.entries({ start: from, end: to })) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw new StorageRangeError(
        `range ${name} must be a non-negative integer, got ${value}`,
        size,
      );
    }
  }
  if (from === undefined && to === undefined) {
    return { start: 0, end: size - 1, contentLength: size };
  }
  const start = from ?? 0;
  const end = Math.min(to ?? size - 1, size - 1);
  if (start >= size || start > end) {
    throw new StorageRangeError(
      `range ${start}-${to ?? ""} is outside ${key} (${size} bytes)`,
      size,
    );
  }
  return { start, end, contentLength: end - start + 1 };
}
