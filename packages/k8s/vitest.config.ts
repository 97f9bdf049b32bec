import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // Compiling KubeRay's 1 MB CRD schema takes a few seconds on a loaded machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
