// Callers of apply/scale waiting for a deployment to settle (ready, failed or stopped), woken by the
// driver's status loop, each released at the latest after `timeoutMs` (the deployment stays `starting`).

export type TSettleWaiters = {
  /** Resolves when `wake(deploymentId)` runs or the timeout passes; registered synchronously. */
  wait(deploymentId: string): Promise<void>;
  wake(deploymentId: string): void;
  wakeAll(): void;
};

export function createSettleWaiters(timeoutMs: number): TSettleWaiters {
  const waiters = new Map<string, Set<() => void>>();
  return {
    wait(deploymentId) {
      return new Promise((resolve) => {
        const set = waiters.get(deploymentId) ?? new Set<() => void>();
        waiters.set(deploymentId, set);
        const done = () => {
          clearTimeout(timer);
          set.delete(done);
          if (set.size === 0 && waiters.get(deploymentId) === set) waiters.delete(deploymentId);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        timer.unref();
        set.add(done);
      });
    },
    wake(deploymentId) {
      for (const wake of [...(waiters.get(deploymentId) ?? [])]) wake();
    },
    wakeAll() {
      for (const set of [...waiters.values()]) for (const wake of [...set]) wake();
    },
  };
}
