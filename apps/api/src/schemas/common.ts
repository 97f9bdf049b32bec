import { z } from "zod";
import { ZText } from "./text";

export const ZId = z.uuid({ error: "must be an id (UUID)" });

export const ZIsoDate = z.iso.datetime({ offset: true });

export const ZPageSize = z.number().int().min(1).max(100).default(50);

/** Opaque keyset cursor: stays valid when rows before it are deleted. */
export const ZCursor = ZText.max(
  512,
  "Invalid cursor: pass back nextCursor from the previous page",
);

export function ZPage<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const ZOkResult = z.object({ ok: z.literal(true) });
