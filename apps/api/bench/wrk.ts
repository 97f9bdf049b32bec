import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

// wrk runs for the gateway bench (the same Lua script and report reading as `pnpm bench inference`).

const lua = fileURLToPath(new URL("./post.lua", import.meta.url));

export type TRun = {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** CPU time of the server process per request (filled in by the caller, which knows its pid) */
  cpuUsPerRequest?: number;
  invalidReason: string | undefined;
};

function toMs(value: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(value);
  if (!match) return NaN;
  return Number(match[1]) * { us: 1e-3, ms: 1, s: 1e3 }[match[2] as "us" | "ms" | "s"];
}

/** A run with any non-2xx answer or socket error measured failures, not serving: it is invalid. */
export function parseWrk(out: string): TRun {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const requests = Number(/(\d+) requests in /.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: [^\n]+/.exec(out);
  const reasons: string[] = [];
  if (!Number.isFinite(rps) || requests === 0) reasons.push("no report from wrk");
  if (non2xx > 0) reasons.push(`${non2xx} non-2xx`);
  if (socket) reasons.push(socket[0]);
  return {
    rps,
    p50: toMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ""),
    p99: toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ""),
    requests,
    invalidReason: reasons.length > 0 ? reasons.join(", ") : undefined,
  };
}

export function runWrk(
  url: string,
  bodyFile: string,
  connections: number,
  seconds: number,
  token?: string,
): TRun {
  const result = spawnSync(
    "wrk",
    ["-t2", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", lua, url],
    {
      env: {
        ...process.env,
        BODY: bodyFile,
        CTYPE: "application/json",
        HLEN: "",
        AUTH: token ?? "",
      },
      encoding: "utf8",
    },
  );
  return parseWrk(`${result.stdout}\n${result.stderr}`);
}

export function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
