import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForStatus } from "../test/deployments";
import { createHarness, startHttp, type THarness, type THttpServer } from "../test/harness";
import { expectClose, readSklearnFixture as readFixture } from "../test/sklearn-fixtures";
import { authHeaders, listKeys } from "../test/uploads";

// scikit-learn end to end with real processes and real HTTP: upload a joblib file (scanned, then loaded in
// the sandbox for its signature), deploy it on the local runtime (kubeserve_sklearn under SKLEARN_PYTHON),
// predict through the gateway with an API key; and the pickles that must never be unpickled.

const python = "/usr/bin/python3";

/** A pickle whose `__reduce__` runs `touch MARKER` when anything unpickles it. */
function systemPickle(marker: string): Buffer {
  const script = [
    "import os, pickle, sys",
    "class Evil:",
    "    def __reduce__(self):",
    `        return (os.system, (${JSON.stringify(`touch ${marker}`)},))`,
    "sys.stdout.buffer.write(pickle.dumps(Evil(), protocol=4))",
  ].join("\n");
  return execFileSync(python, ["-c", script]);
}

describe("scikit-learn models through the gateway on postgres", () => {
  let h: THarness;
  let server: THttpServer;
  beforeAll(async () => {
    h = await createHarness("postgres", { RUNTIME_STOP_GRACE_SECONDS: "5" });
    server = await startHttp(h);
  });
  afterAll(async () => {
    await server?.close();
    await h?.destroy();
  });

  const put = (versionId: string, body: Buffer, filename: string, token: string) =>
    fetch(`${server.url}/api/v1/versions/${versionId}/artifact?filename=${filename}`, {
      method: "PUT",
      headers: { ...authHeaders(token), "content-type": "application/octet-stream" },
      body,
    });

  const post = (url: string, key: string | undefined, body: unknown) =>
    fetch(`${server.url}${url}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(key ? { authorization: `Bearer ${key}` } : {}),
      },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  async function sklearnVersion(label: string, modelName: string) {
    const user = await h.signUp(label);
    const model = await user.api.model.create({ name: modelName });
    const version = await user.api.version.create({
      modelId: model.id,
      tag: "v1",
      framework: "sklearn",
    });
    return { user, model, version };
  }

  it("iris-logreg.joblib: upload → ready with its signature → deploy → V1 and V2 equal sklearn's outputs", async () => {
    const { file, samples } = readFixture("iris-logreg");
    const { user, version } = await sklearnVersion("iris", "iris");
    const uploaded = await put(version.id, file, "iris.joblib", user.token);
    expect(uploaded.status).toBe(200);
    const ready = await user.api.version.get({ id: version.id });
    expect(ready.status).toBe("ready");
    expect(ready.signature).toMatchObject({
      inputs: [{ name: "input", datatype: "FP64", shape: [-1, 4], dimNames: ["N", null] }],
      outputs: [
        { name: "predict", datatype: "INT64", shape: [-1] },
        { name: "predict_proba", datatype: "FP64", shape: [-1, 3] },
      ],
      sklearn: {
        estimator: "sklearn.linear_model._logistic.LogisticRegression",
        sklearnVersion: "1.2.1",
        classes: [0, 1, 2],
        task: "classification",
        v1Output: "predict_proba",
      },
    });

    const deployment = await user.api.deployment.create({
      versionId: version.id,
      name: "iris-sklearn",
      replicas: 1,
      isPublic: false,
    });
    const { secret: key } = await user.api.apiKey.create({ name: "predict" });
    await waitForStatus(h, user, deployment.id, "running", 90_000);
    const id = deployment.id;
    const rows = samples.inputs;
    const proba = samples.predict_proba ?? [];

    const v1 = await post(`/api/v1/predict/${id}`, key, { instances: rows });
    expect(v1.status).toBe(200);
    const v1Body = (await v1.json()) as { predictions: number[][] };
    expectClose(v1Body.predictions.flat(), proba.flat());

    const v2 = await post(`/api/v1/deployments/${id}/v2/models/iris/infer`, key, {
      id: "sk-1",
      inputs: [{ name: "input", shape: [rows.length, 4], datatype: "FP64", data: rows.flat() }],
    });
    expect(v2.status).toBe(200);
    const v2Body = (await v2.json()) as {
      id: string;
      outputs: { name: string; datatype: string; data: number[] }[];
    };
    expect(v2Body.id).toBe("sk-1");
    expect(v2Body.outputs.find((o) => o.name === "predict")?.data).toEqual(samples.predict);
    expectClose(v2Body.outputs.find((o) => o.name === "predict_proba")?.data ?? [], proba.flat());

    // No key, a wrong key, another tenant's key: never the model's answer.
    expect((await post(`/api/v1/predict/${id}`, undefined, { instances: rows })).status).toBe(401);
    expect((await post(`/api/v1/predict/${id}`, "ks_notakey", { instances: rows })).status).toBe(
      401,
    );
    const mallory = await h.signUp("mallory");
    const { secret: foreignKey } = await mallory.api.apiKey.create({ name: "other" });
    const foreign = await post(`/api/v1/predict/${id}`, foreignKey, { instances: rows });
    expect([403, 404]).toContain(foreign.status);

    // Bad inputs: a 4xx naming the problem, and the replica keeps serving.
    const wrongWidth = await post(`/api/v1/predict/${id}`, key, { instances: [[1, 2, 3]] });
    expect(wrongWidth.status).toBe(400);
    expect(await wrongWidth.text()).toMatch(/input|feature|4/i);
    const strings = await post(`/api/v1/predict/${id}`, key, { instances: [["a", "b", "c", "d"]] });
    expect(strings.status).toBe(400);
    const nan = await post(`/api/v1/predict/${id}`, key, '{"instances": [[NaN, 1, 2, 3]]}');
    expect(nan.status).toBe(400);
    const badV2 = await post(`/api/v1/deployments/${id}/v2/models/iris/infer`, key, {
      inputs: [{ name: "input", shape: [1, 4], datatype: "FP64", data: [1, 2, 3] }],
    });
    expect(badV2.status).toBe(400);
    expect(await badV2.text()).toMatch(/input/);
    const again = await post(`/api/v1/predict/${id}`, key, { instances: rows.slice(0, 1) });
    expect(again.status).toBe(200);

    await user.api.deployment.delete({ id });
  });

  it("regression.joblib: V1 returns predict values, the same contract as the ONNX twin", async () => {
    const { file, samples } = readFixture("regression");
    const { user, version } = await sklearnVersion("reg", "reg");
    expect((await put(version.id, file, "reg.pkl", user.token)).status).toBe(200);
    const ready = await user.api.version.get({ id: version.id });
    expect(ready.signature?.outputs.map((o) => o.name)).toEqual(["predict"]);
    expect(ready.signature?.sklearn?.v1Output).toBe("predict");
    const deployment = await user.api.deployment.create({
      versionId: version.id,
      name: "reg-sklearn",
      replicas: 1,
      isPublic: false,
    });
    const { secret: key } = await user.api.apiKey.create({ name: "predict" });
    await waitForStatus(h, user, deployment.id, "running", 90_000);
    const v1 = await post(`/api/v1/predict/${deployment.id}`, key, { instances: samples.inputs });
    expect(v1.status).toBe(200);
    expectClose(((await v1.json()) as { predictions: number[] }).predictions, samples.predict);
    await user.api.deployment.delete({ id: deployment.id });
  });

  it("a pickle calling os.system is refused naming the global, removed, and never unpickled", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ks-evil-"));
    const marker = path.join(dir, "pwned");
    const evil = systemPickle(marker);
    const { user, version } = await sklearnVersion("evil", "evil");
    const response = await put(version.id, evil, "model.joblib", user.token);
    expect(response.status).toBe(400);
    const message = ((await response.json()) as { error: { message: string } }).error.message;
    expect(message).toContain("posix.system");
    const after = await user.api.version.get({ id: version.id });
    expect(after.status).toBe("failed");
    expect(after.statusMessage).toContain("posix.system");
    expect(after.artifact).toBeNull();
    expect(await listKeys(h.deps.storage, `models/${user.userId}/`)).toEqual([]);
    expect(existsSync(marker)).toBe(false);
    await expect(
      user.api.deployment.create({ versionId: version.id, name: "evil", replicas: 1 }),
    ).rejects.toThrow(/failed/);

    // Control: the same bytes do run the command when unpickled, so the refusal above is what saved us.
    const control = path.join(dir, "control");
    execFileSync(python, ["-c", "import pickle, sys; pickle.loads(sys.stdin.buffer.read())"], {
      input: systemPickle(control),
    });
    expect(existsSync(control)).toBe(true);
  });

  it("builtins.eval, a truncated pickle and a joblib file that is not an estimator → failed with why", async () => {
    const evalPickle = execFileSync(python, [
      "-c",
      "import pickle, sys\nclass E:\n    def __reduce__(self):\n        return (eval, ('1+1',))\nsys.stdout.buffer.write(pickle.dumps(E()))",
    ]);
    const notEstimator = execFileSync(python, [
      "-c",
      "import io, joblib, sys\nb = io.BytesIO()\njoblib.dump({'weights': [1, 2, 3]}, b)\nsys.stdout.buffer.write(b.getvalue())",
    ]);
    const truncated = readFixture("iris-logreg").file.subarray(0, 200);
    const cases: [string, Buffer, RegExp][] = [
      ["eval", evalPickle, /builtins\.eval/],
      ["truncated", truncated, /truncated|malformed|pickle/i],
      ["dict", notEstimator, /not a usable scikit-learn model/],
    ];
    for (const [label, body, reason] of cases) {
      const { user, version } = await sklearnVersion(`bad-${label}`, `bad-${label}`);
      const response = await put(version.id, body, "m.joblib", user.token);
      expect(response.status, label).toBe(400);
      const after = await user.api.version.get({ id: version.id });
      expect(after.status, label).toBe("failed");
      expect(after.statusMessage, label).toMatch(reason);
    }
  });

  it("requirements.txt beside the file is validated: plain lines stored, an index URL refused by line", async () => {
    const { file } = readFixture("iris-logreg");
    const { user, version } = await sklearnVersion("reqs", "reqs");
    const upload = (requirements: string) => {
      const form = new FormData();
      form.append("file", new Blob([file]), "iris.joblib");
      form.append("requirements", new Blob([requirements]), "requirements.txt");
      return fetch(`${server.url}/api/v1/versions/${version.id}/upload`, {
        method: "POST",
        headers: authHeaders(user.token),
        body: form,
      });
    };
    const refused = await upload("numpy>=1.20\n--index-url https://example.com/simple\n");
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /line 2/,
    );
    expect((await user.api.version.get({ id: version.id })).status).not.toBe("ready");
    const accepted = await upload("numpy>=1.20\nscikit-learn==1.2.1\n");
    expect(accepted.status).toBe(200);
    const ready = await user.api.version.get({ id: version.id });
    expect(ready.status).toBe("ready");
    expect(ready.requirements).not.toBeNull();
  });
});
