// Child-process entry for startS3rver(): s3rver plus the multipart shim, on 127.0.0.1.
import { createRequire } from "node:module";
import { createMultipartShim } from "./s3rver-shim";

type TS3rver = {
  middleware: unknown[];
  run(): Promise<{ port: number }>;
};
type TS3rverClass = new (options: Record<string, unknown>) => TS3rver;

const require = createRequire(import.meta.url);
const S3rver = require("s3rver") as TS3rverClass;
const authentication = require("s3rver/lib/middleware/authentication") as () => Parameters<
  typeof createMultipartShim
>[1];

const { directory, port } = JSON.parse(process.argv[2] ?? "{}") as {
  directory: string;
  port: number;
};
const server = new S3rver({ address: "127.0.0.1", port, silent: true, directory });
// Just before s3rver's router (the last middleware), after its logging, XML and vhost handling.
server.middleware.splice(
  server.middleware.length - 1,
  0,
  createMultipartShim(directory, authentication()),
);
const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
// The parent holds our stdin; when it goes away (even by SIGKILL), so do we.
process.stdin.on("close", () => process.exit(0));
process.stdin.resume();
