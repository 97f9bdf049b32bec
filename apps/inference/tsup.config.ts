import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/cli.ts"],
  format: ["esm"],
  platform: "node",
  target: "node20",
  clean: true,
  sourcemap: true,
  // Workspace packages point at TypeScript sources, so they are bundled; npm dependencies stay external.
  noExternal: [/^@kubeserve\//],
});
