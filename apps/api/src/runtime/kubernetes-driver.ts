import {
  applyObject,
  buildArtifactTokenSecret,
  buildModelDeploymentManifests,
  buildTenantManifests,
  deleteObject,
  deploymentResourceName,
  LABEL,
  MANAGED_BY,
  MODEL_SERVER_PORT,
  namespaceForUser,
  type K8sApi,
  type TK8sObject,
} from "@kubeserve/k8s";
import type { Logger } from "pino";
import type { TKubernetesConfig } from "../config/kubernetes";
import type {
  TDesiredDeployment,
  TEndpoint,
  TReplicaLogs,
  TRuntimeDriver,
  TRuntimeStatus,
} from "./driver";
import { KubernetesRuntimeError, withRetry } from "./kubernetes-errors";
import {
  mapStatus,
  type TK8sDeployment,
  type TK8sEvent,
  type TK8sPod,
  type TObservedDeployment,
} from "./kubernetes-status";
import { checkQuota, deleteByLabel, specFor, type TKubernetesTarget } from "./kubernetes-objects";
import { startInformer, type TInformer } from "./kubernetes-watch";
import { createSettleWaiters } from "./settle-waiters";
import { createProxyCredentials, REPLICA_TOKEN_HEADER } from "./kubernetes-proxy";

export type { TKubernetesTarget } from "./kubernetes-objects";

// The `kubernetes` runtime: each deployment becomes objects in its owner's namespace, applied by
// server-side apply; its status comes from list+watch of the namespace's Deployments, Pods and Events.

export type TKubernetesDriverOptions = {
  api: K8sApi;
  config: TKubernetesConfig;
  log: Logger;
  resolve: (desired: TDesiredDeployment) => Promise<TKubernetesTarget>;
  /** The owner of a deployment this process has not applied (needed to find its namespace on delete). */
  ownerOf: (deploymentId: string) => Promise<string | undefined>;
};

type TEntry = {
  observed: TObservedDeployment;
  namespace: string;
  desired: TDesiredDeployment;
  lastKey: string;
  replicaToken: string;
};

type TNamespaceCache = {
  deployments: Map<string, TK8sDeployment>;
  pods: Map<string, TK8sPod>;
  events: Map<string, TK8sEvent>;
  informers: TInformer[];
};

