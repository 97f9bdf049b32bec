import { describe, expect, it } from "vitest";
import {
  authHeaders,
  createVersion,
  fixture,
  listKeys,
  ONNX_FIXTURES,
  putArtifact as putFile,
  sha256,
  useUploadSuite,
} from "../test/uploads";

// The one-shot routes on both drivers: every fixture in, checksums back, and who may not upload.

describe.each(["fs", "s3"] as const)("one-shot artifact uploads (%s driver)", (driverName) => {
  const suite = useUploadSuite(driverName, { hasBob: true });

  const putArtifact = (
    versionId: string,
    body: Buffer,
    filename: string,
    token = suite.alice.token,
  ) => putFile(suite.server.url, token, versionId, filename, body);

  const postForm = (versionId: string, form: FormData, token = suite.alice.token) =>
    fetch(`${suite.server.url}/api/v1/versions/${versionId}/upload`, {
      method: "POST",
      headers: authHeaders(token),
      body: form,
    });

  it.each(ONNX_FIXTURES)(
    "PUT stores %s.onnx, reads its signature and makes the version ready",
    async (name) => {
      const { h, alice } = suite;
      const data = fixture(`${name}.onnx`);
      const version = await createVersion(alice);
      const response = await putArtifact(version.id, data, `${name}.onnx`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        status: string;
        artifact: { sha256: string; size: number; uri: string };
      };
      expect(body.status).toBe("ready");
      expect(body.artifact).toMatchObject({ sha256: sha256(data), size: data.length });
      const stored = await h.deps.storage.get(body.artifact.uri);
      const chunks: Buffer[] = [];
      for await (const chunk of stored.body) chunks.push(chunk as Buffer);
      expect(sha256(Buffer.concat(chunks))).toBe(sha256(data));
      const fetched = await alice.api.version.get({ id: version.id });
      expect(fetched.signature?.inputs[0]).toMatchObject({ name: "input", datatype: "FP32" });
      expect(fetched.signature?.header).toMatchObject({
        irVersion: 8,
        opsets: [{ domain: "", version: 17 }],
      });
    },
  );

  it.each(ONNX_FIXTURES)("POST multipart stores %s.onnx with the same checksum", async (name) => {
    const { alice } = suite;
    const data = fixture(`${name}.onnx`);
    const version = await createVersion(alice);
    const form = new FormData();
    form.append("file", new Blob([data]), `${name}.onnx`);
    const response = await postForm(version.id, form);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; artifact: { sha256: string } };
    expect(body).toMatchObject({ status: "ready", artifact: { sha256: sha256(data) } });
  });

  it("takes a file over the API's 1 MiB JSON limit (mlp-wide is 5 MB)", async () => {
    const { h, alice } = suite;
    expect(fixture("mlp-wide.onnx").length).toBeGreaterThan(h.config.maxBodyBytes);
    const version = await createVersion(alice);
    const response = await putArtifact(version.id, fixture("mlp-wide.onnx"), "model.onnx");
    expect(response.status).toBe(200);
  });

  it("takes the file name from Content-Disposition, filename* first", async () => {
    const { server, alice } = suite;
    const version = await createVersion(alice);
    const response = await fetch(`${server.url}/api/v1/versions/${version.id}/artifact`, {
      method: "PUT",
      headers: {
        ...authHeaders(alice.token),
        "content-disposition": `attachment; filename="plain.onnx"; filename*=UTF-8''mod%C3%A8le.onnx`,
      },
      body: fixture("iris-logreg.onnx"),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { artifact: { filename: string } }).artifact.filename).toBe(
      "modèle.onnx",
    );
  });

  it("stores a scikit-learn file with its requirements; the scan and the sandboxed load make it ready", async () => {
    const { alice } = suite;
    const version = await createVersion(alice, "sklearn");
    const form = new FormData();
    form.append("requirements", new Blob(["scikit-learn==1.2.1\n"]), "requirements.txt");
    form.append("file", new Blob([fixture("iris-logreg.joblib")]), "iris.joblib");
    const response = await postForm(version.id, form);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: "ready",
      statusMessage: null,
      artifact: { filename: "iris.joblib", sha256: sha256(fixture("iris-logreg.joblib")) },
      requirements: { sha256: sha256(Buffer.from("scikit-learn==1.2.1\n")) },
      signature: { inputs: [{ name: "input", datatype: "FP64", shape: [-1, 4] }] },
    });
  });

  it("takes requirements by PUT before the file, and as a text field after it", async () => {
    const { server, alice } = suite;
    const version = await createVersion(alice, "sklearn");
    const put = await fetch(`${server.url}/api/v1/versions/${version.id}/requirements`, {
      method: "PUT",
      headers: authHeaders(alice.token),
      body: "scipy==1.10.1\n",
    });
    expect(put.status).toBe(200);
    expect((await alice.api.version.get({ id: version.id })).requirements?.sha256).toBe(
      sha256(Buffer.from("scipy==1.10.1\n")),
    );
    const form = new FormData();
    form.append("file", new Blob([fixture("regression.joblib")]), "model.pkl");
    form.append("requirements", "numpy\n");
    expect((await postForm(version.id, form)).status).toBe(200);
    const after = await alice.api.version.get({ id: version.id });
    // A text field's line breaks may arrive as CRLF (FormData normalises them).
    expect([sha256(Buffer.from("numpy\n")), sha256(Buffer.from("numpy\r\n"))]).toContain(
      after.requirements?.sha256,
    );
    expect(after.artifact?.filename).toBe("model.pkl");
    expect(after.status).toBe("ready");
    // Ready is immutable: requirements cannot change under a scanned model.
    const late = await fetch(`${server.url}/api/v1/versions/${version.id}/requirements`, {
      method: "PUT",
      headers: authHeaders(alice.token),
      body: "scipy\n",
    });
    expect(late.status).toBe(409);
  });

  it("a scanned scikit-learn version is immutable: a second upload → 409, the first file kept", async () => {
    const { h, alice } = suite;
    const version = await createVersion(alice, "sklearn");
    expect((await putArtifact(version.id, fixture("iris-logreg.joblib"), "a.joblib")).status).toBe(
      200,
    );
    expect((await putArtifact(version.id, fixture("regression.joblib"), "b.joblib")).status).toBe(
      409,
    );
    const keys = await listKeys(h.deps.storage, `models/${alice.userId}/`);
    expect(keys.some((k) => k.includes("/a.joblib"))).toBe(true);
    expect(keys.filter((k) => k.includes("/b.joblib"))).toEqual([]);
  });

  it("version.uploadStatus and version.signature follow the upload; another tenant gets NOT_FOUND", async () => {
    const { h, alice, bob } = suite;
    const version = await createVersion(alice);
    expect(await alice.api.version.uploadStatus({ id: version.id })).toMatchObject({
      state: "idle",
    });
    expect(await alice.api.version.signature({ id: version.id })).toBeNull();
    const data = fixture("regression.onnx");
    expect((await putArtifact(version.id, data, "r.onnx")).status).toBe(200);
    expect(await alice.api.version.uploadStatus({ id: version.id })).toMatchObject({
      state: "ready",
      offset: data.length,
      size: data.length,
    });
    const signature = await alice.api.version.signature({ id: version.id });
    expect(signature?.outputs).toEqual([
      { name: "prediction", datatype: "FP32", shape: [-1, 1], dimNames: ["N", null] },
    ]);
    await expect(bob.api.version.signature({ id: version.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(bob.api.version.uploadStatus({ id: version.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(h.caller().version.uploadStatus({ id: version.id })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
  });

  describe("who may not upload", () => {
    const routes = [
      { method: "PUT", path: "artifact?filename=x.onnx" },
      { method: "POST", path: "upload" },
      { method: "PUT", path: "requirements" },
    ];

    it.each(routes)("$method …/$path without a credential → 401, nothing stored", async (route) => {
      const { h, server, alice } = suite;
      const version = await createVersion(alice);
      const response = await fetch(`${server.url}/api/v1/versions/${version.id}/${route.path}`, {
        method: route.method,
        body: fixture("iris-logreg.onnx"),
      });
      expect(response.status).toBe(401);
      expect(await listKeys(h.deps.storage, `models/${alice.userId}/${version.modelId}`)).toEqual(
        [],
      );
    });

    it.each(routes)("$method …/$path with a bad API key → 401", async (route) => {
      const { server, alice } = suite;
      const version = await createVersion(alice);
      const response = await fetch(`${server.url}/api/v1/versions/${version.id}/${route.path}`, {
        method: route.method,
        headers: { "x-api-key": "ks_notakey" },
        body: "x",
      });
      expect(response.status).toBe(401);
    });

    it.each(routes)(
      "$method …/$path as another tenant → 404, like an unknown version",
      async (route) => {
        const { server, alice, bob } = suite;
        const version = await createVersion(alice, "sklearn");
        const asBob = await fetch(`${server.url}/api/v1/versions/${version.id}/${route.path}`, {
          method: route.method,
          headers: authHeaders(bob.token),
          body: "x",
        });
        const unknown = await fetch(
          `${server.url}/api/v1/versions/00000000-0000-4000-8000-000000000000/${route.path}`,
          { method: route.method, headers: authHeaders(bob.token), body: "x" },
        );
        expect(asBob.status).toBe(404);
        expect(unknown.status).toBe(404);
        expect(((await asBob.json()) as { error: { message: string } }).error.message).toBe(
          ((await unknown.json()) as { error: { message: string } }).error.message,
        );
        expect((await alice.api.version.get({ id: version.id })).status).toBe("pending_upload");
      },
    );

    it("an API key of the owner works like the access token", async () => {
      const { server, alice } = suite;
      const key = await alice.api.apiKey.create({ name: "ci" });
      const version = await createVersion(alice);
      const response = await fetch(
        `${server.url}/api/v1/versions/${version.id}/artifact?filename=m.onnx`,
        {
          method: "PUT",
          headers: { "x-api-key": key.secret },
          body: fixture("iris-logreg.onnx"),
        },
      );
      expect(response.status).toBe(200);
    });
  });
});
