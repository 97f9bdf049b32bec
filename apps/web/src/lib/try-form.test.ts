import { describe, expect, it } from "vitest";
import {
  bodyToRow,
  checkRow,
  exampleRow,
  maxHistoryRows,
  readFormSpec,
  readHistory,
  rememberRow,
  rowToBody,
} from "./try-form";
import { exampleRequest, type TSignature } from "./try-it";

// What the API stores for the fixture iris-logreg.onnx, and for iris-logreg.joblib (which has no names).
const onnxIris: TSignature = {
  inputs: [{ name: "input", datatype: "FP32", shape: [-1, 4], dimNames: ["N", null] }],
  outputs: [
    { name: "probabilities", datatype: "FP32", shape: [-1, 3] },
    { name: "label", datatype: "INT64", shape: [-1] },
  ],
};
const sklearnInfo = {
  estimator: "sklearn.linear_model.LogisticRegression",
  sklearnVersion: "1.2.1",
  runtimeSklearnVersion: "1.2.1",
  featureNames: ["sepal length", "sepal width", "petal length", "petal width"],
  classes: [0, 1, 2],
  task: "classification" as const,
  v1Output: "predict_proba" as const,
  warnings: [],
};

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  };
}

describe("try-it form spec", () => {
  it("gives one field per feature of a [-1, n] input, named by sklearn, metadata, or index", () => {
    expect(readFormSpec(onnxIris)).toEqual({
      inputName: "input",
      datatype: "FP32",
      rowShape: [1, 4],
      featureNames: ["feature 0", "feature 1", "feature 2", "feature 3"],
      isInteger: false,
    });
    const sklearn = { ...onnxIris, sklearn: sklearnInfo };
    expect(readFormSpec(sklearn)?.featureNames).toEqual(sklearnInfo.featureNames);
    const named = readFormSpec(onnxIris, { featureNames: ["a", "b", "c", "d"] });
    expect(named?.featureNames).toEqual(["a", "b", "c", "d"]);
    expect(readFormSpec(onnxIris, { feature_names: ["w", "x", "y", "z"] })?.featureNames).toEqual([
      "w",
      "x",
      "y",
      "z",
    ]);
    // A list of the wrong length names nothing rather than the wrong fields.
    expect(readFormSpec(onnxIris, { featureNames: ["a", "b"] })?.featureNames[0]).toBe("feature 0");
  });

  it("leaves signatures a row of fields cannot express to the JSON body", () => {
    const tensor = onnxIris.inputs[0]!;
    const withInput = (input: Partial<typeof tensor>, more: (typeof tensor)[] = []) => ({
      ...onnxIris,
      inputs: [{ ...tensor, ...input }, ...more],
    });
    expect(readFormSpec(null)).toBeUndefined();
    expect(readFormSpec(withInput({ datatype: "BYTES" }))).toBeUndefined();
    expect(readFormSpec(withInput({ shape: [-1, -1] }))).toBeUndefined();
    expect(readFormSpec(withInput({ shape: [-1, 3, 3] }))).toBeUndefined();
    expect(readFormSpec(withInput({ shape: [-1, 256] }))).toBeUndefined();
    expect(readFormSpec(withInput({}, [{ ...tensor, name: "other" }]))).toBeUndefined();
    expect(readFormSpec(withInput({ shape: [3] }))?.rowShape).toEqual([3]);
    expect(readFormSpec(withInput({ shape: [-1], datatype: "INT64" }))).toMatchObject({
      rowShape: [1],
      isInteger: true,
    });
  });
});

describe("try-it rows", () => {
  const spec = readFormSpec(onnxIris)!;

  it("prefills the same example row the JSON body shows", () => {
    const row = exampleRow(spec);
    expect(row).toEqual(["5.1", "3.5", "1.4", "0.2"]);
    expect(JSON.parse(rowToBody(spec, row.map(Number)))).toEqual(
      JSON.parse(exampleRequest(onnxIris)),
    );
  });

  it("names the field that is empty or not a number, and sends nothing then", () => {
    const check = checkRow(spec, ["5.1", "", "abc", " 0.2 "]);
    expect(check.values).toBeUndefined();
    expect(check.errors).toEqual([
      undefined,
      "Enter a number for feature 1",
      "'abc' is not a number",
      undefined,
    ]);
    expect(checkRow(spec, ["1", "2", "3", "Infinity"]).errors[3]).toBe(
      "'Infinity' is not a number",
    );
    expect(checkRow(spec, ["1", "2e0", "-3", "0.5"]).values).toEqual([1, 2, -3, 0.5]);
    const integers = { ...spec, datatype: "INT64", isInteger: true };
    expect(checkRow(integers, ["1", "2", "3", "4.5"]).errors[3]).toBe(
      "INT64 takes whole numbers only",
    );
  });

  it("turns a row into a V2 body and a one-row body back into its row", () => {
    const body = rowToBody(spec, [1, 2, 3, 4]);
    expect(JSON.parse(body)).toEqual({
      inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }],
    });
    expect(bodyToRow(spec, body)).toEqual([1, 2, 3, 4]);
    const nested = JSON.stringify({ inputs: [{ name: "input", data: [[1, 2, 3, 4]] }] });
    expect(bodyToRow(spec, nested)).toEqual([1, 2, 3, 4]);
    expect(bodyToRow(spec, "{not json")).toBeUndefined();
    expect(bodyToRow(spec, rowToBody({ ...spec, inputName: "x" }, [1, 2, 3, 4]))).toBeUndefined();
    expect(bodyToRow(spec, rowToBody(spec, [1, 2, 3]))).toBeUndefined();
    const twoRows = JSON.stringify({ inputs: [{ name: "input", data: [1, 2, 3, 4, 5, 6, 7, 8] }] });
    expect(bodyToRow(spec, twoRows)).toBeUndefined();
  });
});

describe("try-it history", () => {
  const id = "0190a000-0000-7000-8000-000000000001";

  it("keeps the newest rows first, each once, at most five, per deployment", () => {
    const storage = memoryStorage();
    for (let i = 0; i < 7; i++) rememberRow(storage, id, [i, 0, 0, 0]);
    expect(readHistory(storage, id).map((row) => row[0])).toEqual([6, 5, 4, 3, 2]);
    expect(rememberRow(storage, id, [4, 0, 0, 0]).map((row) => row[0])).toEqual([4, 6, 5, 3, 2]);
    expect(readHistory(storage, id)).toHaveLength(maxHistoryRows);
    expect(readHistory(storage, "0190a000-0000-7000-8000-000000000002")).toEqual([]);
    expect([...storage.items.keys()]).toEqual([`kubeserve.try.${id}`]);
  });

  it("ignores whatever else is in storage under its key and survives storage that throws", () => {
    const storage = memoryStorage();
    storage.setItem(`kubeserve.try.${id}`, "{oops");
    expect(readHistory(storage, id)).toEqual([]);
    storage.setItem(`kubeserve.try.${id}`, JSON.stringify([[1, 2], ["token"], "x", [], [3]]));
    expect(readHistory(storage, id)).toEqual([[1, 2], [3]]);
    const broken = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("full");
      },
    };
    expect(readHistory(broken, id)).toEqual([]);
    expect(rememberRow(broken, id, [1, 2, 3, 4])).toEqual([[1, 2, 3, 4]]);
  });
});
