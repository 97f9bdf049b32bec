// Grafana panels embedded on a deployment page (d-solo URLs). The dashboards ship in deploy/grafana:
// uid kubeserve-deployment (variables namespace, deployment = the deployment id) and kubeserve-platform.

export type TGrafana = { url: string; isAdmin: boolean };

/** Panel ids of deploy/grafana/dashboards/kubeserve-deployment.json, in the order they are embedded. */
export const deploymentPanels = [
  { id: 1, title: "Request rate" },
  { id: 3, title: "Latency p50 / p95 / p99" },
  { id: 2, title: "Error rate" },
  { id: 4, title: "Predictions per second" },
] as const;

/** Panel ids of kubeserve-platform.json shown to admins. */
export const platformPanels = [
  { id: 1, title: "Platform request rate" },
  { id: 7, title: "Top deployments by request rate" },
] as const;

/**
 * Grafana's variables are editable in an iframe's URL, so a panel could be pointed at another tenant's
 * deployment: panels are embedded for admins only; everyone has the tenant-scoped built-in charts.
 */
export function readGrafana(url: string | undefined, isAdmin: boolean): TGrafana | undefined {
  return url ? { url, isAdmin } : undefined;
}

export function grafanaPanelUrl(
  base: string,
  dashboard: "kubeserve-deployment" | "kubeserve-platform",
  panelId: number,
  variables: Record<string, string>,
  range = "now-15m",
): string {
  const url = new URL(`${base}/d-solo/${dashboard}/${dashboard}`);
  url.searchParams.set("orgId", "1");
  url.searchParams.set("panelId", String(panelId));
  url.searchParams.set("from", range);
  url.searchParams.set("to", "now");
  url.searchParams.set("refresh", "30s");
  for (const [name, value] of Object.entries(variables)) url.searchParams.set(`var-${name}`, value);
  return url.toString();
}
