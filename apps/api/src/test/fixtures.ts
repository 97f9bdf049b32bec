import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const fixturesDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../test/fixtures",
);

export const irisModelPath = path.join(fixturesDir, "iris-logreg.onnx");

export type TIrisSamples = { inputs: number[][]; predict_proba: number[][]; predict: number[] };

export function readIrisSamples(): TIrisSamples {
  return JSON.parse(
    readFileSync(path.join(fixturesDir, "iris-logreg.samples.json"), "utf8"),
  ) as TIrisSamples;
}

export const irisSignature = {
  inputs: [{ name: "input", datatype: "FP32", shape: [-1, 4] }],
  outputs: [
    { name: "probabilities", datatype: "FP32", shape: [-1, 3] },
    { name: "label", datatype: "INT64", shape: [-1] },
  ],
};
