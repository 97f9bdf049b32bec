import { PatchStrategy, type KubernetesObject } from "@kubernetes/client-node";
import type { K8sApi } from "./client";
import { FIELD_MANAGER } from "./labels";
import type { TK8sObject, TObjectRef } from "./manifests";

// Server-side apply with KubeServe's one field manager: the API server merges, tracks which fields we
// own, and answers 409 when another manager owns a field we set (unless `force`).

export type TApplyOptions = {
  /** Take over fields another manager owns. Off by default, so a conflict is reported, not hidden. */
  force?: boolean;
  /** Validate and admit on the server without persisting anything. */
  dryRun?: boolean;
};

export async function applyObject<TObject extends TK8sObject>(
  api: Pick<K8sApi, "objects">,
  object: TObject,
  options: TApplyOptions = {},
): Promise<TObject> {
  if (!object.metadata?.name)
    throw new Error(`cannot apply a ${object.kind} without metadata.name`);
  const applied = await api.objects.patch(
    object as KubernetesObject,
    undefined,
    options.dryRun ? "All" : undefined,
    FIELD_MANAGER,
    options.force ?? false,
    PatchStrategy.ServerSideApply,
  );
  return applied as TObject;
}

/** Applies in order, stopping at the first failure (the caller records it and retries). */
export async function applyObjects(
  api: Pick<K8sApi, "objects">,
  objects: TK8sObject[],
  options: TApplyOptions = {},
): Promise<TK8sObject[]> {
  const results: TK8sObject[] = [];
  for (const object of objects) results.push(await applyObject(api, object, options));
  return results;
}

/** Deletes one object by reference; an object that is already gone counts as deleted. */
export async function deleteObject(
  api: Pick<K8sApi, "objects">,
  ref: TObjectRef,
): Promise<boolean> {
  try {
    await api.objects.delete(
      {
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, namespace: ref.namespace },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      "Background",
    );
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return false;
    throw error;
  }
}
