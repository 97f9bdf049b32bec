import { spawn, spawnSync } from "node:child_process";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StorageKeyError } from "./errors";
import { createFsStore, type FsArtifactStore } from "./fs-store";
import { generatedStream } from "./testing";

const MiB = 1024 * 1024;
const body = (text: string) => Readable.from([Buffer.from(text)]);

describe("fs driver: keys never leave the root", () => {
  let base: string;
  let root: string;
  let outside: string;
  let store: FsArtifactStore;

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), "kubeserve-fs-escape-"));
    root = path.join(base, "artifacts");
    outside = path.join(base, "outside");
    await mkdir(outside);
    await writeFile(path.join(outside, "secret.txt"), "do not serve");
    store = createFsStore({ driver: "fs", dir: root });
    await store.ensureReady();
    await mkdir(path.join(root, "models", "u1"), { recursive: true });
    // a folder link and a file link planted inside the root, both pointing out of it
    await symlink(outside, path.join(root, "models", "u1", "evil"));
    await symlink(path.join(outside, "secret.txt"), path.join(root, "models", "u1", "secret.onnx"));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it("refuses to write through a linked folder and creates nothing outside", async () => {
    await expect(store.put("models/u1/evil/v1/model.onnx", body("x"))).rejects.toThrow(
      StorageKeyError,
    );
    await expect(store.put("models/u1/evil/model.onnx", body("x"))).rejects.toThrow(
      /symbolic link/,
    );
    expect((await readdir(outside)).sort()).toEqual(["secret.txt"]);
  });

  it("refuses to read, stat, move or delete through links", async () => {
    await expect(store.get("models/u1/evil/secret.txt")).rejects.toThrow(StorageKeyError);
    await expect(store.get("models/u1/secret.onnx")).rejects.toThrow(/symbolic link/);
    await expect(store.stat("models/u1/secret.onnx")).rejects.toThrow(StorageKeyError);
    await expect(store.stat("models/u1/evil/secret.txt")).rejects.toThrow(StorageKeyError);
    await expect(store.move("models/u1/evil/secret.txt", "models/u2/stolen")).rejects.toThrow(
      StorageKeyError,
    );
    await expect(store.delete("models/u1/evil/secret.txt")).rejects.toThrow(StorageKeyError);
    expect(await readFile(path.join(outside, "secret.txt"), "utf8")).toBe("do not serve");
  });

  it("does not follow links when listing", async () => {
    await store.put("models/u1/real/v1/m.onnx", body("real"));
    const keys: string[] = [];
    for await (const object of store.list("models/")) keys.push(object.key);
    expect(keys).toEqual(["models/u1/real/v1/m.onnx"]);
  });

  it("moving onto a planted link replaces the link, not its target", async () => {
    await store.put("models/u1/real/v2/m.onnx", body("new model"));
    await store.move("models/u1/real/v2/m.onnx", "models/u1/secret.onnx");
    expect((await lstat(path.join(root, "models/u1/secret.onnx"))).isFile()).toBe(true);
    expect(await readFile(path.join(outside, "secret.txt"), "utf8")).toBe("do not serve");
  });

  it("works when the configured root itself is a link", async () => {
    const linkedRoot = path.join(base, "linked-root");
    await symlink(root, linkedRoot);
    const linked = createFsStore({ driver: "fs", dir: linkedRoot });
    await linked.ensureReady();
    await linked.put("models/u3/a/v1/m.onnx", body("via link"));
    expect(await readFile(path.join(root, "models/u3/a/v1/m.onnx"), "utf8")).toBe("via link");
  });

  it("keeps artifacts away from other local users (files 0640, folders 0750)", async () => {
    await chmod(base, 0o755);
    await store.put("models/u4/a/v1/m.onnx", body("private"));
    const file = path.join(root, "models/u4/a/v1/m.onnx");
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect((await stat(path.dirname(file))).mode & 0o007).toBe(0);
    expect((await stat(root)).mode & 0o007).toBe(0);
    // Another local account (nobody) cannot read it.
    const asNobody = spawnSync("cat", [file], { uid: 65534, gid: 65534, encoding: "utf8" });
    expect(asNobody.status).not.toBe(0);
    expect(asNobody.stderr).toMatch(/Permission denied/);
  });

  it("removes folders a delete leaves empty, but keeps the top-level ones", async () => {
    await store.put("models/u5/a/v1/m.onnx", body("x"));
    await store.delete("models/u5/a/v1/m.onnx");
    await expect(stat(path.join(root, "models/u5"))).rejects.toThrow(/ENOENT/);
    expect((await stat(path.join(root, "models"))).isDirectory()).toBe(true);
  });
});

