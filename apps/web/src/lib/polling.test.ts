import { describe, expect, it } from "vitest";
import { busyPollMs, idlePollMs, pollInterval } from "./polling";

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
