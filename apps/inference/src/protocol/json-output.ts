import type { TDatatypeInfo, TTensorData } from "../model/datatypes";

/** JSON has no NaN or Infinity: a model that produces them gets null in that place. */
function formatNumbers(data: ArrayLike<number>, start: number, end: number): string {
  if (start >= end) return "";
  let v = data[start]!;
  let out = v - v === 0 ? String(v) : "null";
  for (let i = start + 1; i < end; i++) {
    v = data[i]!;
    out += v - v === 0 ? "," + v : ",null";
  }
  return out;
}

function formatOthers(info: TDatatypeInfo, data: TTensorData, start: number, end: number): string {
  const parts: string[] = [];
  for (let i = start; i < end; i++) {
    const v = data[i]!;
    if (info.kind === "bytes") parts.push(JSON.stringify(v));
    else if (info.kind === "bool") parts.push(v ? "true" : "false");
    else parts.push(String(v));
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
