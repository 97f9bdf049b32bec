import { describe, expect, it } from "vitest";
import { exampleRequest, formatOutputData, probabilityBars, readTryResult } from "./try-it";

const iris = {
  inputs: [{ name: "float_input", datatype: "FP32", shape: [-1, 4] }],
  outputs: [
    { name: "label", datatype: "INT64", shape: [-1] },
    { name: "probabilities", datatype: "FP32", shape: [-1, 3] },
  ],
};

describe("try-it", () => {
  it("prefills one example row per input from the signature", () => {
    expect(JSON.parse(exampleRequest(iris))).toEqual({
      inputs: [
        { name: "float_input", shape: [1, 4], datatype: "FP32", data: [5.1, 3.5, 1.4, 0.2] },
      ],
    });
    expect(JSON.parse(exampleRequest(null))).toEqual({ inputs: [] });
  });

  it("reads outputs, or the error the gateway named", () => {
    const ok = readTryResult(200, JSON.stringify({ outputs: [{ name: "label", data: [0] }] }));
    expect(ok).toEqual({ isOk: true, outputs: [{ name: "label", data: [0] }] });
    const gateway = { error: { code: "NOT_FOUND", message: "Deployment not found" } };
    expect(readTryResult(404, JSON.stringify(gateway))).toEqual({
      isOk: false,
      message: "Deployment not found",
    });
    expect(readTryResult(400, JSON.stringify({ error: "Deployment not found" }))).toEqual({
      isOk: false,
      message: "Deployment not found",
    });
    expect(readTryResult(502, "Bad Gateway")).toEqual({
      isOk: false,
      message: "HTTP 502: Bad Gateway",
    });
  });

  it("charts a single row of probabilities and nothing else", () => {
    const probabilities = {
      name: "probabilities",
      datatype: "FP32",
      shape: [1, 3],
      data: [0.9, 0.08, 0.02],
    };
    expect(probabilityBars(probabilities)).toEqual([
      { label: "class 0", value: 0.9 },
      { label: "class 1", value: 0.08 },
      { label: "class 2", value: 0.02 },
    ]);
    expect(probabilityBars({ ...probabilities, name: "label", data: [0] })).toBeUndefined();
    expect(
      probabilityBars({ ...probabilities, shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }),
    ).toBeUndefined();
  });
});

describe("formatOutputData", () => {
  it("rounds floats to 4 significant digits and keeps integers and strings as they are", () => {
    expect(
      formatOutputData([0.9815846681594849, 0.018415343016386032, 1.4496836620025988e-8]),
    ).toBe("[0.9816, 0.01842, 1.45e-8]");
    expect(formatOutputData([0, 2, "a,b"])).toBe('[0, 2, "a,b"]');
  });

  it("cuts a long output after 200 characters", () => {
    const text = formatOutputData(Array.from({ length: 100 }, (_, i) => i));
    expect(text).toHaveLength(201);
    expect(text.endsWith("…")).toBe(true);
  });
});
