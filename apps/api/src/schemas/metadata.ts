import { z } from "zod";
import { isStorableText, unstorableTextMessage } from "./text";

export type TJsonValue = string | number | boolean | null | TJsonValue[] | TJsonObject;
export type TJsonObject = { [key: string]: TJsonValue };

export const metadataLimits = {
  /** Bytes of the JSON text, as `JSON.stringify` writes it. */
  maxBytes: 64 * 1024,
  /** The top-level object is depth 1. */
  maxDepth: 32,
  maxKeysPerObject: 256,
  maxKeyLength: 128,
} as const;

type TProblem = { path: (string | number)[]; message: string };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

const byteLength = (text: string) => Buffer.byteLength(text, "utf8");

/**
 * Walks a metadata value with an explicit stack rather than recursion, so a value nested 100,000 levels
 * deep is refused at the first level past the limit instead of overflowing the stack; it stops at the
 * first problem, before the size of the rest is even looked at.
 */
export function findMetadataProblem(root: unknown): TProblem | undefined {
  if (!isPlainObject(root)) return { path: [], message: "Metadata must be a JSON object" };
  const { maxBytes, maxDepth, maxKeysPerObject, maxKeyLength } = metadataLimits;
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: root, path: [] }];
  let bytes = 0;
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: (string | number)[] };
    if (typeof value === "string") {
      if (!isStorableText(value))
        return { path, message: `Metadata strings ${unstorableTextMessage}` };
      bytes += byteLength(JSON.stringify(value));
    } else if (typeof value === "number") {
      if (!Number.isFinite(value)) return { path, message: "Metadata numbers must be finite" };
      bytes += JSON.stringify(value).length;
    } else if (typeof value === "boolean" || value === null) {
      bytes += String(value).length;
    } else if (Array.isArray(value) || isPlainObject(value)) {
      // path.length is the depth of the container's parent.
      if (path.length + 1 > maxDepth) {
        return { path, message: `Metadata must not be nested deeper than ${maxDepth} levels` };
      }
      if (Array.isArray(value)) {
        bytes += 2 + Math.max(0, value.length - 1);
        value.forEach((item, index) => stack.push({ value: item, path: [...path, index] }));
      } else {
        const keys = Object.keys(value);
        if (keys.length > maxKeysPerObject) {
          return { path, message: `Metadata objects must have at most ${maxKeysPerObject} keys` };
        }
        bytes += 2 + Math.max(0, keys.length - 1);
        for (const key of keys) {
          if (!isStorableText(key))
            return { path, message: `Metadata keys ${unstorableTextMessage}` };
          // Assigning it sets an object's prototype in most JavaScript that would read the metadata.
          if (key === "__proto__") return { path, message: "Metadata keys must not be __proto__" };
          if (key.length > maxKeyLength) {
            return { path, message: `Metadata keys must be at most ${maxKeyLength} characters` };
          }
          bytes += byteLength(JSON.stringify(key)) + 1;
          stack.push({ value: value[key], path: [...path, key] });
        }
      }
    } else {
      return {
        path,
        message:
          "Metadata values must be JSON: strings, numbers, booleans, null, arrays or objects",
      };
    }
    if (bytes > maxBytes) {
      return {
        path: [],
        message: `Metadata must be a JSON object of at most ${maxBytes / 1024} KB`,
      };
    }
  }
  return undefined;
}

/** Version metadata as the API accepts it: bounded in depth, width and size, storable as jsonb. */
export const ZMetadata = z.custom<TJsonObject>().superRefine((value, ctx) => {
  const problem = findMetadataProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem.message, path: problem.path });
});

/**
 * What a read returns for a row stored before these limits that breaks them: a notice in place of a
 * value too deep to even serialise, so one such row cannot break a whole list.
 */
export function readStoredMetadata(value: unknown): TJsonObject {
  const problem = findMetadataProblem(value);
  if (!problem) return value as TJsonObject;
  return {
    kubeserveNotice: `Stored metadata not shown: ${problem.message}. Replace it with version.update.`,
  };
}

/**
 * Stored metadata on the way out: shape only, never a deep re-validation, so a stored row can never fail
 * output validation and break a whole list (everything stored passed ZMetadata or predates it).
 */
export const ZStoredMetadata = z.custom<TJsonObject>(isPlainObject);
