#!/usr/bin/env node
import { ConfigError, formatHelp, loadConfig } from "./config";
import { startInferenceServer } from "./server";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`kubeserve-inference: ${error.message}\n`);
    process.exit(2);
  }
  if (config === "help") {
    process.stdout.write(`${formatHelp()}\n`);
    return;
  }
  let server;
  try {
    server = await startInferenceServer(config);
  } catch (error) {
    process.stderr.write(`kubeserve-inference: ${(error as Error).message}\n`);
    process.exit(1);
  }
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

void main();
