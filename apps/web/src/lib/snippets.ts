// Ready-to-paste calls for a deployment, with a key placeholder (the real key is never shown here).

export const keyPlaceholder = "$KUBESERVE_API_KEY";

export function v2InferUrl(v2Base: string, modelName: string): string {
  return `${v2Base}/models/${encodeURIComponent(modelName)}/infer`;
}

export function curlV2(v2Base: string, modelName: string, body: string): string {
  const compact = JSON.stringify(JSON.parse(body) as unknown);
  return [
    `curl -sS -X POST '${v2InferUrl(v2Base, modelName)}' \\`,
    `  -H "Authorization: Bearer ${keyPlaceholder}" \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d '${compact.replaceAll("'", "'\\''")}'`,
  ].join("\n");
}

export function curlV1(predictUrl: string, instances: unknown[]): string {
  return [
    `curl -sS -X POST '${predictUrl}' \\`,
    `  -H "Authorization: Bearer ${keyPlaceholder}" \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d '${JSON.stringify({ instances }).replaceAll("'", "'\\''")}'`,
  ].join("\n");
}

/** V1 rows from a V2 example: each input's data split into rows of its shape's trailing size. */
export function v1Instances(body: string): unknown[] {
  const parsed = JSON.parse(body) as { inputs?: { shape: number[]; data: unknown[] }[] };
  const [first] = parsed.inputs ?? [];
  if (!first) return [];
  const width = first.shape.slice(1).reduce((a, b) => a * b, 1);
  const rows: unknown[] = [];
  for (let i = 0; i < first.data.length; i += width) rows.push(first.data.slice(i, i + width));
  return rows;
}
