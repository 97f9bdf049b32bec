import { beforeAll, describe, expect, it } from "vitest";
import { sweepArtifacts } from "../services/artifact-sweep.service";
import {
  authHeaders,
  createVersion,
  fixture,
  listKeys,
  sha256,
  useUploadSuite,
} from "../test/uploads";
import { Readable } from "node:stream";

// Owner download (Range, ETag, Digest), delete removing the object, and the orphan sweep, on both drivers.

describe.each(["fs", "s3"] as const)("artifact download and clean-up (%s driver)", (driverName) => {
  const suite = useUploadSuite(driverName, { hasBob: true });
  const data = fixture("mlp-64.onnx");
  let versionId: string;
  let artifactUrl: string;

  // After the suite's own beforeAll, which registered first.
  beforeAll(async () => {
    const { server, alice } = suite;
    const version = await createVersion(alice);
    versionId = version.id;
    artifactUrl = `${server.url}/api/v1/versions/${versionId}/artifact`;
    const upload = await fetch(`${artifactUrl}?filename=mlp.onnx`, {
      method: "PUT",
      headers: authHeaders(alice.token),
      body: data,
    });
    expect(upload.status).toBe(200);
  });

  it("streams the whole file with Content-Length, ETag and Digest", async () => {
    const { alice } = suite;
    const response = await fetch(artifactUrl, { headers: authHeaders(alice.token) });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(String(data.length));
    expect(response.headers.get("etag")).toBe(`"${sha256(data)}"`);
    expect(response.headers.get("digest")).toBe(
      `sha-256=${Buffer.from(sha256(data), "hex").toString("base64")}`,
    );
    expect(response.headers.get("content-disposition")).toContain('filename="mlp.onnx"');
    expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(sha256(data));
  });

  it.each([
    ["bytes=0-99", 0, 99],
    ["bytes=1000-", 1000, data.length - 1],
    ["bytes=-500", data.length - 500, data.length - 1],
    [`bytes=100-${data.length + 1000}`, 100, data.length - 1],
  ])("serves Range %s as 206", async (range, start, end) => {
    const { alice } = suite;
    const response = await fetch(artifactUrl, { headers: { ...authHeaders(alice.token), range } });
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe(`bytes ${start}-${end}/${data.length}`);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(data.subarray(start, end + 1));
  });

  it("answers 416 outside the file, 304 for a matching If-None-Match, whole file for a stale If-Range", async () => {
    const { alice } = suite;
    const outside = await fetch(artifactUrl, {
      headers: { ...authHeaders(alice.token), range: `bytes=${data.length}-` },
    });
    expect(outside.status).toBe(416);
    expect(outside.headers.get("content-range")).toBe(`bytes */${data.length}`);
    const etag = `"${sha256(data)}"`;
    const cached = await fetch(artifactUrl, {
      headers: { ...authHeaders(alice.token), "if-none-match": etag },
    });
    expect(cached.status).toBe(304);
    const stale = await fetch(artifactUrl, {
      headers: { ...authHeaders(alice.token), range: "bytes=0-9", "if-range": '"other"' },
    });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
  });

  it("refuses no credential (401), another tenant (404) and a version without a file (404)", async () => {
    const { server, alice, bob } = suite;
    expect((await fetch(artifactUrl)).status).toBe(401);
    const asBob = await fetch(artifactUrl, { headers: authHeaders(bob.token) });
    expect(asBob.status).toBe(404);
    const empty = await createVersion(alice);
    const none = await fetch(`${server.url}/api/v1/versions/${empty.id}/artifact`, {
      headers: authHeaders(alice.token),
    });
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: { message: string } }).error.message).toContain(
      "no artifact",
    );
  });

  it("deleting a version deletes its object", async () => {
    const { h, server, alice } = suite;
    const version = await createVersion(alice);
    await fetch(`${server.url}/api/v1/versions/${version.id}/artifact?filename=doomed.onnx`, {
      method: "PUT",
      headers: authHeaders(alice.token),
      body: fixture("iris-logreg.onnx"),
    });
    const { artifact } = await alice.api.version.get({ id: version.id });
    expect(await h.deps.storage.exists(artifact!.uri)).toBe(true);
    await alice.api.version.delete({ id: version.id });
    expect(await h.deps.storage.exists(artifact!.uri)).toBe(false);
  });

  it("the sweep removes objects and expired uploads nothing points at, and keeps the rest", async () => {
    const { h, alice } = suite;
    const stray = `models/${alice.userId}/gone/v1/stray.onnx`;
    await h.deps.storage.put(stray, Readable.from([Buffer.from("left behind")]));
    const version = await createVersion(alice);
    await h.deps.db.artifactUpload.create({
      data: {
        id: "expired-upload-0000000000",
        versionId: version.id,
        userId: alice.userId,
        kind: "oneshot",
        filename: "x.onnx",
        expiresAt: new Date(Date.now() - 1000),
      },
    });
    const young = await sweepArtifacts(h.deps);
    // Expired uploads go at once; objects only after the grace period (an upload stores before it commits).
    expect(young).toEqual({ objects: 0, uploads: 1 });
    expect(await h.deps.storage.exists(stray)).toBe(true);
    const result = await sweepArtifacts(h.deps, { graceMs: -60_000 });
    expect(result).toEqual({ objects: 1, uploads: 0 });
    expect(await h.deps.storage.exists(stray)).toBe(false);
    const { artifact } = await alice.api.version.get({ id: versionId });
    expect(await listKeys(h.deps.storage)).toContain(artifact!.uri);
  });
});
