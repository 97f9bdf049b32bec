import { type TDatatypeInfo, type TTensorData, toHalfBits } from "../model/datatypes";
import type { TTensorSpec } from "../model/signature";
import { badRequest } from "./errors";
import { type JsonScanner, NumericRef, type TJsonValue } from "./json-scan";

/** A request tensor that passed validation against the model signature. */
export type TInputTensor = { spec: TTensorSpec; shape: number[]; data: TTensorData };

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

export function countElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Shape rank and every fixed dimension must match; -1 in the model accepts any length. */
export function checkShape(spec: TTensorSpec, shape: readonly number[]): void {
  const expected = spec.shape;
  let isMatch = shape.length === expected.length;
  for (let i = 0; isMatch && i < shape.length; i++) {
    const want = expected[i]!;
    if (want !== -1 && want !== shape[i]) isMatch = false;
  }
  if (!isMatch) {
    throw badRequest(
      `input '${spec.name}': expected shape ${formatShape(expected)} (-1 = any), got ${formatShape(shape)}`,
    );
  }
}

function describeJson(value: TJsonValue): string {
  if (value === null) return "null";
  if (value instanceof NumericRef) return "a number";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}

function fromNumericRef(
  scanner: JsonScanner,
  spec: TTensorSpec,
  ref: NumericRef,
  count: number,
): TTensorData {
  const info = spec.info;
  const name = spec.name;
  if (info.kind === "bytes") {
    throw badRequest(`input '${name}': expected strings for datatype BYTES, got numbers`);
  }
  if (ref.hasNonFinite) {
    throw badRequest(`input '${name}': all values must be finite numbers, got NaN or Infinity`);
  }
  if (count > 0 && (ref.min < info.min || ref.max > info.max)) {
    throw badRequest(
      `input '${name}': values must be within ${info.datatype} range [${info.min}, ${info.max}], got ${ref.min}..${ref.max}`,
    );
  }
  if (info.kind !== "float" && info.kind !== "fp16" && !ref.isIntegral) {
    throw badRequest(`input '${name}': expected integers for datatype ${info.datatype}`);
  }
  const source = scanner.values.subarray(ref.start, ref.start + count);
  if (info.kind === "fp16") {
    const out = info.create(count) as Uint16Array;
    for (let i = 0; i < count; i++) out[i] = toHalfBits(source[i]!);
    return out;
  }
  if (info.kind === "bigint") {
    const out = info.create(count) as BigInt64Array;
    for (let i = 0; i < count; i++) out[i] = BigInt(source[i]!);
    return out;
  }
  const out = info.create(count) as Float32Array;
  out.set(source);
  return out;
}

function flattenInto(value: TJsonValue, scanner: JsonScanner, out: TJsonValue[]): void {
  if (Array.isArray(value)) {
    for (const item of value) flattenInto(item, scanner, out);
  } else if (value instanceof NumericRef) {
    for (const v of scanner.values.subarray(value.start, value.start + value.count)) out.push(v);
  } else {
    out.push(value);
  }
}

function convertElement(info: TDatatypeInfo, name: string, v: TJsonValue, i: number): unknown {
  const isWrong = (what: string) =>
    badRequest(`input '${name}': element ${i} must be ${what}, got ${describeJson(v)}`);
  if (info.kind === "bytes") {
    if (typeof v !== "string") throw isWrong("a string");
    return v;
  }
  if (info.kind === "bool") {
    if (typeof v === "boolean") return v ? 1 : 0;
    if (v === 0 || v === 1) return v;
    throw isWrong("true or false");
  }
  if (typeof v !== "number") throw isWrong(`a number (${info.datatype})`);
  if (!Number.isFinite(v)) throw isWrong("a finite number");
  if (v < info.min || v > info.max) throw isWrong(`within ${info.datatype} range`);
  if (info.kind === "fp16") return toHalfBits(v);
  if (info.kind !== "float" && !Number.isInteger(v)) throw isWrong("an integer");
  return info.kind === "bigint" ? BigInt(v) : v;
}

