import { deploymentResourceName, namespaceForUser } from "@kubeserve/k8s";
import { waitFor } from "@kubeserve/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TRuntimeStatus } from "./driver";
import {
  desired,
  ids,
  markRolledOut,
  podObject,
  readyPodStatus,
  sha2,
  startHarness,
  target,
  type THarness,
  waitingPodStatus,
} from "./kubernetes-fixtures";

// Status mapping through the driver's list+watch of the fake API server (kubernetes-fake-api.ts says
// what the fake does and does not check): the test writes what the cluster's controllers would write
// (Deployment status, Pods, Events) and checks the phase and reason the driver reports, and that the
// watches resume from their resourceVersion after a dropped connection and relist after 410 Gone.
// The objects are shaped after real API responses; nothing here ran against a real cluster.

const ns = namespaceForUser(ids.user);
const name = deploymentResourceName(ids.deployment);
const pod = (suffix: string, status: unknown, versionId = ids.version) =>
  podObject(ns, `${name}-5f7c9-${suffix}`, ids.deployment, versionId, status);

let h: THarness;
let seen: TRuntimeStatus[];
beforeEach(async () => {
  h = await startHarness();
  seen = [];
  h.driver.watch((status) => seen.push(status));
  // reconcile applies without waiting for the rollout, as at API start.
  await h.driver.reconcile([desired({ replicas: 2 })]);
  await waitFor(() => (h.fake.openWatches() === 3 ? true : undefined), {
    what: "three watches open",
  });
});
afterEach(async () => {
  await h.close();
});

async function phaseBecomes(phase: TRuntimeStatus["phase"], reason?: RegExp) {
  return waitFor(
    () => {
      const status = h.driver.status(ids.deployment);
      return status.phase === phase && (!reason || reason.test(status.reason ?? ""))
        ? status
        : undefined;
    },
    { what: `phase ${phase} ${reason ?? ""}`, timeoutMs: 5000 },
  );
}

