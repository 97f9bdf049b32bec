import { createHash, randomUUID } from "node:crypto";
import { chmod, chown, copyFile, mkdir, readdir, rename, stat } from "node:fs/promises";
import path from "node:path";
import { isolationUidRange, type TRuntimeConfig } from "../config/runtime";
import { deploymentDir } from "./local-process";

// When the API runs as root (RUNTIME_ISOLATION=auto), each deployment's replicas run under a uid of their
// own, with no supplementary groups: they cannot read KUBESERVE_HOME's secrets (auth-secret, pgdata, the
// store), another deployment's model or memory, or write the venvs. There is no network namespace for
// serving replicas: the API reaches them on 127.0.0.1, which a separate namespace's loopback would hide.

export type TIsolation = { uid: number; gid: number };

export class IsolationError extends Error {
  override name = "IsolationError";
}

/** A stable uid per deployment, so an adopted replica and its restarts share one owner. */
export function isolatedIdsFor(uidBase: number, deploymentId: string): TIsolation {
  const n = createHash("sha256").update(deploymentId).digest().readUInt32BE(0);
  const uid = uidBase + 1 + (n % isolationUidRange);
  return { uid, gid: uid };
}

function isUnder(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/**
 * Closes everything in `dir` to other users except the way to `keep`: folders on that way become
 * 0711 (pass through, no listing), anything else loses its group and other bits.
 */
async function closeExcept(dir: string, keep: string[]): Promise<void> {
  await chmod(dir, 0o711);
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const name of entries) {
    const entry = path.join(dir, name);
    const isOnTheWay = keep.some((k) => isUnder(k, entry));
    if (isOnTheWay && !keep.includes(entry)) {
      await closeExcept(entry, keep);
    } else if (isOnTheWay) {
      await chmod(entry, 0o711);
      // the download cache replicas shared before isolation was on
      await closeEntry(path.join(entry, "model-cache"));
    } else {
      await closeEntry(entry);
    }
  }
}

async function closeEntry(entry: string): Promise<void> {
  const info = await stat(entry).catch(() => undefined);
  if (info) await chmod(entry, info.mode & 0o7700);
}

/** Every folder above `dir` must let other users through; ours are opened for that (x only). */
async function ensureTraversable(dir: string): Promise<void> {
  const uid = process.getuid?.() ?? 0;
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const info = await stat(d);
    if ((info.mode & 0o001) === 0) {
      if (info.uid !== uid) {
        throw new IsolationError(
          `runtime isolation: ${d} is not passable by other users and not the API's to change`,
        );
      }
      await chmod(d, (info.mode & 0o7777) | 0o001);
    }
    if (d === path.dirname(d)) return;
  }
}

const hardened = new Map<string, Promise<void>>();

/** Once per home: secrets and the store closed, the runtime folder and the venvs passable. */
export function hardenHome(runtime: TRuntimeConfig, venvDir: string | undefined): Promise<void> {
  const home = runtime.isolation?.homeDir ?? runtime.dir;
  const keep = [runtime.dir, ...(venvDir ? [venvDir] : [])].map((p) => path.resolve(p));
  const key = `${home}\0${keep.join("\0")}`;
  let done = hardened.get(key);
  if (!done) {
    done = (async () => {
      await mkdir(runtime.dir, { recursive: true, mode: 0o711 });
      if (venvDir) await mkdir(venvDir, { recursive: true, mode: 0o711 });
      await closeExcept(
        home,
        keep.filter((k) => isUnder(k, home)),
      );
      for (const k of keep) {
        if (!isUnder(k, home)) await chmod(k, 0o711);
        await ensureTraversable(k);
      }
    })();
    hardened.set(key, done);
    done.catch(() => hardened.delete(key));
  }
  return done;
}

/**
 * The deployment's folder (0710 root:gid, so the replica passes through but lists nothing and reads
 * neither logs nor pid records), its model copied in read-only for the group (the store stays closed),
 * and a download cache only this deployment's uid can use.
 */
export async function stageDeployment(
  runtime: TRuntimeConfig,
  deploymentId: string,
  ids: TIsolation,
  model: { path: string | undefined; sha256: string },
): Promise<{ modelPath: string | undefined; cacheDir: string }> {
  const dir = deploymentDir(runtime.dir, deploymentId);
  await mkdir(dir, { recursive: true, mode: 0o710 });
  await chown(dir, 0, ids.gid);
  await chmod(dir, 0o710);
  const cacheDir = path.join(dir, "cache");
  await mkdir(cacheDir, { recursive: true, mode: 0o700 });
  await chown(cacheDir, ids.uid, ids.gid);
  if (!model.path) return { modelPath: undefined, cacheDir };
  const source = await stat(model.path);
  const name = `model-${model.sha256 || String(source.mtimeMs)}${path.extname(model.path)}`;
  const staged = path.join(dir, name);
  const existing = await stat(staged).catch(() => undefined);
  if (existing?.size !== source.size) {
    // Replicas of one deployment stage at once: each copies to its own name, and either rename wins.
    const partial = `${staged}.${randomUUID()}.part`;
    await copyFile(model.path, partial);
    await chown(partial, 0, ids.gid);
    await chmod(partial, 0o440);
    await rename(partial, staged);
  }
  return { modelPath: staged, cacheDir };
}
