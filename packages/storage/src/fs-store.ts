import { randomUUID } from "node:crypto";
import { constants, createWriteStream, type Stats } from "node:fs";
import {
  access,
  lstat,
  mkdir,
  open,
  readdir,
  rename,
  rm,
  rmdir,
  stat,
  type FileHandle,
} from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  describeError,
  errorCode,
  isUnavailable,
  StorageError,
  StorageKeyError,
  StorageNotFoundError,
  StorageUnavailableError,
} from "./errors";
import { assertValidKey, assertValidPrefix } from "./keys";
import { meterSource } from "./meter";
import { resolveRange } from "./range";
import type {
  TArtifactStore,
  TFsStorageConfig,
  TGetOptions,
  TGetResult,
  TObjectInfo,
  TPutOptions,
  TPutResult,
} from "./types";

// Temporary files live inside the root (same file system, so rename is atomic); keys can never
// name them because a key segment may not start with '.'.
const TMP_DIR = ".tmp";
const STALE_TMP_MS = 24 * 60 * 60 * 1000;
/** A put flushes what it wrote every this many bytes, so the fsync before the rename finds little left. */
const EARLY_SYNC_BYTES = 64 * 1024 * 1024;

export function fsEtag(stats: Stats): string {
  return `${stats.ino.toString(36)}-${stats.size.toString(36)}-${Math.round(stats.mtimeMs * 1000).toString(36)}`;
}

function toInfo(key: string, stats: Stats): TObjectInfo {
  return { key, size: stats.size, etag: fsEtag(stats), lastModified: stats.mtime };
}

