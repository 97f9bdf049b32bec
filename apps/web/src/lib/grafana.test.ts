import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { deploymentPanels, grafanaPanelUrl, platformPanels, readGrafana } from "./grafana";

const dashboards = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../../deploy/grafana/dashboards",
);

function panelsOf(uid: string): { uid: string; titles: Map<number, string>; vars: string[] } {
  const json = JSON.parse(readFileSync(path.join(dashboards, `${uid}.json`), "utf8")) as {
    uid: string;
    panels: { id: number; title: string }[];
    templating?: { list: { name: string }[] };
  };
  return {
    uid: json.uid,
    titles: new Map(json.panels.map((p) => [p.id, p.title])),
    vars: json.templating?.list.map((v) => v.name) ?? [],
  };
}

describe("Grafana embedding", () => {
  it("points at panels that exist in the shipped dashboards", () => {
    const deployment = panelsOf("kubeserve-deployment");
    expect(deployment.uid).toBe("kubeserve-deployment");
    expect(deployment.vars).toEqual(["namespace", "deployment"]);
    for (const panel of deploymentPanels) expect(deployment.titles.get(panel.id)).toBe(panel.title);
    const platform = panelsOf("kubeserve-platform");
    for (const panel of platformPanels) {
      expect(platform.titles.get(panel.id)).toBe(panel.title.replace(/^Platform r/, "R"));
    }
  });

  it("builds d-solo URLs with the deployment variable and is off without GRAFANA_URL", () => {
    const url = new URL(
      grafanaPanelUrl("https://g.example", "kubeserve-deployment", 3, { deployment: "abc" }),
    );
    expect(url.pathname).toBe("/d-solo/kubeserve-deployment/kubeserve-deployment");
    expect(url.searchParams.get("panelId")).toBe("3");
    expect(url.searchParams.get("var-deployment")).toBe("abc");
    expect(readGrafana(undefined, true)).toBeUndefined();
    expect(readGrafana("https://g.example", false)).toEqual({
      url: "https://g.example",
      isAdmin: false,
    });
  });
});
