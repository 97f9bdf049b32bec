// @vitest-environment happy-dom
import { act, cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { beginUpload, useIsUploading } from "./polling";

function Probe() {
  return <p>{useIsUploading() ? "uploading" : "idle"}</p>;
}

afterEach(cleanup);

describe("useIsUploading", () => {
  it("is true from the first upload's start until the last one ends, each end counted once", () => {
    render(<Probe />);
    expect(screen.getByText("idle")).toBeTruthy();
    let endA = () => {};
    let endB = () => {};
    act(() => {
      endA = beginUpload("a");
      endB = beginUpload("b");
    });
    expect(screen.getByText("uploading")).toBeTruthy();
    act(() => {
      endA();
      endA();
    });
    expect(screen.getByText("uploading")).toBeTruthy();
    act(() => endB());
    expect(screen.getByText("idle")).toBeTruthy();
  });
});
