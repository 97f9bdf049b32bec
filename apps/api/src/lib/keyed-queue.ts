export type TKeyedQueue = {
  /** Runs `task` after every earlier task with the same key has settled; other keys run in parallel. */
  run: <T>(key: string, task: () => Promise<T>) => Promise<T>;
};

export function createKeyedQueue(): TKeyedQueue {
  const tails = new Map<string, Promise<void>>();
  return {
    run: (key, task) => {
      const result = (tails.get(key) ?? Promise.resolve()).then(task);
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
  };
}
