import { pino } from "pino";
import { readApiConfig } from "../config";
import type { TDesiredDeployment } from "../runtime/driver";
import { createLocalDriver } from "../runtime/local.driver";

// A supervisor in its own process, so tests can `kill -9` it as they would the API.
const specs = JSON.parse(process.argv[2] ?? "[]") as TDesiredDeployment[];
const config = readApiConfig({ ...process.env, NODE_ENV: "test", LOG_LEVEL: "silent" });
const driver = createLocalDriver({
  config: config.runtime,
  sklearn: config.sklearn,
  log: pino({ level: "silent" }),
});
await Promise.all(specs.map((spec) => driver.apply(spec)));
const pids = specs.map((spec) => driver.status(spec.id).replicas.map((r) => r.pid));
process.stdout.write(`${JSON.stringify({ pids })}\n`);
setInterval(() => undefined, 60_000);
