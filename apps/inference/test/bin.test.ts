import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const PACKAGE = fileURLToPath(new URL("..", import.meta.url));
const BIN = "bin/kubeserve-inference.mjs";

// The wrapper is copied into a throwaway package so the real dist/ (built or not) plays no part.
function packageCopy(): string {
  const root = mkdtempSync(path.join(tmpdir(), "ks-bin-"));
  mkdirSync(path.join(root, "bin"));
  copyFileSync(path.join(PACKAGE, BIN), path.join(root, BIN));
  return root;
}

const run = (root: string, args: string[]) =>
  spawnSync(process.execPath, [path.join(root, BIN), ...args], { encoding: "utf8" });

describe("the package's bin", () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  it("is a committed file, so pnpm can link it before dist/ is built", () => {
    const manifest = JSON.parse(readFileSync(path.join(PACKAGE, "package.json"), "utf8")) as {
      bin: Record<string, string>;
    };
    expect(manifest.bin["kubeserve-inference"]).toBe(`./${BIN}`);
    expect(readFileSync(path.join(PACKAGE, BIN), "utf8")).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it("says how to build when dist/cli.js is missing, and exits 1", () => {
    const root = packageCopy();
    roots.push(root);
    const result = run(root, ["--help"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("pnpm --filter @kubeserve/inference build");
  });

  it("runs the built CLI with the same arguments", () => {
    const root = packageCopy();
    roots.push(root);
    mkdirSync(path.join(root, "dist"));
    writeFileSync(
      path.join(root, "dist/cli.js"),
      "process.stdout.write(JSON.stringify(process.argv.slice(2)));\n",
    );
    const result = run(root, ["--model", "m.onnx", "--port", "0"]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(["--model", "m.onnx", "--port", "0"]);
  });
});
