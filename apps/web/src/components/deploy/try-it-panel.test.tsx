// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { TSignature } from "~/lib/try-it";
import { TryItPanel } from "./try-it-panel";

const deploymentId = "0190a000-0000-7000-8000-0000000000d1";
const names = ["sepal length", "sepal width", "petal length", "petal width"];
const iris: TSignature = {
  inputs: [{ name: "input", datatype: "FP64", shape: [-1, 4] }],
  outputs: [
    { name: "label", datatype: "INT64", shape: [-1] },
    { name: "probabilities", datatype: "FP64", shape: [-1, 3] },
  ],
  sklearn: {
    estimator: "sklearn.linear_model.LogisticRegression",
    sklearnVersion: "1.2.1",
    runtimeSklearnVersion: "1.2.1",
    featureNames: names,
    classes: [0, 1, 2],
    task: "classification",
    v1Output: "predict_proba",
    warnings: [],
  },
};
const answer = {
  model_name: "iris",
  outputs: [
    { name: "label", datatype: "INT64", shape: [1], data: [0] },
    { name: "probabilities", datatype: "FP64", shape: [1, 3], data: [0.97, 0.02, 0.01] },
  ],
};

const fetchMock = vi.fn<typeof fetch>();

function renderPanel(signature: TSignature = iris, onAnswered = vi.fn()) {
  render(
    <TryItPanel
      deploymentId={deploymentId}
      modelName="iris"
      signature={signature}
      isRunning
      onAnswered={onAnswered}
    />,
  );
  return onAnswered;
}

const field = (name: string) => screen.getByLabelText<HTMLInputElement>(name);
const sentBodies = () => fetchMock.mock.calls.map(([, init]) => JSON.parse(String(init?.body)));

beforeEach(() => {
  localStorage.clear();
  fetchMock.mockReset();
  fetchMock.mockImplementation(async () => Response.json(answer));
  vi.stubGlobal("fetch", fetchMock);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("TryItPanel", () => {
  it("has a field per feature, named by the model, prefilled with the example row", () => {
    renderPanel();
    expect(names.map((name) => field(name).value)).toEqual(["5.1", "3.5", "1.4", "0.2"]);
    expect(screen.getByRole("button", { name: "Fields" }).getAttribute("aria-pressed")).toBe(
      "true",
    );
  });

  it("names the empty and the non-numeric field by the field and sends nothing", async () => {
    renderPanel();
    fireEvent.change(field("sepal width"), { target: { value: "" } });
    fireEvent.change(field("petal width"), { target: { value: "abc" } });
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    expect(await screen.findByText("Enter a number for sepal width")).toBeTruthy();
    expect(screen.getByText("'abc' is not a number")).toBeTruthy();
    expect(field("sepal width").getAttribute("aria-invalid")).toBe("true");
    expect(field("sepal width").getAttribute("aria-describedby")).toBe(
      screen.getByText("Enter a number for sepal width").id,
    );
    expect(document.activeElement).toBe(field("sepal width"));
    expect(fetchMock).not.toHaveBeenCalled();
    // Fixing a field clears its error only.
    fireEvent.change(field("sepal width"), { target: { value: "3" } });
    expect(screen.queryByText("Enter a number for sepal width")).toBeNull();
    expect(screen.getByText("'abc' is not a number")).toBeTruthy();
  });

  it("sends the row as V2 JSON, shows the outputs, and keeps the row to refill later", async () => {
    const onAnswered = renderPanel();
    fireEvent.change(field("sepal length"), { target: { value: "6.3" } });
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    const outputs = await screen.findByRole("table", { name: "Outputs" });
    expect(within(outputs).getByText("probabilities")).toBeTruthy();
    expect(within(outputs).getByText("[0.97, 0.02, 0.01]")).toBeTruthy();
    expect(await screen.findByRole("img", { name: "Class probabilities" })).toBeTruthy();
    expect(fetchMock.mock.calls[0]?.[0]).toBe(`/api/try/${deploymentId}?model=iris`);
    expect(sentBodies()).toEqual([
      { inputs: [{ name: "input", shape: [1, 4], datatype: "FP64", data: [6.3, 3.5, 1.4, 0.2] }] },
    ]);
    expect(onAnswered).toHaveBeenCalledTimes(1);
    expect(JSON.parse(localStorage.getItem(`kubeserve.try.${deploymentId}`) ?? "")).toEqual([
      [6.3, 3.5, 1.4, 0.2],
    ]);

    // A new visit to the page offers the row; choosing it refills every field.
    cleanup();
    renderPanel();
    const refill = await screen.findByRole("button", {
      name: "Fill the form with 6.3, 3.5, 1.4, 0.2",
    });
    fireEvent.change(field("sepal length"), { target: { value: "1" } });
    fireEvent.click(refill);
    expect(names.map((name) => field(name).value)).toEqual(["6.3", "3.5", "1.4", "0.2"]);
  });

  it("keeps no row the gateway refused", async () => {
    fetchMock.mockImplementation(async () =>
      Response.json(
        { error: { code: "UNAVAILABLE", message: "No ready replica" } },
        { status: 503 },
      ),
    );
    const onAnswered = renderPanel();
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    expect(await screen.findByText("No ready replica")).toBeTruthy();
    expect(localStorage.getItem(`kubeserve.try.${deploymentId}`)).toBeNull();
    expect(onAnswered).not.toHaveBeenCalled();
  });

  it("switches to the raw JSON body with the row in it, and back with the edited row", async () => {
    renderPanel();
    fireEvent.change(field("petal width"), { target: { value: "9" } });
    fireEvent.click(screen.getByRole("button", { name: "JSON" }));
    const body = screen.getByLabelText<HTMLTextAreaElement>("Request body (V2 JSON)");
    expect(JSON.parse(body.value).inputs[0].data).toEqual([5.1, 3.5, 1.4, 9]);

    fireEvent.change(body, { target: { value: "{ not json" } });
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    expect(await screen.findByText(/^Not valid JSON/)).toBeTruthy();
    expect(fetchMock).not.toHaveBeenCalled();

    const edited = {
      inputs: [{ name: "input", shape: [1, 4], datatype: "FP64", data: [1, 2, 3, 4] }],
    };
    fireEvent.change(body, { target: { value: JSON.stringify(edited) } });
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    await screen.findByRole("table", { name: "Outputs" });
    expect(sentBodies()).toEqual([edited]);
    fireEvent.click(screen.getByRole("button", { name: "Fields" }));
    expect(names.map((name) => field(name).value)).toEqual(["1", "2", "3", "4"]);
    // The JSON-sent row was kept too.
    expect(screen.getByRole("button", { name: "Fill the form with 1, 2, 3, 4" })).toBeTruthy();
  });

  it("gives a signature no row of fields fits the JSON body only", async () => {
    const text: TSignature = {
      inputs: [{ name: "text", datatype: "BYTES", shape: [-1] }],
      outputs: [{ name: "label", datatype: "INT64", shape: [-1] }],
    };
    renderPanel(text);
    expect(screen.queryByRole("group", { name: "Input mode" })).toBeNull();
    const body = screen.getByLabelText<HTMLTextAreaElement>("Request body (V2 JSON)");
    expect(JSON.parse(body.value)).toEqual({
      inputs: [{ name: "text", shape: [1], datatype: "BYTES", data: ["text"] }],
    });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Send" }));
    });
    await waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(1));
  });
});
