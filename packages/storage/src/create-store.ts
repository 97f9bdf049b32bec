import { createFsStore } from "./fs-store";
import { createS3Store } from "./s3-store";
import type { TArtifactStore, TStorageConfig } from "./types";

/** The store the configuration names; no I/O happens until `ensureReady`, `ping` or an operation. */
export function createArtifactStore(config: TStorageConfig): TArtifactStore {
  switch (config.driver) {
    case "fs":
      return createFsStore(config);
    case "s3":
      return createS3Store(config);
  }
}
