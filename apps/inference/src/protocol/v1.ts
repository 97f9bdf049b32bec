import type { TSignature, TTensorSpec } from "../model/signature";
import type { TOutputTensor } from "../runtime/batcher";
import { badRequest } from "./errors";
import { countRows, type TInferRequest } from "./infer-request";
import { type JsonScanner, NumericRef, type TJsonObject, type TJsonValue } from "./json-scan";
import { formatFlat, formatNested } from "./json-output";
import { readJsonRows, type TInputTensor } from "./tensor-input";

function isPlainObject(value: TJsonValue | undefined): value is TJsonObject {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof NumericRef)
  );
}

/** Multi-input models take TF-Serving style rows: [{"a": ..., "b": ...}, ...]. */
function readNamedRows(
  scanner: JsonScanner,
  signature: TSignature,
  rows: TJsonValue[],
  field: string,
): TInputTensor[] {
  if (rows.length === 0) throw badRequest(`'${field}' must contain at least one row`);
  return signature.inputs.map((spec) => {
    const column = rows.map((row, i) => {
      if (!isPlainObject(row) || row[spec.name] === undefined) {
        throw badRequest(`${field}[${i}] must be an object with input '${spec.name}'`);
      }
      return row[spec.name]!;
    });
    return readJsonRows(scanner, spec, column, field);
  });
}

/**
 * Parses KServe V1 `{"instances": [...]}` (or `{"inputs": [...]}`) and the original
 * `/predict` body, which has the same shape.
 */
export function parseV1Request(
  scanner: JsonScanner,
  signature: TSignature,
  body: Buffer,
  output: TTensorSpec,
): TInferRequest {
  const root = scanner.parse(body);
  if (!isPlainObject(root)) throw badRequest("the request body must be a JSON object");
  const field = root.instances !== undefined ? "instances" : "inputs";
  const rows = root[field];
  if (rows === undefined) throw badRequest("the body needs 'instances': [[...], ...]");
  let inputs: TInputTensor[];
  if (signature.inputs.length === 1) {
    inputs = [readJsonRows(scanner, signature.inputs[0]!, rows, field)];
  } else if (Array.isArray(rows)) {
    inputs = readNamedRows(scanner, signature, rows, field);
  } else {
    throw badRequest(`'${field}' must be an array of rows`);
  }
  return {
    id: undefined,
    inputs,
    outputs: [{ spec: output, isBinary: false }],
    rows: countRows(signature, inputs),
  };
}

/** One prediction per row: a scalar when a row holds a single value, else nested arrays. */
export function buildV1Response(output: TOutputTensor): string {
  const { shape, data } = output;
  const info = output.spec.info;
  const rows = shape[0] ?? 1;
  const rowDims = shape.slice(1);
  const perRow = rowDims.reduce((a, b) => a * b, 1);
  if (shape.length <= 1 || perRow === 1) {
    return '{"predictions":[' + formatFlat(info, data, 0, data.length) + "]}";
  }
  let out = '{"predictions":[';
  for (let r = 0; r < rows; r++) {
    if (r > 0) out += ",";
    out += "[" + formatNested(info, data, rowDims, 0, r * perRow) + "]";
  }
  return out + "]}";
}
