/** Retries `attempt` with backoff until it succeeds or `timeoutSeconds` pass, then names the dependency. */
export async function waitForDependency<T>(
  name: string,
  attempt: () => Promise<T>,
  options: {
    timeoutSeconds: number;
    isRetryable?: (error: unknown) => boolean;
    onRetry?: (error: unknown, attempt: number) => void;
  },
): Promise<T> {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let delayMs = 250;
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const isRetryable = options.isRetryable?.(error) ?? true;
      if (!isRetryable || Date.now() + delayMs > deadline) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(
          isRetryable
            ? `${name} is not reachable after ${options.timeoutSeconds} s (${tries} attempts): ${reason}`
            : `${name}: ${reason}`,
          { cause: error },
        );
      }
      options.onRetry?.(error, tries);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 5_000);
    }
  }
}