/** fsync is per file, not per descriptor: a fresh descriptor flushes what the stream wrote. */
export async function syncFile(file: string, flags = constants.O_RDONLY): Promise<void> {
  const handle = await open(file, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  await syncFile(dir, constants.O_RDONLY | constants.O_DIRECTORY);
}

/**
 * Flushes `file` in the background while `meter` streams into it (one fdatasync in flight at most, on a
 * descriptor of its own). Only a head start: the put still fsyncs the whole file before naming it.
 */
function syncWhileWriting(
  file: string,
  meter: { on: (e: "data", f: (c: Buffer) => void) => void },
) {
  let unsynced = 0;
  let inFlight: Promise<void> | undefined;
  let handle: Promise<FileHandle | undefined> | undefined;
  meter.on("data", (chunk: Buffer) => {
    unsynced += chunk.length;
    if (unsynced < EARLY_SYNC_BYTES || inFlight) return;
    unsynced = 0;
    handle ??= open(file, constants.O_RDONLY).catch(() => undefined);
    inFlight = handle
      .then((h) => h?.datasync())
      .catch(() => undefined)
      .finally(() => (inFlight = undefined));
  });
  return async () => {
    await inFlight;
    await (await handle)?.close().catch(() => undefined);
  };
}

export class FsArtifactStore implements TArtifactStore {
  readonly driver = "fs" as const;
  readonly root: string;
  private readonly tmpDir: string;

  constructor(config: TFsStorageConfig) {
    this.root = path.resolve(config.dir);
    this.tmpDir = path.join(this.root, TMP_DIR);
  }

  describe(): string {
    return `fs:${this.root}`;
  }

  async ensureReady(): Promise<void> {
    try {
      await mkdir(this.tmpDir, { recursive: true, mode: 0o750 });
      await this.ping();
      // Leftovers of puts interrupted by a crash; a live put touches its file far more often.
      const now = Date.now();
      for (const name of await readdir(this.tmpDir)) {
        const file = path.join(this.tmpDir, name);
        const stats = await lstat(file).catch(() => undefined);
        if (stats && now - stats.mtimeMs > STALE_TMP_MS) await rm(file, { force: true });
      }
    } catch (error) {
      throw this.mapError(error, "prepare");
    }
  }

  async ping(): Promise<void> {
    try {
      const stats = await stat(this.root);
      if (!stats.isDirectory()) throw new Error("not a directory");
      await access(this.root, constants.R_OK | constants.W_OK);
    } catch (error) {
      throw new StorageUnavailableError(
        `storage folder ${this.root} is not available: ${describeError(error)}`,
        { cause: error },
      );
    }
  }

  /**
   * Walks the key's folders without following any link, creating missing ones when asked: a
   * symbolic link (or a file) anywhere below the root makes the key refused, so no key escapes it.
   */
  private async resolveKey(key: string, isCreating: boolean): Promise<string | undefined> {
    assertValidKey(key);
    const segments = key.split("/");
    const target = path.join(this.root, ...segments);
    if (!target.startsWith(this.root + path.sep)) {
      throw new StorageKeyError(`object key ${key} resolves outside the storage folder`);
    }
    let dir = this.root;
    for (const segment of segments.slice(0, -1)) {
      dir = path.join(dir, segment);
      if (isCreating) {
        await mkdir(dir, { mode: 0o750 }).catch((error: unknown) => {
          if (errorCode(error) !== "EEXIST") throw error;
        });
      }
      const stats = await lstat(dir).catch((error: unknown) => {
        if (errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR") return undefined;
        throw error;
      });
      if (!stats) return undefined;
      if (stats.isSymbolicLink()) {
        throw new StorageKeyError(`object key ${key} passes through a symbolic link; refused`);
      }
      if (!stats.isDirectory()) return undefined;
    }
    return target;
  }

  private async mustResolve(key: string): Promise<string> {
    const file = await this.resolveKey(key, false);
    if (!file) throw new StorageNotFoundError(key);
    return file;
  }

  private mapError(error: unknown, action: string, key?: string): Error {
    if (error instanceof StorageError) return error;
    const where = key ? ` ${key}` : "";
    if (isUnavailable(error)) {
      return new StorageUnavailableError(
        `storage folder ${this.root} cannot ${action}${where}: ${describeError(error)}`,
        { cause: error },
      );
    }
    return new StorageError(`cannot ${action}${where}: ${describeError(error)}`, { cause: error });
  }

  /** The root vanishing mid-operation (unmounted, deleted) is an outage, not a missing object. */
  private async mapWithRoot(error: unknown, action: string, key: string): Promise<Error> {
    const code = errorCode(error);
    if ((code === "ENOENT" || code === "ENOTDIR") && !(await this.isRootPresent())) {
      return new StorageUnavailableError(
        `storage folder ${this.root} disappeared during ${action}`,
        {
          cause: error,
        },
      );
    }
    return this.mapError(error, action, key);
  }

  private async isRootPresent(): Promise<boolean> {
    return stat(this.root).then(
      (s) => s.isDirectory(),
      () => false,
    );
  }

  private async placeFile(tmp: string, key: string): Promise<string> {
    // A concurrent delete may prune the freshly made folder; one retry re-creates it.
    for (let attempt = 0; ; attempt++) {
      const target = await this.resolveKey(key, true);
      if (!target) throw new StorageError(`cannot store ${key}: a parent path is a file`);
      try {
        await rename(tmp, target);
        await fsyncDirectory(path.dirname(target));
        return target;
      } catch (error) {
        if (attempt === 0 && errorCode(error) === "ENOENT" && (await this.isRootPresent()))
          continue;
        throw error;
      }
    }
  }

  async put(key: string, body: Readable, options: TPutOptions = {}): Promise<TPutResult> {
    assertValidKey(key);
    const { meter, finish, release } = meterSource(body, options);
    const tmp = path.join(this.tmpDir, `${randomUUID()}.partial`);
    try {
      // Never re-create a missing root here: that is an outage (or an unmount), not an empty store.
      await mkdir(this.tmpDir, { mode: 0o750 }).catch((error: unknown) => {
        if (errorCode(error) !== "EEXIST") throw error;
      });
      const sink = createWriteStream(tmp, { flags: "wx", mode: 0o640, highWaterMark: 1 << 20 });
      const stopSyncing = syncWhileWriting(tmp, meter);
      try {
        await pipeline(meter, sink);
      } finally {
        await stopSyncing();
      }
      await syncFile(tmp);
      const target = await this.placeFile(tmp, key);
      finish();
      const stats = await stat(target);
      return { key, size: meter.bytes, sha256: meter.digest(), etag: fsEtag(stats) };
    } catch (error) {
      release();
      await rm(tmp, { force: true }).catch(() => undefined);
      throw await this.mapWithRoot(error, "store", key);
    }
  }

  async get(key: string, options: TGetOptions = {}): Promise<TGetResult> {
    const file = await this.mustResolve(key);
    let handle: FileHandle;
    try {
      handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") {
        throw new StorageNotFoundError(key);
      }
      if (code === "ELOOP") throw new StorageKeyError(`object ${key} is a symbolic link; refused`);
      throw await this.mapWithRoot(error, "read", key);
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new StorageNotFoundError(key);
      const range = resolveRange(key, stats.size, options);
      const body =
        range.contentLength === 0
          ? Readable.from([])
          : handle.createReadStream({ start: range.start, end: range.end, highWaterMark: 1 << 20 });
      if (range.contentLength === 0) await handle.close();
      return { ...toInfo(key, stats), ...range, body };
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw this.mapError(error, "read", key);
    }
  }

  async stat(key: string): Promise<TObjectInfo | undefined> {
    const file = await this.resolveKey(key, false);
    if (!file) return undefined;
    try {
      const stats = await lstat(file);
      if (stats.isSymbolicLink())
        throw new StorageKeyError(`object ${key} is a symbolic link; refused`);
      return stats.isFile() ? toInfo(key, stats) : undefined;
    } catch (error) {
      if (errorCode(error) === "ENOENT") return undefined;
      throw await this.mapWithRoot(error, "stat", key);
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== undefined;
  }

  async delete(key: string): Promise<void> {
    const file = await this.resolveKey(key, false);
    if (!file) return;
    try {
      const stats = await lstat(file).catch((error: unknown) => {
        if (errorCode(error) === "ENOENT") return undefined;
        throw error;
      });
      if (!stats) return;
      if (stats.isDirectory()) throw new StorageError(`cannot delete ${key}: it is a folder`);
      await rm(file, { force: true });
      await this.pruneEmptyFolders(path.dirname(file));
    } catch (error) {
      throw this.mapError(error, "delete", key);
    }
  }

  /** Removes folders left empty by a delete or move, keeping the top-level ones (models/, uploads/). */
  private async pruneEmptyFolders(dir: string): Promise<void> {
    let current = dir;
    while (path.dirname(current) !== this.root && current.startsWith(this.root + path.sep)) {
      try {
        await rmdir(current);
      } catch {
        return;
      }
      current = path.dirname(current);
    }
  }

  async *list(prefix: string): AsyncIterable<TObjectInfo> {
    assertValidPrefix(prefix);
    const segments = prefix.split("/");
    segments.pop(); // the partial last name (or "" after a trailing '/') is matched below
    let dir = this.root;
    for (const segment of segments) {
      dir = path.join(dir, segment);
      const stats = await lstat(dir).catch(() => undefined);
      if (!stats?.isDirectory()) return;
    }
    yield* this.walk(dir, segments.join("/"), prefix);
  }

  private async *walk(dir: string, dirKey: string, prefix: string): AsyncIterable<TObjectInfo> {
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (error) {
      if (errorCode(error) === "ENOENT") return;
      throw this.mapError(error, "list", dirKey || "/");
    }
    for (const name of names) {
      if (name.startsWith(".")) continue;
      const key = dirKey ? `${dirKey}/${name}` : name;
      if (!key.startsWith(prefix) && !prefix.startsWith(`${key}/`)) continue;
      const stats = await lstat(path.join(dir, name)).catch(() => undefined);
      if (!stats) continue;
      if (stats.isDirectory()) yield* this.walk(path.join(dir, name), key, prefix);
      else if (stats.isFile() && key.startsWith(prefix)) yield toInfo(key, stats);
    }
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    const from = await this.mustResolve(fromKey);
    assertValidKey(toKey);
    try {
      const stats = await lstat(from).catch(() => undefined);
      if (!stats?.isFile()) throw new StorageNotFoundError(fromKey);
      await this.placeFile(from, toKey);
      await fsyncDirectory(path.dirname(from)).catch(() => undefined);
      await this.pruneEmptyFolders(path.dirname(from));
    } catch (error) {
      throw await this.mapWithRoot(error, "move", `${fromKey} to ${toKey}`);
    }
  }

  async presignGet(key: string): Promise<string | undefined> {
    assertValidKey(key);
    return undefined;
  }

  /** The absolute path of an existing object (after the same checks), for same-disk renames. */
  async pathOf(key: string): Promise<string> {
    return this.mustResolve(key);
  }
}

export function createFsStore(config: TFsStorageConfig): FsArtifactStore {
  return new FsArtifactStore(config);
}
