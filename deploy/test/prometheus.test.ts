import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { classify, DASHBOARD_FILES, expand, readDashboard, type TTargetKind } from "./dashboards";
import {
  DEPLOY_DIR,
  freePort,
  hasCommand,
  pnpmCommand,
  REPO_ROOT,
  run,
  startProcess,
  waitFor,
  type TProcess,
} from "./helpers";

// Real processes, no stand-ins: the ONNX model server built from apps/inference serves the iris fixture,
// Debian's Prometheus scrapes it through deploy/prometheus/prometheus.yml (its kubeserve-api job, with
// the compose target swapped for the local server), and every PromQL expression in the Grafana
// dashboards is evaluated through Prometheus' query API.

const deployment = randomUUID();
const fixture = path.join(REPO_ROOT, "apps/inference/test/fixtures/iris-logreg.onnx");
const samples = JSON.parse(
  readFileSync(
    path.join(REPO_ROOT, "apps/inference/test/fixtures/iris-logreg.samples.json"),
    "utf8",
  ),
) as {
  inputs: number[][];
};
const dir = mkdtempSync(path.join(tmpdir(), "kubeserve-prom-"));
let modelServer: TProcess | undefined;
let prometheus: TProcess | undefined;
let modelUrl = "";
let promUrl = "";

type TQueryResult = { status: string; error?: string; data?: { result: unknown[] } };

async function query(expr: string): Promise<TQueryResult> {
  const response = await fetch(`${promUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  return (await response.json()) as TQueryResult;
}

async function sendTraffic(rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const rows = samples.inputs.slice(0, 1 + (round % 4));
    const v2 = {
      inputs: [{ name: "input", shape: [rows.length, 4], datatype: "FP32", data: rows.flat() }],
    };
    const replies = await Promise.all([
      fetch(`${modelUrl}/v2/models/iris/infer`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(v2),
      }),
      fetch(`${modelUrl}/v1/models/iris:predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ instances: rows }),
      }),
      fetch(`${modelUrl}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ instances: rows }),
      }),
      // A bad request, so the error panels see a 4xx series too.
      fetch(`${modelUrl}/v2/models/iris/infer`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{",
      }),
    ]);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 400]);
    await Promise.all(replies.map((r) => r.arrayBuffer()));
  }
}

beforeAll(async () => {
  if (!hasCommand("prometheus") || !hasCommand("promtool")) {
    throw new Error(
      "Debian's prometheus package is not installed (apt-get install -y prometheus); .ci/run installs it",
    );
  }
  const [pnpm, pnpmArgs] = pnpmCommand();
  const build = run(pnpm, [...pnpmArgs, "--filter", "@kubeserve/inference", "build"]);
  if (build.status !== 0)
    throw new Error(`building apps/inference failed:\n${build.stdout}\n${build.stderr}`);

  modelServer = startProcess(process.execPath, [
    "apps/inference/dist/cli.js",
    "--model",
    fixture,
    "--name",
    "iris",
    "--version",
    "v1",
    "--port",
    "0",
    "--host",
    "127.0.0.1",
    "--deployment",
    deployment,
  ]);
  // The first JSON log line saying "listening" carries the port (or the URL, in the older form).
  modelUrl = await waitFor(
    () => {
      for (const line of modelServer!.output().split("\n")) {
        if (!line.startsWith("{")) continue;
        const entry = JSON.parse(line) as { msg?: string; port?: number; url?: string };
        if (!entry.msg?.startsWith("listening")) continue;
        return entry.port ? `http://127.0.0.1:${entry.port}` : entry.url;
      }
      return undefined;
    },
    {
      what: "the model server to listen",
      timeoutMs: 60_000,
      intervalMs: 250,
      abortIf: () =>
        modelServer!.child.exitCode === null ? undefined : `exited:\n${modelServer!.output()}`,
    },
  );
  await waitFor(async () => ((await fetch(`${modelUrl}/v2/health/ready`)).ok ? true : undefined), {
    what: "the model to be ready",
    timeoutMs: 60_000,
    intervalMs: 250,
  });

  // The shipped scrape config, pointed at the local server and scraping every second for the test.
  const config = parse(
    readFileSync(path.join(DEPLOY_DIR, "prometheus/prometheus.yml"), "utf8"),
  ) as {
    global: Record<string, unknown>;
    scrape_configs: Array<{
      job_name: string;
      scrape_interval?: string;
      static_configs: Array<{ targets: string[] }>;
    }>;
  };
  const promPort = await freePort();
  config.global.scrape_interval = "1s";
  config.scrape_configs = config.scrape_configs.map((job) => ({
    ...job,
    scrape_interval: "1s",
    static_configs: job.static_configs.map((group) => ({
      ...group,
      targets: [
        job.job_name === "kubeserve-api" ? new URL(modelUrl).host : `127.0.0.1:${promPort}`,
      ],
    })),
  }));
  const configFile = path.join(dir, "prometheus.yml");
  writeFileSync(configFile, stringify(config));
  const check = run("promtool", ["check", "config", configFile]);
  expect(check.status, check.stdout + check.stderr).toBe(0);

  prometheus = startProcess("prometheus", [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(dir, "tsdb")}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    "--storage.tsdb.retention.time=1h",
  ]);
  promUrl = `http://127.0.0.1:${promPort}`;
  await waitFor(async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined), {
    what: "Prometheus to be ready",
    timeoutMs: 60_000,
    intervalMs: 250,
  });
  await waitFor(
    async () => {
      const up = await query('up{job="kubeserve-api"} == 1');
      return up.data?.result.length ? true : undefined;
    },
    { what: "the model server to be scraped", timeoutMs: 60_000, intervalMs: 250 },
  );
  // Traffic over several scrapes, so rate() has at least two samples with a difference.
  for (let second = 0; second < 6; second++) {
    await sendTraffic(5);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await new Promise((resolve) => setTimeout(resolve, 2500));
});