export function createKubernetesDriver(options: TKubernetesDriverOptions): TRuntimeDriver {
  const { api, config, log } = options;
  const policy = { attempts: config.retryAttempts, backoffMs: config.retryBackoffMs };
  const context = { api, policy, config };
  const entries = new Map<string, TEntry>();
  const namespaces = new Map<string, TNamespaceCache>();
  /** The tenant objects last applied per user (its quota may change between applies). */
  const tenants = new Map<string, string>();
  const listeners = new Set<(status: TRuntimeStatus) => void>();
  // Past the deadline the deployment stays `starting` (with its reason); the watch keeps reporting.
  const settleWaiters = createSettleWaiters(config.readyTimeoutMs);

  function statusOf(entry: TEntry): TRuntimeStatus {
    const cache = namespaces.get(entry.namespace);
    const { name, deploymentId } = entry.observed;
    if (cache) {
      entry.observed.deployment = cache.deployments.get(name);
      entry.observed.pods = [...cache.pods.values()].filter(
        (pod) => pod.metadata?.labels?.[LABEL.deploymentId] === deploymentId,
      );
      entry.observed.events = [...cache.events.values()].filter((event) =>
        event.involvedObject?.name?.startsWith(`${name}-`),
      );
    }
    return mapStatus(entry.observed);
  }

  function isSettled(entry: TEntry, status: TRuntimeStatus): boolean {
    if (entry.observed.isApplying) return false;
    if (status.phase === "failed" || status.phase === "degraded") return true;
    return entry.desired.replicas === 0 ? status.phase === "stopped" : status.phase === "running";
  }

  function publish(entry: TEntry): void {
    const status = statusOf(entry);
    const key = JSON.stringify(status);
    if (key !== entry.lastKey) {
      entry.lastKey = key;
      for (const listener of listeners) listener(status);
    }
    if (isSettled(entry, status)) settleWaiters.wake(status.deploymentId);
  }

  function publishNamespace(namespace: string): void {
    for (const entry of entries.values()) if (entry.namespace === namespace) publish(entry);
  }

  function watchNamespace(namespace: string): void {
    if (namespaces.has(namespace)) return;
    const cache: TNamespaceCache = {
      deployments: new Map(),
      pods: new Map(),
      events: new Map(),
      informers: [],
    };
    namespaces.set(namespace, cache);
    const labelSelector = `${LABEL.managedBy}=${MANAGED_BY}`;
    const keyed = <T extends { metadata?: { name?: string; uid?: string } }>(
      map: Map<string, T>,
      key: (item: T) => string,
    ) => {
      return (change: { type: "reset"; items: T[] } | { type: "upsert" | "delete"; item: T }) => {
        if (change.type === "reset") {
          map.clear();
          for (const item of change.items) map.set(key(item), item);
        } else if (change.type === "upsert") map.set(key(change.item), change.item);
        else map.delete(key(change.item));
        publishNamespace(namespace);
      };
    };
    const common = { api, backoffMs: config.watchBackoffMs, log };
    cache.informers.push(
      startInformer<TK8sDeployment>({
        ...common,
        path: `/apis/apps/v1/namespaces/${namespace}/deployments`,
        labelSelector,
        list: () => api.apps.listNamespacedDeployment({ namespace, labelSelector }),
        onChange: keyed(cache.deployments, (d) => d.metadata?.name ?? ""),
      }),
      startInformer<TK8sPod>({
        ...common,
        path: `/api/v1/namespaces/${namespace}/pods`,
        labelSelector,
        list: () => api.core.listNamespacedPod({ namespace, labelSelector }),
        onChange: keyed(cache.pods, (p) => p.metadata?.name ?? ""),
      }),
      // Events carry no labels of ours; they are matched to a deployment by involvedObject name.
      startInformer<TK8sEvent & { metadata?: { resourceVersion?: string } }>({
        ...common,
        path: `/api/v1/namespaces/${namespace}/events`,
        list: () => api.core.listNamespacedEvent({ namespace }),
        onChange: keyed(cache.events, (e) => e.metadata?.uid ?? e.metadata?.name ?? ""),
      }),
    );
  }

  async function applyOne(object: TK8sObject): Promise<void> {
    const where = [object.metadata?.namespace, object.metadata?.name].filter(Boolean).join("/");
    await withRetry(`apply ${object.kind} ${where}`, policy, () =>
      applyObject(api, object, { force: config.isForceApply }),
    );
  }

  async function ensureTenant(target: TKubernetesTarget): Promise<void> {
    const { userId } = target;
    const quota = Object.fromEntries(
      Object.entries(target.quota ?? {}).filter(([, value]) => value !== undefined),
    );
    const key = JSON.stringify(quota);
    if (tenants.get(userId) === key) return;
    const platform = { namespace: config.platformNamespace, apiServiceName: config.apiServiceName };
    for (const object of buildTenantManifests({ userId, platform, quota })) await applyOne(object);
    tenants.set(userId, key);
  }

  function track(desired: TDesiredDeployment, namespace: string): TEntry {
    const existing = entries.get(desired.id);
    const observed: TObservedDeployment = {
      deploymentId: desired.id,
      name: deploymentResourceName(desired.id),
      generation: desired.generation,
      versionId: existing?.observed.versionId,
      desiredReplicas: desired.replicas,
      deployment: undefined,
      pods: [],
      events: [],
      failure: undefined,
      isApplying: true,
    };
    const entry: TEntry = {
      observed,
      namespace,
      desired,
      lastKey: existing?.lastKey ?? "",
      replicaToken: existing?.replicaToken ?? "",
    };
    entries.set(desired.id, entry);
    return entry;
  }

  function waitSettled(entry: TEntry): Promise<void> {
    if (isSettled(entry, statusOf(entry))) return Promise.resolve();
    return settleWaiters.wait(entry.desired.id);
  }

  async function converge(desired: TDesiredDeployment, isWaiting: boolean): Promise<void> {
    const target = await options.resolve(desired);
    const namespace = namespaceForUser(target.userId);
    const entry = track(desired, namespace);
    entry.observed.versionId = target.versionId;
    entry.replicaToken = target.replicaToken;
    try {
      const input = specFor(config, desired, target);
      const manifests = buildModelDeploymentManifests(input);
      const secret = buildArtifactTokenSecret(input, target.artifactToken, target.replicaToken);
      await ensureTenant(target);
      watchNamespace(namespace);
      await checkQuota(context, input, namespace, entry.observed.name);
      for (const object of [secret, ...manifests.apply]) await applyOne(object);
      for (const ref of manifests.prune) {
        await withRetry(`delete ${ref.kind} ${ref.namespace}/${ref.name}`, policy, () =>
          deleteObject(api, ref),
        );
      }
    } catch (error) {
      entry.observed.failure = (error as Error).message;
      throw error;
    } finally {
      entry.observed.isApplying = false;
      publish(entry);
    }
    if (isWaiting) await waitSettled(entry);
  }

  function known(deploymentId: string): TEntry {
    const entry = entries.get(deploymentId);
    if (!entry) {
      throw new KubernetesRuntimeError(
        `deployment ${deploymentId} is not known to the kubernetes runtime; apply it first`,
        undefined,
      );
    }
    return entry;
  }

  const proxy = createProxyCredentials(api, log);
  if (config.endpoints === "service-proxy") {
    proxy
      .refresh()
      .catch((error: unknown) =>
        log.warn({ err: error }, "reading the API server credential failed"),
      );
  }
  const serverUrl = new URL(api.server);
  const serverPath = serverUrl.pathname.replace(/\/+$/, "");

  return {
    kind: "kubernetes",
    apply: (desired) => converge(desired, true),
    async scale(deploymentId, replicas) {
      await converge({ ...known(deploymentId).desired, replicas }, true);
    },
    async stop(deploymentId) {
      await converge({ ...known(deploymentId).desired, replicas: 0 }, true);
    },
    async delete(deploymentId) {
      const entry = entries.get(deploymentId);
      const owner = entry ? undefined : await options.ownerOf(deploymentId);
      const namespace = entry?.namespace ?? (owner ? namespaceForUser(owner) : undefined);
      if (!namespace) return;
      await deleteByLabel(context, deploymentId, namespace);
      entries.delete(deploymentId);
      const status = {
        deploymentId,
        phase: "absent" as const,
        reason: undefined,
        desiredReplicas: 0,
        generation: entry?.desired.generation ?? 0,
        replicas: [],
      };
      for (const listener of listeners) listener(status);
    },
    status(deploymentId) {
      const entry = entries.get(deploymentId);
      if (entry) return statusOf(entry);
      return {
        deploymentId,
        phase: "absent",
        reason: undefined,
        desiredReplicas: 0,
        generation: 0,
        replicas: [],
      };
    },
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async logs(deploymentId, lines): Promise<TReplicaLogs[]> {
      const entry = known(deploymentId);
      const pods = statusOf(entry).replicas;
      return Promise.all(
        pods.map(async (pod) => {
          try {
            const text = await withRetry(`read logs of pod ${pod.id}`, policy, () =>
              api.core.readNamespacedPodLog({
                name: pod.id,
                namespace: entry.namespace,
                container: "model-server",
                tailLines: lines,
              }),
            );
            return { replicaId: pod.id, lines: text.split("\n").filter(Boolean).slice(-lines) };
          } catch (error) {
            return { replicaId: pod.id, lines: [`(no logs: ${(error as Error).message})`] };
          }
        }),
      );
    },
    endpoints(deploymentId): TEndpoint[] {
      const entry = entries.get(deploymentId);
      if (!entry) return [];
      const status = statusOf(entry);
      if (!status.replicas.some((r) => r.state === "ready")) return [];
      const { name } = entry.observed;
      const common = {
        replicaId: name,
        deploymentId,
        token: entry.replicaToken,
        generation: entry.desired.generation,
      };
      if (config.endpoints === "cluster-dns") {
        const origin = `http://${name}.${entry.namespace}.svc.${config.clusterDomain}:${MODEL_SERVER_PORT}`;
        return [{ ...common, origin }];
      }
      const { headers, connect } = proxy.current();
      return [
        {
          ...common,
          origin: serverUrl.origin,
          pathPrefix: `${serverPath}/api/v1/namespaces/${entry.namespace}/services/${name}:http/proxy`,
          headers: { ...headers, [REPLICA_TOKEN_HEADER]: entry.replicaToken },
          connect,
        },
      ];
    },
    async reconcile(desired) {
      const results = await Promise.allSettled(desired.map((d) => converge(d, false)));
      for (const [index, result] of results.entries()) {
        if (result.status === "rejected") {
          log.warn(
            { err: result.reason, deployment: desired[index]?.id },
            "kubernetes reconcile failed",
          );
        }
      }
    },
    async close() {
      proxy.stop();
      for (const cache of namespaces.values())
        for (const informer of cache.informers) informer.stop();
      namespaces.clear();
      settleWaiters.wakeAll();
      await Promise.resolve();
    },
  };
}
