import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // The 300 MB cases stream real bytes to disk and to s3rver; one file at a time keeps a shared
    // 2-core machine responsive and the RSS figures honest.
    fileParallelism: false,
  },
});
