import { describe, expect, it } from "vitest";
import { describeReplicas, readStatusDetail } from "./deployment-summary";

const running = {
  status: "running",
  statusMessage: "1 of 1 replicas ready",
  desiredState: "running" as const,
  runtime: "local",
  replicas: 1,
  autoscaling: null,
  currentReplicas: [{ state: "ready" }],
};

describe("deployment summary", () => {
  it("says a running deployment's replicas once: the count with readiness, no restating message", () => {
    expect(describeReplicas(running)).toBe("1 / 1 ready");
    expect(readStatusDetail(running)).toBeUndefined();
    expect(readStatusDetail({ ...running, statusMessage: "1 of 3 replica ready" })).toBeUndefined();
  });

  it("keeps a message that adds something: a step, a failure reason", () => {
    const starting = { ...running, status: "deploying", currentReplicas: [{ state: "starting" }] };
    expect(
      readStatusDetail({ ...starting, statusMessage: "starting 1 replica(s) of version 'v1'" }),
    ).toBe("starting 1 replica(s) of version 'v1'");
    expect(describeReplicas(starting)).toBe("0 / 1 ready");
    expect(readStatusDetail({ ...running, statusMessage: "model failed to load: bad opset" })).toBe(
      "model failed to load: bad opset",
    );
    expect(readStatusDetail({ ...running, statusMessage: null })).toBeUndefined();
  });

  it("reads readiness from the status message in the list (no replica rows there)", () => {
    const { currentReplicas: _omitted, ...listed } = running;
    expect(describeReplicas(listed)).toBe("1 / 1 ready");
    expect(
      describeReplicas({ ...listed, statusMessage: "0 of 2 replicas ready", replicas: 2 }),
    ).toBe("0 / 2 ready");
    expect(describeReplicas({ ...listed, statusMessage: "starting", replicas: 2 })).toBe(
      "2 replicas",
    );
  });

  it("names autoscaling bounds and a stopped deployment", () => {
    const auto = {
      ...running,
      replicas: 3,
      autoscaling: { minReplicas: 1, maxReplicas: 5 },
      currentReplicas: [{ state: "ready" }, { state: "ready" }, { state: "starting" }],
    };
    expect(describeReplicas(auto)).toBe("2 / 3 ready (auto 1–5)");
    expect(describeReplicas(auto, false)).toBe("2 / 3 ready");
    expect(describeReplicas({ ...running, desiredState: "stopped", currentReplicas: [] })).toBe(
      "stopped",
    );
  });
});
