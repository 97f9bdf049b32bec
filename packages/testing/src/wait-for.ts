export type TWaitForOptions = {
  /** Named in the timeout error, e.g. "API at http://127.0.0.1:4000/readyz". */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
  /** Checked before every attempt: a reason to stop waiting at once (e.g. the child process exited). */
  abortIf?: () => string | undefined;
};

/**
 * Polls `probe` until it returns a value other than `undefined`; a probe that throws counts as "not yet"
 * (e.g. ECONNREFUSED while a server starts), and its last error is named if time runs out.
 */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  options: TWaitForOptions,
): Promise<T> {
  const { what, timeoutMs = 30_000, intervalMs = 100 } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const abortReason = options.abortIf?.();
    if (abortReason) throw new Error(`${what}: ${abortReason}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const last = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`${what} not ready after ${timeoutMs} ms${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