describe("kubernetes status mapping", () => {
  it("is starting until the Deployment is rolled out with ready pods, then running", async () => {
    expect(h.driver.status(ids.deployment).phase).toBe("starting");
    h.fake.put(pod("a", readyPodStatus()));
    await phaseBecomes("starting");
    h.fake.put(pod("b", readyPodStatus()));
    markRolledOut(h.fake, ns, name, 2);
    const status = await phaseBecomes("running");
    expect(status.replicas.map((r) => [r.id, r.state, r.generation])).toEqual([
      [`${name}-5f7c9-a`, "ready", 1],
      [`${name}-5f7c9-b`, "ready", 1],
    ]);
    expect(seen.at(-1)?.phase).toBe("running");
  });

  it("ImagePullBackOff with no pod serving is failed, with the kubelet's message", async () => {
    h.fake.put(
      pod(
        "a",
        waitingPodStatus("ImagePullBackOff", 'Back-off pulling image "kubeserve/inference:nope"'),
      ),
    );
    const status = await phaseBecomes(
      "failed",
      /^ImagePullBackOff: container model-server: Back-off pulling image/,
    );
    expect(status.replicas[0]?.state).toBe("failed");
  });

  it("CrashLoopBackOff names the exit code and restarts", async () => {
    h.fake.put(
      pod(
        "a",
        waitingPodStatus("CrashLoopBackOff", "back-off 40s restarting failed container", {
          lastState: { terminated: { reason: "Error", exitCode: 1 } },
        }),
      ),
    );
    await phaseBecomes(
      "failed",
      /^CrashLoopBackOff: container model-server keeps exiting \(exit code 1\), restarted 4 times/,
    );
  });

  it("OOMKilled wins over the CrashLoopBackOff it causes", async () => {
    h.fake.put(
      pod(
        "a",
        waitingPodStatus("CrashLoopBackOff", "back-off", {
          lastState: { terminated: { reason: "OOMKilled", exitCode: 137 } },
        }),
      ),
    );
    await phaseBecomes("failed", /^OOMKilled: container model-server exceeded its memory limit/);
  });

  it("Unschedulable stays starting with the scheduler's reason (capacity may free up)", async () => {
    h.fake.put(
      pod("a", {
        phase: "Pending",
        conditions: [
          {
            type: "PodScheduled",
            status: "False",
            reason: "Unschedulable",
            message: "0/3 nodes are available: 3 Insufficient memory.",
          },
        ],
      }),
    );
    await phaseBecomes(
      "starting",
      /^Unschedulable: 0\/3 nodes are available: 3 Insufficient memory\.$/,
    );
  });

  it("quota exceeded: a ReplicaFailure condition on the Deployment and FailedCreate on its ReplicaSet", async () => {
    const message = `pods "${name}-5f7c9-x2k4p" is forbidden: exceeded quota: kubeserve-quota, requested: pods=1, used: pods=5, limited: pods=5`;
    h.fake.put({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${name}-5f7c9.17e2a`, namespace: ns },
      involvedObject: { kind: "ReplicaSet", name: `${name}-5f7c9`, namespace: ns },
      reason: "FailedCreate",
      type: "Warning",
      message: `Error creating: ${message}`,
    });
    await phaseBecomes(
      "failed",
      /^QuotaExceeded: Error creating: pods ".*" is forbidden: exceeded quota: kubeserve-quota/,
    );
    const deployment = h.fake.get("apps/v1", "Deployment", ns, name);
    if (!deployment) throw new Error("no Deployment");
    h.fake.put({
      ...deployment,
      status: {
        observedGeneration: deployment.metadata.generation,
        replicas: 0,
        conditions: [{ type: "ReplicaFailure", status: "True", reason: "FailedCreate", message }],
      },
    });
    await phaseBecomes(
      "failed",
      new RegExp(`^QuotaExceeded: pods "${name}-5f7c9-x2k4p" is forbidden`),
    );
  });

  it("some pods serving and one crashing is degraded", async () => {
    h.fake.put(pod("a", readyPodStatus()));
    h.fake.put(pod("b", waitingPodStatus("CrashLoopBackOff", "back-off")));
    await phaseBecomes("degraded", /^CrashLoopBackOff/);
    expect(h.driver.endpoints(ids.deployment)).toHaveLength(1);
  });

  it("a rolling update keeps the old version's pods serving until the new template is rolled out", async () => {
    h.fake.put(pod("a", readyPodStatus()));
    h.fake.put(pod("b", readyPodStatus()));
    markRolledOut(h.fake, ns, name, 2);
    await phaseBecomes("running");
    h.targets.set(ids.deployment, target({ versionId: ids.version2, versionTag: "v2" }));
    const update = h.driver.apply(
      desired({ replicas: 2, generation: 2, model: { uri: "s3://b/v2.onnx", sha256: sha2 } }),
    );
    await waitFor(() => (h.driver.status(ids.deployment).generation === 2 ? true : undefined), {
      what: "generation 2",
    });
    const deployment = await waitFor(
      () => {
        const d = h.fake.get("apps/v1", "Deployment", ns, name);
        return d && d.metadata.generation === 2 ? d : undefined;
      },
      { what: "new template applied" },
    );
    const template = (
      deployment.spec as {
        template: {
          metadata: { labels: Record<string, string>; annotations: Record<string, string> };
        };
      }
    ).template;
    expect(template.metadata.annotations["kubeserve.io/artifact-sha256"]).toBe(sha2);
    expect(template.metadata.labels["kubeserve.io/version-id"]).toBe(ids.version2);
    h.fake.put(
      pod(
        "c",
        { phase: "Pending", conditions: [{ type: "Ready", status: "False" }] },
        ids.version2,
      ),
    );
    const rolling = await waitFor(
      () => {
        const status = h.driver.status(ids.deployment);
        return status.replicas.length === 3 ? status : undefined;
      },
      { what: "the new version's pod seen" },
    );
    expect(rolling.phase).toBe("starting");
    expect(rolling.replicas.map((r) => [r.state, r.generation])).toEqual([
      ["ready", 1],
      ["ready", 1],
      ["starting", 2],
    ]);
    expect(h.driver.endpoints(ids.deployment)).toHaveLength(1);
    await fetch(`${h.fake.url}/api/v1/namespaces/${ns}/pods/${name}-5f7c9-a`, { method: "DELETE" });
    await fetch(`${h.fake.url}/api/v1/namespaces/${ns}/pods/${name}-5f7c9-b`, { method: "DELETE" });
    h.fake.put(pod("c", readyPodStatus(), ids.version2));
    h.fake.put(pod("d", readyPodStatus(), ids.version2));
    markRolledOut(h.fake, ns, name, 2);
    await update;
    expect(h.driver.status(ids.deployment)).toMatchObject({ phase: "running", generation: 2 });
  });
});

describe("kubernetes watches", () => {
  const serveBoth = () => {
    h.fake.put(pod("a", readyPodStatus()));
    h.fake.put(pod("b", readyPodStatus()));
    markRolledOut(h.fake, ns, name, 2);
  };
  const podWatches = () =>
    h.fake.requests.filter(
      (r) => r.path === `/api/v1/namespaces/${ns}/pods` && r.query.get("watch") === "true",
    );
  const podLists = () =>
    h.fake.requests.filter(
      (r) => r.path === `/api/v1/namespaces/${ns}/pods` && !r.query.has("watch"),
    );

  it("resume from the last resourceVersion after a dropped connection, missing nothing", async () => {
    h.fake.put(pod("a", waitingPodStatus("CrashLoopBackOff", "back-off")));
    await phaseBecomes("failed");
    const lastSeen = h.fake.get("v1", "Pod", ns, `${name}-5f7c9-a`)?.metadata.resourceVersion;
    const before = podWatches().length;
    h.fake.dropWatches();
    // Written while the driver is disconnected: it must come from the resumed watch's replay.
    serveBoth();
    await waitFor(() => (podWatches().length > before ? true : undefined), {
      what: "pods watch reopened",
    });
    expect(podWatches().at(-1)?.query.get("resourceVersion")).toBe(lastSeen);
    expect(podLists()).toHaveLength(1);
    await phaseBecomes("running");
  });

  it("relist on 410 Gone, then watch from the new list's resourceVersion", async () => {
    h.fake.put(pod("a", waitingPodStatus("ImagePullBackOff", "Back-off pulling image")));
    await phaseBecomes("failed");
    h.fake.compact();
    serveBoth();
    h.fake.dropWatches();
    await waitFor(() => (podLists().length === 2 ? true : undefined), { what: "pods relisted" });
    await phaseBecomes("running");
    const isPodWatch = (r: (typeof h.fake.requests)[number]) =>
      r.path === `/api/v1/namespaces/${ns}/pods` && r.query.get("watch") === "true";
    const relist = h.fake.requests.indexOf(podLists()[1] ?? podLists()[0]!);
    const gone = h.fake.requests.slice(0, relist).filter(isPodWatch).at(-1);
    const resumed = await waitFor(() => h.fake.requests.slice(relist).find(isPodWatch), {
      what: "watch after relist",
    });
    expect(Number(gone?.query.get("resourceVersion"))).toBeLessThan(
      Number(resumed.query.get("resourceVersion")),
    );
  });

  it("retry a watch the API server refuses (500) with backoff", async () => {
    const before = podWatches().length;
    h.fake.failNext({
      method: "GET",
      pathIncludes: `/namespaces/${ns}/pods`,
      isWatch: true,
      code: 500,
      reason: "InternalError",
      message: "boom",
      times: 2,
    });
    h.fake.dropWatches();
    await waitFor(() => (podWatches().length >= before + 3 ? true : undefined), {
      what: "third watch attempt",
    });
    serveBoth();
    await phaseBecomes("running");
  });
});
