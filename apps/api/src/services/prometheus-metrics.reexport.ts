import type { TReplicaExposition } from "../runtime/replica-metrics";

// The compose stack's Prometheus cannot reach `local` replicas (they listen on loopback inside the api
// container), so the API's metrics port re-exports what it last scraped from each of them: the replica's
// own series, labels unchanged, plus `replica` (and `deployment` where the server did not set it).

type TFamily = { meta: string[]; samples: string[] };

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S.*)$/;
const metaLine = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\b/;

function quoted(value: string): string {
  return `"${value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`))}"`;
}

function withLabels(labels: string | undefined, extra: Record<string, string>): string {
  const given = labels?.trim() ?? "";
  const added = Object.entries(extra)
    // A label the server already set is kept as it is (one label name may appear only once).
    .filter(([name]) => !new RegExp(`(^|,)\\s*${name}\\s*=`).test(given))
    .map(([name, value]) => `${name}=${quoted(value)}`);
  return `{${[given.replace(/,\s*$/, ""), ...added].filter(Boolean).join(",")}}`;
}

/**
 * One exposition of every replica's text. Prometheus refuses a family declared twice, so each family's
 * HELP and TYPE are written once (from the first replica) with all replicas' samples under them.
 */
export function renderReplicaExposition(replicas: TReplicaExposition[]): string {
  const families = new Map<string, TFamily>();
  const familyOf = (name: string) => {
    let family = families.get(name);
    if (!family) {
      family = { meta: [], samples: [] };
      families.set(name, family);
    }
    return family;
  };
  for (const replica of replicas) {
    const extra = { deployment: replica.deploymentId, replica: replica.replicaId };
    let current: string | undefined;
    for (const line of replica.text.split("\n")) {
      const meta = metaLine.exec(line);
      if (meta) {
        const name = meta[2]!;
        current = name;
        const family = familyOf(name);
        // Only the first replica's HELP and TYPE: a second one would be a duplicate declaration.
        if (!family.meta.some((m) => metaLine.exec(m)?.[1] === meta[1])) family.meta.push(line);
        continue;
      }
      const sample = sampleLine.exec(line);
      if (!sample) continue;
      const [, name, labels, rest] = sample as unknown as [
        string,
        string,
        string | undefined,
        string,
      ];
      // Samples follow their family's TYPE line (`_bucket`, `_sum`, `_total` belong to the family above).
      const family = current && name.startsWith(current) ? current : name;
      familyOf(family).samples.push(`${name}${withLabels(labels, extra)} ${rest}`);
    }
  }
  const out: string[] = [];
  for (const family of families.values()) out.push(...family.meta, ...family.samples);
  return out.length ? `${out.join("\n")}\n` : "";
}
