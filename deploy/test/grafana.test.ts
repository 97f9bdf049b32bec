import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { classify, readDashboard } from "./dashboards";
import { DEPLOY_DIR } from "./helpers";

// contracts §5: apps/web embeds d-solo panels by these uids, variables and panel ids.
const contract = {
  "kubeserve-platform.json": {
    uid: "kubeserve-platform",
    variables: [] as string[],
    panels: {
      1: /request rate/i,
      2: /error rate/i,
      3: /p50.*p95.*p99/i,
      4: /predictions/i,
      5: /cpu per namespace/i,
      6: /memory per namespace/i,
      7: /top deployments/i,
    },
  },
  "kubeserve-deployment.json": {
    uid: "kubeserve-deployment",
    variables: ["namespace", "deployment"],
    panels: {
      1: /request rate/i,
      2: /error rate/i,
      3: /p50.*p95.*p99/i,
      4: /predictions/i,
      5: /in flight/i,
      6: /batch size/i,
      7: /^cpu$/i,
      8: /^memory$/i,
    },
  },
};

const contractMetrics =
  /^(requests_total|prediction_latency_ms_bucket|predictions_total|queue_wait_ms_bucket|batch_size_(bucket|sum|count)|inference_run_ms_bucket|requests_in_flight|model_load_seconds|model_ready|gateway_requests_total|gateway_request_duration_ms_bucket|gateway_requests_in_flight|gateway_rate_limited_total|process_cpu_seconds_total|process_resident_memory_bytes|container_cpu_usage_seconds_total|container_memory_working_set_bytes|kube_resourcequota|kube_pod_labels|kube_pod_container_resource_limits)$/;

describe.each(Object.entries(contract))("%s", (file, expected) => {
  const dashboard = readDashboard(file);

  it("has the contract's uid, variables and panel ids", () => {
    expect(dashboard.uid).toBe(expected.uid);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(expected.variables);
    expect(dashboard.panels.map((p) => p.id)).toEqual(Object.keys(expected.panels).map(Number));
    for (const panel of dashboard.panels)
      expect(panel.title).toMatch(expected.panels[panel.id as keyof typeof expected.panels]);
  });

  it("queries the provisioned datasource, and only metric names the platform exports (or cAdvisor/kube-state-metrics)", () => {
    for (const panel of dashboard.panels) {
      expect(panel.datasource?.uid).toBe("kubeserve-prometheus");
      expect(new Set(panel.targets.map((t) => t.refId)).size).toBe(panel.targets.length);
      for (const target of panel.targets) {
        // A metric name is what stands right before a selector or a range: `name{…}` or `name[…]`.
        const metrics = target.expr.match(/\b[a-zA-Z_:][a-zA-Z0-9_:]*(?=\{|\[)/g) ?? [];
        expect(metrics.length, `${panel.title} ${target.refId}`).toBeGreaterThan(0);
        for (const metric of metrics)
          expect(metric, `${panel.title} ${target.refId}`).toMatch(contractMetrics);
      }
      // Every panel, even one whose cluster or gateway queries can only be parsed here, also has a
      // model-server query that returns data on every runtime.
      expect(
        panel.targets.some((t) => classify(t.expr) === "model-server"),
        `${panel.title} has a model-server query`,
      ).toBe(true);
    }
  });

  it("filters by the deployment variable on every deployment panel (gateway series have no namespace label)", () => {
    if (!expected.variables.length) return;
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        expect(target.expr, `${panel.title} ${target.refId}`).toContain("$deployment");
        if (classify(target.expr) === "gateway") expect(target.expr).not.toContain("$namespace");
      }
    }
    for (const variable of dashboard.templating.list) {
      expect(variable).toMatchObject({ includeAll: true, allValue: ".*" });
    }
  });
});

describe("Grafana provisioning", () => {
  it("provisions the datasource uid the dashboards use and loads the dashboards folder", () => {
    const datasources = parse(
      readFileSync(
        path.join(DEPLOY_DIR, "grafana/provisioning/datasources/prometheus.yaml"),
        "utf8",
      ),
    ) as {
      datasources: Array<{ uid: string; type: string; url: string }>;
    };
    expect(datasources.datasources).toEqual([
      expect.objectContaining({
        uid: "kubeserve-prometheus",
        type: "prometheus",
        url: "http://prometheus:9090",
      }),
    ]);
    const providers = parse(
      readFileSync(path.join(DEPLOY_DIR, "grafana/provisioning/dashboards/kubeserve.yaml"), "utf8"),
    ) as {
      providers: Array<{ options: { path: string } }>;
    };
    const compose = readFileSync(path.join(DEPLOY_DIR, "compose.yaml"), "utf8");
    expect(compose).toContain(`./grafana/dashboards:${providers.providers[0]?.options.path}:ro`);
  });
});
