// The floor for `pnpm bench api`: the same database work as a model.list request behind bare node:http.
// It calls the API's own authenticate and listModels, so it runs the same named prepared statements (the
// session or API-key lookup, then the page query) on the same pool, sized by the API's config from the
// same environment. What it leaves out is Fastify, tRPC, zod input/output validation and request logging:
// what the API costs on top of this is its framework overhead.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { openDatabase } from "@kubeserve/db";
import { readApiConfig } from "../src/config";
import { createDeps } from "../src/deps";
import { createLogger } from "../src/logger";
import type { TListModelsInput } from "../src/schemas/model";
import { readCredential } from "../src/context";
import { authenticate } from "../src/services/auth.service";
import { listModels } from "../src/services/model.service";

const config = readApiConfig();
const port = Number(process.env.PORT);
const { url, pgliteDir, poolSize } = config.database;
const database = await openDatabase({ url, pgliteDir, poolSize, migrations: "check" });
const deps = createDeps({
  db: database.prisma,
  sql: database.sql,
  config,
  log: createLogger(config),
});

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestUrl = new URL(req.url ?? "/", "http://floor");
  if (requestUrl.pathname === "/healthz") {
    res.end("ok");
    return;
  }
  // The same request bytes as the API gets (`/trpc/model.list?input=…`), trusted without validation.
  const input = JSON.parse(
    requestUrl.searchParams.get("input") ?? "{}",
  ) as Partial<TListModelsInput>;
  const auth = await authenticate(deps, readCredential(req.headers));
  if ("error" in auth) {
    res.statusCode = 401;
    res.end(auth.error.message);
    return;
  }
  const page = await listModels(deps, auth.actor, { limit: 50, sortBy: "updatedAt", ...input });
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ result: { data: page } }));
}

let inFlight = 0;
let onIdle: (() => void) | undefined;
const server = createServer((req, res) => {
  inFlight++;
  handle(req, res)
    .catch((error: unknown) => {
      // Counted by the bench as a non-2xx answer, which makes the run invalid.
      console.error(`floor: ${error instanceof Error ? error.message : String(error)}`);
      res.statusCode = 500;
      res.end();
    })
    .finally(() => {
      if (--inFlight === 0) onIdle?.();
    });
});
server.listen(port, "127.0.0.1");

// Drain before closing the pool: a request still running when the pool ends would fail.
process.once("SIGTERM", () => {
  server.close();
  server.closeIdleConnections();
  const finish = () => {
    database.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  if (inFlight === 0) finish();
  else onIdle = finish;
});
