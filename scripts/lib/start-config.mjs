// The one place `pnpm start` reads its environment. API_HOST is the single host setting: the API and the
// dashboard both listen there (loopback by default); WEB_HOST may move the dashboard alone.
import { isIP } from "node:net";

const wildcardHosts = new Set(["0.0.0.0", "::"]);
const loopbackHosts = new Set(["127.0.0.1", "::1", "localhost"]);

export class StartConfigError extends Error {}

function readPort(env, name, fallback) {
  const raw = env[name] || String(fallback);
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) {
    throw new StartConfigError(`${name}: must be a port number from 1 to 65535, got "${raw}"`);
  }
  return port;
}

function readHost(env, name, fallback) {
  const host = env[name] || fallback;
  // A bare address or host name: `http://…`, a port or whitespace means the variable was misread.
  if (!isIP(host) && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) {
    throw new StartConfigError(
      `${name}: must be an IP address or host name such as 127.0.0.1 or 0.0.0.0, got "${host}"`,
    );
  }
  return host;
}

function bracket(host) {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** Where a browser on this machine opens the service. */
function publicUrl(host, port) {
  const shown = wildcardHosts.has(host) || loopbackHosts.has(host) ? "localhost" : bracket(host);
  return `http://${shown}:${port}`;
}

/** Where this machine's own processes reach a service listening on `host`. */
function localUrl(host, port) {
  if (host === "::") return `http://[::1]:${port}`;
  return `http://${wildcardHosts.has(host) ? "127.0.0.1" : bracket(host)}:${port}`;
}

export function readStartConfig(env = process.env) {
  const apiHost = readHost(env, "API_HOST", "127.0.0.1");
  const webHost = readHost(env, "WEB_HOST", apiHost);
  const apiPort = readPort(env, "API_PORT", 4000);
  const webPort = readPort(env, "WEB_PORT", 3000);
  const webUrl = publicUrl(webHost, webPort);
  const origins = new Set([webUrl, `http://localhost:${webPort}`, `http://127.0.0.1:${webPort}`]);
  return {
    apiHost,
    webHost,
    apiPort,
    webPort,
    apiUrl: publicUrl(apiHost, apiPort),
    webUrl,
    apiLocalUrl: localUrl(apiHost, apiPort),
    webLocalUrl: localUrl(webHost, webPort),
    webOrigin: env.WEB_ORIGIN || [...origins].join(","),
    apiInternalUrl: env.API_INTERNAL_URL || localUrl(apiHost, apiPort),
    isEmbedded: !env.DATABASE_URL,
    home: env.KUBESERVE_HOME || ".kubeserve",
    demoEmail: env.SEED_DEMO_EMAIL || "demo@kubeserve.local",
    demoPassword: env.SEED_DEMO_PASSWORD || "kubeserve-demo",
    // A terminal that shows one line per request buries the lines that matter; the API validates the value.
    logRequests: env.LOG_REQUESTS || "false",
  };
}
