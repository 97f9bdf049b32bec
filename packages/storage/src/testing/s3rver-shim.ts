import { readdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";

// s3rver 3.7.1 answers 501/405 to three multipart calls that minio and @tus/s3-store make. This
// middleware answers them from the files s3rver itself writes for a multipart upload:
//   <root>/<bucket>/._S3rver_uploads/<uploadId>/key       the object key (written at initiate)
//   <root>/<bucket>/._S3rver_uploads/<uploadId>/<N>       part N's bytes
//   <root>/<bucket>/._S3rver_uploads/<uploadId>/<N>.md5   its MD5 (= ETag), written after the bytes
// Shapes follow the S3 API reference (ListMultipartUploads, ListParts, AbortMultipartUpload);
// ListMultipartUploads ignores `delimiter` (no CommonPrefixes), which neither client here sends.

export type TKoaContext = {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
  type: string;
  set(name: string, value: string): void;
  params?: Record<string, string | undefined>;
};
type TNext = () => Promise<void>;
type TMiddleware = (ctx: TKoaContext, next: TNext) => Promise<void>;
type TS3Error = Error & { code: string; status: number; toXML(): string };

const NS = "http://s3.amazonaws.com/doc/2006-03-01/";
const OWNER = "<ID>123456789000</ID><DisplayName>S3rver</DisplayName>";

function xml(value: string | number | boolean): string {
  return String(value).replace(
    /[<>&'"]/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!,
  );
}

function tag(name: string, value: string | number | boolean | undefined): string {
  return value === undefined || value === "" ? `<${name}/>` : `<${name}>${xml(value)}</${name}>`;
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function errorXml(code: string, message: string, extra: Record<string, string> = {}): string {
  const details = Object.entries(extra)
    .map(([k, v]) => tag(k, v))
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${tag("Code", code)}${tag("Message", message)}${details}</Error>`;
}

type TUpload = { uploadId: string; key: string; initiated: Date; dir: string };

async function readUploads(uploadsDir: string): Promise<TUpload[]> {
  const ids = await readdir(uploadsDir).catch(() => [] as string[]);
  const uploads: TUpload[] = [];
  for (const uploadId of ids) {
    const dir = path.join(uploadsDir, uploadId);
    const keyFile = path.join(dir, "key");
    const [key, info] = await Promise.all([
      readFile(keyFile, "utf8").catch(() => undefined),
      stat(keyFile).catch(() => undefined),
    ]);
    // The key file is written once at initiation, so its mtime is the initiation time.
    if (key !== undefined && info) uploads.push({ uploadId, key, initiated: info.mtime, dir });
  }
  return uploads;
}

type TPart = { number: number; etag: string; size: number; lastModified: Date };

async function readParts(dir: string): Promise<TPart[]> {
  const names = await readdir(dir);
  const parts: TPart[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    // A part is listed once its .md5 exists: s3rver writes it after the last byte.
    const md5 = await readFile(path.join(dir, `${name}.md5`), "utf8").catch(() => undefined);
    if (md5 === undefined) continue;
    const info = await stat(path.join(dir, name));
    parts.push({
      number: Number(name),
      etag: md5.trim(),
      size: info.size,
      lastModified: info.mtime,
    });
  }
  return parts.sort((a, b) => a.number - b.number);
}

function decodeSegments(raw: string): string[] {
  return raw
    .split("/")
    .filter((s, i) => i > 0 || s !== "")
    .map((s) => decodeURIComponent(s));
}

async function listUploads(ctx: TKoaContext, bucket: string, uploadsDir: string): Promise<void> {
  const prefix = one(ctx.query.prefix) ?? "";
  const keyMarker = one(ctx.query["key-marker"]) ?? "";
  const idMarker = one(ctx.query["upload-id-marker"]) ?? "";
  const maxUploads = Math.min(Number(one(ctx.query["max-uploads"]) ?? 1000) || 1000, 1000);
  const all = (await readUploads(uploadsDir))
    .filter((u) => u.key.startsWith(prefix))
    .sort((a, b) =>
      a.key === b.key ? a.initiated.getTime() - b.initiated.getTime() : a.key < b.key ? -1 : 1,
    );
  let start = 0;
  if (keyMarker) {
    start = all.findIndex(
      (u) => u.key > keyMarker || (u.key === keyMarker && idMarker !== "" && u.uploadId > idMarker),
    );
    if (start < 0) start = all.length;
  }
  const page = all.slice(start, start + maxUploads);
  const isTruncated = start + maxUploads < all.length;
  const last = page.at(-1);
  const uploads = page
    .map(
      (u) =>
        `<Upload>${tag("Key", u.key)}${tag("UploadId", u.uploadId)}<Initiator>${OWNER}</Initiator>` +
        `<Owner>${OWNER}</Owner>${tag("StorageClass", "STANDARD")}${tag("Initiated", u.initiated.toISOString())}</Upload>`,
    )
    .join("");
  ctx.status = 200;
  ctx.type = "application/xml";
  ctx.body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="${NS}">` +
    `${tag("Bucket", bucket)}${tag("KeyMarker", keyMarker)}${tag("UploadIdMarker", idMarker)}` +
    `${tag("NextKeyMarker", isTruncated ? last?.key : "")}${tag("NextUploadIdMarker", isTruncated ? last?.uploadId : "")}` +
    `${tag("Prefix", prefix)}${tag("MaxUploads", maxUploads)}${tag("IsTruncated", isTruncated)}${uploads}` +
    `</ListMultipartUploadsResult>`;
}

async function findUpload(uploadsDir: string, key: string, uploadId: string) {
  if (!/^[0-9a-f]+$/i.test(uploadId)) return undefined;
  const dir = path.join(uploadsDir, uploadId);
  const storedKey = await readFile(path.join(dir, "key"), "utf8").catch(() => undefined);
  return storedKey === key ? dir : undefined;
}

function noSuchUpload(ctx: TKoaContext, uploadId: string): void {
  ctx.status = 404;
  ctx.type = "application/xml";
  ctx.body = errorXml(
    "NoSuchUpload",
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    { UploadId: uploadId },
  );
}

async function listParts(
  ctx: TKoaContext,
  bucket: string,
  key: string,
  dir: string,
  uploadId: string,
) {
  const marker = Number(one(ctx.query["part-number-marker"]) ?? 0) || 0;
  const maxParts = Math.min(Number(one(ctx.query["max-parts"]) ?? 1000) || 1000, 1000);
  const all = (await readParts(dir)).filter((p) => p.number > marker);
  const page = all.slice(0, maxParts);
  const isTruncated = all.length > maxParts;
  const parts = page
    .map(
      (p) =>
        `<Part>${tag("PartNumber", p.number)}${tag("LastModified", p.lastModified.toISOString())}` +
        `${tag("ETag", `"${p.etag}"`)}${tag("Size", p.size)}</Part>`,
    )
    .join("");
  ctx.status = 200;
  ctx.type = "application/xml";
  ctx.body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="${NS}">` +
    `${tag("Bucket", bucket)}${tag("Key", key)}${tag("UploadId", uploadId)}` +
    `<Initiator>${OWNER}</Initiator><Owner>${OWNER}</Owner>${tag("StorageClass", "STANDARD")}` +
    `${tag("PartNumberMarker", marker)}${tag("NextPartNumberMarker", page.at(-1)?.number ?? marker)}` +
    `${tag("MaxParts", maxParts)}${tag("IsTruncated", isTruncated)}${parts}</ListPartsResult>`;
}

/**
 * Koa middleware for s3rver (path-style requests only). Requests pass s3rver's own authentication
 * middleware first (it checks the access key; s3rver does not verify V4 signatures).
 */
export function createMultipartShim(rootDir: string, authenticate: TMiddleware): TMiddleware {
  return async (ctx, next) => {
    const [bucket, ...keyParts] = decodeSegments(ctx.path);
    const key = keyParts.join("/");
    const uploadId = one(ctx.query.uploadId);
    const isListUploads = ctx.method === "GET" && bucket && !key && "uploads" in ctx.query;
    const isListParts = ctx.method === "GET" && bucket && key && uploadId !== undefined;
    const isAbort = ctx.method === "DELETE" && bucket && key && uploadId !== undefined;
    if (!bucket || !(isListUploads || isListParts || isAbort)) {
      await next();
      return;
    }
    ctx.params = { bucket, key: key || undefined };
    const uploadsDir = path.join(rootDir, bucket, "._S3rver_uploads");
    try {
      await authenticate(ctx, async () => {
        if (!(await stat(path.join(rootDir, bucket)).catch(() => undefined))) {
          ctx.status = 404;
          ctx.type = "application/xml";
          ctx.body = errorXml("NoSuchBucket", "The specified bucket does not exist", {
            BucketName: bucket,
          });
          return;
        }
        if (isListUploads) return listUploads(ctx, bucket, uploadsDir);
        const dir = await findUpload(uploadsDir, key, uploadId!);
        if (!dir) return noSuchUpload(ctx, uploadId!);
        if (isListParts) return listParts(ctx, bucket, key, dir, uploadId!);
        await rm(dir, { recursive: true, force: true });
        ctx.status = 204;
        ctx.body = null;
      });
    } catch (error) {
      const s3Error = error as Partial<TS3Error>;
      if (typeof s3Error.toXML !== "function") throw error;
      ctx.status = s3Error.status ?? 500;
      ctx.type = "application/xml";
      ctx.body = s3Error.toXML();
    }
  };
}
