import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { waitFor } from "@kubeserve/testing";
import type { THarness, TSignedUp } from "./harness";
import { seedReadyVersion } from "./ready-version";

// The real Debian `prometheus` binary for the deployment.metrics tests (one static scrape target, scraped
// every second, answering on a free loopback port), and the deployment rows whose series it is asked for.

export const prometheusBin = "/usr/bin/prometheus";
export const hasPrometheus = existsSync(prometheusBin);

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** Starts Prometheus scraping `target` (host:port) as `job`; resolves once it answers its readiness probe. */
export async function startPrometheus(options: {
  port: number;
  target: string;
  job: string;
}): Promise<ChildProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), "ks-prom-"));
  const config = path.join(dir, "prometheus.yml");
  writeFileSync(
    config,
    [
      "global: {scrape_interval: 1s, evaluation_interval: 1s}",
      "scrape_configs:",
      `  - job_name: ${options.job}`,
      `    static_configs: [{targets: ["${options.target}"]}]`,
    ].join("\n"),
  );
  const child = spawn(
    prometheusBin,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
    ],
    { stdio: "ignore" },
  );
  await waitFor(
    async () => {
      const r = await fetch(`http://127.0.0.1:${options.port}/-/ready`).catch(() => undefined);
      return r?.ok ? true : undefined;
    },
    { what: "Prometheus ready", timeoutMs: 30_000 },
  );
  return child;
}

/**
 * A model with one ready iris version and a `running` deployment of `runtime`, as that runtime's driver
 * leaves it: this API runs no Ray or kubernetes runtime, so the row is written directly. Returns its id.
 */
export async function seedRunningDeployment(
  h: THarness,
  user: TSignedUp,
  options: { modelName: string; name: string; runtime: "ray" | "kubernetes" },
): Promise<string> {
  const model = await user.api.model.create({ name: options.modelName });
  const version = await user.api.version.create({
    modelId: model.id,
    tag: "v1",
    framework: "onnx",
  });
  await seedReadyVersion(h.deps, { userId: user.userId, versionId: version.id });
  const row = await h.deps.db.deployment.create({
    data: {
      ownerId: user.userId,
      modelId: model.id,
      versionId: version.id,
      name: options.name,
      runtime: options.runtime,
      status: "running",
    },
    select: { id: true },
  });
  return row.id;
}
