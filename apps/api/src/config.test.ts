import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, readApiConfig } from "./config";

const home = () => mkdtempSync(path.join(tmpdir(), "ks-config-"));

describe("readApiConfig", () => {
  it("runs on defaults: embedded database under KUBESERVE_HOME, local port, CORS for the dashboard", () => {
    const dir = home();
    const config = readApiConfig({ KUBESERVE_HOME: dir });
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 4000,
      homeDir: dir,
      database: {
        url: undefined,
        pgliteDir: path.join(dir, "pgdata"),
        poolSize: 10,
        waitSeconds: 30,
      },
      webOrigins: ["http://localhost:3000"],
      auth: { tokenTtlSeconds: 43_200, allowRegistration: true },
    });
  });

  it("generates an auth secret once, private to the owner, and reuses it on the next start", () => {
    const dir = home();
    const first = readApiConfig({ KUBESERVE_HOME: dir }).auth.secret;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(path.join(dir, "auth-secret"), "utf8").trim()).toBe(first);
    expect(statSync(path.join(dir, "auth-secret")).mode & 0o777).toBe(0o600);
    expect(readApiConfig({ KUBESERVE_HOME: dir }).auth.secret).toBe(first);
  });

  it("treats empty variables as unset", () => {
    const config = readApiConfig({
      KUBESERVE_HOME: home(),
      DATABASE_URL: "",
      API_PORT: "",
      AUTH_SECRET: "",
    });
    expect(config.database.url).toBeUndefined();
    expect(config.port).toBe(4000);
  });

  it("parses lists, booleans and numbers", () => {
    const config = readApiConfig({
      KUBESERVE_HOME: home(),
      WEB_ORIGIN: "https://a.example, http://localhost:3000",
      AUTH_ALLOW_REGISTRATION: "0",
      TRUST_PROXY: "true",
      DATABASE_POOL_SIZE: "3",
      DATABASE_URL: "postgresql://u@db:5432/k",
    });
    expect(config.webOrigins).toEqual(["https://a.example", "http://localhost:3000"]);
    expect(config.auth.allowRegistration).toBe(false);
    expect(config.trustProxy).toBe(true);
    expect(config.database).toMatchObject({ poolSize: 3, url: "postgresql://u@db:5432/k" });
  });

  it("names every invalid variable in one error", () => {
    let error: unknown;
    try {
      readApiConfig({
        KUBESERVE_HOME: home(),
        API_PORT: "99999",
        TRUST_PROXY: "maybe",
        LOG_LEVEL: "loud",
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/API_PORT: must be between 0 and 65535/);
    expect(message).toMatch(/TRUST_PROXY: must be true or false/);
    expect(message).toMatch(/LOG_LEVEL:/);
  });
});
