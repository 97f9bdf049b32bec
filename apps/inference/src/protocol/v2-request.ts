import { isDatatype } from "../model/datatypes";
import type { TSignature, TTensorSpec } from "../model/signature";
import { badRequest } from "./errors";
import { countRows, type TInferRequest, type TOutputChoice } from "./infer-request";
import { type JsonScanner, NumericRef, type TJsonObject, type TJsonValue } from "./json-scan";
import { readBinaryTensor, readJsonTensor, type TInputTensor } from "./tensor-input";

function isObject(value: TJsonValue | undefined): value is TJsonObject {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof NumericRef)
  );
}

function readShape(scanner: JsonScanner, value: TJsonValue | undefined, where: string): number[] {
  const shape =
    value instanceof NumericRef && !value.isRagged && value.dims.length === 1
      ? scanner.readNumbers(value)
      : Array.isArray(value) && value.length === 0
        ? []
        : undefined;
  if (!shape || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw badRequest(`${where}: 'shape' must be an array of non-negative integers`);
  }
  return shape;
}

function readBinarySize(parameters: TJsonValue | undefined, where: string): number | undefined {
  if (parameters === undefined) return undefined;
  if (!isObject(parameters)) throw badRequest(`${where}: 'parameters' must be an object`);
  const size = parameters.binary_data_size;
  if (size === undefined) return undefined;
  if (typeof size !== "number" || !Number.isInteger(size) || size < 0) {
    throw badRequest(`${where}: 'binary_data_size' must be a non-negative integer`);
  }
  return size;
}

function readOutputs(
  signature: TSignature,
  value: TJsonValue | undefined,
  isBinaryDefault: boolean,
): TOutputChoice[] {
  if (value === undefined) {
    return signature.outputs.map((spec) => ({ spec, isBinary: isBinaryDefault }));
  }
  if (!Array.isArray(value) || value.length === 0) {
    throw badRequest("'outputs' must be a non-empty array of {name}");
  }
  const seen = new Set<string>();
  return value.map((item, i) => {
    if (!isObject(item) || typeof item.name !== "string") {
      throw badRequest(`outputs[${i}] must be an object with a string 'name'`);
    }
    const spec = signature.outputs.find((o) => o.name === item.name);
    if (!spec) {
      const names = signature.outputs.map((o) => o.name).join(", ");
      throw badRequest(`unknown output '${item.name}'; the model's outputs are: ${names}`);
    }
    if (seen.has(spec.name)) throw badRequest(`output '${spec.name}' is requested twice`);
    seen.add(spec.name);
    let isBinary = isBinaryDefault;
    if (item.parameters !== undefined) {
      if (!isObject(item.parameters))
        throw badRequest(`outputs[${i}].parameters must be an object`);
      const flag = item.parameters.binary_data;
      if (flag !== undefined && typeof flag !== "boolean") {
        throw badRequest(`outputs[${i}].parameters.binary_data must be true or false`);
      }
      if (flag !== undefined) isBinary = flag;
    }
    return { spec, isBinary };
  });
}

type TBinarySection = { bytes: Buffer; offset: number };

function readInput(
  scanner: JsonScanner,
  spec: TTensorSpec,
  item: TJsonObject,
  binary: TBinarySection,
): TInputTensor {
  const where = `input '${spec.name}'`;
  const datatype = item.datatype;
  if (!isDatatype(datatype)) {
    throw badRequest(
      `${where}: 'datatype' must be one of BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BYTES, got ${JSON.stringify(datatype ?? null)}`,
    );
  }
  if (datatype !== spec.info.datatype) {
    throw badRequest(`${where}: expected datatype ${spec.info.datatype}, got ${datatype}`);
  }
  const shape = readShape(scanner, item.shape, where);
  const binarySize = readBinarySize(item.parameters, where);
  if (binarySize !== undefined) {
    if (item.data !== undefined) throw badRequest(`${where}: has both 'data' and binary_data_size`);
    const end = binary.offset + binarySize;
    if (end > binary.bytes.length) {
      throw badRequest(
        `${where}: binary_data_size ${binarySize} runs past the end of the binary data`,
      );
    }
    const bytes = binary.bytes.subarray(binary.offset, end);
    binary.offset = end;
    return readBinaryTensor(spec, shape, bytes);
  }
  if (item.data === undefined) throw badRequest(`${where}: 'data' is missing`);
  return readJsonTensor(scanner, spec, shape, item.data);
}

/**
 * Parses an Open Inference Protocol V2 request. headerLength is the
 * Inference-Header-Content-Length value when the binary tensor extension is used.
 */
export function parseV2Request(
  scanner: JsonScanner,
  signature: TSignature,
  body: Buffer,
  headerLength: number | undefined,
): TInferRequest {
  if (headerLength !== undefined && headerLength > body.length) {
    throw badRequest(
      `Inference-Header-Content-Length ${headerLength} is larger than the body (${body.length} bytes)`,
    );
  }
  const json = headerLength === undefined ? body : body.subarray(0, headerLength);
  const binary: TBinarySection = {
    bytes: headerLength === undefined ? Buffer.alloc(0) : body.subarray(headerLength),
    offset: 0,
  };
  const root = scanner.parse(json);
  if (!isObject(root)) throw badRequest("the request body must be a JSON object");
  const id = root.id;
  if (id !== undefined && typeof id !== "string") throw badRequest("'id' must be a string");
  let isBinaryDefault = false;
  if (root.parameters !== undefined) {
    if (!isObject(root.parameters)) throw badRequest("'parameters' must be an object");
    const flag = root.parameters.binary_data_output;
    if (flag !== undefined && typeof flag !== "boolean") {
      throw badRequest("parameters.binary_data_output must be true or false");
    }
    isBinaryDefault = flag === true;
  }
  const list = root.inputs;
  if (!Array.isArray(list) || list.length === 0) {
    throw badRequest("'inputs' must be a non-empty array of {name, shape, datatype, data}");
  }
  const inputs: (TInputTensor | undefined)[] = new Array(signature.inputs.length);
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (!isObject(item) || typeof item.name !== "string") {
      throw badRequest(`inputs[${i}] must be an object with a string 'name'`);
    }
    const name = item.name;
    const spec = signature.inputs.find((s) => s.name === name);
    if (!spec) {
      const names = signature.inputs.map((s) => s.name).join(", ");
      throw badRequest(`unknown input '${name}'; the model's inputs are: ${names}`);
    }
    if (inputs[spec.index]) throw badRequest(`input '${name}' is given twice`);
    inputs[spec.index] = readInput(scanner, spec, item, binary);
  }
  const missing = signature.inputs.filter((s) => !inputs[s.index]).map((s) => s.name);
  if (missing.length > 0) throw badRequest(`missing input(s): ${missing.join(", ")}`);
  if (binary.offset !== binary.bytes.length) {
    throw badRequest(
      `the binary data has ${binary.bytes.length} bytes but the inputs' binary_data_size add up to ${binary.offset}`,
    );
  }
  const complete = inputs as TInputTensor[];
  return {
    id,
    inputs: complete,
    outputs: readOutputs(signature, root.outputs, isBinaryDefault),
    rows: countRows(signature, complete),
  };
}
