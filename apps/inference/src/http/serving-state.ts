import type { TLogger } from "../logger";
import type { TTensorSpec, TSignature } from "../model/signature";
import type { TMetrics } from "../metrics/metrics";
import type { InferenceStats } from "../metrics/stats";
import type { JsonScanner } from "../protocol/json-scan";
import type { TModelIdentity } from "../protocol/metadata";
import type { Batcher } from "../runtime/batcher";

/** What the HTTP layer needs once the model is loaded and warmed up. */
export type TLoadedServing = {
  signature: TSignature;
  batcher: Batcher;
  scanner: JsonScanner;
  v1Output: TTensorSpec;
  /** `{"model_name":"…","model_version":"…"` — the start of every V2 response */
  v2Prefix: string;
  metadataJson: string;
  tritonConfigJson: string;
};

export type TServingState = {
  model: TModelIdentity;
  logger: TLogger;
  metrics: TMetrics;
  stats: InferenceStats;
  maxBodyBytes: number;
  /** every request must carry `Authorization: Bearer <authToken>` when set */
  authToken: string | undefined;
  /** the two health paths answer without the token (kubelet probes carry none) */
  isHealthPublic?: boolean;
  /** set once the model loaded and its warm-up run succeeded */
  loaded: TLoadedServing | undefined;
  isDraining: boolean;
  /** renders /metrics; in cluster mode it gathers every worker's metrics */
  renderMetrics: () => Promise<string>;
};
