import { Client } from "minio";
import {
  describeError,
  errorCode,
  isUnavailable,
  StorageError,
  StorageNotFoundError,
  StorageUnavailableError,
} from "./errors";
import type { TS3StorageConfig } from "./types";

export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;

export type TS3Endpoint = { host: string; port: number; useSSL: boolean; url: string };

/** Host, port and TLS come from the endpoint URL (http://minio:9000, https://s3.eu-west-1.amazonaws.com). */
export function parseS3Endpoint(endpoint: string): TS3Endpoint {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new StorageError(
      `S3 endpoint ${JSON.stringify(endpoint)} is not a URL (e.g. http://minio:9000)`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new StorageError(`S3 endpoint ${endpoint} must start with http:// or https://`);
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.username) {
    throw new StorageError(`S3 endpoint ${endpoint} must be scheme://host[:port] without a path`);
  }
  const useSSL = url.protocol === "https:";
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    url: url.origin,
  };
}

export function partSizeOf(config: TS3StorageConfig): number {
  const size = config.partSizeBytes ?? DEFAULT_PART_SIZE;
  if (!Number.isSafeInteger(size) || size < MIN_PART_SIZE || size > MAX_PART_SIZE) {
    throw new StorageError(`S3 part size must be between 5 MiB and 5 GiB, got ${size}`);
  }
  return size;
}

export function createMinioClient(config: TS3StorageConfig): Client {
  const endpoint = parseS3Endpoint(config.endpoint);
  return new Client({
    endPoint: endpoint.host,
    port: endpoint.port,
    useSSL: endpoint.useSSL,
    accessKey: config.accessKey,
    secretKey: config.secretKey,
    region: config.region,
    pathStyle: config.pathStyle,
    partSize: partSizeOf(config),
  });
}

const NOT_FOUND = new Set(["NoSuchKey", "NotFound", "NoSuchObject"]);

export function isS3NotFound(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && NOT_FOUND.has(code);
}

/** One translation of minio and socket errors into the storage error family. */
export function mapS3Error(error: unknown, where: string, action: string, key?: string): Error {
  if (error instanceof StorageError) return error;
  if (key !== undefined && isS3NotFound(error)) return new StorageNotFoundError(key);
  const subject = key === undefined ? "" : ` ${key}`;
  if (isUnavailable(error)) {
    return new StorageUnavailableError(
      `object store ${where} is unavailable (${action}${subject}): ${describeError(error)}`,
      { cause: error },
    );
  }
  return new StorageError(
    `object store ${where} refused to ${action}${subject}: ${describeError(error)}`,
    {
      cause: error,
    },
  );
}
