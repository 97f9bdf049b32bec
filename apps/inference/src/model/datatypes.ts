export type TDatatype =
  | "BOOL"
  | "UINT8"
  | "UINT16"
  | "UINT32"
  | "UINT64"
  | "INT8"
  | "INT16"
  | "INT32"
  | "INT64"
  | "FP16"
  | "FP32"
  | "FP64"
  | "BYTES";

export type TNumericArray =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

export type TTensorData = TNumericArray | string[];

export type TDatatypeInfo = {
  datatype: TDatatype;
  ortType: string;
  tritonType: string;
  /** bytes per element in the binary extension; 0 for BYTES (length-prefixed) */
  byteSize: number;
  /** how JSON numbers are checked before they reach the runtime */
  kind: "float" | "int" | "bigint" | "bool" | "fp16" | "bytes";
  min: number;
  max: number;
  create: (length: number) => TTensorData;
  fromBytes: (bytes: Uint8Array, count: number) => TTensorData;
};

// Copies when the bytes are not aligned for the typed array view.
function viewOrCopy<T>(
  Ctor: { new (buffer: ArrayBuffer, offset: number, length: number): T; BYTES_PER_ELEMENT: number },
  bytes: Uint8Array,
  count: number,
): T {
  if (bytes.byteOffset % Ctor.BYTES_PER_ELEMENT === 0 && bytes.buffer instanceof ArrayBuffer) {
    return new Ctor(bytes.buffer, bytes.byteOffset, count);
  }
  const copy = new ArrayBuffer(count * Ctor.BYTES_PER_ELEMENT);
  new Uint8Array(copy).set(bytes.subarray(0, count * Ctor.BYTES_PER_ELEMENT));
  return new Ctor(copy, 0, count);
}

function numeric<T extends TNumericArray>(
  datatype: TDatatype,
  ortType: string,
  kind: TDatatypeInfo["kind"],
  Ctor: {
    new (length: number): T;
    new (buffer: ArrayBuffer, offset: number, length: number): T;
    BYTES_PER_ELEMENT: number;
  },
  min: number,
  max: number,
): TDatatypeInfo {
  return {
    datatype,
    ortType,
    tritonType: `TYPE_${datatype === "BYTES" ? "STRING" : datatype}`,
    byteSize: Ctor.BYTES_PER_ELEMENT,
    kind,
    min,
    max,
    create: (length) => new Ctor(length),
    fromBytes: (bytes, count) => viewOrCopy(Ctor, bytes, count),
  };
}

const FLOAT32_MAX = 3.4028234663852886e38;

export const DATATYPES: Record<TDatatype, TDatatypeInfo> = {
  BOOL: numeric("BOOL", "bool", "bool", Uint8Array, 0, 1),
  UINT8: numeric("UINT8", "uint8", "int", Uint8Array, 0, 255),
  UINT16: numeric("UINT16", "uint16", "int", Uint16Array, 0, 65535),
  UINT32: numeric("UINT32", "uint32", "int", Uint32Array, 0, 4294967295),
  UINT64: numeric("UINT64", "uint64", "bigint", BigUint64Array, 0, Number.MAX_SAFE_INTEGER),
  INT8: numeric("INT8", "int8", "int", Int8Array, -128, 127),
  INT16: numeric("INT16", "int16", "int", Int16Array, -32768, 32767),
  INT32: numeric("INT32", "int32", "int", Int32Array, -2147483648, 2147483647),
  INT64: numeric(
    "INT64",
    "int64",
    "bigint",
    BigInt64Array,
    Number.MIN_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER,
  ),
  FP16: numeric("FP16", "float16", "fp16", Uint16Array, -65504, 65504),
  FP32: numeric("FP32", "float32", "float", Float32Array, -FLOAT32_MAX, FLOAT32_MAX),
  FP64: numeric("FP64", "float64", "float", Float64Array, -Number.MAX_VALUE, Number.MAX_VALUE),
  BYTES: {
    datatype: "BYTES",
    ortType: "string",
    tritonType: "TYPE_STRING",
    byteSize: 0,
    kind: "bytes",
    min: 0,
    max: 0,
    create: (length) => new Array<string>(length).fill(""),
    fromBytes: (bytes, count) => decodeLengthPrefixed(bytes, count),
  },
};

const BY_ORT_TYPE = new Map(Object.values(DATATYPES).map((d) => [d.ortType, d]));

export function findDatatypeByOrtType(ortType: string): TDatatypeInfo | undefined {
  return BY_ORT_TYPE.get(ortType);
}

export function isDatatype(value: unknown): value is TDatatype {
  return typeof value === "string" && Object.hasOwn(DATATYPES, value);
}

/** BYTES elements in the binary extension: 4-byte little-endian length, then the bytes. */
export function decodeLengthPrefixed(bytes: Uint8Array, count: number): string[] {
  const out: string[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > bytes.byteLength) throw new RangeError("BYTES element length runs past data");
    const length = view.getUint32(offset, true);
    offset += 4;
    if (offset + length > bytes.byteLength) throw new RangeError("BYTES element runs past data");
    out.push(Buffer.from(bytes.buffer, bytes.byteOffset + offset, length).toString("utf8"));
    offset += length;
  }
  if (offset !== bytes.byteLength) throw new RangeError("BYTES data has trailing bytes");
  return out;
}

export function encodeLengthPrefixed(values: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (const value of values) {
    const body = Buffer.from(value, "utf8");
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32LE(body.length, 0);
    parts.push(head, body);
  }
  return Buffer.concat(parts);
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  if (rest !== 0.5) return rest < 0.5 ? floor : floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * IEEE 754 half-precision bits of a finite number within ±65504, rounded to nearest even
 * straight from the double (no float32 step, so no double rounding). Scaling by powers of
 * two keeps every intermediate exact.
 */
export function toHalfBits(value: number): number {
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  // subnormals are whole multiples of 2^-24; 1024 of them carry into the smallest normal
  if (magnitude < 2 ** -14) return sign | roundHalfEven(magnitude * 2 ** 24);
  let exponent = Math.floor(Math.log2(magnitude));
  if (2 ** exponent > magnitude) exponent--;
  else if (2 ** (exponent + 1) <= magnitude) exponent++;
  let mantissa = roundHalfEven((magnitude / 2 ** exponent - 1) * 1024);
  if (mantissa === 1024) {
    mantissa = 0;
    exponent++;
  }
  return sign | ((exponent + 15) << 10) | mantissa;
}

export function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
