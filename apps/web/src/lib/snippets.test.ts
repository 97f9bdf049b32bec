import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { curlV1, curlV2, v1Instances, v2InferUrl } from "./snippets";

const body = JSON.stringify({
  inputs: [{ name: "x", shape: [2, 2], datatype: "FP32", data: [1, 2, 3, 4] }],
});

describe("snippets", () => {
  it("builds the V2 infer path and V1 rows", () => {
    expect(v2InferUrl("http://h/api/v1/deployments/d1/v2", "iris")).toBe(
      "http://h/api/v1/deployments/d1/v2/models/iris/infer",
    );
    expect(v1Instances(body)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it("writes curl commands a shell parses back into the same JSON body", () => {
    const tricky = JSON.stringify({
      inputs: [{ name: "it's", shape: [1], datatype: "BYTES", data: ["a'b"] }],
    });
    for (const command of [
      curlV2("http://h/v2", "iris", tricky),
      curlV1("http://h/p", [["a'b"]]),
    ]) {
      // `sh -c` with curl replaced by printf: prints the last (-d) argument exactly as curl would receive it.
      const printed = execFileSync(
        "sh",
        ["-c", `curl() { for a; do last=$a; done; printf '%s' "$last"; }; ${command}`],
        {
          env: { ...process.env, KUBESERVE_API_KEY: "k" },
        },
      ).toString();
      expect(JSON.parse(printed)).toEqual(
        command.includes("/v2") ? JSON.parse(tricky) : { instances: [["a'b"]] },
      );
    }
  });
});
