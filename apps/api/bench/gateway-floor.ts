// The bare proxy floor for `pnpm bench gateway`: node:http in, one keep-alive undici pool out to the replica,
// no auth, no parsing, no metrics, no logging. What the gateway costs on top of this is its own work.
import { createServer } from "node:http";
import { Pool } from "undici";

const [port = "0", origin = "", token = "", upstreamPath = "/"] = process.argv.slice(2);
const pool = new Pool(origin, {
  connections: 128,
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 4_000,
});

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    pool
      .request({
        method: "POST",
        path: upstreamPath,
        headers: {
          "content-type": req.headers["content-type"] ?? "application/json",
          authorization: `Bearer ${token}`,
        },
        body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
      })
      .then(async (response) => {
        // One buffered write, as the gateway does for small answers: the floor must be the cheapest proxy.
        const body = Buffer.from(await response.body.arrayBuffer());
        res
          .writeHead(response.statusCode, {
            "content-type": String(response.headers["content-type"] ?? "application/json"),
            "content-length": String(body.length),
          })
          .end(body);
      })
      .catch(() => res.writeHead(502).end());
  });
});
server.keepAliveTimeout = 30_000;
server.listen(Number(port), "127.0.0.1", () => process.stdout.write("listening\n"));
// Exit on SIGTERM (rather than die by it) so a `--cpu-prof` profile is written.
process.once("SIGTERM", () => process.exit(0));
