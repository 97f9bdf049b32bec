import { setTimeout as sleep } from "node:timers/promises";

/** Runs `call`, retrying what `isRetryable` accepts with exponential backoff; anything else fails at once. */
export async function retryWithBackoff<T>(
  policy: { attempts: number; backoffMs: number },
  isRetryable: (error: unknown) => boolean,
  call: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isRetryable(error) || attempt >= policy.attempts) throw error;
      await sleep(policy.backoffMs * 2 ** (attempt - 1));
    }
  }
}
