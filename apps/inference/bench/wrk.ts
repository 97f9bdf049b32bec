import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const LUA = fileURLToPath(new URL("./post.lua", import.meta.url));

export type TBody = { file: string; contentType: string; headerLength?: number };

/** One wrk run. A run with any non-2xx answer or socket error measured failures, not serving. */
export type TRun = {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  invalidReason: string | undefined;
};

function toMs(value: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(value);
  if (!match) return NaN;
  return Number(match[1]) * { us: 1e-3, ms: 1, s: 1e3 }[match[2] as "us" | "ms" | "s"];
}

/** Reads wrk's report; wrk counts fast 503s as throughput, so they are pulled out here. */
export function parseWrk(out: string): TRun {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const p50 = toMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? "");
  const p99 = toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? "");
  const requests = Number(/(\d+) requests in /.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0;
  const reasons: string[] = [];
  if (!Number.isFinite(rps) || requests === 0) reasons.push("no report from wrk");
  if (non2xx > 0) reasons.push(`${non2xx} non-2xx`);
  if (socket) reasons.push(`socket errors ${socket[0].replace("Socket errors: ", "")}`);
  return {
    rps,
    p50,
    p99,
    requests,
    non2xx,
    socketErrors,
    invalidReason: reasons.length > 0 ? reasons.join(", ") : undefined,
  };
}

export function runWrk(
  url: string,
  body: TBody,
  connections: number,
  seconds: number,
  authToken?: string,
): TRun {
  const result = spawnSync(
    "wrk",
    ["-t2", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", LUA, url],
    {
      env: {
        ...process.env,
        BODY: body.file,
        CTYPE: body.contentType,
        HLEN: body.headerLength === undefined ? "" : String(body.headerLength),
        AUTH: authToken ?? "",
      },
      encoding: "utf8",
    },
  );
  return parseWrk(result.stdout + (result.stderr ? `\n${result.stderr}` : ""));
}

export function jsonBody(fixtures: string, name: string): TBody {
  return { file: path.join(fixtures, name), contentType: "application/json" };
}
