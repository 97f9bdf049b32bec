import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import type { TRuntimeConfig } from "../config/runtime";
import type {
  TDesiredDeployment,
  TDrainHook,
  TEndpoint,
  TReplicaStatus,
  TRuntimeDriver,
  TRuntimeStatus,
} from "./driver";
import {
  deploymentDir,
  isAlive,
  isReplicaProcess,
  isReplicaReady,
  memoryBytes,
  readListeningPort,
  readPidRecords,
  readRssBytes,
  removePidRecord,
  spawnReplica,
  tailLines,
  terminate,
  type TExit,
  type TPidRecord,
  writePidRecord,
} from "./local-process";

// The embedded runtime: the API supervises one `apps/inference` process per replica on 127.0.0.1.

type TReplica = {
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

type TState = {
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

export type TLocalDriverOptions = {
  config: TRuntimeConfig;
  log: Logger;
  drain?: TDrainHook;
};

export function createLocalDriver({ config, log, drain }: TLocalDriverOptions): TRuntimeDriver {
  const states = new Map<string, TState>();
  const listeners = new Set<(status: TRuntimeStatus) => void>();

  function stateOf(id: string): TState {
    let st = states.get(id);
    if (!st) {
      st = {
        id,
        desired: undefined,
        isStopped: false,
        hasBeenRunning: false,
        isConverging: false,
        failure: undefined,
        replicas: new Map(),
        endpoints: [],
        queue: Promise.resolve(),
      };
      states.set(id, st);
    }
    return st;
  }

  /** One change at a time per deployment: applies, scales and stops never interleave. */
  function enqueue(st: TState, task: () => Promise<void>): Promise<void> {
    const run = st.queue.then(task);
    st.queue = run.catch(() => undefined);
    return run;
  }

  function toEndpoint(st: TState, r: TReplica): TEndpoint {
    return {
      replicaId: r.id,
      deploymentId: st.id,
      origin: `http://127.0.0.1:${r.port}`,
      token: r.token,
      generation: r.generation,
    };
  }

  function status(id: string): TRuntimeStatus {
    const st = states.get(id);
    if (!st) {
      return {
        deploymentId: id,
        phase: "absent",
        reason: undefined,
        desiredReplicas: 0,
        generation: 0,
        replicas: [],
      };
    }
    const replicas = [...st.replicas.values()].map((r): TReplicaStatus => ({
      id: r.id,
      generation: r.generation,
      state: r.state,
      pid: r.pid,
      port: r.port,
      restarts: r.restarts,
      startedAt: new Date(r.startedAt).toISOString(),
      readyAt: r.readyAt ? new Date(r.readyAt).toISOString() : undefined,
      reason: r.reason,
    }));
    const want = st.desired?.replicas ?? 0;
    const ready = replicas.filter((r) => r.state === "ready").length;
    const generation = st.desired?.generation;
    const readyCurrent = replicas.filter(
      (r) => r.state === "ready" && r.generation === generation,
    ).length;
    let phase: TRuntimeStatus["phase"];
    let reason = st.failure;
    if (st.isStopped) phase = "stopped";
    else if (st.failure && ready === 0) phase = "failed";
    else if (readyCurrent >= want && !st.failure) phase = "running";
    else if (st.isConverging && !st.failure) phase = "starting";
    else if (ready > 0 || st.hasBeenRunning) {
      phase = "degraded";
      reason ??= `${ready} of ${want} replicas ready`;
    } else phase = "starting";
    return {
      deploymentId: id,
      phase,
      reason,
      desiredReplicas: want,
      generation: st.desired?.generation ?? 0,
      replicas,
    };
  }

  function changed(st: TState): void {
    st.endpoints = [...st.replicas.values()]
      .filter((r) => r.state === "ready" && r.port !== undefined)
      .map((r) => toEndpoint(st, r));
    const current = status(st.id);
    if (current.phase === "running") st.hasBeenRunning = true;
    for (const listener of listeners) listener(current);
  }

  /** Only what the model server needs: the API's own secrets (database, auth) never reach a replica. */
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
    const spawned = await spawnReplica({
      cli: config.inferenceCli,
      env: replicaEnv(r),
      logFile: r.logFile,
    });
    r.pid = spawned.pid;
    r.exited = spawned.exited;
    r.logOffset = spawned.logOffset;
    let hasExited = false;
    void spawned.exited.then((exit) => {
      hasExited = true;
      return onExit(st, r, spawned.pid, exit);
    });
    await saveRecord(st, r);
    const deadline = Date.now() + config.readyTimeoutMs;
    while (!hasExited && !r.isStopping && Date.now() < deadline) {
      if (r.port === undefined) {
        r.port = await readListeningPort(r.logFile, r.logOffset);
        if (r.port !== undefined) await saveRecord(st, r);
      } else if (await isReplicaReady(`http://127.0.0.1:${r.port}`, r.token)) {
        if (hasExited || r.isStopping) return;
        r.state = "ready";
        r.readyAt = Date.now();
        r.reason = undefined;
        changed(st);
        r.settle();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (!hasExited && !r.isStopping) {
      r.oomReason = `not ready within ${config.readyTimeoutMs / 1000} s`;
      await terminate(spawned.pid, 1000, spawned.exited);
    }
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

  async function startReplicas(
    st: TState,
    spec: TDesiredDeployment,
    count: number,
  ): Promise<TReplica[]> {
    const started = Array.from({ length: count }, () => newReplica(st, spec));
    await Promise.all(
      started.map((r) => runOnce(st, r).catch((error: unknown) => void (r.reason = String(error)))),
    );
    await Promise.all(started.map((r) => r.settled));
    return started;
  }

  /** Rolling: a new replica is ready before an old one is drained; old ones go only after replacements. */
  async function converge(st: TState): Promise<void> {
    st.isConverging = true;
    try {
      await convergeOnce(st);
    } finally {
      st.isConverging = false;
      changed(st);
    }
  }

  async function convergeOnce(st: TState): Promise<void> {
    const spec = st.desired;
    if (!spec || st.isStopped) return;
    for (const r of st.replicas.values()) if (r.state === "failed") st.replicas.delete(r.id);
    const live = [...st.replicas.values()].filter((r) => !r.isStopping);
    const current = live.filter((r) => r.generation === spec.generation);
    const old = live.filter((r) => r.generation !== spec.generation);
    st.failure = undefined;
    changed(st);
    while (current.length < spec.replicas) {
      // With nothing to replace every missing replica starts at once; a rollout goes one at a time.
      const batch = old.length === 0 ? spec.replicas - current.length : 1;
      const started = await startReplicas(st, spec, batch);
      const ready = started.filter((r) => r.state === "ready");
      current.push(...ready);
      if (ready.length < started.length) break;
      const victim = old.shift();
      if (victim) await stopReplica(st, victim);
    }
    if (st.failure) {
      for (const r of st.replicas.values()) if (r.state === "failed") st.replicas.delete(r.id);
      changed(st);
      return;
    }
    for (const victim of old) await stopReplica(st, victim);
    while (current.length > spec.replicas) {
      const victim = current.pop();
      if (victim) await stopReplica(st, victim);
    }
    changed(st);
  }

  async function stopAll(st: TState): Promise<void> {
    st.isStopped = true;
    await Promise.all([...st.replicas.values()].map((r) => stopReplica(st, r)));
    changed(st);
  }

  async function adoptOrStop(recordEntry: TPidRecord, desired: TDesiredDeployment | undefined) {
    const st = states.get(recordEntry.deploymentId);
    if (st?.replicas.has(recordEntry.replicaId)) return;
    const isOurs =
      isAlive(recordEntry.pid) &&
      (await isReplicaProcess(recordEntry.pid, recordEntry.deploymentId));
    const liveCount = st
      ? [...st.replicas.values()].filter((r) => r.generation === desired?.generation).length
      : 0;
    const canAdopt =
      isOurs &&
      desired !== undefined &&
      recordEntry.generation === desired.generation &&
      recordEntry.port !== undefined &&
      liveCount < desired.replicas &&
      (await isReplicaReady(`http://127.0.0.1:${recordEntry.port}`, recordEntry.token));
    if (canAdopt) {
      const target = stateOf(recordEntry.deploymentId);
      target.desired ??= desired;
      newReplica(target, desired, recordEntry);
      log.info(
        { deployment: recordEntry.deploymentId, pid: recordEntry.pid },
        "adopted a running replica",
      );
      changed(target);
      return;
    }
    if (isOurs) {
      log.info(
        { deployment: recordEntry.deploymentId, pid: recordEntry.pid },
        "stopping a leftover replica",
      );
      await terminate(recordEntry.pid, config.stopGraceMs, undefined);
    }
    await removePidRecord(config.dir, recordEntry.deploymentId, recordEntry.replicaId);
  }

  async function watchdog(): Promise<void> {
    for (const st of states.values()) {
      for (const r of st.replicas.values()) {
        const pid = r.pid;
        if (pid === undefined || r.isStopping) continue;
        // Adopted replicas are not our children: their exit shows only as a vanished pid.
        if (!r.exited && !isAlive(pid)) {
          await onExit(st, r, pid, { code: null, signal: null });
          if (r.state === "crashed" || r.state === "failed") continue;
        }
        const limit = r.spec.resources.memoryLimit
          ? memoryBytes(r.spec.resources.memoryLimit)
          : undefined;
        if (!limit) continue;
        const rss = await readRssBytes(pid);
        if (rss !== undefined && rss > limit) {
          r.oomReason = `OOMKilled: resident memory ${Math.round(rss / 2 ** 20)} MiB exceeded the memory limit ${r.spec.resources.memoryLimit}`;
          process.kill(pid, "SIGKILL");
        }
      }
    }
  }

  let isWatching = false;
  const watchdogTimer = setInterval(() => {
    if (isWatching) return;
    isWatching = true;
    watchdog()
      .catch((error: unknown) => log.warn({ err: error }, "runtime watchdog failed"))
      .finally(() => (isWatching = false));
  }, config.watchdogMs);
  watchdogTimer.unref();

  return {
    kind: "local",
    apply: (desired) => {
      const st = stateOf(desired.id);
      return enqueue(st, async () => {
        st.desired = desired;
        st.isStopped = false;
        await converge(st);
      });
    },
    scale: (deploymentId, replicas) => {
      const st = stateOf(deploymentId);
      return enqueue(st, async () => {
        if (!st.desired)
          throw new Error(`deployment ${deploymentId} is not running on this runtime`);
        st.desired = { ...st.desired, replicas };
        await converge(st);
      });
    },
    stop: (deploymentId) => {
      const st = stateOf(deploymentId);
      return enqueue(st, () => stopAll(st));
    },
    delete: async (deploymentId) => {
      const st = stateOf(deploymentId);
      await enqueue(st, () => stopAll(st));
      states.delete(deploymentId);
      await rm(deploymentDir(config.dir, deploymentId), { recursive: true, force: true });
      for (const listener of listeners) listener(status(deploymentId));
    },
    status,
    watch: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    logs: async (deploymentId, lines) => {
      const st = states.get(deploymentId);
      if (!st) return [];
      return Promise.all(
        [...st.replicas.values()].map(async (r) => ({
          replicaId: r.id,
          lines: await tailLines(r.logFile, lines),
        })),
      );
    },
    endpoints: (deploymentId) => states.get(deploymentId)?.endpoints ?? [],
    reconcile: async (desiredList) => {
      const byId = new Map(desiredList.map((d) => [d.id, d]));
      for (const entry of await readPidRecords(config.dir))
        await adoptOrStop(entry, byId.get(entry.deploymentId));
      for (const [id, st] of states)
        if (!byId.has(id) && !st.isStopped) await enqueue(st, () => stopAll(st));
      await Promise.all(
        desiredList.map((desired) => {
          const st = stateOf(desired.id);
          // A deployment that failed stays failed until its owner starts or updates it: no restart storm.
          if (
            st.failure &&
            st.desired?.generation === desired.generation &&
            st.desired.replicas === desired.replicas
          ) {
            return undefined;
          }
          return enqueue(st, async () => {
            st.desired = desired;
            st.isStopped = false;
            await converge(st);
          });
        }),
      );
    },
    close: async () => {
      clearInterval(watchdogTimer);
      await Promise.all([...states.values()].map((st) => enqueue(st, () => stopAll(st))));
    },
  };
}
