import type { TSignature } from "./try-it";

// The try-it form's logic apart from React: which fields a signature gives, a row ↔ V2 body, and the
// last rows sent from this browser (numbers only: no key, no token, nothing else is stored).

/** One numeric input with a row of features: what a form of fields can express. */
export type TFormSpec = {
  inputName: string;
  datatype: string;
  /** The shape of one row in the V2 body: [1, n] for a batch input, [n] for a fixed vector. */
  rowShape: number[];
  featureNames: string[];
  isInteger: boolean;
};

/** More fields than this is no form anyone fills by hand: such models get the JSON body only. */
export const maxFormFields = 64;
export const maxHistoryRows = 5;

const numericPattern = /^(FP|BF|INT|UINT)\d+$/;
const sampleFloats = [5.1, 3.5, 1.4, 0.2];

function readNames(value: unknown, count: number): string[] | undefined {
  if (!Array.isArray(value) || value.length !== count) return undefined;
  if (!value.every((name) => typeof name === "string" && name.trim() !== "")) return undefined;
  return value as string[];
}

/**
 * The form a signature gives, or undefined when it needs the JSON body (several inputs, strings, a
 * free feature count, a 3-D tensor). Names come from scikit-learn's `feature_names_in_`, else from the
 * version's metadata (`featureNames` or `feature_names`), else "feature 0…n-1".
 */
export function readFormSpec(
  signature: TSignature | null | undefined,
  metadata?: Record<string, unknown> | null,
): TFormSpec | undefined {
  const inputs = signature?.inputs ?? [];
  const [input] = inputs;
  if (!input || inputs.length !== 1 || !numericPattern.test(input.datatype)) return undefined;
  const { shape } = input;
  let count: number;
  let rowShape: number[];
  if (shape.length === 1) {
    // [-1]: one scalar per row; [n]: a fixed vector of n.
    count = shape[0] === -1 ? 1 : (shape[0] ?? 0);
    rowShape = [count];
  } else if (shape.length === 2 && (shape[0] === -1 || shape[0] === 1)) {
    count = shape[1] ?? 0;
    rowShape = [1, count];
  } else {
    return undefined;
  }
  if (!(count >= 1 && count <= maxFormFields)) return undefined;
  const featureNames = readNames(signature?.sklearn?.featureNames, count) ??
    readNames(metadata?.featureNames, count) ??
    readNames(metadata?.feature_names, count) ?? [
      ...Array.from({ length: count }, (_, i) => `feature ${i}`),
    ];
  return {
    inputName: input.name,
    datatype: input.datatype,
    rowShape,
    featureNames,
    isInteger: /INT/.test(input.datatype),
  };
}

/** A plausible first row (iris-like measurements for floats, ones for integers), as field text. */
export function exampleRow(spec: TFormSpec): string[] {
  return spec.featureNames.map((_, i) =>
    spec.isInteger ? "1" : String(sampleFloats[i % sampleFloats.length]),
  );
}

export type TRowCheck = { errors: (string | undefined)[]; values: number[] | undefined };

/** Each field's problem in the user's terms, or the numbers to send when there is none. */
export function checkRow(spec: TFormSpec, fields: readonly string[]): TRowCheck {
  const values: number[] = [];
  const errors = spec.featureNames.map((name, i) => {
    const text = (fields[i] ?? "").trim();
    if (text === "") return `Enter a number for ${name}`;
    const value = Number(text);
    if (!Number.isFinite(value)) return `'${text}' is not a number`;
    if (spec.isInteger && !Number.isInteger(value)) {
      return `${spec.datatype} takes whole numbers only`;
    }
    values.push(value);
    return undefined;
  });
  return { errors, values: errors.some(Boolean) ? undefined : values };
}

/** The V2 JSON body for one row. */
export function rowToBody(spec: TFormSpec, values: readonly number[]): string {
  const input = { name: spec.inputName, shape: spec.rowShape, datatype: spec.datatype };
  return JSON.stringify({ inputs: [{ ...input, data: [...values] }] }, null, 2);
}

/** The row a JSON body holds, when it is exactly one row of this form's input; else undefined. */
export function bodyToRow(spec: TFormSpec, body: string): number[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const inputs = (parsed as { inputs?: unknown } | null)?.inputs;
  if (!Array.isArray(inputs) || inputs.length !== 1) return undefined;
  const input = inputs[0] as { name?: unknown; data?: unknown };
  if (input.name !== spec.inputName || !Array.isArray(input.data)) return undefined;
  const data = input.data.flat(2) as unknown[];
  if (data.length !== spec.featureNames.length) return undefined;
  return data.every((v) => typeof v === "number" && Number.isFinite(v))
    ? (data as number[])
    : undefined;
}

type TStorage = Pick<Storage, "getItem" | "setItem">;

export const historyKey = (deploymentId: string) => `kubeserve.try.${deploymentId}`;

function isRow(value: unknown): value is number[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.length <= maxFormFields &&
    value.every((v) => typeof v === "number" && Number.isFinite(v))
  );
}

/** Stored history text → rows, newest first; anything malformed is dropped. */
export function parseHistory(raw: string | null): number[][] {
  try {
    const value: unknown = JSON.parse(raw ?? "[]");
    return Array.isArray(value) ? value.filter(isRow).slice(0, maxHistoryRows) : [];
  } catch {
    return [];
  }
}

/** The rows last sent to this deployment from this browser, newest first. */
export function readHistory(storage: TStorage, deploymentId: string): number[][] {
  try {
    return parseHistory(storage.getItem(historyKey(deploymentId)));
  } catch {
    return [];
  }
}

/** Puts `row` first (once), keeps the newest `maxHistoryRows`, and returns the new list. */
export function rememberRow(
  storage: TStorage,
  deploymentId: string,
  row: readonly number[],
): number[][] {
  const key = JSON.stringify(row);
  const rows = [
    [...row],
    ...readHistory(storage, deploymentId).filter((r) => JSON.stringify(r) !== key),
  ].slice(0, maxHistoryRows);
  try {
    storage.setItem(historyKey(deploymentId), JSON.stringify(rows));
  } catch {
    // Storage full or disabled: the form still works, it just forgets.
  }
  return rows;
}
