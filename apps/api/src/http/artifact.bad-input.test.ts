import { waitFor } from "@kubeserve/testing";
import { describe, expect, it } from "vitest";
import {
  authHeaders,
  createVersion,
  customDomainModel,
  externalDataModel,
  fixture,
  listKeys,
  rawRequest,
  useUploadSuite,
} from "../test/uploads";

// Every bad input of issue 8 on both drivers: a clear 4xx naming the problem, nothing stored, no claim
// left behind, and the API still serving.

const maxBytes = 4 * 1024 * 1024;

describe.each(["fs", "s3"] as const)("bad uploads (%s driver)", (driverName) => {
  const suite = useUploadSuite(driverName, {
    env: { UPLOAD_MAX_BYTES: String(maxBytes), UPLOAD_REQUIREMENTS_MAX_BYTES: "4096" },
  });

  const artifactUrl = (versionId: string, filename?: string) =>
    `${suite.server.url}/api/v1/versions/${versionId}/artifact${filename === undefined ? "" : `?filename=${encodeURIComponent(filename)}`}`;

  const put = (versionId: string, body: Buffer | string, filename?: string) =>
    fetch(artifactUrl(versionId, filename), {
      method: "PUT",
      headers: authHeaders(suite.alice.token),
      body,
    });

  async function messageOf(response: Response): Promise<string> {
    return ((await response.json()) as { error: { message: string } }).error.message;
  }

  const waitForClaims = (versionId: string, count: number) =>
    waitFor(
      async () =>
        (await suite.h.deps.db.artifactUpload.count({ where: { versionId } })) === count
          ? true
          : undefined,
      { what: `${count} upload claims on ${versionId}` },
    );

  /** Nothing of this version in the store, no upload claim, status as given. */
  async function expectUntouched(
    version: { id: string; modelId: string },
    status = "pending_upload",
  ) {
    const { h, alice } = suite;
    const model = await alice.api.model.get({ id: version.modelId });
    expect(await listKeys(h.deps.storage, `models/${alice.userId}/${model.name}/`)).toEqual([]);
    expect(await h.deps.db.artifactUpload.count({ where: { versionId: version.id } })).toBe(0);
    expect((await alice.api.version.get({ id: version.id })).status).toBe(status);
  }

  it.each([
    ["../evil.onnx", "path separator"],
    ["a/b.onnx", "path separator"],
    ["..\\evil.onnx", "path separator"],
    ["/etc/evil.onnx", "path separator"],
    ["bad\u0000name.onnx", "control characters"],
    [".hidden.onnx", "starting with '.'"],
    ["C:evil.onnx", "drive"],
  ])("refuses the file name %j", async (filename, problem) => {
    const { alice } = suite;
    const version = await createVersion(alice);
    const response = await put(version.id, fixture("iris-logreg.onnx"), filename);
    expect(response.status).toBe(400);
    expect(await messageOf(response)).toContain(problem);
    await expectUntouched(version);
  });

  it.each([
    ["model.txt", "extension '.txt'"],
    ["model", "no extension"],
    ["model.joblib", "is a onnx version"],
  ])("refuses %s for an ONNX version", async (filename, problem) => {
    const { alice } = suite;
    const version = await createVersion(alice);
    const response = await put(version.id, fixture("iris-logreg.onnx"), filename);
    expect(response.status).toBe(400);
    expect(await messageOf(response)).toContain(problem);
    await expectUntouched(version);
  });

  it("refuses a missing file name, and an empty file", async () => {
    const { alice } = suite;
    const version = await createVersion(alice);
    const unnamed = await put(version.id, fixture("iris-logreg.onnx"));
    expect(unnamed.status).toBe(400);
    expect(await messageOf(unnamed)).toContain("?filename=");
    const empty = await put(version.id, "", "model.onnx");
    expect(empty.status).toBe(400);
    expect(await messageOf(empty)).toContain("empty");
    await expectUntouched(version);
  });

  it("refuses a declared length over the limit before the body is sent", async () => {
    const { alice } = suite;
    const version = await createVersion(alice);
    const response = await rawRequest(artifactUrl(version.id, "m.onnx"), {
      method: "PUT",
      headers: { ...authHeaders(alice.token), "content-length": String(maxBytes + 1) },
      // Headers only: the answer must come without a byte of the body.
      write: (req) => req.flushHeaders(),
    });
    expect(response.status).toBe(413);
    expect(response.body).toContain(`${maxBytes} bytes`);
    await expectUntouched(version);
  });

  it("cuts off an undeclared (chunked) body at the limit", async () => {
    const { alice } = suite;
    const version = await createVersion(alice);
    const response = await rawRequest(artifactUrl(version.id, "m.onnx"), {
      method: "PUT",
      headers: { ...authHeaders(alice.token), "transfer-encoding": "chunked" },
      write: async (req) => {
        const chunk = Buffer.alloc(256 * 1024, 7);
        for (let sent = 0; sent <= maxBytes * 2 && !req.destroyed; sent += chunk.length) {
          if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
        }
        req.end();
      },
    });
    expect(response.status).toBe(413);
    await expectUntouched(version);
  });

  it("a body shorter than its Content-Length stores nothing and the version stays uploadable", async () => {
    const { alice } = suite;
    const version = await createVersion(alice);
    const data = fixture("mlp-64.onnx");
    const response = await rawRequest(artifactUrl(version.id, "m.onnx"), {
      method: "PUT",
      headers: { ...authHeaders(alice.token), "content-length": String(data.length + 1000) },
      write: async (req) => {
        req.write(data);
        await new Promise((r) => setTimeout(r, 300));
        req.destroy();
      },
    });
    expect(response.status).not.toBe(200);
    await waitForClaims(version.id, 0);
    await expectUntouched(version);
    expect((await put(version.id, data, "m.onnx")).status).toBe(200);
  });

  it.each([
    [
      "a text file named .onnx",
      () => Buffer.from("this is not a model\n".repeat(100)),
      "not an ONNX model",
    ],
    ["a truncated ONNX file", () => fixture("mlp-64.onnx").subarray(0, 200_000), "truncated"],
    ["a tensor with external data", externalDataModel, "external file"],
    ["a custom operator domain", customDomainModel, "'com.example.custom'"],
  ])("%s → 400, version failed with the reason, object removed", async (_label, make, reason) => {
    const { alice } = suite;
    const version = await createVersion(alice);
    const response = await put(version.id, make(), "model.onnx");
    expect(response.status).toBe(400);
    expect(await messageOf(response)).toContain(reason);
    const after = await alice.api.version.get({ id: version.id });
    expect(after.statusMessage).toContain(reason);
    await expectUntouched(version, "failed");
    // A failed version takes a good file afterwards.
    expect((await put(version.id, fixture("iris-logreg.onnx"), "model.onnx")).status).toBe(200);
  });

  it("a ready version is immutable: 409", async () => {
    const { alice } = suite;
    const version = await createVersion(alice);
    expect((await put(version.id, fixture("iris-logreg.onnx"), "model.onnx")).status).toBe(200);
    const again = await put(version.id, fixture("regression.onnx"), "other.onnx");
    expect(again.status).toBe(409);
    expect(await messageOf(again)).toContain("immutable");
    expect((await alice.api.version.get({ id: version.id })).artifact?.filename).toBe("model.onnx");
  });

  it("two concurrent uploads to one version: the first wins, the second gets 409", async () => {
    const { alice } = suite;
    const version = await createVersion(alice);
    const data = fixture("mlp-64.onnx");
    let finishFirst!: () => void;
    const isHalfway = new Promise<void>((resolve) => (finishFirst = resolve));
    let hasStarted!: () => void;
    const started = new Promise<void>((resolve) => (hasStarted = resolve));
    const first = rawRequest(artifactUrl(version.id, "a.onnx"), {
      method: "PUT",
      headers: { ...authHeaders(alice.token), "content-length": String(data.length) },
      write: async (req) => {
        req.write(data.subarray(0, 1000));
        hasStarted();
        await isHalfway;
        req.end(data.subarray(1000));
      },
    });
    await started;
    await waitForClaims(version.id, 1);
    expect(await alice.api.version.uploadStatus({ id: version.id })).toMatchObject({
      state: "uploading",
      kind: "oneshot",
      size: data.length,
    });
    const second = await put(version.id, fixture("iris-logreg.onnx"), "b.onnx");
    expect(second.status).toBe(409);
    expect(await messageOf(second)).toContain("in progress");
    finishFirst();
    expect((await first).status).toBe(200);
    expect((await alice.api.version.get({ id: version.id })).artifact?.filename).toBe("a.onnx");
  });

  it("the store going away mid-upload → 503, the version stays pending_upload", async () => {
    const { alice, driver } = suite;
    const version = await createVersion(alice);
    const data = fixture("mlp-wide.onnx").subarray(0, 3 * 1024 * 1024);
    const response = await rawRequest(artifactUrl(version.id, "m.onnx"), {
      method: "PUT",
      headers: { ...authHeaders(alice.token), "content-length": String(data.length) },
      write: async (req) => {
        req.write(data.subarray(0, 64 * 1024));
        await new Promise((r) => setTimeout(r, 200));
        await driver.outage();
        req.end(data.subarray(64 * 1024));
      },
    });
    await driver.recover();
    expect(response.status).toBe(503);
    expect(response.body).toContain("storage is unreachable");
    await expectUntouched(version);
  });

  describe("multipart and requirements", () => {
    const post = (versionId: string, form: FormData) =>
      fetch(`${suite.server.url}/api/v1/versions/${versionId}/upload`, {
        method: "POST",
        headers: authHeaders(suite.alice.token),
        body: form,
      });

    it.each([
      ["no file part", (f: FormData) => f.append("requirements", "numpy\n"), "no 'file' part"],
      ["an unknown field", (f: FormData) => f.append("other", "x"), "Unknown form field 'other'"],
      [
        "two files",
        (f: FormData) => {
          f.append("file", new Blob([fixture("iris-logreg.joblib")]), "a.joblib");
          f.append("file", new Blob([fixture("iris-logreg.joblib")]), "b.joblib");
        },
        "more than one 'file'",
      ],
      [
        "requirements over the limit",
        (f: FormData) => {
          f.append("file", new Blob([fixture("iris-logreg.joblib")]), "a.joblib");
          f.append("requirements", new Blob(["x".repeat(5000)]), "requirements.txt");
        },
        "4096 bytes",
      ],
      [
        "requirements with NUL bytes",
        (f: FormData) => {
          f.append("requirements", new Blob([Buffer.from([110, 0, 112])]), "requirements.txt");
          f.append("file", new Blob([fixture("iris-logreg.joblib")]), "a.joblib");
        },
        "NUL",
      ],
    ])("%s → 4xx naming it, nothing stored", async (_label, fill, problem) => {
      const { alice } = suite;
      const version = await createVersion(alice, "sklearn");
      const form = new FormData();
      fill(form);
      const response = await post(version.id, form);
      expect([400, 413]).toContain(response.status);
      expect(await messageOf(response)).toContain(problem);
      await waitForClaims(version.id, 0);
      await expectUntouched(version);
    });

    it("requirements for an ONNX version, or a body that is not a form → 400", async () => {
      const { server, alice } = suite;
      const version = await createVersion(alice);
      const form = new FormData();
      form.append("file", new Blob([fixture("iris-logreg.onnx")]), "m.onnx");
      form.append("requirements", "numpy\n");
      const response = await post(version.id, form);
      expect(response.status).toBe(400);
      expect(await messageOf(response)).toContain("scikit-learn versions");
      const raw = await fetch(`${server.url}/api/v1/versions/${version.id}/upload`, {
        method: "POST",
        headers: { ...authHeaders(alice.token), "content-type": "application/octet-stream" },
        body: "x",
      });
      expect(raw.status).toBe(400);
      expect(await messageOf(raw)).toContain("multipart/form-data");
      await expectUntouched(version);
    });

    it("PUT requirements over the limit → 413, declared or not", async () => {
      const { server, alice } = suite;
      const version = await createVersion(alice, "sklearn");
      const url = `${server.url}/api/v1/versions/${version.id}/requirements`;
      const declared = await fetch(url, {
        method: "PUT",
        headers: authHeaders(alice.token),
        body: "x".repeat(5000),
      });
      expect(declared.status).toBe(413);
      const chunked = await rawRequest(url, {
        method: "PUT",
        headers: { ...authHeaders(alice.token), "transfer-encoding": "chunked" },
        write: (req) => {
          req.write("x".repeat(3000));
          req.end("x".repeat(3000));
        },
      });
      expect(chunked.status).toBe(413);
      expect((await alice.api.version.get({ id: version.id })).requirements).toBeNull();
    });
  });

  it("keeps serving after all of it", async () => {
    const { server } = suite;
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
