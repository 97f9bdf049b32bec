import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // Scans every error a test sees for database and driver text (src/test/leak-guard.ts).
    setupFiles: ["src/test/setup.ts"],
    globalSetup: ["src/test/global-setup.ts"],
    // Generous: CI and the shared development machines run other suites beside this one.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Each file gets its own database; two at a time keeps the 2-core CI machine responsive.
    maxWorkers: 2,
  },
});
