import type { K8sApi } from "@kubeserve/k8s";
import type { Logger } from "pino";

// List-then-watch of one resource in one namespace, as client-go's informers do: a dropped connection
// resumes from the last resourceVersion seen; a 410 Gone (that version is too old) lists again.

export type TListed<TObject> = {
  items: TObject[];
  metadata?: { resourceVersion?: string };
};

export type TWatchObject = { metadata?: { name?: string; resourceVersion?: string } };

export type TInformerOptions<TObject extends TWatchObject> = {
  api: Pick<K8sApi, "watch">;
  /** Collection path, e.g. `/api/v1/namespaces/{ns}/pods`. */
  path: string;
  labelSelector?: string | undefined;
  list: () => Promise<TListed<TObject>>;
  /** `reset` replaces everything known with a fresh list. */
  onChange: (
    change: { type: "reset"; items: TObject[] } | { type: "upsert" | "delete"; item: TObject },
  ) => void;
  backoffMs: number;
  log: Pick<Logger, "warn" | "debug">;
};

export type TInformer = { stop(): void; readonly isSynced: boolean };

type TStatusObject = { kind?: string; code?: number; reason?: string; message?: string };

export function startInformer<TObject extends TWatchObject>(
  options: TInformerOptions<TObject>,
): TInformer {
  let resourceVersion: string | undefined;
  let isStopped = false;
  let isSynced = false;
  let failures = 0;
  let controller: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;

  const retryIn = (next: () => Promise<void>) => {
    if (isStopped) return;
    const delay = Math.min(options.backoffMs * 2 ** Math.min(failures, 5), 30_000);
    failures += 1;
    timer = setTimeout(() => void next(), delay);
    timer.unref();
  };

  async function relist(): Promise<void> {
    if (isStopped) return;
    try {
      const listed = await options.list();
      resourceVersion = listed.metadata?.resourceVersion;
      options.onChange({ type: "reset", items: listed.items });
      isSynced = true;
      failures = 0;
    } catch (error) {
      options.log.warn({ err: error, path: options.path }, "kubernetes list failed; retrying");
      retryIn(relist);
      return;
    }
    await connect();
  }

  async function connect(): Promise<void> {
    if (isStopped) return;
    let isGone = false;
    const onEvent = (type: string, object: unknown) => {
      if (type === "ERROR") {
        const status = object as TStatusObject;
        if (status.code === 410) isGone = true;
        options.log.warn({ path: options.path, status }, "kubernetes watch error event");
        controller?.abort();
        return;
      }
      const item = object as TObject;
      const version = item.metadata?.resourceVersion;
      if (version) resourceVersion = version;
      failures = 0;
      if (type === "BOOKMARK") return;
      if (type === "ADDED" || type === "MODIFIED") options.onChange({ type: "upsert", item });
      else if (type === "DELETED") options.onChange({ type: "delete", item });
    };
    const onDone = (error: unknown) => {
      controller = undefined;
      if (isStopped) return;
      const code = (error as { statusCode?: number } | null)?.statusCode;
      if (isGone || code === 410) {
        options.log.debug({ path: options.path }, "watch resourceVersion gone; relisting");
        resourceVersion = undefined;
        void relist();
        return;
      }
      if (error) options.log.warn({ err: error, path: options.path }, "kubernetes watch dropped");
      retryIn(connect);
    };
    const query: Record<string, string | boolean> = { allowWatchBookmarks: true };
    if (resourceVersion) query.resourceVersion = resourceVersion;
    if (options.labelSelector) query.labelSelector = options.labelSelector;
    controller = await options.api.watch.watch(options.path, query, onEvent, onDone);
    if (isStopped) controller.abort();
  }

  void relist();
  return {
    stop() {
      isStopped = true;
      if (timer) clearTimeout(timer);
      controller?.abort();
    },
    get isSynced() {
      return isSynced;
    },
  };
}
