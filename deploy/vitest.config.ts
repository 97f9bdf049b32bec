import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds the model server and starts Prometheus: slow on a shared 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // One file at a time: the Prometheus test starts real processes.
    fileParallelism: false,
  },
});
