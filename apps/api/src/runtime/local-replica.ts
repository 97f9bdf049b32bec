import { randomBytes } from "node:crypto";
import path from "node:path";
import type { Logger } from "pino";
import type { TRuntimeConfig } from "../config/runtime";
import type { TSklearnConfig } from "../config/sklearn";
import type { TDesiredDeployment, TDrainHook, TEndpoint, TReplicaStatus } from "./driver";
import { LaunchError, launchFor, type TRequirementsStore } from "./local-launch";
import {
  deploymentDir,
  isReplicaReady,
  readListeningPort,
  removePidRecord,
  spawnReplica,
  tailLines,
  terminate,
  type TExit,
  type TPidRecord,
  watchChanges,
  writePidRecord,
} from "./local-process";

// One replica's life under the local runtime: start, readiness, crash and backoff restart, drain and stop.

export type TReplica = {
  id: string;
  generation: number;
  spec: TDesiredDeployment;
  token: string;
  logFile: string;
  logOffset: number;
  state: TReplicaStatus["state"];
  pid: number | undefined;
  port: number | undefined;
  exited: Promise<TExit> | undefined;
  restarts: number;
  consecutiveCrashes: number;
  startedAt: number;
  readyAt: number | undefined;
  reason: string | undefined;
  oomReason: string | undefined;
  isStopping: boolean;
  restartTimer: NodeJS.Timeout | undefined;
  /** Resolves when the replica first becomes ready or gives up (failed or stopped). */
  settled: Promise<void>;
  settle: () => void;
};

export type TState = {
  id: string;
  desired: TDesiredDeployment | undefined;
  isStopped: boolean;
  hasBeenRunning: boolean;
  /** A start, scale or rollout is under way: not yet running is expected, not degraded. */
  isConverging: boolean;
  failure: string | undefined;
  replicas: Map<string, TReplica>;
  endpoints: TEndpoint[];
  queue: Promise<void>;
};

/** A replica that stays ready this long has its crash count forgiven. */
const stableAfterMs = 30_000;

export type TReplicaLifecycle = ReturnType<typeof createReplicaLifecycle>;

