import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { assertValidKey } from "@kubeserve/storage/keys";
import type { S3ArtifactStore } from "@kubeserve/storage/s3";
import type { TLogger } from "../logger";
import {
  downloadHttp,
  hashFile,
  isFile,
  ModelSourceError,
  redactUrl,
  writeVerified,
} from "./download";

export { ModelSourceError } from "./download";

export type TModelSource = {
  model: string;
  sha256?: string | undefined;
  cacheDir: string;
  s3Endpoint?: string | undefined;
  s3AccessKey?: string | undefined;
  s3SecretKey?: string | undefined;
  s3Region: string;
  /** bearer token for http(s) model URLs */
  modelToken?: string | undefined;
};

type TS3Location = { bucket: string; key: string };

export function parseS3Uri(uri: string): TS3Location | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match?.[1] || !match[2]) return undefined;
  return { bucket: match[1], key: match[2] };
}

export function isHttpModel(model: string): boolean {
  return /^https?:\/\//i.test(model);
}

async function openS3(source: TModelSource, bucket: string): Promise<S3ArtifactStore> {
  if (!source.s3Endpoint) {
    throw new ModelSourceError(
      `model ${source.model} is on S3 but KUBESERVE_S3_ENDPOINT (--s3-endpoint) is not set`,
    );
  }
  // Loaded on first use: the minio client costs most of a second of CPU at start, and only s3:// needs it.
  const { createS3Store } = await import("@kubeserve/storage/s3");
  return createS3Store({
    driver: "s3",
    endpoint: source.s3Endpoint,
    accessKey: source.s3AccessKey ?? "",
    secretKey: source.s3SecretKey ?? "",
    region: source.s3Region,
    bucket,
    pathStyle: true,
  });
}

async function downloadFromS3(source: TModelSource, location: TS3Location): Promise<string> {
  const uri = `s3://${location.bucket}/${location.key}`;
  try {
    // The key also names the cache file: a key that could leave the cache folder is refused.
    assertValidKey(location.key);
  } catch (error) {
    throw new ModelSourceError(`model URI ${uri}: ${(error as Error).message}`);
  }
  const target = path.resolve(source.cacheDir, location.bucket, location.key);
  const etagFile = `${target}.etag`;
  if (source.sha256 && (await isFile(target)) && (await hashFile(target)) === source.sha256) {
    return target;
  }
  const store = await openS3(source, location.bucket);
  let etag: string;
  try {
    const info = await store.stat(location.key);
    if (!info) throw new Error("the object does not exist");
    etag = info.etag;
  } catch (error) {
    throw new ModelSourceError(
      `cannot read ${uri} at ${source.s3Endpoint}: ${(error as Error).message}`,
    );
  }
  const cachedEtag = await readFile(etagFile, "utf8").catch(() => undefined);
  if (!source.sha256 && cachedEtag === etag && (await isFile(target))) return target;

  let body;
  try {
    body = (await store.get(location.key)).body;
  } catch (error) {
    throw new ModelSourceError(`download of ${uri} failed: ${(error as Error).message}`);
  }
  await writeVerified(body, target, uri, { sha256: source.sha256 });
  await writeFile(etagFile, etag);
  return target;
}

/**
 * With a checksum the cache is content-addressed (`<cache>/sha256/<hex>`), so a new URL for the
 * same bytes (a fresh presigned URL, another API replica) needs no download; without one, the URL
 * (minus signature parameters) names the file and its ETag is revalidated on every start.
 */
export function httpCachePath(cacheDir: string, url: string, sha256?: string): string {
  if (sha256) return path.resolve(cacheDir, "sha256", sha256);
  const parsed = new URL(url);
  for (const name of [...parsed.searchParams.keys()]) {
    if (/^x-amz-|^(signature|expires|awsaccesskeyid)$/i.test(name))
      parsed.searchParams.delete(name);
  }
  const id = createHash("sha256").update(parsed.href).digest("hex");
  return path.resolve(cacheDir, "http", id, "model");
}

async function downloadFromHttp(source: TModelSource): Promise<string> {
  const target = httpCachePath(source.cacheDir, source.model, source.sha256);
  if (source.sha256) {
    if ((await isFile(target)) && (await hashFile(target)) === source.sha256) return target;
    await downloadHttp({
      url: source.model,
      token: source.modelToken,
      sha256: source.sha256,
      target,
    });
    return target;
  }
  const etagFile = `${target}.etag`;
  const cachedEtag = (await isFile(target))
    ? await readFile(etagFile, "utf8").catch(() => undefined)
    : undefined;
  const result = await downloadHttp({
    url: source.model,
    token: source.modelToken,
    target,
    ifNoneMatch: cachedEtag,
  });
  if (result.status === "downloaded") await writeFile(etagFile, result.etag ?? "");
  return target;
}

/** Returns a local file path for the model, downloading S3 objects and URLs into the cache once. */
export async function resolveModelFile(source: TModelSource, logger: TLogger): Promise<string> {
  const location = parseS3Uri(source.model);
  if (location) {
    const file = await downloadFromS3(source, location);
    logger.info({ uri: source.model, file }, "model file ready in cache");
    return file;
  }
  if (source.model.startsWith("s3://")) {
    throw new ModelSourceError(`model URI ${source.model} is not of the form s3://bucket/key`);
  }
  if (isHttpModel(source.model)) {
    const file = await downloadFromHttp(source);
    logger.info({ uri: redactUrl(source.model), file }, "model file ready in cache");
    return file;
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

/** `kubeserve-inference fetch`: the file at `out` is complete and matches `sha256`, or this throws. */
export async function fetchModelFile(options: {
  url: string;
  sha256: string;
  out: string;
  token?: string | undefined;
}): Promise<{ file: string; isDownloaded: boolean }> {
  const file = path.resolve(options.out);
  if ((await isFile(file)) && (await hashFile(file)) === options.sha256) {
    return { file, isDownloaded: false };
  }
  await downloadHttp({
    url: options.url,
    token: options.token,
    sha256: options.sha256,
    target: file,
  });
  return { file, isDownloaded: true };
}