/** Ragged arrays and arrays mixing numbers with other values take this slower path. */
function fromGeneric(
  scanner: JsonScanner,
  spec: TTensorSpec,
  value: TJsonValue,
  count: number,
): TTensorData {
  const flat: TJsonValue[] = [];
  flattenInto(value, scanner, flat);
  if (flat.length !== count) {
    throw badRequest(
      `input '${spec.name}': shape needs ${count} elements, data has ${flat.length}`,
    );
  }
  const out = spec.info.create(count);
  for (let i = 0; i < count; i++) {
    (out as unknown[])[i] = convertElement(spec.info, spec.name, flat[i]!, i);
  }
  return out;
}

/** Nested dims of a JSON array, or undefined when rows have different lengths. */
export function measureNested(value: TJsonValue): number[] | undefined {
  if (value instanceof NumericRef) return value.isRagged ? undefined : value.dims;
  if (!Array.isArray(value)) return [];
  if (value.length === 0) return [0];
  const inner = value.map(measureNested);
  const first = inner[0];
  if (!first) return undefined;
  for (const dims of inner) {
    if (!dims || dims.length !== first.length || dims.some((d, i) => d !== first[i])) {
      return undefined;
    }
  }
  return [value.length, ...first];
}

/**
 * Builds the typed data for one input from JSON `data` (flat or nested, row-major) and checks
 * it against the declared shape and the model's element type.
 */
export function readJsonTensor(
  scanner: JsonScanner,
  spec: TTensorSpec,
  shape: number[],
  data: TJsonValue,
): TInputTensor {
  checkShape(spec, shape);
  const count = countElements(shape);
  if (data instanceof NumericRef) {
    if (data.isRagged) throw badRequest(`input '${spec.name}': rows have different lengths`);
    if (data.count !== count) {
      throw badRequest(
        `input '${spec.name}': shape ${formatShape(shape)} needs ${count} elements, data has ${data.count}`,
      );
    }
    return { spec, shape, data: fromNumericRef(scanner, spec, data, count) };
  }
  if (!Array.isArray(data)) {
    throw badRequest(`input '${spec.name}': data must be an array, got ${describeJson(data)}`);
  }
  if (measureNested(data) === undefined) {
    throw badRequest(`input '${spec.name}': rows have different lengths`);
  }
  return { spec, shape, data: fromGeneric(scanner, spec, data, count) };
}

/** V1 rows: the shape is the nesting of the JSON array itself. */
export function readJsonRows(
  scanner: JsonScanner,
  spec: TTensorSpec,
  data: TJsonValue,
  field: string,
): TInputTensor {
  if (!Array.isArray(data) && !(data instanceof NumericRef)) {
    throw badRequest(`'${field}' must be an array of rows, got ${describeJson(data)}`);
  }
  const shape = measureNested(data);
  if (!shape) throw badRequest(`'${field}': rows have different lengths`);
  if (shape[0] === 0) throw badRequest(`'${field}' must contain at least one row`);
  return readJsonTensor(scanner, spec, shape, data);
}

/** Builds typed data from the binary tensor extension bytes. */
export function readBinaryTensor(
  spec: TTensorSpec,
  shape: number[],
  bytes: Uint8Array,
): TInputTensor {
  checkShape(spec, shape);
  const count = countElements(shape);
  const info = spec.info;
  if (info.byteSize > 0 && bytes.byteLength !== count * info.byteSize) {
    throw badRequest(
      `input '${spec.name}': shape ${formatShape(shape)} of ${info.datatype} needs ${count * info.byteSize} bytes, binary_data_size is ${bytes.byteLength}`,
    );
  }
  let data: TTensorData;
  try {
    data = info.fromBytes(bytes, count);
  } catch (error) {
    throw badRequest(`input '${spec.name}': ${(error as Error).message}`);
  }
  if (info.kind === "float") {
    const values = data as Float32Array;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v - v !== 0) {
        throw badRequest(`input '${spec.name}': element ${i} is not a finite number`);
      }
    }
  }
  return { spec, shape, data };
}
