import { fromHalfBits, type TDatatypeInfo, type TTensorData } from "../model/datatypes";

/**
 * JSON has no NaN or Infinity: they are sent as the strings "NaN", "Infinity", "-Infinity"
 * (allowed by the protocol's tensor_data schema, and read back as numbers by Number(),
 * Float32Array and numpy, where null would silently become 0 in a typed array).
 */
function formatNonFinite(v: number): string {
  return v !== v ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

function formatNumbers(data: ArrayLike<number>, start: number, end: number): string {
  if (start >= end) return "";
  let v = data[start]!;
  let out = v - v === 0 ? String(v) : formatNonFinite(v);
  for (let i = start + 1; i < end; i++) {
    v = data[i]!;
    out += v - v === 0 ? "," + v : "," + formatNonFinite(v);
  }
  return out;
}

function formatOthers(info: TDatatypeInfo, data: TTensorData, start: number, end: number): string {
  const parts: string[] = [];
  for (let i = start; i < end; i++) {
    const v = data[i]!;
    if (info.kind === "bytes") parts.push(JSON.stringify(v));
    else if (info.kind === "bool") parts.push(v ? "true" : "false");
    else if (info.kind === "fp16") {
      const half = fromHalfBits(v as number);
      parts.push(half - half === 0 ? String(half) : formatNonFinite(half));
    } else parts.push(String(v));
  }
  return parts.join(",");
}

/** Elements start..end of a tensor as JSON array items (without brackets). */
export function formatFlat(info: TDatatypeInfo, data: TTensorData, start: number, end: number) {
  if (info.kind === "float" || info.kind === "int") {
    return formatNumbers(data as Float32Array, start, end);
  }
  return formatOthers(info, data, start, end);
}

/** A row-major block as nested JSON arrays for the given dims (without outer brackets). */
export function formatNested(
  info: TDatatypeInfo,
  data: TTensorData,
  dims: readonly number[],
  level: number,
  start: number,
): string {
  if (level >= dims.length - 1) return formatFlat(info, data, start, start + (dims[level] ?? 1));
  let stride = 1;
  for (let i = level + 1; i < dims.length; i++) stride *= dims[i]!;
  const parts: string[] = [];
  const length = dims[level]!;
  for (let i = 0; i < length; i++) {
    parts.push("[" + formatNested(info, data, dims, level + 1, start + i * stride) + "]");
  }
  return parts.join(",");
}
