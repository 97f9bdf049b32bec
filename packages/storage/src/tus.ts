import type { DataStore } from "@tus/utils";
import { TusFileStore } from "./tus-fs";
import { TusS3Store } from "./tus-s3";
import type { TArtifactStore, TPutResult, TStorageConfig } from "./types";

export { createUploadId, uploadKey } from "./tus-common";
export { TusFileStore } from "./tus-fs";
export { TusS3Store } from "./tus-s3";

/** What the API mounts under @tus/server (`new Server({ datastore, namingFunction: createUploadId })`). */
export type TTusDataStore = DataStore & {
  readonly driver: "fs" | "s3";
  /** the artifact store on the same disk or bucket */
  readonly artifacts: TArtifactStore;
  /**
   * Moves finished upload `uploadId` to `finalKey` (fs: rename, s3: copy + delete) and removes its
   * bookkeeping (.json / .info / .part); returns size and sha256 (hashed on the fly when every
   * PATCH went through this process, else by reading the object once).
   * StorageNotFoundError for an unknown id; StorageError when the upload is not complete.
   */
  finishTusUpload(uploadId: string, finalKey: string): Promise<TPutResult>;
  /** Deletes expired incomplete uploads with their parts and stale leftovers; returns how many. */
  cleanUpExpired(): Promise<number>;
};

export type TTusStoreOptions = {
  /** incomplete uploads older than this are refused (410) and removed by cleanUpExpired */
  expirationPeriodInMilliseconds: number;
};

/** @tus/file-store or @tus/s3-store for the same storage configuration as createArtifactStore. */
export function createTusDataStore(
  config: TStorageConfig,
  options: TTusStoreOptions,
): TTusDataStore {
  return config.driver === "fs"
    ? new TusFileStore(config, options)
    : new TusS3Store(config, options);
}
