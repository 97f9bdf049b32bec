import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Client } from "minio";
import type { Logger } from "pino";

export type TModelSource = {
  model: string;
  sha256?: string | undefined;
  cacheDir: string;
  s3Endpoint?: string | undefined;
  s3AccessKey?: string | undefined;
  s3SecretKey?: string | undefined;
  s3Region: string;
};

export class ModelSourceError extends Error {
  override name = "ModelSourceError";
}

type TS3Location = { bucket: string; key: string };

export function parseS3Uri(uri: string): TS3Location | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match?.[1] || !match[2]) return undefined;
  return { bucket: match[1], key: match[2] };
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

function createS3Client(source: TModelSource): Client {
  if (!source.s3Endpoint) {
    throw new ModelSourceError(
      `model ${source.model} is on S3 but KUBESERVE_S3_ENDPOINT (--s3-endpoint) is not set`,
    );
  }
  const url = new URL(source.s3Endpoint);
  const useSSL = url.protocol === "https:";
  return new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: source.s3AccessKey ?? "",
    secretKey: source.s3SecretKey ?? "",
    region: source.s3Region,
    pathStyle: true,
  });
}

async function downloadFromS3(source: TModelSource, location: TS3Location): Promise<string> {
  const target = path.resolve(source.cacheDir, location.bucket, location.key);
  const etagFile = `${target}.etag`;
  if (source.sha256 && (await isFile(target)) && (await hashFile(target)) === source.sha256) {
    return target;
  }
  const client = createS3Client(source);
  let etag: string;
  try {
    etag = (await client.statObject(location.bucket, location.key)).etag;
  } catch (error) {
    throw new ModelSourceError(
      `cannot read s3://${location.bucket}/${location.key} at ${source.s3Endpoint}: ${(error as Error).message}`,
    );
  }
  const cachedEtag = await readFile(etagFile, "utf8").catch(() => undefined);
  if (!source.sha256 && cachedEtag === etag && (await isFile(target))) return target;

  await mkdir(path.dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  const hash = createHash("sha256");
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    const body = await client.getObject(location.bucket, location.key);
    await pipeline(body, hashing, createWriteStream(partial));
  } catch (error) {
    await rm(partial, { force: true });
    throw new ModelSourceError(
      `download of s3://${location.bucket}/${location.key} failed: ${(error as Error).message}`,
    );
  }
  const digest = hash.digest("hex");
  if (source.sha256 && digest !== source.sha256) {
    await rm(partial, { force: true });
    throw new ModelSourceError(
      `checksum mismatch for s3://${location.bucket}/${location.key}: expected sha256 ${source.sha256}, downloaded ${digest}`,
    );
  }
  await rename(partial, target);
  await writeFile(etagFile, etag);
  return target;
}

/** Returns a local file path for the model, downloading S3 objects into the cache once. */
export async function resolveModelFile(source: TModelSource, logger: Logger): Promise<string> {
  const location = parseS3Uri(source.model);
  if (location) {
    const file = await downloadFromS3(source, location);
    logger.info({ uri: source.model, file }, "model file ready in cache");
    return file;
  }
  if (source.model.startsWith("s3://")) {
    throw new ModelSourceError(`model URI ${source.model} is not of the form s3://bucket/key`);
  }
  const file = path.resolve(source.model);
  if (!(await isFile(file))) throw new ModelSourceError(`model file ${file} does not exist`);
  if (source.sha256) {
    const digest = await hashFile(file);
    if (digest !== source.sha256) {
      throw new ModelSourceError(
        `checksum mismatch for ${file}: expected sha256 ${source.sha256}, file has ${digest}`,
      );
    }
  }
  return file;
}
