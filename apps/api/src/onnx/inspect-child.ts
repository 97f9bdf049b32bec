import { readOnnxHeader } from "./onnx-header";

// The ONNX inspection child (run under `prlimit --as` and a timeout by onnx-inspect.service.ts): one
// file in, one JSON line out. onnxruntime opens the file only after the header check refused external
// data and custom operators, so it never reads another path on this server.

const v2Datatypes: Record<string, string> = {
  bool: "BOOL",
  uint8: "UINT8",
  uint16: "UINT16",
  uint32: "UINT32",
  uint64: "UINT64",
  int8: "INT8",
  int16: "INT16",
  int32: "INT32",
  int64: "INT64",
  float16: "FP16",
  float32: "FP32",
  float64: "FP64",
  string: "BYTES",
};

type TValueMetadata = {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: readonly (number | string)[];
};

function toSpec(meta: TValueMetadata, role: string) {
  if (!meta.isTensor || !meta.type || !meta.shape) {
    throw new Error(
      `${role} '${meta.name}' is not a tensor; only tensor inputs and outputs are served`,
    );
  }
  const datatype = v2Datatypes[meta.type];
  if (!datatype)
    throw new Error(`${role} '${meta.name}' has unsupported element type ${meta.type}`);
  return {
    name: meta.name,
    datatype,
    // As the model server reports it: -1 for every dimension that is not a fixed size.
    shape: meta.shape.map((d) => (typeof d === "number" && d >= 0 ? d : -1)),
    dimNames: meta.shape.map((d) => (typeof d === "string" && d !== "" ? d : null)),
  };
}

async function inspect(file: string) {
  const header = readOnnxHeader(file);
  const ort = await import("onnxruntime-node");
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(file, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: "disabled",
    });
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error))
      .split(file)
      .join("the file")
      .replace(/^Load model from the file failed:\s*/i, "");
    throw new Error(`onnxruntime cannot load it (${message.trim().slice(0, 500)})`, {
      cause: error,
    });
  }
  const signature = {
    inputs: session.inputMetadata.map((m) => toSpec(m as TValueMetadata, "input")),
    outputs: session.outputMetadata.map((m) => toSpec(m as TValueMetadata, "output")),
    header,
  };
  await session.release();
  return signature;
}

const file = process.argv[2] ?? "";
inspect(file).then(
  (signature) => process.stdout.write(`${JSON.stringify({ isValid: true, signature })}\n`),
  (error: unknown) =>
    process.stdout.write(
      `${JSON.stringify({ isValid: false, reason: error instanceof Error ? error.message : String(error) })}\n`,
    ),
);
