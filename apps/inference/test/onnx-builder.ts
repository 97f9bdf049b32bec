import { writeFileSync } from "node:fs";

/**
 * Writes tiny ONNX models (protobuf encoded by hand) for element types the scikit-learn
 * fixtures do not cover, and for a graph that fails at run time.
 */

type TField = Buffer;

function varint(value: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0n);
  return Buffer.from(bytes);
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, value: number | bigint): TField =>
  Buffer.concat([key(field, 0), varint(value)]);
const bytes = (field: number, value: Buffer | string): TField => {
  const body = typeof value === "string" ? Buffer.from(value) : value;
  return Buffer.concat([key(field, 2), varint(body.length), body]);
};
const message = (field: number, ...fields: TField[]): TField => bytes(field, Buffer.concat(fields));

export const ELEM = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;

/** dims: a number is fixed, a string is a symbolic (dynamic) dimension. */
function valueInfo(field: number, name: string, elemType: number, dims: (number | string)[]) {
  const dimFields = dims.map((d) => message(1, typeof d === "number" ? int(1, d) : bytes(2, d)));
  return message(
    field,
    bytes(1, name),
    message(2, message(1, int(1, elemType), message(2, ...dimFields))),
  );
}

type TNode = { op: string; inputs: string[]; outputs: string[] };

type TGraph = {
  inputs: { name: string; elem: number; dims: (number | string)[] }[];
  outputs: { name: string; elem: number; dims: (number | string)[] }[];
  nodes: TNode[];
  int64Initializers?: { name: string; values: number[] }[];
};

export function encodeModel(graph: TGraph): Buffer {
  const nodes = graph.nodes.map((n, i) =>
    message(
      1,
      ...n.inputs.map((x) => bytes(1, x)),
      ...n.outputs.map((y) => bytes(2, y)),
      bytes(3, `node${i}`),
      bytes(4, n.op),
    ),
  );
  const initializers = (graph.int64Initializers ?? []).map((t) => {
    const raw = Buffer.alloc(8 * t.values.length);
    t.values.forEach((v, i) => raw.writeBigInt64LE(BigInt(v), i * 8));
    return message(5, int(1, t.values.length), int(2, ELEM.INT64), bytes(8, t.name), bytes(9, raw));
  });
  const body = Buffer.concat([
    ...nodes,
    bytes(2, "test-graph"),
    ...initializers,
    ...graph.inputs.map((v) => valueInfo(11, v.name, v.elem, v.dims)),
    ...graph.outputs.map((v) => valueInfo(12, v.name, v.elem, v.dims)),
  ]);
  return Buffer.concat([
    int(1, 8),
    bytes(2, "kubeserve-test"),
    message(7, body),
    message(8, bytes(1, ""), int(2, 17)),
  ]);
}

/** y = Identity(x) with x of the given element type and shape [N, 2]. */
export function writeIdentityModel(file: string, elem: number): void {
  writeFileSync(
    file,
    encodeModel({
      inputs: [{ name: "x", elem, dims: ["N", 2] }],
      outputs: [{ name: "y", elem, dims: ["N", 2] }],
      nodes: [{ op: "Identity", inputs: ["x"], outputs: ["y"] }],
    }),
  );
}

/** Reshapes x [N,4] to a fixed [1,4]: loads and warms up with N=1, fails at run time for N>1. */
export function writeFixedReshapeModel(file: string): void {
  writeFileSync(
    file,
    encodeModel({
      inputs: [{ name: "x", elem: ELEM.FLOAT, dims: ["N", 4] }],
      outputs: [{ name: "y", elem: ELEM.FLOAT, dims: [1, 4] }],
      nodes: [{ op: "Reshape", inputs: ["x", "target"], outputs: ["y"] }],
      int64Initializers: [{ name: "target", values: [1, 4] }],
    }),
  );
}

/** Two inputs a [N,2] and b [N,2], outputs sum = a + b. */
export function writeAddModel(file: string): void {
  writeFileSync(
    file,
    encodeModel({
      inputs: [
        { name: "a", elem: ELEM.FLOAT, dims: ["N", 2] },
        { name: "b", elem: ELEM.FLOAT, dims: ["N", 2] },
      ],
      outputs: [{ name: "sum", elem: ELEM.FLOAT, dims: ["N", 2] }],
      nodes: [{ op: "Add", inputs: ["a", "b"], outputs: ["sum"] }],
    }),
  );
}

/**
 * A deliberately slow model with a tiny input: x [N,4] is tiled to t [N,2048], then
 * y = sum(tᵀ·t) costs 8.4 M multiply-adds per row while a request body stays a few bytes a row.
 */
export function writeSlowModel(file: string): void {
  writeFileSync(
    file,
    encodeModel({
      inputs: [{ name: "x", elem: ELEM.FLOAT, dims: ["N", 4] }],
      outputs: [{ name: "y", elem: ELEM.FLOAT, dims: [1, 1] }],
      nodes: [
        { op: "Tile", inputs: ["x", "repeats"], outputs: ["t"] },
        { op: "Transpose", inputs: ["t"], outputs: ["tt"] },
        { op: "MatMul", inputs: ["tt", "t"], outputs: ["gram"] },
        { op: "ReduceSum", inputs: ["gram"], outputs: ["y"] },
      ],
      int64Initializers: [{ name: "repeats", values: [1, 512] }],
    }),
  );
}

/** x [N,2] → log = Log(x), reciprocal = 1/x: x = 0 and x = -1 give -Infinity, NaN and Infinity. */
export function writeNonFiniteModel(file: string): void {
  writeFileSync(
    file,
    encodeModel({
      inputs: [{ name: "x", elem: ELEM.FLOAT, dims: ["N", 2] }],
      outputs: [
        { name: "log", elem: ELEM.FLOAT, dims: ["N", 2] },
        { name: "reciprocal", elem: ELEM.FLOAT, dims: ["N", 2] },
      ],
      nodes: [
        { op: "Log", inputs: ["x"], outputs: ["log"] },
        { op: "Reciprocal", inputs: ["x"], outputs: ["reciprocal"] },
      ],
    }),
  );
}
