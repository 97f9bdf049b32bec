import type { InferenceSession } from "onnxruntime-node";
import { findDatatypeByOrtType, type TDatatypeInfo } from "./datatypes";

export type TTensorSpec = {
  name: string;
  /** position in the session's input or output list */
  index: number;
  info: TDatatypeInfo;
  /** -1 marks a dynamic (symbolic or unknown) dimension */
  shape: number[];
};

export type TSignature = {
  inputs: TTensorSpec[];
  outputs: TTensorSpec[];
  /** inputs and outputs all have a dynamic first dimension, so requests can be merged on it */
  hasBatchDim: boolean;
};

type TValueMetadata = InferenceSession.ValueMetadata;

function readSpec(meta: TValueMetadata, index: number, role: string): TTensorSpec {
  if (!meta.isTensor) {
    throw new Error(
      `${role} '${meta.name}' is not a tensor; only tensor inputs/outputs are served`,
    );
  }
  const info = findDatatypeByOrtType(meta.type);
  if (!info) throw new Error(`${role} '${meta.name}' has unsupported element type ${meta.type}`);
  const shape = meta.shape.map((d) => (typeof d === "number" && d >= 0 ? d : -1));
  return { name: meta.name, index, info, shape };
}

export function readSignature(session: InferenceSession): TSignature {
  const inputs = session.inputMetadata.map((m, i) => readSpec(m, i, "input"));
  const outputs = session.outputMetadata.map((m, i) => readSpec(m, i, "output"));
  const isDynamicFirst = (s: TTensorSpec) => s.shape.length > 0 && s.shape[0] === -1;
  return {
    inputs,
    outputs,
    hasBatchDim: inputs.length > 0 && inputs.every(isDynamicFirst) && outputs.every(isDynamicFirst),
  };
}