describe("fs driver: a crash never leaves a half-written file at a final key", () => {
  let root: string;

  beforeAll(async () => {
    root = path.join(await mkdtemp(path.join(tmpdir(), "kubeserve-fs-crash-")), "artifacts");
  });
  afterAll(() => rm(path.dirname(root), { recursive: true, force: true }));

  it("SIGKILL mid-put: the old object stays whole, the partial sits in .tmp until swept", async () => {
    const store = createFsStore({ driver: "fs", dir: root });
    await store.ensureReady();
    await store.put("models/u/a/v1/m.onnx", body("the previous model"));

    // A real process streaming a large file into the store, killed part-way through.
    const script = path.join(path.dirname(root), "writer.mts");
    const storeModule = pathToFileURL(
      fileURLToPath(new URL("./fs-store.ts", import.meta.url)),
    ).href;
    const testingModule = pathToFileURL(
      fileURLToPath(new URL("./testing.ts", import.meta.url)),
    ).href;
    await writeFile(
      script,
      `import { createFsStore } from ${JSON.stringify(storeModule)};
import { generatedStream } from ${JSON.stringify(testingModule)};
const store = createFsStore({ driver: "fs", dir: ${JSON.stringify(root)} });
const source = generatedStream(${512 * MiB});
let sent = 0;
source.on("data", (c) => { sent += c.length; if (sent > ${64 * MiB}) { source.pause(); console.log("halfway"); } });
await store.put("models/u/a/v1/m.onnx", source);
console.log("finished");
`,
    );
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    const child = spawn(process.execPath, ["--import", tsx, script], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    for (let i = 0; i < 600 && !output.includes("halfway"); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(output).toContain("halfway");
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    expect(output).not.toContain("finished");

    const got = await store.get("models/u/a/v1/m.onnx");
    const chunks: Buffer[] = [];
    for await (const c of got.body) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe("the previous model");
    const partials = await readdir(path.join(root, ".tmp"));
    expect(partials).toHaveLength(1);
    expect(partials[0]).toMatch(/\.partial$/);
    expect((await stat(path.join(root, ".tmp", partials[0]!))).size).toBeGreaterThan(0);

    // Start-up sweeps partials older than a day; a fresh one may belong to a live put.
    await store.ensureReady();
    expect(await readdir(path.join(root, ".tmp"))).toHaveLength(1);
    const old = new Date(Date.now() - 25 * 60 * 60 * 1000);
    await utimes(path.join(root, ".tmp", partials[0]!), old, old);
    await store.ensureReady();
    expect(await readdir(path.join(root, ".tmp"))).toEqual([]);
  });

  it("two concurrent puts to one key leave one of them whole, never a mix", async () => {
    const store = createFsStore({ driver: "fs", dir: root });
    const [a, b] = await Promise.all([
      store.put("models/u/a/v2/m.onnx", generatedStream(20 * MiB, 11)),
      store.put("models/u/a/v2/m.onnx", generatedStream(20 * MiB, 12)),
    ]);
    const { body: stored } = await store.get("models/u/a/v2/m.onnx");
    const hash = (await import("node:crypto")).createHash("sha256");
    for await (const c of stored) hash.update(c as Buffer);
    expect([a.sha256, b.sha256]).toContain(hash.digest("hex"));
    expect(a.sha256).not.toBe(b.sha256);
  });
});
