import { Card } from "@kubeserve/ui";
import { deploymentPanels, grafanaPanelUrl, platformPanels, type TGrafana } from "~/lib/grafana";

/**
 * Grafana's own panels (d-solo iframes) when GRAFANA_URL is set. Shown to admins only: a panel's
 * variables can be edited in its URL, which would reach other tenants' series.
 */
export function GrafanaPanels({
  grafana,
  deploymentId,
}: {
  grafana: TGrafana | undefined;
  deploymentId: string;
}) {
  if (!grafana || !grafana.isAdmin) {
    return (
      <p className="text-xs text-slate-500 dark:text-slate-400">
        {grafana
          ? "Grafana panels are shown to admins; the charts above cover this deployment."
          : "Grafana panels appear here for admins when the dashboard runs with GRAFANA_URL set (see the README)."}
      </p>
    );
  }
  const panels = [
    ...deploymentPanels.map((panel) => ({
      ...panel,
      src: grafanaPanelUrl(grafana.url, "kubeserve-deployment", panel.id, {
        deployment: deploymentId,
      }),
    })),
    ...platformPanels.map((panel) => ({
      ...panel,
      src: grafanaPanelUrl(grafana.url, "kubeserve-platform", panel.id, {}),
    })),
  ];
  return (
    <Card title="Grafana">
      <div className="grid gap-4 sm:grid-cols-2">
        {panels.map((panel) => (
          <iframe
            key={panel.src}
            title={panel.title}
            src={panel.src}
            loading="lazy"
            referrerPolicy="no-referrer"
            className="h-56 w-full rounded-md border border-slate-200 dark:border-slate-800"
          />
        ))}
      </div>
    </Card>
  );
}
