import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import path from "node:path";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatedStream, sha256OfGenerated, startS3rver, type TTestS3 } from "./testing";

const MiB = 1024 * 1024;
const md5 = (data: Buffer) => createHash("md5").update(data).digest("hex");

describe("s3rver test server with the multipart shim (checked with the AWS SDK)", () => {
  let s3: TTestS3;
  let client: S3Client;
  const Bucket = "shim-test";

  beforeAll(async () => {
    s3 = await startS3rver();
    client = new S3Client({
      endpoint: s3.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
    await client.send(new CreateBucketCommand({ Bucket }));
  });
  afterAll(async () => {
    client.destroy();
    await s3.stop();
  });

  it("ListParts reports the stored parts' numbers, sizes and ETags, with paging", async () => {
    const Key = "uploads/0123456789abcdef0123456789abcdef";
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const parts = [Buffer.alloc(5 * MiB, 1), Buffer.alloc(5 * MiB, 2), Buffer.from("tail")];
    for (const [i, Body] of parts.entries()) {
      await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body }));
    }
    const listed = await client.send(new ListPartsCommand({ Bucket, Key, UploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual(
      parts.map((p, i) => [i + 1, p.length, `"${md5(p)}"`]),
    );
    expect(listed.IsTruncated).toBe(false);
    const page = await client.send(new ListPartsCommand({ Bucket, Key, UploadId, MaxParts: 2 }));
    expect(page.Parts?.map((p) => p.PartNumber)).toEqual([1, 2]);
    expect(page).toMatchObject({ IsTruncated: true, NextPartNumberMarker: "2" });
    const rest = await client.send(
      new ListPartsCommand({ Bucket, Key, UploadId, PartNumberMarker: page.NextPartNumberMarker }),
    );
    expect(rest.Parts?.map((p) => p.PartNumber)).toEqual([3]);

    // The wrong key for this upload id is NoSuchUpload, as on S3.
    await expect(
      client.send(new ListPartsCommand({ Bucket, Key: "uploads/other", UploadId })),
    ).rejects.toMatchObject({ name: "NoSuchUpload" });

    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId,
        MultipartUpload: {
          Parts: listed.Parts!.map(({ ETag, PartNumber }) => ({ ETag, PartNumber })),
        },
      }),
    );
    // Completed uploads are gone: @tus/s3-store relies on exactly this answer.
    await expect(
      client.send(new ListPartsCommand({ Bucket, Key, UploadId })),
    ).rejects.toMatchObject({
      name: "NoSuchUpload",
    });
  });

  it("ListMultipartUploads lists real uploads by prefix with paging; Abort removes the parts", async () => {
    const keys = ["uploads/aaaa", "uploads/bbbb", "models/u/m/v/x.onnx"];
    const ids: string[] = [];
    for (const Key of keys) {
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
      await client.send(
        new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: Buffer.from("p") }),
      );
      ids.push(UploadId!);
    }
    const all = await client.send(new ListMultipartUploadsCommand({ Bucket }));
    expect(all.Uploads?.map((u) => u.Key)).toEqual([
      "models/u/m/v/x.onnx",
      "uploads/aaaa",
      "uploads/bbbb",
    ]);
    expect(all.Uploads?.[0]?.Initiated?.getTime()).toBeGreaterThan(Date.now() - 60_000);
    const prefixed = await client.send(
      new ListMultipartUploadsCommand({ Bucket, Prefix: "uploads/" }),
    );
    expect(prefixed.Uploads?.map((u) => u.UploadId)).toEqual([ids[0], ids[1]]);
    const first = await client.send(
      new ListMultipartUploadsCommand({ Bucket, Prefix: "uploads/", MaxUploads: 1 }),
    );
    expect(first).toMatchObject({ IsTruncated: true, NextKeyMarker: "uploads/aaaa" });
    const second = await client.send(
      new ListMultipartUploadsCommand({
        Bucket,
        Prefix: "uploads/",
        KeyMarker: first.NextKeyMarker,
        UploadIdMarker: first.NextUploadIdMarker,
      }),
    );
    expect(second.Uploads?.map((u) => u.Key)).toEqual(["uploads/bbbb"]);

    for (const [i, Key] of keys.entries()) {
      await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: ids[i] }));
    }
    expect((await client.send(new ListMultipartUploadsCommand({ Bucket }))).Uploads ?? []).toEqual(
      [],
    );
    expect(await readdir(path.join(s3.directory, Bucket, "._S3rver_uploads"))).toEqual([]);
    await expect(
      client.send(new AbortMultipartUploadCommand({ Bucket, Key: keys[0], UploadId: ids[0] })),
    ).rejects.toMatchObject({ name: "NoSuchUpload" });
  });

  it("answers NoSuchBucket and refuses an unknown access key", async () => {
    await expect(
      client.send(new ListMultipartUploadsCommand({ Bucket: "missing" })),
    ).rejects.toMatchObject({
      name: "NoSuchBucket",
    });
    const stranger = new S3Client({
      endpoint: s3.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "NOBODY", secretAccessKey: "x" },
    });
    await expect(stranger.send(new ListMultipartUploadsCommand({ Bucket }))).rejects.toMatchObject({
      name: "InvalidAccessKeyId",
    });
    stranger.destroy();
  });

  it("generates the same bytes for the same seed, different ones otherwise", async () => {
    expect(await sha256OfGenerated(3 * MiB + 5, 1)).toBe(await sha256OfGenerated(3 * MiB + 5, 1));
    expect(await sha256OfGenerated(3 * MiB, 1)).not.toBe(await sha256OfGenerated(3 * MiB, 2));
    let total = 0;
    for await (const chunk of generatedStream(MiB + 3, 1, 4096)) total += (chunk as Buffer).length;
    expect(total).toBe(MiB + 3);
  });
});
