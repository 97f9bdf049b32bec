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
      maxBodyBytes: 1_048_576,
      trpcMaxBatchSize: 20,
      trustProxy: false,
      auth: {
        tokenTtlSeconds: 43_200,
        allowRegistration: true,
        maxFailuresPerDevice: 5,
        deviceTtlSeconds: 180 * 86_400,
        maxRegistrationsPerIp: 10,
        registrationWindowSeconds: 3600,
      },
    });
  });

  it("takes TRUST_PROXY as false, a hop count or proxy addresses, never `true`", () => {
    const trust = (value: string) =>
      readApiConfig({ KUBESERVE_HOME: home(), TRUST_PROXY: value }).trustProxy;
    expect(trust("false")).toBe(false);
    expect(trust("0")).toBe(false);
    expect(trust("1")).toBe(1);
    expect(trust("10.0.0.0/8, 192.168.1.7,fd00::/8,loopback")).toEqual([
      "10.0.0.0/8",
      "192.168.1.7",
      "fd00::/8",
      "loopback",
    ]);
    for (const bad of ["true", "yes", "10.0.0.0/33", "10.0.0.0/8/1", "::1/129", "proxy.local"]) {
      expect(() => trust(bad)).toThrow(/TRUST_PROXY: must be false, the number of proxies/);
    }
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
      TRUST_PROXY: "2",
      DATABASE_POOL_SIZE: "3",
      DATABASE_URL: "postgresql://u@db:5432/k",
    });
    expect(config.webOrigins).toEqual(["https://a.example", "http://localhost:3000"]);
    expect(config.auth.allowRegistration).toBe(false);
    expect(config.trustProxy).toBe(2);
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
    expect(message).toMatch(/TRUST_PROXY: must be false, the number of proxies/);
    expect(message).toMatch(/LOG_LEVEL:/);
  });

  it("keeps artifacts in a folder under KUBESERVE_HOME by default, or on S3 with every setting it needs", () => {
    const dir = home();
    expect(readApiConfig({ KUBESERVE_HOME: dir }).storage).toEqual({
      store: { driver: "fs", dir: path.join(dir, "artifacts") },
      waitSeconds: 30,
    });
    const s3 = readApiConfig({
      KUBESERVE_HOME: dir,
      STORAGE_DRIVER: "s3",
      S3_ENDPOINT: "http://minio:9000",
      S3_ACCESS_KEY: "access",
      S3_SECRET_KEY: "secret",
      S3_PATH_STYLE: "false",
    }).storage;
    expect(s3.store).toEqual({
      driver: "s3",
      endpoint: "http://minio:9000",
      accessKey: "access",
      secretKey: "secret",
      region: "us-east-1",
      bucket: "kubeserve-artifacts",
      pathStyle: false,
    });
    expect(() =>
      readApiConfig({
        KUBESERVE_HOME: dir,
        STORAGE_DRIVER: "s3",
        S3_ENDPOINT: "http://minio:9000",
      }),
    ).toThrow(/S3_ACCESS_KEY, S3_SECRET_KEY: required when STORAGE_DRIVER=s3/);
    expect(() =>
      readApiConfig({ KUBESERVE_HOME: dir, STORAGE_DRIVER: "s3", S3_BUCKET: "Bad_Bucket" }),
    ).toThrow(/S3_BUCKET: must be an S3 bucket name/);
    expect(() => readApiConfig({ KUBESERVE_HOME: dir, STORAGE_DRIVER: "gcs" })).toThrow(
      /STORAGE_DRIVER: must be fs or s3/,
    );
  });

  it("runs replicas from this checkout's model server, with loopback gateway metrics, unless told otherwise", () => {
    const dir = home();
    const config = readApiConfig({ KUBESERVE_HOME: dir });
    expect(config.runtime).toMatchObject({
      defaultRuntime: "local",
      dir: path.join(dir, "runtime"),
      maxReplicas: 8,
      maxRestarts: 3,
      readyTimeoutMs: 60_000,
      stopGraceMs: 10_000,
    });
    expect(config.runtime.inferenceCli).toMatch(/apps\/inference\/dist\/cli\.js$/);
    expect(config.gateway).toMatchObject({
      metricsHost: "127.0.0.1",
      metricsPort: 9464,
      revocation: "listen",
      rateLimitRps: 1000,
      scrapeMs: 5000,
    });
    expect(() => readApiConfig({ KUBESERVE_HOME: dir, GATEWAY_REVOCATION: "never" })).toThrow(
      /GATEWAY_REVOCATION: must be listen or poll/,
    );
    expect(() => readApiConfig({ KUBESERVE_HOME: dir, RUNTIME_MAX_REPLICAS: "0" })).toThrow(
      /RUNTIME_MAX_REPLICAS: must be a positive whole number/,
    );
    expect(() => readApiConfig({ KUBESERVE_HOME: dir, METRICS_PORT: "70000" })).toThrow(
      /METRICS_PORT: must be between 0 and 65535/,
    );
  });
});
