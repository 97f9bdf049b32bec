// The bare floor for `pnpm bench upload`, in its own process like the API: node:http in, the body hashed
// (sha256) on the fly and streamed to a file, no auth, no framework, no fsync. Prints its port.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pipeline } from "node:stream/promises";

const [target = ""] = process.argv.slice(2);
const server = createServer((req, res) => {
  const hash = createHash("sha256");
  req.on("data", (chunk: Buffer) => hash.update(chunk));
  void pipeline(req, createWriteStream(target)).then(() => res.end(hash.digest("hex")));
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.once("SIGTERM", () => server.close(() => process.exit(0)));
