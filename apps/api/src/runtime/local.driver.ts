import { rm } from "node:fs/promises";
import type { Logger } from "pino";
import type { TRuntimeConfig } from "../config/runtime";
import type { TSklearnConfig } from "../config/sklearn";
import type {
  TDesiredDeployment,
  TDrainHook,
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
  readPidRecords,
  readRssBytes,
  removePidRecord,
  tailLines,
  terminate,
  type TPidRecord,
} from "./local-process";
import type { TRequirementsStore } from "./local-launch";
import { createReplicaLifecycle, type TReplica, type TState } from "./local-replica";

// The embedded runtime: the API supervises one model-server process per replica on 127.0.0.1 (apps/inference
// for ONNX versions, kubeserve_sklearn for scikit-learn ones; see local-launch.ts).

export type TLocalDriverOptions = {
  config: TRuntimeConfig;
  sklearn?: TSklearnConfig | undefined;
  /** the artifact store, for requirements.txt (venvs are built from it on fs and S3 alike) */
  store?: TRequirementsStore | undefined;
  log: Logger;
  drain?: TDrainHook;
};

export function createLocalDriver({
  config,
  sklearn,
  store,
  log,
  drain,
}: TLocalDriverOptions): TRuntimeDriver {
  const states = new Map<string, TState>();
  const listeners = new Set<(status: TRuntimeStatus) => void>();
  const { toEndpoint, newReplica, runOnce, onExit, stopReplica } = createReplicaLifecycle({
    config,
    sklearn,
    store,
    log,
    drain,
    changed: (st) => changed(st),
  });

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
            return Promise.resolve();
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
