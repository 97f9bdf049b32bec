import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    server: "src/server.ts",
    // The ONNX inspection child process (services/onnx-inspect.service.ts finds it beside server.js).
    "onnx-inspect": "src/onnx/inspect-child.ts",
    "cli/seed": "src/cli/seed.ts",
    "cli/set-role": "src/cli/set-role.ts",
    // The migration job of a production image runs the same migrator as `pnpm db:migrate`.
    "cli/migrate": "../../packages/db/src/cli/migrate.ts",
  },
  format: ["esm"],
  platform: "node",
  target: "node20",
  clean: true,
  sourcemap: true,
  // Workspace packages point at TypeScript sources, so they are bundled; npm dependencies stay external.
  noExternal: [/^@kubeserve\//],
});
