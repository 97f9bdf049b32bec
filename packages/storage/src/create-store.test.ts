import { writeFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createArtifactStore } from "./create-store";
import { StorageError, StorageUnavailableError } from "./errors";
import { FsArtifactStore } from "./fs-store";
import { parseS3Endpoint } from "./s3-client";
import { S3ArtifactStore } from "./s3-store";
import { createTusDataStore } from "./tus";

const s3 = {
  driver: "s3" as const,
  endpoint: "http://minio:9000",
  accessKey: "a",
  secretKey: "b",
  region: "us-east-1",
  bucket: "kubeserve-artifacts",
  pathStyle: true,
};

describe("createArtifactStore", () => {
  it("picks the driver from the config without any I/O", () => {
    expect(createArtifactStore({ driver: "fs", dir: "relative/dir" })).toBeInstanceOf(
      FsArtifactStore,
    );
    const fs = createArtifactStore({ driver: "fs", dir: "relative/dir" }) as FsArtifactStore;
    expect(path.isAbsolute(fs.root)).toBe(true);
    const store = createArtifactStore(s3);
    expect(store).toBeInstanceOf(S3ArtifactStore);
    expect(store.describe()).toBe("s3:http://minio:9000/kubeserve-artifacts");
  });

  it("reads host, port and TLS from the endpoint URL", () => {
    expect(parseS3Endpoint("http://minio:9000")).toEqual({
      host: "minio",
      port: 9000,
      useSSL: false,
      url: "http://minio:9000",
    });
    expect(parseS3Endpoint("https://s3.eu-west-1.amazonaws.com")).toMatchObject({
      port: 443,
      useSSL: true,
    });
    expect(parseS3Endpoint("http://[::1]:9000")).toMatchObject({ host: "::1", port: 9000 });
  });

  it.each([
    ["minio:9000", /not a URL|must start with http/],
    ["ftp://minio", /must start with http/],
    ["http://minio:9000/bucket", /without a path/],
    ["http://user:pass@minio:9000", /without a path/],
  ])("refuses the endpoint %j", (endpoint, message) => {
    expect(() => createArtifactStore({ ...s3, endpoint })).toThrow(StorageError);
    expect(() => createArtifactStore({ ...s3, endpoint })).toThrow(message);
  });

  it("refuses part sizes S3 cannot take", () => {
    expect(() => createArtifactStore({ ...s3, partSizeBytes: 1024 })).toThrow(
      /between 5 MiB and 5 GiB/,
    );
  });

  it("fails clearly (not with a crash) when the tus upload folder cannot be made", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "kubeserve-tus-bad-"));
    const notAFolder = path.join(dir, "file");
    await writeFile(notAFolder, "x");
    try {
      expect(() =>
        createTusDataStore(
          { driver: "fs", dir: notAFolder },
          { expirationPeriodInMilliseconds: 0 },
        ),
      ).toThrow(StorageUnavailableError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
