export type {
  TArtifactStore,
  TFsStorageConfig,
  TGetOptions,
  TGetResult,
  TObjectInfo,
  TPutOptions,
  TPutResult,
  TS3StorageConfig,
  TStorageConfig,
} from "./types";
export {
  isUnavailable,
  StorageError,
  StorageKeyError,
  StorageNotFoundError,
  StorageRangeError,
  StorageSizeError,
  StorageSourceError,
  StorageUnavailableError,
} from "./errors";
export {
  artifactKey,
  assertSafeFilename,
  assertUploadId,
  assertValidKey,
  assertValidPrefix,
  isValidKey,
  UPLOADS_PREFIX,
  type TArtifactKeyParts,
} from "./keys";
export { createArtifactStore } from "./create-store";
export { createFsStore, FsArtifactStore } from "./fs-store";
export { createS3Store, MAX_COPY_BYTES, S3ArtifactStore } from "./s3-store";
export { DEFAULT_PART_SIZE, parseS3Endpoint, type TS3Endpoint } from "./s3-client";
