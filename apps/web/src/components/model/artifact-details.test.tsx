// @vitest-environment happy-dom
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { ArtifactDetails } from "./artifact-details";

const artifact = {
  uri: "file:///models/a.joblib",
  filename: "iris.joblib",
  size: 1536,
  sha256: "a".repeat(64),
};
const requirements = { uri: "file:///models/a.requirements.txt", sha256: "b".repeat(64) };

afterEach(cleanup);

describe("ArtifactDetails", () => {
  it("shows a scikit-learn version's stored requirements.txt with its digest", () => {
    render(<ArtifactDetails artifact={artifact} requirements={requirements} />);
    const term = screen.getByText("Requirements", { selector: "dt" });
    const value = term.nextElementSibling;
    expect(value?.textContent).toContain("requirements.txt");
    expect(value?.textContent).toContain(`sha256 ${"b".repeat(64)}`);
    expect(screen.getByText("iris.joblib · 1.5 KB")).toBeTruthy();
  });

  it("says nothing about requirements when none was stored, and nothing at all before the upload", () => {
    render(<ArtifactDetails artifact={artifact} requirements={null} />);
    expect(screen.queryByText("Requirements")).toBeNull();
    expect(screen.getByText("SHA-256")).toBeTruthy();
    cleanup();
    expect(
      render(<ArtifactDetails artifact={null} requirements={null} />).container.innerHTML,
    ).toBe("");
  });
});