export function createReplicaLifecycle(options: {
  config: TRuntimeConfig;
  /** the scikit-learn model server's interpreter and package (sklearn versions only) */
  sklearn?: TSklearnConfig | undefined;
  /** where a version's requirements.txt is read (object keys) */
  store?: TRequirementsStore | undefined;
  log: Logger;
  drain: TDrainHook | undefined;
  /** Called on every change of a replica (endpoints and status are recomputed there). */
  changed: (st: TState) => void;
}) {
  const { config, sklearn, store, log, drain, changed } = options;

  function toEndpoint(st: TState, r: TReplica): TEndpoint {
    return {
      replicaId: r.id,
      deploymentId: st.id,
      origin: `http://127.0.0.1:${r.port}`,
      token: r.token,
      generation: r.generation,
    };
  }

  function replicaEnv(r: TReplica): Record<string, string> {
    const spec = r.spec;
    return {
      ...spec.model.env,
      KUBESERVE_MODEL: spec.model.uri,
      KUBESERVE_MODEL_SHA256: spec.model.sha256,
      ...(spec.model.token ? { KUBESERVE_MODEL_TOKEN: spec.model.token } : {}),
      KUBESERVE_MODEL_NAME: spec.modelName,
      KUBESERVE_DEPLOYMENT: spec.id,
      KUBESERVE_HOST: "127.0.0.1",
      KUBESERVE_PORT: "0",
      KUBESERVE_AUTH_TOKEN: r.token,
      KUBESERVE_BATCHING: spec.runtimeOptions.batching,
      KUBESERVE_MAX_BATCH_SIZE: String(spec.runtimeOptions.maxBatchSize),
      KUBESERVE_MAX_QUEUE_DELAY_MS: String(spec.runtimeOptions.maxQueueDelayMs),
      KUBESERVE_MODEL_CACHE_DIR: path.join(config.dir, "model-cache"),
      KUBESERVE_SHUTDOWN_TIMEOUT_MS: String(config.stopGraceMs),
    };
  }

  function record(st: TState, r: TReplica): TPidRecord | undefined {
    if (r.pid === undefined) return undefined;
    return {
      deploymentId: st.id,
      replicaId: r.id,
      generation: r.generation,
      pid: r.pid,
      port: r.port,
      token: r.token,
      logFile: r.logFile,
      startedAt: new Date(r.startedAt).toISOString(),
    };
  }

  async function saveRecord(st: TState, r: TReplica): Promise<void> {
    const entry = record(st, r);
    if (entry) await writePidRecord(config.dir, entry);
  }

  function newReplica(st: TState, spec: TDesiredDeployment, adopted?: TPidRecord): TReplica {
    let settle = () => {};
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const id = adopted?.replicaId ?? `r-${randomBytes(4).toString("hex")}`;
    const r: TReplica = {
      id,
      generation: spec.generation,
      spec,
      token: adopted?.token ?? randomBytes(24).toString("base64url"),
      logFile: adopted?.logFile ?? path.join(deploymentDir(config.dir, st.id), `${id}.log`),
      logOffset: 0,
      state: adopted ? "ready" : "starting",
      pid: adopted?.pid,
      port: adopted?.port,
      exited: undefined,
      restarts: 0,
      consecutiveCrashes: 0,
      startedAt: adopted ? Date.parse(adopted.startedAt) : Date.now(),
      readyAt: adopted ? Date.now() : undefined,
      reason: undefined,
      oomReason: undefined,
      isStopping: false,
      restartTimer: undefined,
      settled,
      settle,
    };
    if (adopted) settle();
    st.replicas.set(r.id, r);
    return r;
  }

  async function runOnce(st: TState, r: TReplica): Promise<void> {
    if (r.isStopping) return;
    r.state = "starting";
    r.port = undefined;
    r.readyAt = undefined;
    changed(st);
    let launch;
    try {
      launch = await launchFor(r.spec, config, sklearn, replicaEnv(r), store);
    } catch (error) {
      if (!(error instanceof LaunchError)) throw error;
      failReplica(st, r, error.message);
      return;
    }
    const spawned = await spawnReplica({ ...launch, logFile: r.logFile });
    r.pid = spawned.pid;
    r.exited = spawned.exited;
    r.logOffset = spawned.logOffset;
    let hasExited = false;
    void spawned.exited.then((exit) => {
      hasExited = true;
      return onExit(st, r, spawned.pid, exit);
    });
    // The pid file is written while the replica boots; a failed write still fails this start, below.
    const saved = saveRecord(st, r);
    saved.catch(() => undefined);
    const deadline = Date.now() + config.readyTimeoutMs;
    const logChanges = watchChanges(r.logFile);
    try {
      while (!hasExited && !r.isStopping && Date.now() < deadline) {
        if (r.port === undefined) {
          r.port = await readListeningPort(r.logFile, r.logOffset);
          if (r.port !== undefined) {
            await saved;
            await saveRecord(st, r);
            continue;
          }
        } else if (await isReplicaReady(`http://127.0.0.1:${r.port}`, r.token)) {
          if (hasExited || r.isStopping) return;
          r.state = "ready";
          r.readyAt = Date.now();
          r.reason = undefined;
          changed(st);
          r.settle();
          return;
        }
        // Woken by the replica's next log line (it logs "model ready" when it is), or polled.
        await logChanges.next(20);
      }
    } finally {
      logChanges.close();
      await saved;
    }
    if (!hasExited && !r.isStopping) {
      r.oomReason = `not ready within ${config.readyTimeoutMs / 1000} s`;
      await terminate(spawned.pid, 1000, spawned.exited);
    }
  }

  /** No restart can help (e.g. no usable interpreter): the deployment fails with the reason. */
  function failReplica(st: TState, r: TReplica, reason: string): void {
    r.state = "failed";
    r.reason = reason;
    st.failure = `replica ${r.id} cannot start: ${reason}`;
    log.warn({ deployment: st.id, replica: r.id, reason }, "replica cannot start");
    changed(st);
    r.settle();
  }

  async function onExit(st: TState, r: TReplica, pid: number, exit: TExit): Promise<void> {
    if (r.pid !== pid) return;
    r.pid = undefined;
    r.port = undefined;
    r.exited = undefined;
    if (r.isStopping) return;
    r.state = "crashed";
    changed(st);
    if (r.readyAt && Date.now() - r.readyAt > stableAfterMs) r.consecutiveCrashes = 0;
    r.consecutiveCrashes += 1;
    const lines = await tailLines(r.logFile, 5, r.logOffset);
    const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
    r.reason = r.oomReason ?? `${how}: ${lines.join("\n") || "(no output)"}`;
    r.oomReason = undefined;
    if (r.consecutiveCrashes > config.maxRestarts) {
      r.state = "failed";
      st.failure = `replica ${r.id} failed ${r.consecutiveCrashes} times in a row; last: ${r.reason}`;
      log.warn({ deployment: st.id, replica: r.id, reason: r.reason }, "replica failed");
      await removePidRecord(config.dir, st.id, r.id);
      changed(st);
      r.settle();
      return;
    }
    r.state = "crashed";
    r.restarts += 1;
    changed(st);
    const delay = config.restartBackoffMs * 2 ** (r.consecutiveCrashes - 1);
    log.warn(
      { deployment: st.id, replica: r.id, reason: r.reason, delay },
      "replica crashed, restarting",
    );
    r.restartTimer = setTimeout(() => {
      r.restartTimer = undefined;
      runOnce(st, r).catch((error: unknown) => log.error({ err: error }, "replica restart failed"));
    }, delay);
    r.restartTimer.unref();
  }

  async function stopReplica(st: TState, r: TReplica): Promise<void> {
    const endpoint = r.state === "ready" && r.port !== undefined ? toEndpoint(st, r) : undefined;
    r.isStopping = true;
    if (r.restartTimer) clearTimeout(r.restartTimer);
    r.state = "draining";
    changed(st);
    if (endpoint && drain) {
      await Promise.race([
        drain(endpoint),
        new Promise((resolve) => setTimeout(resolve, config.stopGraceMs)),
      ]);
    }
    if (r.pid !== undefined) await terminate(r.pid, config.stopGraceMs, r.exited);
    await removePidRecord(config.dir, st.id, r.id);
    st.replicas.delete(r.id);
    r.settle();
    changed(st);
  }

  return { toEndpoint, newReplica, runOnce, onExit, stopReplica };
}
