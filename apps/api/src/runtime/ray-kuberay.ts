import { buildServeConfigPatch, type TRayService } from "@kubeserve/k8s/ray";
import type { Logger } from "pino";
import { parse as parseYaml } from "yaml";
import type { applyObject as TApplyObject } from "@kubeserve/k8s/apply";
import type { K8sApi, TCreateK8sApiOptions } from "@kubeserve/k8s/client";
import { checkRouteShadowing } from "./ray-apps";
import type { TRayBackend } from "./ray-backend";
import type { TRayLock } from "./ray-lock";
import type {
  TRayAppStatus,
  TRayApplicationDetails,
  TRayDeploymentDetails,
  TServeInstanceDetails,
} from "./ray-serve-api";

// The ray driver's second backend, for a KubeRay-managed cluster: the operator owns the Serve config and
// overwrites REST PUTs with the RayService's spec.serveConfigV2, so KubeServe merges its applications into
// that string (packages/k8s serve-config: everyone else's text kept byte for byte) and applies only that
// field with server-side apply. Unlike Ray's REST API, Kubernetes has compare-and-swap: the apply carries
// the resourceVersion it merged from, so a concurrent writer gets a 409 and the merge is redone.
// Status comes from the RayService's .status.activeServiceStatus.applicationStatuses.

type TAppStatus = {
  status?: string;
  message?: string;
  serveDeploymentStatuses?: Record<string, { status?: string; message?: string }>;
};

/** The parts of a stored RayService the backend reads. */
export type TRayServiceObject = {
  metadata: { name: string; namespace?: string; resourceVersion?: string; generation?: number };
  spec?: { serveConfigV2?: string };
  status?: {
    observedGeneration?: number;
    activeServiceStatus?: { applicationStatuses?: Record<string, TAppStatus> };
  };
};

export type TKubeRayApi = {
  /** The RayService, or undefined when it does not exist. */
  read(): Promise<TRayServiceObject | undefined>;
  /** Server-side apply (KubeServe's field manager, force); a stale resourceVersion must throw a 409. */
  apply(patch: TRayService): Promise<void>;
};

export class KubeRayConflict extends Error {
  override name = "KubeRayConflict";
}

const maxCycles = 4;

function applicationsOf(serveConfigV2: string | undefined): Array<Record<string, unknown>> {
  if (!serveConfigV2?.trim()) return [];
  const parsed = parseYaml(serveConfigV2) as { applications?: unknown } | null;
  return Array.isArray(parsed?.applications)
    ? (parsed.applications as Array<Record<string, unknown>>)
    : [];
}

/** A RayService as the Serve REST API's ServeInstanceDetails, so one status mapping serves both backends. */
export function toServeDetails(service: TRayServiceObject): TServeInstanceDetails {
  const statuses = service.status?.activeServiceStatus?.applicationStatuses ?? {};
  // KubeRay has not seen the latest spec yet: what it reports belongs to the previous config.
  const isStale = (service.status?.observedGeneration ?? 0) < (service.metadata.generation ?? 0);
  const applications: Record<string, TRayApplicationDetails> = {};
  for (const config of applicationsOf(service.spec?.serveConfigV2)) {
    const name = typeof config.name === "string" ? config.name : "default";
    const reported = isStale ? undefined : statuses[name];
    const deployments: Record<string, TRayDeploymentDetails> = Object.fromEntries(
      Object.entries(reported?.serveDeploymentStatuses ?? {}).map(([dname, d]) => [
        dname,
        { name: dname, status: d.status ?? "UPDATING", message: d.message ?? "" },
      ]),
    );
    applications[name] = {
      name,
      route_prefix: typeof config.route_prefix === "string" ? config.route_prefix : null,
      status: (reported?.status ?? "DEPLOYING") as TRayAppStatus,
      message:
        reported?.message ??
        (isStale ? "KubeRay has not yet reconciled the RayService's latest serveConfigV2" : ""),
      deployed_app_config: config,
      source: "declarative",
      deployments,
    };
  }
  for (const [name, reported] of Object.entries(statuses)) {
    if (applications[name]) continue;
    applications[name] = {
      name,
      route_prefix: null,
      status: "DELETING",
      message: reported.message ?? "",
      deployed_app_config: null,
      source: "declarative",
      deployments: {},
    };
  }
  return { applications };
}

export function createKubeRayBackend(options: {
  api: TKubeRayApi;
  service: { name: string; namespace: string };
  lock: TRayLock;
  log: Logger;
}): TRayBackend {
  const { api, service, lock, log } = options;
  const where = `RayService ${service.namespace}/${service.name}`;
  async function get(): Promise<TRayServiceObject> {
    const found = await api.read();
    if (!found) {
      throw new Error(
        `${where} does not exist: create it (KubeServe merges into an existing RayService) or set RAY_MANAGED_BY=rest`,
      );
    }
    return found;
  }
  return {
    read: async () => toServeDetails(await get()),
    write: (change) =>
      lock(async () => {
        for (let cycle = 1; ; cycle++) {
          const current = await get();
          const patch = buildServeConfigPatch(
            { ...service, serveConfigV2: current.spec?.serveConfigV2 },
            change,
          );
          checkRouteShadowing(applicationsOf(patch.spec.serveConfigV2));
          const locked = {
            ...patch,
            metadata: { ...patch.metadata, resourceVersion: current.metadata.resourceVersion },
          };
          try {
            await api.apply(locked);
            return;
          } catch (error) {
            if (!(error instanceof KubeRayConflict) || cycle >= maxCycles) throw error;
            log.info({ cycle }, `${where} changed while KubeServe merged into it; merging again`);
          }
        }
      }),
  };
}

function statusOf(error: unknown): number | undefined {
  const e = error as { code?: unknown; statusCode?: unknown; body?: unknown };
  const code = typeof e.code === "number" ? e.code : e.statusCode;
  return typeof code === "number" ? code : undefined;
}

/** The API over @kubernetes/client-node, loaded only when KubeRay is configured (it is heavy). */
export function createKubeRayClient(
  connection: TCreateK8sApiOptions,
  service: { name: string; namespace: string },
): TKubeRayApi {
  let loading: Promise<{ api: K8sApi; applyObject: typeof TApplyObject }> | undefined;
  const load = () =>
    (loading ??= Promise.all([
      import("@kubeserve/k8s/client"),
      import("@kubeserve/k8s/apply"),
    ]).then(([{ createK8sApi }, { applyObject }]) => ({
      api: createK8sApi(connection),
      applyObject,
    })));
  const ref = {
    apiVersion: "ray.io/v1",
    kind: "RayService",
    metadata: { name: service.name, namespace: service.namespace },
  };
  return {
    async read() {
      const { api } = await load();
      try {
        return (await api.objects.read(ref)) as unknown as TRayServiceObject;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },
    async apply(patch) {
      const { api, applyObject } = await load();
      try {
        // force: KubeServe takes spec.serveConfigV2 over from whoever created it; the merge kept their apps.
        await applyObject(api, patch, { force: true });
      } catch (error) {
        if (statusOf(error) === 409) throw new KubeRayConflict((error as Error).message);
        throw error;
      }
    },
  };
}
