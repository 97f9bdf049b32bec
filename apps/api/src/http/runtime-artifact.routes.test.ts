import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactReadToken, signArtifactUrl } from "../lib/artifact-read-token";
import { createHarness, startHttp, type THarness, type THttpServer } from "../test/harness";
import { irisModelPath } from "../test/fixtures";
import { seedReadyVersion } from "../test/ready-version";

const run = promisify(execFile);
const inferenceCli = path.resolve(import.meta.dirname, "../../../inference/dist/cli.js");

describe("the runtime artifact route: a deployment's read token, nothing else", () => {
  let h: THarness;
  let server: THttpServer;
  let token: string;
  let userToken: string;
  let deploymentId: string;
  let otherDeploymentId: string;
  const sha256 = createHash("sha256").update(readFileSync(irisModelPath)).digest("hex");

  beforeAll(async () => {
    h = await createHarness("postgres");
    server = await startHttp(h);
    const user = await h.signUp("reader");
    userToken = user.token;
    const model = await user.api.model.create({ name: "iris", description: "", tags: [] });
    const version = await user.api.version.create({
      modelId: model.id,
      tag: "v1",
      framework: "onnx",
    });
    await seedReadyVersion(h.deps, { userId: user.userId, versionId: version.id });
    // Rows as the deployment service writes them; no replicas are needed to read the artifact.
    const create = (name: string) =>
      h.deps.db.deployment.create({
        data: {
          ownerId: user.userId,
          modelId: model.id,
          versionId: version.id,
          name,
          runtime: "local",
        },
        select: { id: true },
      });
    deploymentId = (await create("one")).id;
    otherDeploymentId = (await create("two")).id;
    token = artifactReadToken(h.config.auth.secret, deploymentId);
  });
  afterAll(async () => {
    await server.close();
    await h.destroy();
  });

  const get = (id: string, authorization?: string) =>
    fetch(`${server.url}/api/v1/runtime/artifacts/${id}`, {
      headers: authorization ? { authorization } : {},
    });

  it("streams the artifact with its length and digest to the holder of the token", async () => {
    const response = await get(deploymentId, `Bearer ${token}`);
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    expect(createHash("sha256").update(body).digest("hex")).toBe(sha256);
    expect(response.headers.get("content-length")).toBe(String(body.length));
    expect(response.headers.get("etag")).toBe(`"${sha256}"`);
  });

  it("refuses no token, the owner's own credentials, another deployment's token and forgeries alike", async () => {
    expect((await get(deploymentId)).status).toBe(401);
    expect((await get(deploymentId, `Bearer ${userToken}`)).status).toBe(404);
    const other = artifactReadToken(h.config.auth.secret, otherDeploymentId);
    expect((await get(deploymentId, `Bearer ${other}`)).status).toBe(404);
    expect((await get(deploymentId, `Bearer ${token.slice(0, -1)}x`)).status).toBe(404);
    const foreign = artifactReadToken("another-secret-another-secret-0123456789", deploymentId);
    expect((await get(deploymentId, `Bearer ${foreign}`)).status).toBe(404);
    expect((await get("not-a-uuid", `Bearer ${token}`)).status).toBe(404);
  });

  it("a Ray replica's short-lived signed URL works for its deployment only, and not after it expires", async () => {
    const secret = h.config.auth.secret;
    const url = (id: string, query: string) =>
      `${server.url}/api/v1/runtime/artifacts/${id}?${query}`;
    const signed = signArtifactUrl(secret, deploymentId, Date.now() + 60_000);
    expect((await fetch(url(deploymentId, signed))).status).toBe(200);
    expect((await fetch(url(otherDeploymentId, signed))).status).toBe(404);
    const expired = signArtifactUrl(secret, deploymentId, Date.now() - 1000);
    expect((await fetch(url(deploymentId, expired))).status).toBe(404);
    const later = signed.replace(
      /expires=\d+/,
      `expires=${Math.floor(Date.now() / 1000) + 86_400}`,
    );
    expect((await fetch(url(deploymentId, later))).status).toBe(404);
    const foreign = signArtifactUrl(
      "another-secret-another-secret-0123456789",
      deploymentId,
      Date.now() + 60_000,
    );
    expect((await fetch(url(deploymentId, foreign))).status).toBe(404);
  });

  it("is what the model server's fetch command downloads and verifies", async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), "ks-fetch-")), "model.onnx");
    const url = `${server.url}/api/v1/runtime/artifacts/${deploymentId}`;
    await run(
      process.execPath,
      [inferenceCli, "fetch", "--url", url, "--sha256", sha256, "--out", out],
      {
        env: { PATH: process.env.PATH ?? "", KUBESERVE_MODEL_TOKEN: token },
      },
    );
    expect(createHash("sha256").update(readFileSync(out)).digest("hex")).toBe(sha256);
  });

  it("stops answering once the deployment is deleted", async () => {
    await h.deps.db.deployment.delete({ where: { id: otherDeploymentId } });
    const other = artifactReadToken(h.config.auth.secret, otherDeploymentId);
    expect((await get(otherDeploymentId, `Bearer ${other}`)).status).toBe(404);
  });
});
