import type { TSignature, TTensorSpec } from "../model/signature";
import { badRequest } from "./errors";
import type { TInputTensor } from "./tensor-input";

export type TOutputChoice = { spec: TTensorSpec; isBinary: boolean };

/** A validated inference request in model input order, whatever protocol it came from. */
export type TInferRequest = {
  id: string | undefined;
  inputs: TInputTensor[];
  outputs: TOutputChoice[];
  /** length of the first dimension shared by all inputs (1 for models without a batch dim) */
  rows: number;
};

/** All inputs must agree on the batch dimension so rows can be merged and split. */
export function countRows(signature: TSignature, inputs: readonly TInputTensor[]): number {
  if (!signature.hasBatchDim) return 1;
  const rows = inputs[0]?.shape[0] ?? 0;
  for (const input of inputs) {
    if (input.shape[0] !== rows) {
      throw badRequest(
        `input '${input.spec.name}': first dimension ${input.shape[0]} differs from input '${inputs[0]!.spec.name}' (${rows}); all inputs must have the same number of rows`,
      );
    }
  }
  if (rows === 0) throw badRequest("the request contains no rows (first dimension is 0)");
  return rows;
}

export function selectAllOutputs(signature: TSignature, isBinary: boolean): TOutputChoice[] {
  return signature.outputs.map((spec) => ({ spec, isBinary }));
}
