import { readFileSync } from "node:fs";
import path from "node:path";
import { DEPLOY_DIR } from "./helpers";

export type TTarget = {
  refId: string;
  expr: string;
  legendFormat?: string;
  datasource?: { uid?: string };
};
export type TPanel = {
  id: number;
  title: string;
  type: string;
  targets: TTarget[];
  datasource?: { uid?: string };
};
export type TVariable = { name: string; query: string; allValue?: string; includeAll?: boolean };
export type TDashboard = {
  uid: string;
  title: string;
  panels: TPanel[];
  templating: { list: TVariable[] };
};

export const DASHBOARD_FILES = ["kubeserve-platform.json", "kubeserve-deployment.json"];

export function readDashboard(file: string): TDashboard {
  return JSON.parse(
    readFileSync(path.join(DEPLOY_DIR, "grafana", "dashboards", file), "utf8"),
  ) as TDashboard;
}

// Metrics only a Kubernetes cluster has (cAdvisor, kube-state-metrics) and the gateway, which is built
// by another issue: queries over them can only be checked to parse here.
const clusterOnly = /\b(container_[a-z_]+|kube_[a-z_]+)\b/;
const gatewayOnly = /\bgateway_[a-z_]+\b/;

export type TTargetKind = "model-server" | "gateway" | "cluster";

export function classify(expr: string): TTargetKind {
  if (clusterOnly.test(expr)) return "cluster";
  if (gatewayOnly.test(expr)) return "gateway";
  return "model-server";
}

/** Grafana's macros and variables, as Grafana would send them for one deployment and "All" namespaces. */
export function expand(expr: string, values: { deployment: string; rateInterval: string }): string {
  return expr
    .replaceAll("$__rate_interval", values.rateInterval)
    .replaceAll("$namespace", ".*")
    .replaceAll("$deployment", values.deployment);
}
