import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { LABEL } from "@kubeserve/k8s";
import { waitFor } from "@kubeserve/testing";
import { markRolledOut, podObject, readyPodStatus } from "./kubernetes-fixtures";
import type { TFakeKubeApi } from "./kubernetes-fake-api";

// A stand-in for the kubelet and the Deployment controller, for tests: it runs one pod of a Deployment
// the driver applied to the fake API server, from the applied objects only — the init container's command
// and the model server's env exactly as the Deployment says, Secret references resolved from the stored
// Secret — with the real model server CLI (apps/inference/dist/cli.js) in place of the image. Then it
// reports the pod ready, marks the Deployment rolled out and puts the process behind the Service's proxy.
// What differs from a cluster: the container paths (/models, /tmp) map to a folder, the server listens on
// 127.0.0.1 on a free port, and the artifact URL's origin (cluster DNS of the API) maps to `apiOrigin`.

type TEnvVar = {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
};
type TContainer = { name: string; command?: string[]; env?: TEnvVar[] };
type TPodTemplate = {
  metadata?: { labels?: Record<string, string> };
  spec: {
    initContainers?: TContainer[];
    containers: TContainer[];
  };
};

export type TFakePod = { origin: string; process: ChildProcess; stop: () => Promise<void> };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function runFakePod(options: {
  fake: TFakeKubeApi;
  namespace: string;
  name: string;
  /** The model server's built CLI, as `kubeserve-inference` in the image. */
  cli: string;
  apiOrigin: string;
  dir: string;
}): Promise<TFakePod> {
  const { fake, namespace, name, dir } = options;
  const deployment = fake.get("apps/v1", "Deployment", namespace, name);
  if (!deployment) throw new Error(`no Deployment ${namespace}/${name} to run`);
  const template = (deployment.spec as { template: TPodTemplate }).template;
  const mapPath = (value: string) =>
    value.replace(/^\/models(?=\/|$)/, path.join(dir, "models")).replace(/^\/tmp(?=\/|$)/, dir);
  const envOf = (container: TContainer): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const variable of container.env ?? []) {
      const ref = variable.valueFrom?.secretKeyRef;
      if (ref) {
        const secret = fake.get("v1", "Secret", namespace, ref.name) as
          { data?: Record<string, string> } | undefined;
        const encoded = secret?.data?.[ref.key];
        if (encoded === undefined) throw new Error(`Secret ${ref.name} has no key ${ref.key}`);
        env[variable.name] = Buffer.from(encoded, "base64").toString();
      } else env[variable.name] = mapPath(variable.value ?? "");
    }
    return env;
  };
  mkdirSync(path.join(dir, "models"), { recursive: true });
  // Only what the container spec gives (plus HOME), as in a container: nothing of the test process leaks in.
  const base = { HOME: dir };
  for (const init of template.spec.initContainers ?? []) {
    const [program, ...args] = init.command ?? [];
    if (program !== "kubeserve-inference") throw new Error(`cannot run ${program} here`);
    const mapped = args.map((arg) =>
      /^https?:\/\//.test(arg) ? options.apiOrigin + new URL(arg).pathname : mapPath(arg),
    );
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [options.cli, ...mapped], {
        env: { ...base, ...envOf(init) },
        stdio: ["ignore", "ignore", "inherit"],
      });
      child.on("exit", resolve);
    });
    if (code !== 0) throw new Error(`init container ${init.name} exited ${code}`);
  }
  const main = template.spec.containers.find((c) => c.name === "model-server");
  if (!main) throw new Error("no model-server container");
  const port = await freePort();
  const child = spawn(process.execPath, [options.cli], {
    env: {
      ...base,
      ...envOf(main),
      KUBESERVE_HOST: "127.0.0.1",
      KUBESERVE_PORT: String(port),
      KUBESERVE_WORKERS: "1",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const origin = `http://127.0.0.1:${port}`;
  // As the kubelet's readiness probe: no token (the health paths must be public for it).
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`model server exited ${child.exitCode}`);
      const response = await fetch(`${origin}/v2/health/ready`).catch(() => undefined);
      return response?.ok ? true : undefined;
    },
    { what: `pod of ${name} ready`, timeoutMs: 30_000, intervalMs: 100 },
  );
  const labels = template.metadata?.labels ?? {};
  const pod = podObject(
    namespace,
    `${name}-6c9d7-0`,
    labels[LABEL.deploymentId] ?? "",
    labels[LABEL.versionId] ?? "",
    readyPodStatus(),
  );
  fake.put({
    ...pod,
    metadata: { ...pod.metadata, labels: { ...labels, ...pod.metadata.labels } },
  });
  markRolledOut(fake, namespace, name, 1);
  fake.setServiceBackend(namespace, name, origin);
  return {
    origin,
    process: child,
    stop: async () => {
      fake.setServiceBackend(namespace, name, undefined);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
