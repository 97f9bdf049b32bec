import { useSyncExternalStore } from "react";

// Model hub polling: calm when nothing moves, quick while something the user waits on is in flight.
export const idlePollMs = 30_000;
export const busyPollMs = 2_000;

/** Deployment states that change on their own within seconds (the deployments API fills them in). */
const movingDeploymentStatuses = new Set(["pending", "deploying", "stopping"]);

/** A row that may carry its deployments (model.list items once the deployments API adds them). */
export type TPollable = object & { deployments?: readonly { status: string }[] };

export function isMoving(item: TPollable): boolean {
  const { deployments } = item;
  return (
    deployments?.some((deployment) => movingDeploymentStatuses.has(deployment.status)) ?? false
  );
}

/** The refetch interval for a list: busy while a row is moving or this tab is uploading. */
export function pollInterval(items: readonly object[] | undefined, isUploading: boolean): number {
  return isUploading || (items?.some((item) => isMoving(item)) ?? false) ? busyPollMs : idlePollMs;
}

// Uploads in progress in this tab; the upload component registers each one while it runs.
const activeUploads = new Set<string>();
const listeners = new Set<() => void>();

function emit() {
  for (const listener of listeners) listener();
}

/** Marks an upload as running until the returned function is called. */
export function beginUpload(key: string): () => void {
  activeUploads.add(key);
  emit();
  return () => {
    activeUploads.delete(key);
    emit();
  };
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useIsUploading(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => activeUploads.size > 0,
    () => false,
  );
}

/** A deployment page or list: every 2 s while a deployment is on its way somewhere, 30 s once it settled. */
export function deploymentPollMs(statuses: readonly string[] | undefined): number {
  return statuses?.some((status) => movingDeploymentStatuses.has(status)) ? busyPollMs : idlePollMs;
}
