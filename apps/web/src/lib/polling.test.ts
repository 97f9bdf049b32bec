import { describe, expect, it } from "vitest";
import { busyPollMs, deploymentPollMs, idlePollMs, pollInterval } from "./polling";

describe("pollInterval", () => {
  it("is calm when nothing moves", () => {
    expect(pollInterval(undefined, false)).toBe(idlePollMs);
    expect(pollInterval([{ id: "a" }, { deployments: [{ status: "running" }] }], false)).toBe(
      idlePollMs,
    );
  });

  it("is quick while a deployment is moving or this tab uploads", () => {
    expect(
      pollInterval([{ deployments: [{ status: "running" }, { status: "deploying" }] }], false),
    ).toBe(busyPollMs);
    expect(pollInterval([{ deployments: [{ status: "stopping" }] }], false)).toBe(busyPollMs);
    expect(pollInterval([], true)).toBe(busyPollMs);
  });
});

describe("deploymentPollMs", () => {
  it("polls every 2 s while deploying and every 30 s once settled", () => {
    expect(deploymentPollMs(["deploying"])).toBe(2_000);
    expect(deploymentPollMs(["running", "pending"])).toBe(2_000);
    expect(deploymentPollMs(["running", "failed", "stopped"])).toBe(30_000);
    expect(deploymentPollMs(undefined)).toBe(30_000);
  });
});
