import type { TTestDriver } from "@kubeserve/storage/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createHarness,
  startHttp,
  type THarness,
  type THttpServer,
  type TSignedUp,
} from "../test/harness";
import {
  authHeaders,
  createVersion,
  fixture,
  sha256,
  startTestDriver,
  storageEnv,
} from "../test/uploads";

// The store going away in the middle of a tus upload: the PATCH that meets the outage gets a 503 naming
// storage, the version stays pending_upload, and once storage is back the same upload resumes from the
// offset HEAD reports and lands ready with the right checksum.

const tusHeaders = { "tus-resumable": "1.0.0" };
const meta = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString("base64")}`)
    .join(",");

describe.each(["fs", "s3"] as const)("tus upload through a storage outage (%s driver)", (name) => {
  let driver: TTestDriver;
  let h: THarness;
  let server: THttpServer;
  let alice: TSignedUp;

  beforeAll(async () => {
    driver = await startTestDriver(name);
    h = await createHarness("postgres", storageEnv(driver));
    await h.deps.storage.ensureReady();
    server = await startHttp(h);
    alice = await h.signUp("alice");
  });

  afterAll(async () => {
    await server?.close();
    await h?.destroy();
    await driver?.stop();
  });

  it("a PATCH during the outage is a 503, nothing turns ready, and the upload resumes afterwards", async () => {
    const data = fixture("mlp-wide.onnx");
    const half = 3 * 1024 * 1024;
    const version = await createVersion(alice);
    const created = await fetch(`${server.url}/api/v1/uploads`, {
      method: "POST",
      headers: {
        ...tusHeaders,
        ...authHeaders(alice.token),
        "upload-length": String(data.length),
        "upload-metadata": meta({ versionId: version.id, filename: "wide.onnx" }),
      },
    });
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get("location")!, `${server.url}/api/v1/uploads`).href;
    const patch = (offset: number, body: Buffer) =>
      fetch(location, {
        method: "PATCH",
        headers: {
          ...tusHeaders,
          ...authHeaders(alice.token),
          "content-type": "application/offset+octet-stream",
          "upload-offset": String(offset),
        },
        body,
      });
    const offsetNow = async () => {
      const head = await fetch(location, {
        method: "HEAD",
        headers: { ...tusHeaders, ...authHeaders(alice.token) },
      });
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
