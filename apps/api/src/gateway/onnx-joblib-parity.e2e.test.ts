import { readFileSync } from "node:fs";
import path from "node:path";
import { waitFor } from "@kubeserve/testing";
import { describe, expect, it } from "vitest";
import { deployAndWait, useGatewayE2E } from "../test/gateway-e2e";
import { FIXTURES_DIR, putArtifact } from "../test/uploads";

// The same model saved as .onnx and as .joblib answers the same through the same gateway URLs: one
// deployment serves the ONNX file, is rolled out to the joblib file (a framework switch the V1 contract
// allows), and V1 and V2 agree within 1e-4 before and after, on real processes and real HTTP.

type TSamples = { inputs: number[][]; predict: number[]; predict_proba?: number[][] };
type TV2 = { outputs: { name: string; shape: number[]; data: number[] }[] };

// Which output of each runtime carries the same values (the ONNX graphs name theirs differently).
const twins: Record<string, [onnx: string, sklearn: string][]> = {
  "iris-logreg": [
    ["probabilities", "predict_proba"],
    ["label", "predict"],
  ],
  "mlp-64": [
    ["probabilities", "predict_proba"],
    ["label", "predict"],
  ],
  regression: [["prediction", "predict"]],
};

function expectClose(actual: number[], expected: number[], what: string) {
  expect(actual.length, what).toBe(expected.length);
  const worst = Math.max(0, ...actual.map((v, i) => Math.abs(v - (expected[i] ?? NaN))));
  expect(worst, what).toBeLessThan(1e-4);
}

describe("ONNX and joblib files of one model through the same URLs", () => {
  const suite = useGatewayE2E();

  const put = (versionId: string, name: string, token: string) =>
    putArtifact(
      suite.server.url,
      token,
      versionId,
      name,
      readFileSync(path.join(FIXTURES_DIR, name)),
    );

  const post = async (url: string, key: string, body: unknown) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
    expect(response.status, url).toBe(200);
    return response.json() as Promise<unknown>;
  };

  it.each(Object.keys(twins))(
    "%s: V1 and V2 agree within 1e-4 before and after the rollout",
    async (name) => {
      const { h, server } = suite;
      const samples = JSON.parse(
        readFileSync(path.join(FIXTURES_DIR, `${name}.samples.json`), "utf8"),
      ) as TSamples;
      const user = await h.signUp(`parity-${name}`);
      const model = await user.api.model.create({ name });
      const onnx = await user.api.version.create({
        modelId: model.id,
        tag: "onnx",
        framework: "onnx",
      });
      const joblib = await user.api.version.create({
        modelId: model.id,
        tag: "joblib",
        framework: "sklearn",
      });
      expect((await put(onnx.id, `${name}.onnx`, user.token)).status).toBe(200);
      expect((await put(joblib.id, `${name}.joblib`, user.token)).status).toBe(200);
      const { deploymentId, key } = await deployAndWait(h, user, {
        versionId: onnx.id,
        name,
        timeoutMs: 90_000,
      });
      const width = samples.inputs[0]?.length ?? 0;
      const v2Body = {
        inputs: [
          {
            name: "input",
            shape: [samples.inputs.length, width],
            datatype: "FP32",
            data: samples.inputs.flat(),
          },
        ],
      };
      const ask = async () => ({
        v1: (await post(`${server.url}/api/v1/predict/${deploymentId}`, key, {
          instances: samples.inputs,
        })) as {
          predictions: unknown[];
        },
        v2: (await post(
          `${server.url}/api/v1/deployments/${deploymentId}/v2/models/${name}/infer`,
          key,
          v2Body,
        )) as TV2,
      });
      const before = await ask();

      const updated = await user.api.deployment.update({ id: deploymentId, versionId: joblib.id });
      // Served by the joblib file only: every replica of the new generation ready, the old ones gone.
      await waitFor(
        () => {
          const replicas = h.deps.runtimes.get("local").status(deploymentId).replicas;
          const isDone =
            replicas.length === 1 &&
            replicas.every((r) => r.generation === updated.generation && r.state === "ready");
          return isDone ? true : undefined;
        },
        { what: `rollout of ${name} to joblib`, timeoutMs: 90_000, intervalMs: 100 },
      );
      const after = await ask();

      expectClose(
        after.v1.predictions.flat() as number[],
        before.v1.predictions.flat() as number[],
        "V1",
      );
      for (const [onnxName, sklearnName] of twins[name] ?? []) {
        const a = before.v2.outputs.find((o) => o.name === onnxName);
        const b = after.v2.outputs.find((o) => o.name === sklearnName);
        expect(a, onnxName).toBeDefined();
        expect(b, sklearnName).toBeDefined();
        expectClose(b?.data ?? [], a?.data ?? [], `${onnxName} vs ${sklearnName}`);
      }
      // Both equal what scikit-learn itself gave.
      const expected = samples.predict_proba?.flat() ?? samples.predict;
      expectClose(after.v1.predictions.flat() as number[], expected, "V1 vs sklearn");
      await user.api.deployment.delete({ id: deploymentId });
    },
    // two uploads (scan + sandboxed load), a deploy and a rollout, on a shared machine
    240_000,
  );
});
