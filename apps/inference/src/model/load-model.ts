import ort from "onnxruntime-node";
import { readSignature, type TSignature, type TTensorSpec } from "./signature";

export type TLoadedModel = {
  session: ort.InferenceSession;
  signature: TSignature;
};

export type TSessionThreads = { intraOpThreads: number; interOpThreads: number };

export class ModelLoadError extends Error {
  override name = "ModelLoadError";
}

function createWarmupTensor(spec: TTensorSpec): ort.Tensor {
  const dims = spec.shape.map((d) => (d < 0 ? 1 : d));
  const count = dims.reduce((a, b) => a * b, 1);
  return new ort.Tensor(
    spec.info.ortType as "float32",
    spec.info.create(count) as Float32Array,
    dims,
  );
}

export async function loadModel(file: string, threads: TSessionThreads): Promise<TLoadedModel> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, {
      intraOpNumThreads: threads.intraOpThreads,
      interOpNumThreads: threads.interOpThreads,
      executionMode: threads.interOpThreads > 1 ? "parallel" : "sequential",
      graphOptimizationLevel: "all",
      // Spinning pool threads burn the cores that HTTP parsing needs on a small container.
      extra: { session: { "intra_op.allow_spinning": "0", "inter_op.allow_spinning": "0" } },
    });
  } catch (error) {
    throw new ModelLoadError(`cannot load ONNX model ${file}: ${(error as Error).message}`);
  }
  let signature: TSignature;
  try {
    signature = readSignature(session);
  } catch (error) {
    await session.release();
    throw new ModelLoadError(`cannot serve ONNX model ${file}: ${(error as Error).message}`);
  }
  const feeds = Object.fromEntries(signature.inputs.map((s) => [s.name, createWarmupTensor(s)]));
  try {
    await session.run(feeds);
  } catch (error) {
    await session.release();
    throw new ModelLoadError(`warm-up inference of ${file} failed: ${(error as Error).message}`);
  }
  return { session, signature };
}
