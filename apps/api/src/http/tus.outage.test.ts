import { describe, expect, it } from "vitest";
import {
  createTusUpload,
  createVersion,
  fixture,
  headTusUpload,
  patchTusUpload,
  sha256,
  tusLocation,
  useUploadSuite,
} from "../test/uploads";

// The store going away in the middle of a tus upload: the PATCH that meets the outage gets a 503 naming
// storage, the version stays pending_upload, and once storage is back the same upload resumes from the
// offset HEAD reports and lands ready with the right checksum.

describe.each(["fs", "s3"] as const)("tus upload through a storage outage (%s driver)", (name) => {
  const suite = useUploadSuite(name);

  it("a PATCH during the outage is a 503, nothing turns ready, and the upload resumes afterwards", async () => {
    const data = fixture("mlp-wide.onnx");
    const half = 3 * 1024 * 1024;
    const { alice, server, driver } = suite;
    const version = await createVersion(alice);
    const created = await createTusUpload(server.url, alice.token, {
      versionId: version.id,
      length: data.length,
      filename: "wide.onnx",
    });
    expect(created.status).toBe(201);
    const location = tusLocation(server.url, created);
    const patch = (offset: number, body: Buffer) =>
      patchTusUpload(location, alice.token, offset, body);
    const offsetNow = async () => {
      const head = await headTusUpload(location, alice.token);
      expect(head.status).toBe(200);
      return Number(head.headers.get("upload-offset"));
    };

    expect((await patch(0, data.subarray(0, half))).status).toBe(204);
    expect(await offsetNow()).toBe(half);

    await driver.outage();
    const failed = await patch(half, data.subarray(half));
    const message = await failed.text();
    await driver.recover();
    expect(failed.status).toBe(503);
    expect(message).toMatch(/storage/i);
    expect((await alice.api.version.get({ id: version.id })).status).toBe("pending_upload");

    // tus resumes from what the server says it holds: never past the bytes acknowledged before.
    const resumeAt = await offsetNow();
    expect(resumeAt).toBeGreaterThanOrEqual(0);
    expect(resumeAt).toBeLessThanOrEqual(half);
    expect((await patch(resumeAt, data.subarray(resumeAt))).status).toBe(204);
    expect(await alice.api.version.get({ id: version.id })).toMatchObject({
      status: "ready",
      artifact: { sha256: sha256(data), size: data.length },
    });
  });
});
