import { describe, expect, it } from "vitest";
import { deployAndWait, useGatewayE2E } from "../test/gateway-e2e";
import { expectClose, readSklearnFixture } from "../test/sklearn-fixtures";
import { putArtifact } from "../test/uploads";

// Every joblib fixture checked into the package, end to end on real processes and real HTTP: upload (scan,
// sandboxed signature) → deploy one replica → the gateway's V1, V2 JSON, V2 binary and the seed /predict
// body all equal scikit-learn's own outputs within 1e-6. mlp-wide (10.6 MB) is not checked in.

const fixtures: { name: string; width: number; classes?: number }[] = [
  { name: "iris-logreg", width: 4, classes: 3 },
  { name: "mlp-64", width: 64, classes: 10 },
  { name: "regression", width: 8 },
];

type TV2Output = { name: string; datatype: string; shape: number[]; data: number[] };

describe("every joblib fixture through the gateway's four request shapes", () => {
  const suite = useGatewayE2E();

  const post = (url: string, key: string, body: string | Buffer, headers = {}) =>
    fetch(`${suite.server.url}${url}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}`, ...headers },
      body,
    });

  for (const { name, width, classes } of fixtures) {
    it(`${name}.joblib: upload → signature → deploy → V1, V2 JSON, V2 binary and /predict body`, async () => {
      const { h, server } = suite;
      const { file, samples } = readSklearnFixture(name);
      const rows = samples.inputs;
      expect(rows[0]).toHaveLength(width);
      const user = await h.signUp(name);
      const model = await user.api.model.create({ name });
      const version = await user.api.version.create({
        modelId: model.id,
        tag: "v1",
        framework: "sklearn",
      });
      const uploaded = await putArtifact(
        server.url,
        user.token,
        version.id,
        `${name}.joblib`,
        file,
      );
      expect(uploaded.status).toBe(200);
      const ready = await user.api.version.get({ id: version.id });
      expect(ready.status).toBe("ready");
      expect(ready.signature?.inputs).toMatchObject([
        { name: "input", datatype: "FP64", shape: [-1, width] },
      ]);
      expect(ready.signature?.outputs.map((o) => [o.name, o.shape])).toEqual(
        classes === undefined
          ? [["predict", [-1]]]
          : [
              ["predict", [-1]],
              ["predict_proba", [-1, classes]],
            ],
      );

      const { deploymentId: id, key } = await deployAndWait(h, user, {
        versionId: version.id,
        name: `${name}-all`,
        timeoutMs: 120_000,
      });
      const v1Expected = (samples.predict_proba ?? samples.predict.map((v) => [v])).flat();

      // V1 instances and the seed /predict body (`inputs`, the alias both runtimes' parsers accept).
      for (const field of ["instances", "inputs"]) {
        const v1 = await post(`/api/v1/predict/${id}`, key, JSON.stringify({ [field]: rows }));
        expect(v1.status, field).toBe(200);
        const predictions = ((await v1.json()) as { predictions: (number | number[])[] })
          .predictions;
        expectClose(predictions.flat(), v1Expected, 1e-6, `${name} ${field}`);
      }

      const expectV2 = (outputs: TV2Output[], what: string) => {
        const predict = outputs.find((o) => o.name === "predict");
        expect(predict?.shape, what).toEqual([rows.length]);
        expectClose(predict?.data ?? [], samples.predict, 1e-6, `${what} predict`);
        if (samples.predict_proba) {
          const proba = outputs.find((o) => o.name === "predict_proba");
          expect(proba?.shape, what).toEqual([rows.length, classes]);
          expectClose(proba?.data ?? [], samples.predict_proba.flat(), 1e-6, `${what} proba`);
        }
      };
      const inferUrl = `/api/v1/deployments/${id}/v2/models/${name}/infer`;

      const v2 = await post(
        inferUrl,
        key,
        JSON.stringify({
          id: `${name}-json`,
          inputs: [
            { name: "input", shape: [rows.length, width], datatype: "FP64", data: rows.flat() },
          ],
        }),
      );
      expect(v2.status).toBe(200);
      const v2Body = (await v2.json()) as { id: string; outputs: TV2Output[] };
      expect(v2Body.id).toBe(`${name}-json`);
      expectV2(v2Body.outputs, `${name} v2 json`);

      // Binary tensor extension: a JSON header, then the rows as raw little-endian FP64; JSON outputs back.
      const tensor = Buffer.from(new Float64Array(rows.flat()).buffer);
      const header = JSON.stringify({
        id: `${name}-binary`,
        inputs: [
          {
            name: "input",
            shape: [rows.length, width],
            datatype: "FP64",
            parameters: { binary_data_size: tensor.length },
          },
        ],
      });
      const binary = await post(inferUrl, key, Buffer.concat([Buffer.from(header), tensor]), {
        "content-type": "application/octet-stream",
        "inference-header-content-length": String(Buffer.byteLength(header)),
      });
      expect(binary.status).toBe(200);
      const binaryBody = (await binary.json()) as { id: string; outputs: TV2Output[] };
      expect(binaryBody.id).toBe(`${name}-binary`);
      expectV2(binaryBody.outputs, `${name} v2 binary`);

      await user.api.deployment.delete({ id });
    }, 240_000);
  }
});
