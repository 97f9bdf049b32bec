import { isDeepStrictEqual } from "node:util";
import {
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  stringify,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";
import { z } from "zod";
import { parseOrThrow } from "./errors";
import { parseRayApplicationName, rayRoutePrefix } from "./names";

// A RayService's serveConfigV2 is one YAML string shared by every team on the cluster. KubeServe edits
// only its own applications (`kubeserve-<deploymentId>`) by splicing text, so everything else — other
// applications, comments, key order, quoting — stays byte-for-byte as it was.

export class ServeConfigError extends Error {
  override name = "ServeConfigError";
}

export const ZRayServeApplication = z
  .object({
    name: z
      .string()
      .refine(
        (name) => parseRayApplicationName(name) !== undefined,
        "must be kubeserve-<deployment uuid>",
      ),
    route_prefix: z.string().regex(/^\/[^\s]*[^/\s]$/, "must start with '/' and not end with '/'"),
    import_path: z
      .string()
      .regex(
        /^[A-Za-z_][\w.]*[:.][A-Za-z_]\w*$/,
        "must be module.path:attribute or module.path.attribute",
      ),
    runtime_env: z.record(z.string(), z.unknown()).optional(),
    args: z.record(z.string(), z.unknown()).optional(),
    deployments: z
      .array(
        z.looseObject({
          name: z.string().min(1),
          num_replicas: z.union([z.number().int().min(0), z.literal("auto")]).optional(),
          max_ongoing_requests: z.number().int().min(1).optional(),
          autoscaling_config: z.record(z.string(), z.unknown()).optional(),
          ray_actor_options: z
            .looseObject({
              num_cpus: z.number().min(0).optional(),
              memory: z.number().min(0).optional(),
            })
            .optional(),
          user_config: z.record(z.string(), z.unknown()).optional(),
        }),
      )
      .optional(),
  })
  .superRefine((app, ctx) => {
    const id = parseRayApplicationName(app.name);
    if (id && app.route_prefix !== rayRoutePrefix(id)) {
      ctx.addIssue({
        code: "custom",
        path: ["route_prefix"],
        message: `must be ${rayRoutePrefix(id)}`,
      });
    }
  });

export type TRayServeApplication = z.output<typeof ZRayServeApplication>;

/** `upsert` adds or replaces our applications; `remove` takes out the ones of these deployment ids. */
export type TServeConfigChange = { upsert?: TRayServeApplication[]; remove?: string[] };

type TEdit = { start: number; end: number; text: string };

function applyEdits(source: string, edits: TEdit[]): string {
  let out = source;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  return out;
}

function parseSingleDocument(source: string) {
  const docs = parseAllDocuments(source);
  if (!Array.isArray(docs) || docs.length !== 1) {
    throw new ServeConfigError("serveConfigV2 must hold exactly one YAML document");
  }
  const doc = docs[0]!;
  if (doc.errors.length) {
    throw new ServeConfigError(`serveConfigV2 is not valid YAML: ${doc.errors[0]!.message}`);
  }
  return doc;
}

function appName(item: unknown): string | undefined {
  if (!isMap(item)) return undefined;
  const name = item.get("name");
  return typeof name === "string" ? name : undefined;
}

function lineStart(source: string, index: number): number {
  return source.lastIndexOf("\n", index - 1) + 1;
}

function renderBlockItem(app: TRayServeApplication, indent: number): string {
  const text = stringify([app], { lineWidth: 0 });
  return text
    .split("\n")
    .map((line) => (line ? " ".repeat(indent) + line : line))
    .join("\n");
}

function itemRanges(seq: YAMLSeq): Array<[number, number, number]> {
  return (seq.items as unknown[]).map((item, index) => {
    const range = (item as { range?: [number, number, number] }).range;
    if (!range || !isMap(item))
      throw new ServeConfigError(`applications[${index}] is not a mapping`);
    return range;
  });
}

/** Edits for an existing `applications` sequence: replace or remove ours, append the new ones. */
function sequenceEdits(
  source: string,
  seq: YAMLSeq,
  wanted: Map<string, TRayServeApplication>,
  removed: Set<string>,
): TEdit[] {
  const ranges = itemRanges(seq);
  const names = (seq.items as unknown[]).map(appName);
  const pending = new Map(wanted);
  const replaced = new Map<number, TRayServeApplication>();
  const dropped = new Set<number>();
  names.forEach((name, index) => {
    if (!name || (!removed.has(name) && !wanted.has(name))) return;
    const replacement = pending.get(name);
    pending.delete(name);
    if (replacement) replaced.set(index, replacement);
    else dropped.add(index);
  });
  const added = [...pending.values()];
  return seq.flow
    ? flowEdits(source, seq, ranges, replaced, dropped, added)
    : blockEdits(source, ranges, replaced, dropped, added);
}

function blockEdits(
  source: string,
  ranges: Array<[number, number, number]>,
  replaced: Map<number, TRayServeApplication>,
  dropped: Set<number>,
  added: TRayServeApplication[],
): TEdit[] {
  const first = ranges[0]!;
  const indent = source.lastIndexOf("-", first[0]) - lineStart(source, first[0]);
  const edits: TEdit[] = [];
  ranges.forEach((range, index) => {
    const replacement = replaced.get(index);
    if (!replacement && !dropped.has(index)) return;
    // Whole lines, from the item's "-" to the end of its last line.
    const end =
      range[2] >= source.length || source[range[2] - 1] === "\n" ? range[2] : range[2] + 1;
    const text = replacement ? renderBlockItem(replacement, indent) : "";
    edits.push({ start: lineStart(source, range[0]), end, text });
  });
  if (added.length) {
    const at = ranges.at(-1)![2];
    const newline = source[at - 1] === "\n" ? "" : "\n";
    edits.push({
      start: at,
      end: at,
      text: newline + added.map((app) => renderBlockItem(app, indent)).join(""),
    });
  }
  return edits;
}

function flowEdits(
  source: string,
  seq: YAMLSeq,
  ranges: Array<[number, number, number]>,
  replaced: Map<number, TRayServeApplication>,
  dropped: Set<number>,
  added: TRayServeApplication[],
): TEdit[] {
  const open = seq.range![0] + 1;
  const edits: TEdit[] = [];
  // Segment i = the separator before item i plus the item; dropping segments never overlaps.
  ranges.forEach((range, index) => {
    const replacement = replaced.get(index);
    if (replacement)
      edits.push({ start: range[0], end: range[1], text: JSON.stringify(replacement) });
    else if (dropped.has(index)) {
      edits.push({
        start: index === 0 ? range[0] : ranges[index - 1]![1],
        end: range[1],
        text: "",
      });
    }
  });
  const firstKept = ranges.findIndex((_, index) => !dropped.has(index));
  if (firstKept > 0) {
    // The leading items are gone: the first one left loses its ", " separator.
    edits.push({ start: ranges[firstKept - 1]![1], end: ranges[firstKept]![0], text: "" });
  }
  if (added.length) {
    const lastKept = ranges.findLastIndex((_, index) => !dropped.has(index));
    const at = lastKept >= 0 ? ranges[lastKept]![1] : open;
    const text = added.map((app) => JSON.stringify(app)).join(", ");
    edits.push({ start: at, end: at, text: lastKept >= 0 ? `, ${text}` : text });
  }
  return edits;
}

function rootEdits(source: string, root: YAMLMap, added: TRayServeApplication[]): TEdit[] {
  if (!added.length) return [];
  if (root.flow) {
    const close = root.range![1] - 1;
    const text = `"applications": [${added.map((app) => JSON.stringify(app)).join(", ")}]`;
    return [{ start: close, end: close, text: root.items.length ? `, ${text}` : text }];
  }
  const needsNewline = source.length > 0 && !source.endsWith("\n");
  const text = `applications:\n${added.map((app) => renderBlockItem(app, 2)).join("")}`;
  return [{ start: source.length, end: source.length, text: `${needsNewline ? "\n" : ""}${text}` }];
}

function readApplications(source: string): unknown[] {
  if (!source.trim()) return [];
  const value = parseSingleDocument(source).toJS() as { applications?: unknown[] } | null;
  return value?.applications ?? [];
}

function checkRayRules(apps: unknown[]): void {
  const names = new Set<string>();
  const prefixes = new Set<string>();
  for (const app of apps as Array<{ name?: unknown; route_prefix?: unknown }>) {
    if (typeof app.name === "string") {
      if (names.has(app.name)) throw new ServeConfigError(`two applications are named ${app.name}`);
      names.add(app.name);
    }
    if (typeof app.route_prefix === "string") {
      if (prefixes.has(app.route_prefix)) {
        throw new ServeConfigError(`two applications use route_prefix ${app.route_prefix}`);
      }
      prefixes.add(app.route_prefix);
    }
  }
}

/**
 * Merges our applications into an existing serveConfigV2 (undefined or "" for none). Only applications
 * named `kubeserve-<deploymentId>` that the change names are touched; the result is re-read to prove it.
 */
export function mergeServeConfigV2(
  existing: string | undefined,
  change: TServeConfigChange,
): string {
  const source = existing ?? "";
  const upsert = (change.upsert ?? []).map((app) =>
    parseOrThrow(ZRayServeApplication, app, "Ray Serve application"),
  );
  const wanted = new Map(upsert.map((app) => [app.name, app]));
  const removed = new Set(
    (change.remove ?? []).map((id) => {
      const name = `kubeserve-${id.toLowerCase()}`;
      if (!parseRayApplicationName(name))
        throw new ServeConfigError(`${id} is not a deployment id`);
      return name;
    }),
  );
  let result: string;
  if (!source.trim()) {
    result = upsert.length
      ? `${source}${stringify({ applications: upsert }, { lineWidth: 0 })}`
      : source;
  } else {
    const doc = parseSingleDocument(source);
    const root = doc.contents;
    if (!isMap(root)) throw new ServeConfigError("serveConfigV2 must be a YAML mapping");
    const apps = root.get("applications", true);
    if (apps === undefined || (isScalar(apps) && apps.value === null)) {
      if (isScalar(apps))
        throw new ServeConfigError("serveConfigV2 has an empty 'applications' key");
      result = applyEdits(source, rootEdits(source, root, upsert));
    } else if (isSeq(apps)) {
      result = applyEdits(source, sequenceEdits(source, apps, wanted, removed));
    } else {
      throw new ServeConfigError("serveConfigV2 'applications' must be a list");
    }
  }
  verifyMerge(source, result, wanted, removed);
  return result;
}

/** The merge is only returned when everyone else's applications and settings read back unchanged. */
function verifyMerge(
  before: string,
  after: string,
  wanted: Map<string, TRayServeApplication>,
  removed: Set<string>,
): void {
  const isOurs = (app: unknown) => {
    const name = (app as { name?: unknown }).name;
    return typeof name === "string" && (wanted.has(name) || removed.has(name));
  };
  const beforeApps = readApplications(before);
  const afterApps = readApplications(after);
  checkRayRules(afterApps);
  const others = (apps: unknown[]) => apps.filter((app) => !isOurs(app));
  const settings = (text: string) => {
    if (!text.trim()) return {};
    const { applications: _ignored, ...rest } = (parseSingleDocument(text).toJS() ?? {}) as Record<
      string,
      unknown
    >;
    return rest;
  };
  if (
    !isDeepStrictEqual(others(beforeApps), others(afterApps)) ||
    !isDeepStrictEqual(settings(before), settings(after))
  ) {
    throw new ServeConfigError(
      "merging would change configuration KubeServe does not own; nothing was written",
    );
  }
  for (const [name, app] of wanted) {
    const found = afterApps.filter((candidate) => (candidate as { name?: unknown }).name === name);
    if (found.length !== 1 || !isDeepStrictEqual(found[0], JSON.parse(JSON.stringify(app)))) {
      throw new ServeConfigError(`merged serveConfigV2 does not hold ${name} as requested`);
    }
  }
  for (const name of removed) {
    if (!wanted.has(name) && afterApps.some((app) => (app as { name?: unknown }).name === name)) {
      throw new ServeConfigError(`merged serveConfigV2 still holds ${name}`);
    }
  }
}

/** Names of the applications in a serveConfigV2, with the deployment id of those KubeServe owns. */
export function listServeApplications(
  source: string | undefined,
): Array<{ name: string; deploymentId: string | undefined }> {
  return readApplications(source ?? "").flatMap((app) => {
    const name = (app as { name?: unknown }).name;
    return typeof name === "string" ? [{ name, deploymentId: parseRayApplicationName(name) }] : [];
  });
}
