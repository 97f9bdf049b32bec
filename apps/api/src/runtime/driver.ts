import type { DeploymentRuntime } from "@kubeserve/db";

// The one interface every runtime implements (local processes here; Kubernetes and Ray in their own files).

export type TRuntimeOptions = {
  batching: "auto" | "on" | "off";
  maxBatchSize: number;
  maxQueueDelayMs: number;
};

/** Kubernetes quantities; the local runtime enforces `memoryLimit` only (by an RSS watchdog). */
export type TResources = {
  cpuRequest?: string | undefined;
  cpuLimit?: string | undefined;
  memoryRequest?: string | undefined;
  memoryLimit?: string | undefined;
};

/** Where a replica reads its model: a local path, or a URL it fetches (with a bearer token or S3 keys). */
export type TModelSource = {
  uri: string;
  sha256: string;
  token?: string | undefined;
  env?: Record<string, string>;
};

export type TDesiredDeployment = {
  id: string;
  name: string;
  /** The model name in V2 URLs (`/v2/models/{modelName}`). */
  modelName: string;
  /** Bumped on every version change: replicas of an older generation are replaced one by one. */
  generation: number;
  model: TModelSource;
  /** Which model server runs it (the version's framework); absent means ONNX. */
  framework?: "onnx" | "sklearn" | undefined;
  /** requirements.txt of a scikit-learn version: its object key in the artifact store (or a local path) */
  requirements?: { uri: string; sha256: string } | undefined;
  replicas: number;
  resources: TResources;
  runtimeOptions: TRuntimeOptions;
  /** Set when the owner asked for autoscaling (runtimes with their own autoscaler use it; local ignores it). */
  autoscaling?: { minReplicas: number; maxReplicas: number; targetInFlight: number } | undefined;
};

export type TReplicaState = "starting" | "ready" | "draining" | "crashed" | "failed";

export type TReplicaStatus = {
  id: string;
  generation: number;
  state: TReplicaState;
  pid: number | undefined;
  port: number | undefined;
  restarts: number;
  startedAt: string;
  readyAt: string | undefined;
  /** Why it is not ready (the process's last log lines after a crash, `OOMKilled: …`). */
  reason: string | undefined;
};

export type TRuntimePhase = "absent" | "starting" | "running" | "degraded" | "failed" | "stopped";

export type TRuntimeStatus = {
  deploymentId: string;
  phase: TRuntimePhase;
  reason: string | undefined;
  desiredReplicas: number;
  generation: number;
  replicas: TReplicaStatus[];
};

/** A ready replica the gateway may send requests to; `token` is the replica's own bearer token. */
export type TEndpoint = {
  replicaId: string;
  deploymentId: string;
  origin: string;
  token: string;
  generation: number;
  /** Prepended to the upstream path (Ray Serve's route prefix, the Kubernetes API server's service proxy). */
  pathPrefix?: string | undefined;
  /** Sent instead of `authorization: Bearer <token>` where the runtime authenticates another way. */
  headers?: Record<string, string> | undefined;
  /** TLS for an https origin (the API server's CA, a client certificate); the pool for the origin uses it. */
  connect?: TEndpointTls | undefined;
};

export type TEndpointTls = {
  ca?: string | Buffer | undefined;
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
  rejectUnauthorized?: boolean | undefined;
};

export type TReplicaLogs = { replicaId: string; lines: string[] };

export type TRuntimeDriver = {
  /** One of the database's `DeploymentRuntime` values: a deployment's `runtime` names its driver. */
  readonly kind: DeploymentRuntime;
  /** Converges a deployment on `desired` (start, scale, rolling update); resolves when it is settled. */
  apply(desired: TDesiredDeployment): Promise<void>;
  scale(deploymentId: string, replicas: number): Promise<void>;
  /** Drains and stops every replica; the deployment stays known (start it again with `apply`). */
  stop(deploymentId: string): Promise<void>;
  /** Stops and forgets the deployment, its files and logs. */
  delete(deploymentId: string): Promise<void>;
  status(deploymentId: string): TRuntimeStatus;
  /** Called on every status change of any deployment; returns the unsubscribe function. */
  watch(listener: (status: TRuntimeStatus) => void): () => void;
  logs(deploymentId: string, lines: number): Promise<TReplicaLogs[]>;
  /** Ready replicas, for routing; cheap enough to call on every request. */
  endpoints(deploymentId: string): TEndpoint[];
  /**
   * Makes the runtime match the database: what should run is started (or marked failed), what was left by
   * a previous API process is adopted when it matches and stopped otherwise.
   */
  reconcile(desired: TDesiredDeployment[]): Promise<void>;
  /** On API shutdown: drains and stops every replica this process supervises. */
  close(): Promise<void>;
};

/** Called before a replica is stopped, so the gateway stops routing to it and lets its requests finish. */
export type TDrainHook = (endpoint: TEndpoint) => Promise<void>;
