import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TInferenceServer } from "../src/index";
import {
  type TSamples,
  type TV2Output,
  decodeBinaryResponse,
  encodeBinaryRequest,
  expectClose,
  postJson,
  readSamples,
  startFixture,
  toBigInt64,
  toFloat32,
} from "./helpers";

// Each model's primary output, as in its samples file: probabilities for classifiers.
const MODELS = ["iris-logreg", "mlp-64", "regression", "mlp-wide"] as const;

function expectedPrimary(samples: TSamples): number[] {
  return samples.predict_proba ? samples.predict_proba.flat() : samples.predict;
}

describe.each(MODELS)("%s matches scikit-learn's outputs", (model) => {
  let server: TInferenceServer;
  let samples: TSamples;
  const isClassifier = model !== "regression";

  beforeAll(async () => {
    samples = readSamples(model);
    server = await startFixture(model, { name: model });
  });
  afterAll(() => server.close());

  it("POST /predict (original design) returns predict_proba / predict rows", async () => {
    const reply = await postJson(`${server.url}/predict`, { instances: samples.inputs });
    expect(reply.status).toBe(200);
    const predictions = (reply.body as { predictions: (number | number[])[] }).predictions;
    expect(predictions).toHaveLength(samples.inputs.length);
    expectClose(predictions.flat(), expectedPrimary(samples));
  });

  it("KServe V1 :predict with instances and with inputs", async () => {
    for (const field of ["instances", "inputs"]) {
      const reply = await postJson(`${server.url}/v1/models/${model}:predict`, {
        [field]: samples.inputs,
      });
      expect(reply.status).toBe(200);
      const predictions = (reply.body as { predictions: (number | number[])[] }).predictions;
      expectClose(predictions.flat(), expectedPrimary(samples));
    }
  });

  it("V2 JSON returns every output; labels equal sklearn's predict", async () => {
    const reply = await postJson(`${server.url}/v2/models/${model}/infer`, {
      inputs: [
        {
          name: samples.input_name,
          shape: samples.input_shape,
          datatype: "FP32",
          data: samples.inputs,
        },
      ],
    });
    expect(reply.status).toBe(200);
    const outputs = (reply.body as { outputs: TV2Output[] }).outputs;
    const byName = new Map(outputs.map((o) => [o.name, o]));
    if (isClassifier) {
      const probabilities = byName.get("probabilities")!;
      expect(probabilities.datatype).toBe("FP32");
      expect(probabilities.shape).toEqual([
        samples.inputs.length,
        samples.predict_proba![0]!.length,
      ]);
      expectClose(probabilities.data as number[], expectedPrimary(samples));
      const label = byName.get("label")!;
      expect(label.datatype).toBe("INT64");
      expect(label.data).toEqual(samples.predict);
    } else {
      const prediction = byName.get("prediction")!;
      expect(prediction.shape).toEqual([samples.inputs.length, 1]);
      expectClose(prediction.data as number[], samples.predict);
    }
  });

  it("V2 binary tensor extension in and out gives the same numbers", async () => {
    const input = Float32Array.from(samples.inputs.flat());
    const { body, headers } = encodeBinaryRequest(
      {
        inputs: [
          {
            name: samples.input_name,
            shape: samples.input_shape,
            datatype: "FP32",
            parameters: { binary_data_size: input.byteLength },
          },
        ],
        parameters: { binary_data_output: true },
      },
      [new Uint8Array(input.buffer)],
    );
    const res = await fetch(`${server.url}/v2/models/${model}/infer`, {
      method: "POST",
      body,
      headers,
    });
    expect(res.status).toBe(200);
    const { bytes } = await decodeBinaryResponse(res);
    if (isClassifier) {
      expectClose(toFloat32(bytes.get("probabilities")!), expectedPrimary(samples));
      expect(toBigInt64(bytes.get("label")!)).toEqual(samples.predict);
    } else {
      expectClose(toFloat32(bytes.get("prediction")!), samples.predict);
    }
  });
});
