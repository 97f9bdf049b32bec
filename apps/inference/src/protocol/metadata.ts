import type { TSignature, TTensorSpec } from "../model/signature";

export const SERVER_NAME = "kubeserve-inference";
export const SERVER_VERSION = "0.1.0";
export const EXTENSIONS = ["binary_tensor_data", "model_configuration", "statistics"];

export type TModelIdentity = { name: string; version: string };

export function describeServer(): string {
  return JSON.stringify({ name: SERVER_NAME, version: SERVER_VERSION, extensions: EXTENSIONS });
}

const describeTensor = (s: TTensorSpec) => ({
  name: s.name,
  datatype: s.info.datatype,
  shape: s.shape,
});

/** V2 model metadata; platform onnx_onnxv1 as the Open Inference Protocol names it. */
export function describeModel(model: TModelIdentity, signature: TSignature): string {
  return JSON.stringify({
    name: model.name,
    versions: [model.version],
    platform: "onnx_onnxv1",
    inputs: signature.inputs.map(describeTensor),
    outputs: signature.outputs.map(describeTensor),
  });
}

/**
 * Triton's model configuration: with max_batch_size > 0, dims leave out the batch dimension,
 * which is what perf_analyzer expects.
 */
export function describeTritonConfig(
  model: TModelIdentity,
  signature: TSignature,
  batching: { isBatching: boolean; maxBatchSize: number; maxQueueDelayMs: number },
): string {
  const maxBatchSize = signature.hasBatchDim ? batching.maxBatchSize : 0;
  const tensor = (s: TTensorSpec) => ({
    name: s.name,
    data_type: s.info.tritonType,
    dims: maxBatchSize > 0 ? s.shape.slice(1) : s.shape,
  });
  return JSON.stringify({
    name: model.name,
    platform: "onnxruntime_onnx",
    backend: "onnxruntime",
    version_policy: { specific: { versions: [model.version] } },
    max_batch_size: maxBatchSize,
    input: signature.inputs.map(tensor),
    output: signature.outputs.map(tensor),
    ...(batching.isBatching
      ? {
          dynamic_batching: {
            max_queue_delay_microseconds: Math.round(batching.maxQueueDelayMs * 1000),
          },
        }
      : {}),
    instance_group: [{ count: 1, kind: "KIND_CPU" }],
  });
}
