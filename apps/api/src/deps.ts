import type { PrismaClient, TListen, TSql } from "@kubeserve/db";
import { createArtifactStore, type TArtifactStore } from "@kubeserve/storage";
import { createTusDataStore, type TTusDataStore } from "@kubeserve/storage/tus";
import type { Logger } from "pino";
import type { TApiConfig } from "./config";
import { createDeviceTokens, type TDeviceTokens } from "./lib/device-cookie";
import { createKeyedQueue, type TKeyedQueue } from "./lib/keyed-queue";
import { createTokenSigner, type TTokenSigner } from "./lib/tokens";
import { createDirectory, type TDirectory } from "./gateway/directory";
import { createKeyCache, type TKeyCache } from "./gateway/key-cache";
import { createGatewayMetrics, type TGatewayMetrics } from "./gateway/metrics";
import { createRateLimiter, type TRateLimiter } from "./gateway/rate-limit";
import { createUpstreams, type TUpstreams } from "./gateway/upstreams";
import { createLocalDriver } from "./runtime/local.driver";
import { createRuntimeRegistry, type TRuntimeRegistry } from "./runtime/registry";
import { createKubernetesRuntime } from "./runtime/kubernetes-runtime";
import { createRayRuntime } from "./runtime/ray-wiring";
import { createPrometheusMetrics, type TPrometheusMetrics } from "./services/prometheus-metrics";
import { tenantQuotaOf } from "./services/quota.service";
import { createReplicaMetrics, type TReplicaMetrics } from "./runtime/replica-metrics";

/** The prediction gateway's in-process state: pools, caches, limits and its own metrics. */
export type TGateway = {
  upstreams: TUpstreams;
  keys: TKeyCache;
  directory: TDirectory;
  limiter: TRateLimiter;
  metrics: TGatewayMetrics;
};

/** What every service needs, built once per process and shared by HTTP handlers and tests. */
export type TDeps = {
  db: PrismaClient;
  /** Plain SQL on the same pool, for the hot reads every request makes (auth, model lists). */
  sql: TSql;
  config: TApiConfig;
  tokens: TTokenSigner;
  deviceTokens: TDeviceTokens;
  /** Logins for one account wait here, not on a pooled connection, for their turn at the account's lock. */
  loginQueue: TKeyedQueue;
  /** Status changes of one deployment are written one at a time, in order. */
  deploymentQueue: TKeyedQueue;
  log: Logger;
  /** Where artifacts live (a folder on disk, or S3/MinIO); no I/O until `ensureReady` or a call. */
  storage: TArtifactStore;
  /** NOTIFY subscriptions (the gateway's key cache); undefined where the database offers none. */
  listen: TListen | undefined;
  /** Where deployments run, by each deployment's `runtime` (local: model-server processes this API supervises). */
  runtimes: TRuntimeRegistry;
  gateway: TGateway;
  /** Rolling windows of the replicas' own metrics, scraped every few seconds. */
  replicaMetrics: TReplicaMetrics;
  /** deployment.metrics of kubernetes and ray deployments, when PROMETHEUS_URL is set. */
  prometheus: TPrometheusMetrics | undefined;
  /** Resumable uploads (tus) on the same disk or bucket, under uploads/. */
  tus: TTusDataStore;
};

export function createDeps(options: {
  db: PrismaClient;
  sql: TSql;
  config: TApiConfig;
  log: Logger;
  listen?: TListen | undefined;
}): TDeps {
  const { secret, deviceTtlSeconds } = options.config.auth;
  const { config, log } = options;
  const upstreams = createUpstreams();
  const storage = createArtifactStore(options.config.storage.store);
  const local = createLocalDriver({
    config: config.runtime,
    sklearn: config.sklearn,
    store: storage,
    log,
    drain: upstreams.drain,
  });
  const ray = config.ray.isEnabled ? createRayRuntime({ db: options.db, config, log }) : undefined;
  const kubernetes = config.kubernetes.isEnabled
    ? createKubernetesRuntime({
        db: options.db,
        config,
        log,
        quotaOf: (userId) => tenantQuotaOf(options.db, userId),
      })
    : undefined;
  const runtimes = createRuntimeRegistry(
    [local, kubernetes, ray].filter((driver) => driver !== undefined),
  );
  return {
    ...options,
    listen: options.listen,
    runtimes,
    gateway: {
      upstreams,
      keys: createKeyCache({
        sql: options.sql,
        listen: options.listen,
        config: config.gateway,
        log,
      }),
      directory: createDirectory(options.sql),
      limiter: createRateLimiter(config.gateway.rateLimitRps, config.gateway.rateLimitBurst),
      metrics: createGatewayMetrics(),
    },
    replicaMetrics: createReplicaMetrics({
      runtime: local,
      log,
      intervalMs: config.gateway.scrapeMs,
    }),
    prometheus: config.gateway.prometheusUrl
      ? createPrometheusMetrics({
          url: config.gateway.prometheusUrl,
          timeoutMs: config.gateway.prometheusTimeoutMs,
        })
      : undefined,
    tokens: createTokenSigner(secret),
    deviceTokens: createDeviceTokens(secret, deviceTtlSeconds),
    loginQueue: createKeyedQueue(),
    deploymentQueue: createKeyedQueue(),
    storage,
    tus: createTusDataStore(options.config.storage.store, {
      expirationPeriodInMilliseconds: options.config.uploads.expiryMs,
    }),
  };
}
