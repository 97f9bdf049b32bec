import type { PrismaClient, TSql } from "@kubeserve/db";
import type { Logger } from "pino";
import type { TApiConfig } from "./config";
import { createTokenSigner, type TTokenSigner } from "./lib/tokens";

/** What every service needs, built once per process and shared by HTTP handlers and tests. */
export type TDeps = {
  db: PrismaClient;
  /** Plain SQL on the same pool, for the hot reads every request makes (auth, model lists). */
  sql: TSql;
  config: TApiConfig;
  tokens: TTokenSigner;
  log: Logger;
};

export function createDeps(options: {
  db: PrismaClient;
  sql: TSql;
  config: TApiConfig;
  log: Logger;
}): TDeps {
  return { ...options, tokens: createTokenSigner(options.config.auth.secret) };
}
