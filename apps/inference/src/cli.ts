#!/usr/bin/env node
import cluster from "node:cluster";
import { announceReady, createClusterMetricsCollector, runClusterPrimary } from "./cluster";
import { ConfigError, formatHelp, loadConfig, type TConfig } from "./config";
import { runFetchCommand } from "./fetch-command";
import { createLogger } from "./logger";
import { startInferenceServer } from "./server";

function readConfig(): TConfig | "help" {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`kubeserve-inference: ${error.message}\n`);
    process.exit(2);
  }
}

async function serve(config: TConfig): Promise<void> {
  let server;
  try {
    server = await startInferenceServer({
      ...config,
      ...(cluster.isWorker ? { renderMetrics: createClusterMetricsCollector() } : {}),
    });
  } catch (error) {
    process.stderr.write(`kubeserve-inference: ${(error as Error).message}\n`);
    process.exit(1);
  }
  announceReady();
  const stop = (signal: string) => {
    process.stderr.write(`kubeserve-inference: ${signal} received, shutting down\n`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`kubeserve-inference: shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

const config = process.argv[2] === "fetch" ? undefined : readConfig();
if (config === undefined) {
  runFetchCommand(process.argv.slice(3)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`kubeserve-inference fetch: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
} else if (config === "help") {
  process.stdout.write(`${formatHelp()}\n`);
} else if (config.workers > 1 && cluster.isPrimary) {
  void runClusterPrimary(config.workers, createLogger(config.logLevel, { role: "primary" }));
} else {
  void serve(config);
}
