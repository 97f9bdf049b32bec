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

export const tsKeyPlaceholder = "<YOUR_API_KEY>";

type TTensorBody = { name: string; shape: number[]; datatype: string; data: unknown[] };

const listText = (values: unknown[]) => `[${values.map((v) => JSON.stringify(v)).join(", ")}]`;

/**
 * A TypeScript (Node 18+ or browser) V2 call with fetch, its body generated from the signature's example
 * row, so it runs once pasted into a file and the key placeholder is replaced.
 */
export function typescriptV2(v2Base: string, modelName: string, body: string): string {
  const inputs = (JSON.parse(body) as { inputs?: TTensorBody[] }).inputs ?? [];
  const shapes = inputs.map((i) => `${i.name} ${listText(i.shape)}`).join(", ");
  return [
    `const apiKey = "${tsKeyPlaceholder}"; // a key from the API keys page`,
    "",
    `// One example row (${shapes || "no inputs"}); for n rows put n first in shape and n rows in data.`,
    `const response = await fetch(${JSON.stringify(v2InferUrl(v2Base, modelName))}, {`,
    `  method: "POST",`,
    '  headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },',
    `  body: JSON.stringify({`,
    `    inputs: [`,
    ...inputs.map(
      (i) =>
        `      { name: ${JSON.stringify(i.name)}, shape: ${listText(i.shape)}, datatype: ${JSON.stringify(i.datatype)}, data: ${listText(i.data)} },`,
    ),
    `    ],`,
    `  }),`,
    `});`,
    "if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);",
    "",
    `type TOutput = { name: string; datatype: string; shape: number[]; data: unknown[] };`,
    `const { outputs } = (await response.json()) as { outputs: TOutput[] };`,
    `console.log(outputs);`,
  ].join("\n");
}
