import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseWebConfig } from "./config";

const secret = "s".repeat(40);

describe("parseWebConfig", () => {
  it("prefills the demo sign-in in development, or when WEB_DEMO_PREFILL says so", () => {
    expect(parseWebConfig({ NODE_ENV: "development", NEXTAUTH_SECRET: secret }).demo).toEqual({
      email: "demo@kubeserve.local",
      password: "kubeserve-demo",
    });
    expect(
      parseWebConfig({ NODE_ENV: "production", NEXTAUTH_SECRET: secret }).demo,
    ).toBeUndefined();
    expect(
      parseWebConfig({ NODE_ENV: "production", NEXTAUTH_SECRET: secret, WEB_DEMO_PREFILL: "true" })
        .demo,
    ).toBeDefined();
    expect(
      parseWebConfig({ NODE_ENV: "development", NEXTAUTH_SECRET: secret, WEB_DEMO_PREFILL: "0" })
        .demo,
    ).toBeUndefined();
  });

  it("generates a secret once under KUBESERVE_HOME and reuses it", () => {
    const home = mkdtempSync(path.join(tmpdir(), "ks-web-config-"));
    const first = parseWebConfig({ KUBESERVE_HOME: home }).sessionSecret;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(path.join(home, "web-secret"), "utf8").trim()).toBe(first);
    expect(parseWebConfig({ KUBESERVE_HOME: home }).sessionSecret).toBe(first);
  });

  it("names each bad variable", () => {
    expect(() => parseWebConfig({ NEXTAUTH_SECRET: "short" })).toThrow(
      /NEXTAUTH_SECRET: must be at least 32/,
    );
    expect(() =>
      parseWebConfig({ API_INTERNAL_URL: "localhost:4000", NEXTAUTH_SECRET: secret }),
    ).toThrow(/API_INTERNAL_URL/);
    expect(() => parseWebConfig({ WEB_DEMO_PREFILL: "yes", NEXTAUTH_SECRET: secret })).toThrow(
      /WEB_DEMO_PREFILL: must be true or false/,
    );
  });

  it("marks cookies Secure behind https", () => {
    expect(
      parseWebConfig({ NEXTAUTH_URL: "https://ks.example.com", NEXTAUTH_SECRET: secret }).isSecure,
    ).toBe(true);
    expect(
      parseWebConfig({ NEXTAUTH_URL: "http://localhost:3000", NEXTAUTH_SECRET: secret }).isSecure,
    ).toBe(false);
  });

  it("reads GRAFANA_URL without its trailing slash and refuses a non-URL", () => {
    const env = { KUBESERVE_HOME: mkdtempSync(path.join(tmpdir(), "ks-web-")) };
    expect(parseWebConfig(env).grafanaUrl).toBeUndefined();
    expect(parseWebConfig({ ...env, GRAFANA_URL: "http://grafana:3001/" }).grafanaUrl).toBe(
      "http://grafana:3001",
    );
    expect(() => parseWebConfig({ ...env, GRAFANA_URL: "grafana" })).toThrow(/GRAFANA_URL/);
  });
});
