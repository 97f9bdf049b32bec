import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { uploadArtifact } from "@kubeserve/api";
import { api, apiUrl, expect, password, registerInUi, test, uniqueEmail } from "./fixtures";

// Who may reach the deployment pages and the try-it route: only the signed-in owner, from our own pages.

const fixture = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../api/test/fixtures/iris-logreg.onnx",
);

/** Another user with a deployment of their own, made through the API (stopped: nothing needs to run). */
async function someoneElsesDeployment(): Promise<string> {
  const email = uniqueEmail("owner");
  await api().auth.register.mutate({ email, password });
  const { accessToken } = await api().auth.login.mutate({ email, password });
  const owner = api(accessToken);
  const model = await owner.model.create.mutate({ name: "private-iris" });
  const version = await owner.version.create.mutate({
    modelId: model.id,
    tag: "v1",
    framework: "onnx",
  });
  await uploadArtifact({ url: apiUrl(), token: accessToken }, version.id, readFileSync(fixture), {
    filename: "iris-logreg.onnx",
  });
  await expect
    .poll(async () => (await owner.version.get.query({ id: version.id })).status, {
      timeout: 30_000,
    })
    .toBe("ready");
  const deployment = await owner.deployment.create.mutate({
    versionId: version.id,
    name: "private-iris",
    replicas: 0,
  });
  return deployment.id;
}

test("deployment pages and try-it refuse anonymous, cross-site and other users' requests", async ({
  page,
  request,
  baseURL,
}) => {
  const theirs = await someoneElsesDeployment();
  const body = {
    inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }],
  };

  await page.goto(`/deployments/${theirs}`);
  await expect(page).toHaveURL(/\/login\?callbackUrl=%2Fdeployments%2F/);
  await page.goto("/deployments");
  await expect(page).toHaveURL(/\/login\?callbackUrl=%2Fdeployments$/);
  const anonymous = await request.post(`/api/try/${theirs}?model=private-iris`, {
    headers: { origin: baseURL ?? "" },
    data: body,
  });
  expect(anonymous.status()).toBe(401);

  await registerInUi(page, uniqueEmail("nosy"));
  await expect(page.getByRole("heading", { name: "Models" })).toBeVisible();
  // Another user's deployment is as absent as a missing one, in the page and through try-it.
  await page.goto(`/deployments/${theirs}`);
  await expect(page.getByRole("heading", { name: /not found/i })).toBeVisible();
  await expect(page.getByText("private-iris")).toHaveCount(0);
  const signedIn = page.request;
  const foreign = await signedIn.post(`/api/try/${theirs}?model=private-iris`, {
    headers: { origin: baseURL ?? "" },
    data: body,
  });
  expect(foreign.status()).toBe(404);
  expect(await foreign.json()).toMatchObject({ error: { message: "Deployment not found" } });
  const crossSite = await signedIn.post(`/api/try/${theirs}?model=private-iris`, {
    headers: { origin: "http://evil.example" },
    data: body,
  });
  expect(crossSite.status()).toBe(403);
  await page.goto("/deployments");
  await expect(page.getByText("Nothing deployed yet")).toBeVisible();
});
