import { execFileSync } from "node:child_process";
import { createReadStream, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sweepArtifacts } from "../services/artifact-sweep.service";
import { uploadArtifact } from "../upload-client";
import {
  authHeaders,
  createTusUpload,
  createVersion,
  encodeTusMetadata as meta,
  fixture,
  headTusUpload,
  ONNX_FIXTURES,
  patchTusUpload,
  sha256,
  tusHeaders,
  tusLocation,
  useUploadSuite,
} from "../test/uploads";

// Resumable uploads through tus on both drivers, with the typed helper the dashboard will use.

describe.each(["fs", "s3"] as const)("tus uploads (%s driver)", (driverName) => {
  const suite = useUploadSuite(driverName, {
    env: { WEB_ORIGIN: "http://web.test" },
    hasBob: true,
  });
  const client = () => ({ url: suite.server.url, token: suite.alice.token });

  it.each(ONNX_FIXTURES)(
    "uploadArtifact puts %s.onnx into its version, ready with its signature",
    async (name) => {
      const { h, alice } = suite;
      const data = fixture(`${name}.onnx`);
      const version = await createVersion(alice);
      await uploadArtifact(client(), version.id, data, {
        filename: `${name}.onnx`,
        chunkSize: 128 * 1024,
      });
      const after = await alice.api.version.get({ id: version.id });
      expect(after).toMatchObject({
        status: "ready",
        artifact: { sha256: sha256(data), size: data.length },
      });
      expect(after.signature?.inputs[0]?.datatype).toBe("FP32");
      expect(await h.deps.db.artifactUpload.count({ where: { versionId: version.id } })).toBe(0);
    },
  );

  it(
    "a 300 MB upload interrupted at ~40% resumes from the acknowledged offset",
    { timeout: 300_000 },
    async () => {
      const { alice } = suite;
      // A file stream, which tus-js-client can reopen at the server's offset (a plain stream cannot seek).
      const dir = await mkdtemp(path.join(tmpdir(), "ks-tus-"));
      const file = path.join(dir, "big.joblib");
      // A real estimator carrying 300 MB of random weights, so the finished upload passes the scan.
      execFileSync("/usr/bin/python3", [
        "-c",
        [
          "import sys, joblib, numpy as np",
          "from sklearn.linear_model import LinearRegression",
          "m = LinearRegression().fit(np.eye(4), np.arange(4.0))",
          "m.padding_ = np.random.default_rng(7).random(300 * 1024 * 1024 // 8)",
          "joblib.dump(m, sys.argv[1])",
        ].join("\n"),
        file,
      ]);
      const size = statSync(file).size;
      const version = await createVersion(alice, "sklearn");
      const controller = new AbortController();
      let uploadUrl = "";
      const first = uploadArtifact(client(), version.id, createReadStream(file), {
        filename: "big.joblib",
        size,
        chunkSize: 8 * 1024 * 1024,
        signal: controller.signal,
        onUploadUrl: (url) => (uploadUrl = url),
        onProgress: (sent) => {
          if (sent >= size * 0.4) controller.abort(new Error("interrupted"));
        },
      });
      await expect(first).rejects.toThrow("interrupted");
      const status = await alice.api.version.uploadStatus({ id: version.id });
      expect(status).toMatchObject({ state: "uploading", kind: "tus", size });
      expect(status.offset).toBeGreaterThan(size * 0.3);
      expect(status.offset).toBeLessThan(size);
      let resumedFrom = -1;
      await uploadArtifact(client(), version.id, createReadStream(file), {
        filename: "big.joblib",
        size,
        chunkSize: 8 * 1024 * 1024,
        uploadUrl,
        onProgress: (sent) => {
          if (resumedFrom < 0) resumedFrom = sent;
        },
      });
      expect(resumedFrom).toBeGreaterThanOrEqual(status.offset ?? 0);
      const after = await alice.api.version.get({ id: version.id });
      expect(after.artifact).toMatchObject({ size, sha256: sha256(readFileSync(file)) });
      expect(after.status).toBe("ready");
      await rm(dir, { recursive: true, force: true });
    },
  );

  it("two concurrent uploads to different versions both land", async () => {
    const { alice } = suite;
    const [a, b] = [await createVersion(alice), await createVersion(alice)];
    await Promise.all([
      uploadArtifact(client(), a.id, fixture("mlp-64.onnx"), {
        filename: "a.onnx",
        chunkSize: 64 * 1024,
      }),
      uploadArtifact(client(), b.id, fixture("mlp-wide.onnx"), {
        filename: "b.onnx",
        chunkSize: 512 * 1024,
      }),
    ]);
    expect((await alice.api.version.get({ id: a.id })).artifact?.sha256).toBe(
      sha256(fixture("mlp-64.onnx")),
    );
    expect((await alice.api.version.get({ id: b.id })).artifact?.sha256).toBe(
      sha256(fixture("mlp-wide.onnx")),
    );
  });

  it("a second upload to a version with one in progress gets 409; a bad file fails the version", async () => {
    const { server, alice } = suite;
    const version = await createVersion(alice);
    const create = () =>
      createTusUpload(server.url, alice.token, { versionId: version.id, length: 100 });
    const first = await create();
    expect(first.status).toBe(201);
    expect((await create()).status).toBe(409);
    const location = tusLocation(server.url, first);
    const patch = await patchTusUpload(location, alice.token, 0, Buffer.alloc(100, 1));
    expect(patch.status).toBe(400);
    expect(await patch.text()).toContain("not an ONNX model");
    expect((await alice.api.version.get({ id: version.id })).status).toBe("failed");
  });

  it("refuses at creation, naming the problem, and claims nothing: bad names, lengths and a ready version", async () => {
    const { h, server, alice } = suite;
    const version = await createVersion(alice);
    const post = (headers: Record<string, string>) =>
      fetch(`${server.url}/api/v1/uploads`, {
        method: "POST",
        headers: { ...tusHeaders, ...authHeaders(alice.token), ...headers },
      });
    const named = (filename: string) => meta({ versionId: version.id, filename });
    const cases: [Record<string, string>, number, string][] = [
      [{ "upload-length": "100", "upload-metadata": named("../evil.onnx") }, 400, "path separator"],
      [{ "upload-length": "100", "upload-metadata": named("model.txt") }, 400, "'.txt'"],
      [{ "upload-length": "0", "upload-metadata": named("m.onnx") }, 400, "empty"],
      [
        { "upload-defer-length": "1", "upload-metadata": named("m.onnx") },
        400,
        "Upload-Length is required",
      ],
      [
        {
          "upload-length": String(h.deps.config.uploads.maxBytes + 1),
          "upload-metadata": named("m.onnx"),
        },
        413,
        "limit",
      ],
      [
        { "upload-length": "100", "upload-metadata": meta({ filename: "m.onnx" }) },
        400,
        "versionId",
      ],
    ];
    for (const [headers, status, message] of cases) {
      const response = await post(headers);
      expect(response.status, JSON.stringify(headers)).toBe(status);
      expect(await response.text()).toContain(message);
    }
    expect(await h.deps.db.artifactUpload.count({ where: { versionId: version.id } })).toBe(0);
    await uploadArtifact(client(), version.id, fixture("iris-logreg.onnx"), {
      filename: "m.onnx",
    });
    const again = await post({ "upload-length": "100", "upload-metadata": named("m.onnx") });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("immutable");
  });

  it("checks the caller on every method: none 401, another tenant 404, GET never serves", async () => {
    const { h, server, alice, bob } = suite;
    const version = await createVersion(alice);
    const post = (token: string | undefined) =>
      createTusUpload(server.url, token, { versionId: version.id, length: 1000 });
    expect((await post(undefined)).status).toBe(401);
    expect((await post(bob.token)).status).toBe(404);
    const created = await post(alice.token);
    expect(created.status).toBe(201);
    const location = tusLocation(server.url, created);
    for (const method of ["HEAD", "PATCH", "DELETE", "GET"]) {
      const anonymous = await fetch(location, { method, headers: tusHeaders });
      expect(anonymous.status, `${method} without a credential`).toBe(401);
      const asBob = await fetch(location, {
        method,
        headers: { ...tusHeaders, ...authHeaders(bob.token) },
      });
      expect(asBob.status, `${method} as another tenant`).toBe(method === "GET" ? 400 : 404);
    }
    const head = await headTusUpload(location, alice.token);
    expect(head.headers.get("upload-offset")).toBe("0");
    const cancel = await fetch(location, {
      method: "DELETE",
      headers: { ...tusHeaders, ...authHeaders(alice.token) },
    });
    expect(cancel.status).toBe(204);
    expect(await h.deps.db.artifactUpload.count({ where: { versionId: version.id } })).toBe(0);
  });

  it("a chunked PATCH body longer than the upload is cut off at its length (413), nothing past it kept", async () => {
    const { server, alice } = suite;
    const version = await createVersion(alice);
    const created = await createTusUpload(server.url, alice.token, {
      versionId: version.id,
      length: 1000,
    });
    const location = tusLocation(server.url, created);
    const patch = (body: RequestInit["body"], extra: Record<string, string> = {}) =>
      fetch(location, {
        method: "PATCH",
        headers: {
          ...tusHeaders,
          ...authHeaders(alice.token),
          "content-type": "application/offset+octet-stream",
          ...extra,
        },
        body,
        duplex: "half",
      } as RequestInit);
    // No Content-Length: only the size limiter on the streamed body can stop it.
    const chunks = [Buffer.alloc(600, 1), Buffer.alloc(600, 2)];
    const tooLong = await patch(
      new ReadableStream({
        pull(controller) {
          const next = chunks.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      }),
      { "upload-offset": "0" },
    );
    expect(tooLong.status).toBe(413);
    const head = await headTusUpload(location, alice.token);
    expect(Number(head.headers.get("upload-offset"))).toBeLessThanOrEqual(1000);
    expect((await alice.api.version.get({ id: version.id })).status).toBe("pending_upload");
  });

  it("an expired incomplete upload is removed with its parts and its claim", async () => {
    const { h, server, alice } = suite;
    const version = await createVersion(alice);
    const created = await createTusUpload(server.url, alice.token, {
      versionId: version.id,
      length: 1000,
    });
    expect(created.status).toBe(201);
    const location = tusLocation(server.url, created);
    const id = location.split("/").pop()!;
    const partial = await patchTusUpload(location, alice.token, 0, Buffer.alloc(400, 1));
    expect(partial.status).toBe(204);
    expect(partial.headers.get("upload-offset")).toBe("400");
    // The same store under a 1 ms expiry, as UPLOAD_EXPIRY_HOURS would be hours later.
    const { createTusDataStore } = await import("@kubeserve/storage/tus");
    const expiring = createTusDataStore(h.deps.config.storage.store, {
      expirationPeriodInMilliseconds: 1,
    });
    await h.deps.db.artifactUpload.updateMany({
      where: { id },
      data: { expiresAt: new Date(Date.now() - 1) },
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const result = await sweepArtifacts(h.deps, {
      onExpiredUploads: () => expiring.cleanUpExpired(),
    });
    expect(result.uploads).toBeGreaterThanOrEqual(2);
    expect(await h.deps.db.artifactUpload.count({ where: { id } })).toBe(0);
    // A fresh store (the S3 one caches upload info in memory) finds nothing left.
    const fresh = createTusDataStore(h.deps.config.storage.store, {
      expirationPeriodInMilliseconds: 1,
    });
    await expect(fresh.getUpload(id)).rejects.toBeDefined();
    const head = await headTusUpload(location, alice.token);
    expect(head.status).toBe(404);
  });

  it("tells a server-side tus client (OPTIONS, no Origin) its limit, and a browser only its CORS rules", async () => {
    const { h, server } = suite;
    const discovery = await fetch(`${server.url}/api/v1/uploads`, {
      method: "OPTIONS",
      headers: tusHeaders,
    });
    expect(discovery.status).toBe(204);
    expect(Number(discovery.headers.get("tus-max-size"))).toBe(h.deps.config.uploads.maxBytes);
    // The same question from another site's page is still a preflight cors answers (and refuses).
    const foreign = await fetch(`${server.url}/api/v1/uploads`, {
      method: "OPTIONS",
      headers: { origin: "http://evil.test", "access-control-request-method": "POST" },
    });
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    expect(foreign.headers.get("tus-max-size")).toBeNull();
  });

  it("answers a browser from WEB_ORIGIN with the tus headers exposed", async () => {
    const { server, alice } = suite;
    const preflight = await fetch(`${server.url}/api/v1/uploads`, {
      method: "OPTIONS",
      headers: {
        origin: "http://web.test",
        "access-control-request-method": "POST",
        "access-control-request-headers":
          "authorization,tus-resumable,upload-length,upload-metadata",
      },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://web.test");
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain(
      "upload-length",
    );
    const version = await createVersion(alice);
    const created = await createTusUpload(
      server.url,
      alice.token,
      { versionId: version.id, length: 10 },
      { origin: "http://web.test" },
    );
    expect(created.headers.get("access-control-allow-origin")).toBe("http://web.test");
    const exposed = created.headers.get("access-control-expose-headers")?.toLowerCase() ?? "";
    for (const header of ["location", "upload-offset", "tus-resumable"])
      expect(exposed).toContain(header);
  });
});
