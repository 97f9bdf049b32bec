import { openDatabase, PendingMigrationsError, type TDatabase } from "@kubeserve/db";
import { isUnavailable } from "@kubeserve/storage";
import { buildApp } from "./app";
import { ConfigError, readApiConfig, type TApiConfig } from "./config";
import { createDeps } from "./deps";
import { startMetricsServer } from "./gateway/metrics";
import { renderReplicaExposition } from "./services/prometheus-metrics.reexport";
import { startRuntime } from "./services/deployment-runtime";
import { waitForDependency } from "./lib/wait";
import { createLogger } from "./logger";
import { sweepArtifacts } from "./services/artifact-sweep.service";
import { pruneAuthRecords } from "./services/login-limit.service";

async function openConfiguredDatabase(config: TApiConfig, log: ReturnType<typeof createLogger>) {
  const { url, pgliteDir, poolSize, waitSeconds } = config.database;
  return waitForDependency<TDatabase>(
    url ? `PostgreSQL at ${new URL(url).host}` : `embedded PGlite in ${pgliteDir}`,
    () => openDatabase({ url, pgliteDir, poolSize, migrations: url ? "check" : "apply" }),
    {
      timeoutSeconds: waitSeconds,
      isRetryable: (error) => Boolean(url) && !(error instanceof PendingMigrationsError),
      onRetry: (error, attempt) =>
        log.warn(
          { attempt, reason: (error as Error).message },
          "database not reachable yet, retrying",
        ),
    },
  );
}

/** Ray is optional on /readyz: the API keeps serving the other runtimes when Ray never comes. */
function rayReadiness(deps: ReturnType<typeof createDeps>) {
  const ray = deps.runtimes.find("ray") as { checkReady?: () => Promise<void> } | undefined;
  return ray?.checkReady ? [{ name: "ray", check: ray.checkReady, isRequired: false }] : [];
}

async function main(): Promise<void> {
  let config: TApiConfig;
  try {
    config = readApiConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`kubeserve-api: ${error.message}`);
      process.exit(78);
    }
    throw error;
  }
  const log = createLogger(config);
  const database = await openConfiguredDatabase(config, log);
  if (database.appliedMigrations.length > 0) {
    log.info(
      { migrations: database.appliedMigrations },
      "applied pending migrations to the embedded database",
    );
  }
  const deps = createDeps({
    db: database.prisma,
    sql: database.sql,
    listen: database.listen,
    config,
    log,
  });
  await waitForDependency(
    `artifact storage (${deps.storage.describe()})`,
    () => deps.storage.ensureReady(),
    {
      timeoutSeconds: config.storage.waitSeconds,
      isRetryable: (error) => isUnavailable(error),
      onRetry: (error, attempt) =>
        log.warn(
          { attempt, reason: (error as Error).message },
          "storage not reachable yet, retrying",
        ),
    },
  );
  const app = await buildApp({
    deps,
    readiness: [
      { name: "database", check: database.ping },
      { name: "storage", check: () => deps.storage.ping() },
      ...rayReadiness(deps),
    ],
  });
  // Deployments are reconciled before the port opens: no prediction is routed to a replica nobody owns.
  const stopRuntime = await startRuntime(deps);
  // Prometheus scrapes this port; it also re-exports the local replicas' series, which it cannot reach.
  const metricsServer = await startMetricsServer(
    deps.gateway.metrics,
    config.gateway.metricsHost,
    config.gateway.metricsPort,
    () => renderReplicaExposition(deps.replicaMetrics.exposition()),
  );
  log.info({ url: metricsServer.url }, "gateway metrics listening");
  await app.listen({ host: config.host, port: config.port });
  log.info(
    { database: database.kind, url: `http://${config.host}:${config.port}` },
    "KubeServe API listening",
  );

  const pruneTimer = setInterval(() => {
    pruneAuthRecords(deps).catch((error: unknown) =>
      log.warn({ err: error }, "pruning auth records failed"),
    );
  }, 3_600_000);
  pruneTimer.unref();
  const sweepTimer = setInterval(() => {
    sweepArtifacts(deps, { onExpiredUploads: () => deps.tus.cleanUpExpired() }).then(
      (result) => {
        if (result.objects + result.uploads > 0)
          log.info(result, "swept orphaned artifacts and uploads");
      },
      (error: unknown) => log.warn({ err: error }, "artifact sweep failed"),
    );
  }, config.uploads.sweepIntervalMs);
  sweepTimer.unref();

  let isStopping = false;
  const stop = async (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    log.info({ signal }, "shutting down: draining in-flight requests");
    const force = setTimeout(() => {
      log.error("shutdown took longer than 15 s, exiting");
      process.exit(1);
    }, 15_000);
    force.unref();
    clearInterval(pruneTimer);
    clearInterval(sweepTimer);
    await app.close();
    await stopRuntime();
    await metricsServer.close();
    await deps.gateway.keys.close();
    await deps.gateway.upstreams.close();
    await database.close();
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((error: unknown) => {
  console.error(
    `kubeserve-api: failed to start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
