import type { z } from "zod";
import { appRouter } from "../routers";

// Reads every procedure's input schema from the router itself, so a new procedure or field is covered
// by the hostile-input tests without anyone remembering to add it.

type TDef = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
};

export type TStringLeaf = { path: string; schema: z.ZodType; kind: "string" | "custom" };

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: TDef } })._zod.def;

/** Every string (and custom, i.e. free JSON) schema an input can reach, by normalised path. */
export function findStringLeaves(schema: z.ZodType, path: string[] = []): TStringLeaf[] {
  const def = defOf(schema);
  const here = path.join(".");
  switch (def.type) {
    case "string":
      return [{ path: here, schema, kind: "string" }];
    case "custom":
      return [{ path: here, schema, kind: "custom" }];
    case "object":
      return Object.entries(def.shape ?? {}).flatMap(([key, child]) =>
        findStringLeaves(child, [...path, key]),
      );
    case "array":
      return findStringLeaves(def.element as z.ZodType, [...path, "[]"]);
    case "record":
      return [
        ...findStringLeaves(def.keyType as z.ZodType, [...path, "{key}"]),
        ...findStringLeaves(def.valueType as z.ZodType, [...path, "{}"]),
      ];
    case "union":
      return (def.options ?? []).flatMap((option) => findStringLeaves(option, path));
    case "pipe":
      return findStringLeaves(def.in as z.ZodType, path);
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "nonoptional":
    case "catch":
      return findStringLeaves(def.innerType as z.ZodType, path);
    default:
      return [];
  }
}

type TProcedure = { _def: { inputs: z.ZodType[]; type: "query" | "mutation" | "subscription" } };

export function listProcedures(): { path: string; type: string; inputs: z.ZodType[] }[] {
  const procedures = (appRouter._def as unknown as { procedures: Record<string, TProcedure> })
    .procedures;
  return Object.entries(procedures).map(([path, procedure]) => ({
    path,
    type: procedure._def.type,
    inputs: procedure._def.inputs,
  }));
}
