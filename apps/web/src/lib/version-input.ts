const versionPageSize = 20;

/** One page of a model's versions; the server prefetches the first with exactly this input. */
export function versionPageInput(modelId: string, cursor: string | undefined) {
  return { modelId, limit: versionPageSize, ...(cursor ? { cursor } : {}) };
}
