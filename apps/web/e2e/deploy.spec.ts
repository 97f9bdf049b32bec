import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  api,
  apiUrl,
  expect,
  registerInUi,
  screenshotBothSchemes,
  test,
  uniqueEmail,
} from "./fixtures";

const fixture = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../api/test/fixtures/iris-logreg.onnx",
);

// Deploying starts a real model server; on a loaded machine the cold start alone can take half a minute.
test.describe.configure({ timeout: 360_000 });

test("model → upload → deploy → running → try-it → charts → scoped predict key", async ({
  page,
}, testInfo) => {
  const shots = path.join(testInfo.project.outputDir, "screenshots");
  await registerInUi(page, uniqueEmail("deploy"));
  await expect(page.getByRole("heading", { name: "Models" })).toBeVisible();

  await page.getByRole("button", { name: "Create a model" }).click();
  await page.getByLabel("Name", { exact: true }).fill("iris");
  await page.getByRole("button", { name: "Create model" }).click();
  await expect(page).toHaveURL(/\/models\/[0-9a-f-]{36}$/);
  await page.getByRole("button", { name: "New version" }).click();
  await page.getByLabel("Tag").fill("v1");
  await page.getByRole("button", { name: "Create version" }).click();
  const version = page.getByRole("listitem", { name: "Version v1" });
  await version.getByTestId("artifact-input").setInputFiles(fixture);
  await expect(version).toContainText("ready", { timeout: 30_000 });
  await expect(version.getByRole("cell", { name: "probabilities" })).toBeVisible();

  // The name is checked while typing, in the API's rule's words.
  await version.getByRole("button", { name: "Deploy v1" }).click();
  const name = version.getByLabel("Deployment name");
  await expect(name).toHaveValue("iris-v1");
  await name.fill("Iris_v1");
  await expect(version.getByText("Use lowercase letters only")).toBeVisible();
  await name.fill("iris-prod");
  await version.getByRole("button", { name: /Advanced/ }).click();
  await version.getByLabel("CPU request").fill("2");
  await version.getByLabel("CPU limit").fill("1");
  await version.getByRole("button", { name: "Deploy v1" }).click();
  // The API's own complaint lands under the field it names.
  await expect(version.getByText("cpuLimit 1 is below cpuRequest 2")).toBeVisible();
  await version.getByLabel("CPU limit").fill("");
  await version.getByLabel("CPU request").fill("");
  await screenshotBothSchemes(page, "deploy-form", shots);
  await version.getByRole("button", { name: "Deploy v1" }).click();

  await expect(page).toHaveURL(/\/deployments\/[0-9a-f-]{36}$/);
  const deploymentId = page.url().split("/").pop() ?? "";
  await expect(page.getByRole("heading", { name: "iris-prod" })).toBeVisible();
  // Polled every 2 s while deploying: the page turns to running by itself.
  await expect(page.getByText("status: running").first()).toBeVisible({ timeout: 90_000 });
  await expect(page.getByRole("table", { name: "Replicas" })).toContainText("ready");
  await expect(page.getByRole("list", { name: "Status history" })).toContainText("running");
  await expect(page.getByText(/Prediction URL/).first()).toBeVisible();
  // The model server's JSON lines read as "time level message fields", never as raw JSON.
  const logs = page.getByLabel(/^Logs of /);
  await expect(logs).toContainText(/\d\d:\d\d:\d\d\.\d{3} info\s+listening url=http/);
  await expect(logs).not.toContainText('"level"');
  const snippets = page.locator("pre").filter({ hasText: "/v2/models/iris/infer" });
  await expect(snippets.filter({ hasText: "curl -sS" })).toBeVisible();
  await expect(snippets.filter({ hasText: 'const apiKey = "<YOUR_API_KEY>"' })).toBeVisible();

  // The form has a field per feature of the [-1, 4] input; a bad one is named before anything is sent.
  await page.getByLabel("feature 3").fill("abc");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByText("'abc' is not a number")).toBeVisible();
  await page.getByRole("button", { name: "Example row" }).click();
  for (let i = 0; i < 5; i++) {
    await page.getByRole("button", { name: "Send" }).click();
    await expect(page.getByTestId("try-latency")).toContainText("ms round trip");
  }
  await expect(page.getByRole("list", { name: "Last sent rows" })).toContainText(
    "5.1, 3.5, 1.4, 0.2",
  );
  // Recorded by the gateway at the first answered prediction; the page refetches after an answer.
  await expect(page.locator("dt:text-is('Cold start') + dd")).toHaveText(/^\d+(\.\d)? m?s$/);
  const outputs = page.getByRole("table", { name: "Outputs" });
  await expect(outputs).toContainText("probabilities");
  await expect(outputs).toContainText("label");
  await expect(page.getByRole("img", { name: "Class probabilities" })).toBeVisible();

  // Charts draw once the API's scrape (every 2 s here) has seen the predictions; the page polls by itself.
  await expect(
    page.getByTestId("metrics-charts").locator(".recharts-line-curve").first(),
  ).toBeVisible({ timeout: 45_000 });
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByRole("table", { name: "Outputs" })).toContainText("probabilities");
  await screenshotBothSchemes(page, "deployment-page", shots);
  await page.setViewportSize({ width: 375, height: 812 });
  // Polled: charts re-measure one ResizeObserver tick after the resize (CI once caught the old 560 px).
  await expect
    .poll(() => page.evaluate(() => document.documentElement.scrollWidth))
    .toBeLessThanOrEqual(375);
  await page.screenshot({ path: `${shots}/deployment-375.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });

  await page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", { name: "Deployments" })
    .click();
  await expect(page.getByRole("list", { name: "Deployments" })).toContainText("iris-prod");
  await screenshotBothSchemes(page, "deployments", shots);

  // A predict key scoped to this deployment works on its URL and nowhere in the management API.
  await page.goto("/keys");
  await page.getByRole("button", { name: "Create your first key" }).click();
  await page.getByLabel("Name").fill("iris-predict");
  await page.getByLabel("Kind").selectOption("predict");
  await page.getByLabel("iris-prod").check();
  await page.getByRole("button", { name: "Create key" }).last().click();
  const secret = await page.getByLabel("New API key").inputValue();
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("row", { name: /iris-predict/ })).toContainText("predict");
  await expect(page.getByRole("row", { name: /iris-predict/ })).toContainText("iris-prod");
  await screenshotBothSchemes(page, "keys-scoped", shots);
  const viaKey = await fetch(
    `${apiUrl()}/api/v1/deployments/${deploymentId}/v2/models/iris/infer`,
    {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify({
        inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: [6.7, 3, 5.2, 2.3] }],
      }),
    },
  );
  expect(viaKey.status).toBe(200);
  await expect(api(secret).model.list.query({})).rejects.toThrow();

  // Stop asks first, then the page follows the deployment down; delete removes it.
  await page.goto(`/deployments/${deploymentId}`);
  await page.getByRole("button", { name: "Stop" }).click();
  await page
    .getByRole("alertdialog", { name: "Confirm stopping" })
    .getByRole("button", { name: "Yes, stop" })
    .click();
  await expect(page.getByText("status: stopped").first()).toBeVisible({ timeout: 30_000 });
  await page.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("button", { name: "Yes, delete" }).click();
  await expect(page).toHaveURL(/\/deployments$/);
  await expect(page.getByText("Nothing deployed yet")).toBeVisible();
});
