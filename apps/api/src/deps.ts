import type { PrismaClient, TSql } from "@kubeserve/db";
import { createArtifactStore, type TArtifactStore } from "@kubeserve/storage";
import { createTusDataStore, type TTusDataStore } from "@kubeserve/storage/tus";
import type { Logger } from "pino";
import type { TApiConfig } from "./config";
import { createDeviceTokens, type TDeviceTokens } from "./lib/device-cookie";
import { createKeyedQueue, type TKeyedQueue } from "./lib/keyed-queue";
import { createTokenSigner, type TTokenSigner } from "./lib/tokens";

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
  log: Logger;
  /** Where artifacts live (a folder on disk, or S3/MinIO); no I/O until `ensureReady` or a call. */
  storage: TArtifactStore;
  /** Resumable uploads (tus) on the same disk or bucket, under uploads/. */
  tus: TTusDataStore;
};

export function createDeps(options: {
  db: PrismaClient;
  sql: TSql;
  config: TApiConfig;
  log: Logger;
}): TDeps {
  const { secret, deviceTtlSeconds } = options.config.auth;
  return {
    ...options,
    tokens: createTokenSigner(secret),
    deviceTokens: createDeviceTokens(secret, deviceTtlSeconds),
    loginQueue: createKeyedQueue(),
    storage: createArtifactStore(options.config.storage.store),
    tus: createTusDataStore(options.config.storage.store, {
      expirationPeriodInMilliseconds: options.config.uploads.expiryMs,
    }),
  };
}
