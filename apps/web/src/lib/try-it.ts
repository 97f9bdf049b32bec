import type { RouterOutputs } from "@kubeserve/api";

// The try-it form's V2 request, prefilled from the version's signature, and its answer read back.

export type TSignature = NonNullable<RouterOutputs["version"]["get"]["signature"]>;
type TTensor = TSignature["inputs"][number];

// Iris-like measurements read better than zeros, and any float model accepts them.
const sampleFloats = [5.1, 3.5, 1.4, 0.2];

function sampleElement(datatype: string, index: number): unknown {
  if (datatype === "BOOL") return true;
  if (datatype === "BYTES") return "text";
  if (/^FP|^BF/.test(datatype)) return sampleFloats[index % sampleFloats.length];
  return 1;
}

function sampleTensor(tensor: TTensor) {
  // A free dimension (the batch) becomes 1: one example row.
  const shape = tensor.shape.map((dim) => (dim > 0 ? dim : 1));
  const count = shape.reduce((a, b) => a * b, 1);
  return {
    name: tensor.name,
    shape,
    datatype: tensor.datatype,
    data: Array.from({ length: count }, (_, i) => sampleElement(tensor.datatype, i)),
  };
}

export function exampleRequest(signature: TSignature | null | undefined): string {
  const inputs = signature?.inputs ?? [];
  return JSON.stringify({ inputs: inputs.map((tensor) => sampleTensor(tensor)) }, null, 2);
}

export type TOutput = { name: string; datatype: string; shape: number[]; data: unknown[] };

export type TTryResult = { isOk: true; outputs: TOutput[] } | { isOk: false; message: string };

/** The gateway's answer: V2 outputs, or the error it (or the model server) named. */
export function readTryResult(status: number, text: string): TTryResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { isOk: false, message: `HTTP ${status}: ${text.slice(0, 200) || "empty answer"}` };
  }
  const record = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
  if (status >= 400 || !Array.isArray(record.outputs)) {
    // The gateway answers { error: { code, message } }; a model server's V2 error is { error: "…" }.
    const error = record.error as { message?: unknown } | string | undefined;
    const message =
      typeof error === "string"
        ? error
        : typeof error?.message === "string"
          ? error.message
          : `HTTP ${status}`;
    return { isOk: false, message };
  }
  return { isOk: true, outputs: record.outputs as TOutput[] };
}

/** A 1-row output with several numbers (class probabilities) as bars: [{ label, value }]. */
export function probabilityBars(output: TOutput): { label: string; value: number }[] | undefined {
  const values = output.data.filter((v): v is number => typeof v === "number");
  if (values.length < 2 || values.length !== output.data.length || values.length > 50)
    return undefined;
  const rows = output.shape[0] ?? 1;
  if (rows !== 1 || !/prob/i.test(output.name)) return undefined;
  return values.map((value, index) => ({ label: `class ${index}`, value }));
}

const maxDataChars = 200;

// 4 significant digits: 0.9815846681594849 as 0.9816 and 1.4496836620025988e-8 as 1.45e-8 (the bars are exact).
function roundNumber(value: unknown): unknown {
  return typeof value === "number" && !Number.isInteger(value)
    ? Number(value.toPrecision(4))
    : value;
}

/** An output's data for the result table: floats rounded, cut after a couple of hundred characters. */
export function formatOutputData(data: readonly unknown[]): string {
  const text = `[${data.map((value) => JSON.stringify(roundNumber(value))).join(", ")}]`;
  return text.length > maxDataChars ? `${text.slice(0, maxDataChars)}…` : text;
}
