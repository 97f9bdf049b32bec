import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

// The web app's one validated configuration module (server side only).
const ZWebEnv = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  API_INTERNAL_URL: z
    .string()
    .regex(/^https?:\/\/[^\s]+$/, "must be the API's base URL, e.g. http://127.0.0.1:4000")
    .default("http://127.0.0.1:4000"),
  // next-auth reads NEXTAUTH_URL itself; it is validated here so a typo stops the app with a message.
  NEXTAUTH_URL: z
    .url({ error: "must be the dashboard's public URL, e.g. http://localhost:3000" })
    .optional(),
  NEXTAUTH_SECRET: z
    .string()
    .min(32, "must be at least 32 characters (e.g. `openssl rand -base64 48`)")
    .optional(),
  KUBESERVE_HOME: z.string().min(1).optional(),
  // `pnpm start` sets it on embedded installs, so a laptop's first visit can sign in with one click.
  WEB_DEMO_PREFILL: z
    .enum(["true", "false", "1", "0"], { error: "must be true or false" })
    .optional(),
  // Grafana's base URL as the browser reaches it; unset, the deployment page shows only its own charts.
  GRAFANA_URL: z
    .url({ error: "must be Grafana's URL as browsers reach it, e.g. https://grafana.example.com" })
    .regex(/^https?:\/\//, "must be an http(s) URL")
    .optional(),
  SEED_DEMO_EMAIL: z.string().default("demo@kubeserve.local"),
  SEED_DEMO_PASSWORD: z.string().default("kubeserve-demo"),
});

export type TWebConfig = {
  apiUrl: string;
  isDevelopment: boolean;
  /** Signs and encrypts the dashboard's session cookie (which holds the API token). */
  sessionSecret: string;
  /** Cookies get `Secure` (and the `__Secure-` prefix) when the dashboard is served over HTTPS. */
  isSecure: boolean;
  /** Prefilled on the login page in development, or when WEB_DEMO_PREFILL is on. */
  demo: { email: string; password: string } | undefined;
  /** Embeds Grafana panels on deployment pages (for admins) when set. */
  grafanaUrl: string | undefined;
};

function findHomeDir(start = process.cwd()): string {
  // Run-time paths only: nothing here is bundled, so the build must not trace them.
  let dir = path.resolve(/* turbopackIgnore: true */ start);
  for (;;) {
    if (existsSync(path.join(dir, "pnpm-workspace.yaml"))) return path.join(dir, ".kubeserve");
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start, ".kubeserve");
    dir = parent;
  }
}

/** Like the API, an embedded install keeps one generated secret on disk so restarts keep users signed in. */
function readOrCreateSecret(homeDir: string): string {
  const file = path.join(homeDir, "web-secret");
  try {
    const existing = readFileSync(file, "utf8").trim();
    if (existing.length >= 32) return existing;
  } catch {
    // First start: no secret yet.
  }
  mkdirSync(homeDir, { recursive: true });
  const secret = randomBytes(48).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

let cached: TWebConfig | undefined;

export function parseWebConfig(env: Record<string, string | undefined>): TWebConfig {
  const parsed = ZWebEnv.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, value]) => value !== "")),
  );
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `  ${String(issue.path[0])}: ${issue.message}`,
    );
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const isDevelopment = e.NODE_ENV === "development";
  return {
    apiUrl: e.API_INTERNAL_URL.replace(/\/$/, ""),
    isDevelopment,
    sessionSecret:
      e.NEXTAUTH_SECRET ??
      readOrCreateSecret(
        path.resolve(/* turbopackIgnore: true */ e.KUBESERVE_HOME ?? findHomeDir()),
      ),
    isSecure: e.NEXTAUTH_URL?.startsWith("https://") ?? false,
    demo: (e.WEB_DEMO_PREFILL ? ["true", "1"].includes(e.WEB_DEMO_PREFILL) : isDevelopment)
      ? { email: e.SEED_DEMO_EMAIL, password: e.SEED_DEMO_PASSWORD }
      : undefined,
    grafanaUrl: e.GRAFANA_URL?.replace(/\/$/, ""),
  };
}

export function readWebConfig(): TWebConfig {
  cached ??= parseWebConfig(process.env);
  return cached;
}
