// @vitest-environment happy-dom
import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SignatureTable } from "./signature-table";

afterEach(cleanup);

const signature = {
  inputs: [{ name: "input", datatype: "FP32", shape: [-1, 4] }],
  outputs: [
    { name: "label", datatype: "INT64", shape: [-1] },
    { name: "probabilities", datatype: "FP32", shape: [-1, 3] },
  ],
};

describe("SignatureTable (the shared DataTable)", () => {
  it("is a table named by its caption, with column headers scoped to their columns", () => {
    render(<SignatureTable signature={signature} />);
    const table = screen.getByRole("table", { name: "Signature" });
    const headers = within(table).getAllByRole("columnheader");
    expect(headers.map((h) => h.textContent)).toEqual(["Tensor", "Direction", "Type", "Shape"]);
    expect(headers.every((h) => h.getAttribute("scope") === "col")).toBe(true);
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => within(r).getAllByRole("cell")[0]?.textContent)).toEqual([
      "input",
      "label",
      "probabilities",
    ]);
    expect(within(rows[0] as HTMLElement).getAllByRole("cell")[1]?.textContent).toBe("input");
  });

  it("becomes a focusable, named scroll region only when the table is wider than its box", () => {
    const widths = vi
      .spyOn(HTMLElement.prototype, "scrollWidth", "get")
      .mockImplementation(function (this: HTMLElement) {
        return this.tagName === "DIV" ? 700 : 0;
      });
    vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(343);
    render(<SignatureTable signature={signature} />);
    const region = screen.getByRole("region", { name: "Signature" });
    expect(region.getAttribute("tabindex")).toBe("0");
    cleanup();

    widths.mockReturnValue(343);
    render(<SignatureTable signature={signature} />);
    expect(screen.queryByRole("region")).toBeNull();
    vi.restoreAllMocks();
  });
});
