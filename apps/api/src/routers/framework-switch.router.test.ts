import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { testDatabaseKinds } from "@kubeserve/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { irisModelPath } from "../test/fixtures";
import { createHarness, failureOf, type THarness } from "../test/harness";
import { seedReadyVersion, uploadVersionFile } from "../test/ready-version";

// A rollout to the other framework (ONNX ↔ scikit-learn) keeps the deployment's URLs, so it is allowed only
// when V1's answer and the input width stay the same; otherwise a 409 says which changed. The versions go
// through the real upload (scan + sandboxed inspection). Replicas 0 keeps these deployments process-free.

const fixturesDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../test/fixtures",
);
const irisJoblib = path.join(fixturesDir, "iris-logreg.joblib");
const regressionJoblib = path.join(fixturesDir, "regression.joblib");

/** iris-logreg.joblib re-saved as if by scikit-learn 1.0.2 (sklearn pickles its version into each estimator). */
function writeOlderSklearnModel(): string {
  const out = path.join(mkdtempSync(path.join(tmpdir(), "ks-oldsk-")), "old.joblib");
  const script = [
    "import sys, joblib, sklearn.base",
    "model = joblib.load(sys.argv[1])",
    "sklearn.base.__version__ = '1.0.2'",
    "joblib.dump(model, sys.argv[2])",
  ].join("\n");
  execFileSync("/usr/bin/python3", ["-c", script, irisJoblib, out]);
  return out;
}

describe.each(testDatabaseKinds)("switching a deployment's framework on %s", (kind) => {
  let h: THarness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.destroy());

  async function versionOf(
    user: Awaited<ReturnType<THarness["signUp"]>>,
    modelId: string,
    tag: string,
    framework: "onnx" | "sklearn",
    file: string,
  ) {
    const version = await user.api.version.create({ modelId, tag, framework });
    await uploadVersionFile(h.deps, { userId: user.userId, versionId: version.id, file });
    return version;
  }

  it("allows ONNX ↔ joblib when V1 and the input width match, and is a 409 naming what changes otherwise", async () => {
    const user = await h.signUp("switch");
    const model = await user.api.model.create({ name: "iris" });
    const onnx = await versionOf(user, model.id, "onnx", "onnx", irisModelPath);
    const joblib = await versionOf(user, model.id, "joblib", "sklearn", irisJoblib);
    const regression = await versionOf(user, model.id, "reg", "sklearn", regressionJoblib);
    // Same V1 answer (rows of 3 probabilities), one feature more.
    const wider = await user.api.version.create({
      modelId: model.id,
      tag: "wider",
      framework: "sklearn",
    });
    await seedReadyVersion(h.deps, {
      userId: user.userId,
      versionId: wider.id,
      file: irisJoblib,
      signature: {
        inputs: [{ name: "input", datatype: "FP64", shape: [-1, 5] }],
        outputs: [
          { name: "predict", datatype: "INT64", shape: [-1] },
          { name: "predict_proba", datatype: "FP64", shape: [-1, 3] },
        ],
        sklearn: {
          estimator: "sklearn.linear_model._logistic.LogisticRegression",
          sklearnVersion: "1.2.1",
          runtimeSklearnVersion: "1.2.1",
          featureNames: null,
          classes: [0, 1, 2],
          task: "classification",
          v1Output: "predict_proba",
          warnings: [],
        },
      },
    });

    const deployment = await user.api.deployment.create({
      versionId: onnx.id,
      name: "iris",
      replicas: 0,
    });
    const toJoblib = await user.api.deployment.update({ id: deployment.id, versionId: joblib.id });
    expect(toJoblib.versionId).toBe(joblib.id);
    const back = await user.api.deployment.update({ id: deployment.id, versionId: onnx.id });
    expect(back.versionId).toBe(onnx.id);

    const toRegression = await failureOf(
      user.api.deployment.update({ id: deployment.id, versionId: regression.id }),
    );
    expect(toRegression.code).toBe("CONFLICT");
    expect(toRegression.message).toContain(
      "from rows of 3 values (probabilities) to one value per row (predict)",
    );
    expect(toRegression.message).toContain("input width would change from 4 to 8 features");

    const toWider = await failureOf(
      user.api.deployment.update({ id: deployment.id, versionId: wider.id }),
    );
    expect(toWider.code).toBe("CONFLICT");
    expect(toWider.message).toMatch(/input width would change from 4 to 5 features/);
    expect(toWider.message).not.toMatch(/V1 predictions/);

    // Refused rollouts changed nothing.
    const after = await user.api.deployment.get({ id: deployment.id });
    expect(after.versionId).toBe(onnx.id);
    expect(after.generation).toBe(back.generation);

    // Within one framework the owner may change their own contract (joblib → regression joblib).
    await user.api.deployment.update({ id: deployment.id, versionId: joblib.id });
    const sameFramework = await user.api.deployment.update({
      id: deployment.id,
      versionId: regression.id,
    });
    expect(sameFramework.versionId).toBe(regression.id);
    // And back to ONNX from the regressor is the same 409, the other way round.
    const regressionToOnnx = await failureOf(
      user.api.deployment.update({ id: deployment.id, versionId: onnx.id }),
    );
    expect(regressionToOnnx.code).toBe("CONFLICT");
    expect(regressionToOnnx.message).toContain("to rows of 3 values (probabilities)");
  });

  it("a model saved with another scikit-learn is warned about on the version and the deployment", async () => {
    const user = await h.signUp("oldsk");
    const model = await user.api.model.create({ name: "old" });
    const old = await versionOf(user, model.id, "v1", "sklearn", writeOlderSklearnModel());
    const version = await user.api.version.get({ id: old.id });
    expect(version.signature?.sklearn?.sklearnVersion).toBe("1.0.2");
    expect(version.signature?.sklearn?.warnings[0]).toBe(
      "saved with scikit-learn 1.0.2, the runtime has 1.2.1",
    );
    const deployment = await user.api.deployment.create({
      versionId: old.id,
      name: "old",
      replicas: 0,
    });
    expect((await user.api.deployment.get({ id: deployment.id })).notices).toEqual([
      "version 'v1' was saved with scikit-learn 1.0.2, the runtime has 1.2.1: predictions may differ",
    ]);

    // The current scikit-learn: no notice.
    const current = await versionOf(user, model.id, "v2", "sklearn", irisJoblib);
    const fresh = await user.api.deployment.create({
      versionId: current.id,
      name: "fresh",
      replicas: 0,
    });
    expect((await user.api.deployment.get({ id: fresh.id })).notices).toEqual([]);
  });
});