afterAll(async () => {
  await modelServer?.stop();
  await prometheus?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type TOutcome = {
  dashboard: string;
  panel: number;
  title: string;
  refId: string;
  kind: TTargetKind;
  series: number;
  error?: string;
};
const outcomes: TOutcome[] = [];

describe("Prometheus scraping a real model server", () => {
  it("sees the contract's metric names with the deployment label", async () => {
    for (const name of [
      "requests_total",
      "predictions_total",
      "prediction_latency_ms_bucket",
      "requests_in_flight",
      "batch_size_bucket",
      "model_ready",
      "process_cpu_seconds_total",
    ]) {
      const result = await query(`${name}{deployment="${deployment}", model="iris", version="v1"}`);
      expect(result.data?.result.length, name).toBeGreaterThan(0);
    }
  });

  it.each(DASHBOARD_FILES)("evaluates every PromQL expression of %s", async (file) => {
    const dashboard = readDashboard(file);
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const expr = expand(target.expr, { deployment, rateInterval: "30s" });
        const result = await query(expr);
        const outcome: TOutcome = {
          dashboard: dashboard.uid,
          panel: panel.id,
          title: panel.title,
          refId: target.refId,
          kind: classify(target.expr),
          series: result.data?.result.length ?? 0,
          ...(result.error ? { error: result.error } : {}),
        };
        outcomes.push(outcome);
        expect(
          result.status,
          `${dashboard.uid} panel ${panel.id} ${target.refId}: ${result.error ?? ""}\n${expr}`,
        ).toBe("success");
        if (outcome.kind === "model-server") {
          expect(
            outcome.series,
            `${dashboard.uid} panel ${panel.id} ${target.refId} returned no data:\n${expr}`,
          ).toBeGreaterThan(0);
        }
      }
    }
  });

  it("the deployment variable lists this deployment, and the namespace variable's All value matches it", async () => {
    const url = `${promUrl}/api/v1/label/deployment/values?${new URLSearchParams({ "match[]": 'requests_total{namespace=~".*"}' })}`;
    const values = (await (await fetch(url)).json()) as { data: string[] };
    expect(values.data).toContain(deployment);
  });

  it("the checks can fail: a misspelt metric returns nothing and bad PromQL is an error", async () => {
    expect(
      (await query(`sum(rate(requests_totl{deployment="${deployment}"}[30s]))`)).data?.result,
    ).toEqual([]);
    const bad = await query("sum(rate(requests_total[30s])");
    expect(bad.status).toBe("error");
  });

  afterAll(() => {
    // The list the report asks for: what returned data, and what could only be parsed here.
    const lines = outcomes.map(
      (o) =>
        `${o.dashboard} #${o.panel} ${o.title} [${o.refId}] ${o.kind}: ${o.series > 0 ? `${o.series} series` : o.kind === "model-server" ? "NO DATA" : "parsed only"}`,
    );
    process.stdout.write(`\nPromQL outcomes:\n  ${lines.join("\n  ")}\n`);
  });
});
