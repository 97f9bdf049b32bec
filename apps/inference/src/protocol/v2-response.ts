import { encodeLengthPrefixed, type TNumericArray } from "../model/datatypes";
import type { TOutputTensor } from "../runtime/batcher";
import type { TOutputChoice } from "./infer-request";
import { formatFlat } from "./json-output";

export type TV2Response = {
  body: string | Buffer;
  /** set when the body is a JSON header followed by binary output data */
  headerLength: number | undefined;
};

function tensorBytes(output: TOutputTensor): Buffer {
  if (Array.isArray(output.data)) return encodeLengthPrefixed(output.data);
  const typed = output.data as TNumericArray;
  return Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
}

/** Builds the V2 response; the prefix holds the precomputed model_name/model_version part. */
export function buildV2Response(
  prefix: string,
  id: string | undefined,
  outputs: readonly TOutputTensor[],
  choices: readonly TOutputChoice[],
): TV2Response {
  let json = id === undefined ? prefix : prefix + ',"id":' + JSON.stringify(id);
  json += ',"outputs":[';
  const binaryParts: Buffer[] = [];
  for (let i = 0; i < outputs.length; i++) {
    const output = outputs[i]!;
    const info = output.spec.info;
    if (i > 0) json += ",";
    json +=
      '{"name":' +
      JSON.stringify(output.spec.name) +
      ',"datatype":"' +
      info.datatype +
      '","shape":[' +
      output.shape.join(",") +
      "]";
    if (choices[i]!.isBinary) {
      const bytes = tensorBytes(output);
      binaryParts.push(bytes);
      json += ',"parameters":{"binary_data_size":' + bytes.length + "}}";
    } else {
      json += ',"data":[' + formatFlat(info, output.data, 0, output.data.length) + "]}";
    }
  }
  json += "]}";
  if (binaryParts.length === 0) return { body: json, headerLength: undefined };
  const header = Buffer.from(json, "utf8");
  return { body: Buffer.concat([header, ...binaryParts]), headerLength: header.length };
}
