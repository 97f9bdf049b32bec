import path from "node:path";
import { api, expect, registerInUi, screenshotBothSchemes, test, uniqueEmail } from "./fixtures";

test("register → model → version → API key used and revoked → sign out", async ({
  page,
}, testInfo) => {
  const shots = path.join(testInfo.project.outputDir, "screenshots");
  const email = uniqueEmail("journey");
  await registerInUi(page, email);

  await expect(page.getByRole("heading", { name: "Models" })).toBeVisible();
  await expect(page.getByText("Register your first model")).toBeVisible();

  // The API token lives only in the encrypted HttpOnly session cookie, never where page script can read it.
  const cookies = await page.context().cookies();
  expect(cookies.find((c) => c.name === "kubeserve.session")).toMatchObject({ httpOnly: true });
  expect(cookies.find((c) => c.name === "ks_device")).toMatchObject({
    httpOnly: true,
    path: "/api/auth",
  });
  expect(await page.evaluate(() => document.cookie)).not.toMatch(/session|ks_device/);
  const sessionJson = await page.evaluate(() => fetch("/api/auth/session").then((r) => r.text()));
  expect(JSON.parse(sessionJson)).toMatchObject({ user: { email } });
  expect(sessionJson).not.toMatch(/accessToken|eyJ/);

  await page.getByRole("button", { name: "Create a model" }).click();
  await page.getByLabel("Name", { exact: true }).fill("iris-e2e");
  await page.getByLabel("Description (optional)").fill("Iris flowers, logistic regression");
  await page.getByRole("button", { name: "Create model" }).click();
  await expect(page).toHaveURL(/\/models\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { name: "iris-e2e" })).toBeVisible();
  await expect(page.getByText("No versions yet")).toBeVisible();

  await page.getByRole("button", { name: "New version" }).click();
  await page.getByLabel("Tag").fill("v1");
  await page.getByLabel("Framework").selectOption("onnx");
  await page.getByLabel("Description (optional)").fill("First training run");
  await page.getByRole("button", { name: "Create version" }).click();
  const version = page.getByRole("listitem", { name: "Version v1" });
  await expect(version).toContainText("awaiting upload");
  await expect(version).toContainText("ONNX");
  await expect(version.getByTestId("upload-slot")).toBeVisible();
  await screenshotBothSchemes(page, "model-page", shots);

  await page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", { name: "Models" })
    .click();
  const row = page.getByRole("list", { name: "Models" }).getByRole("listitem");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("iris-e2e");
  await expect(row).toContainText("v1");
  await expect(row).toContainText("awaiting upload");
  await screenshotBothSchemes(page, "hub", shots);
  // Down to a small phone: nothing may need sideways scrolling.
  await page.setViewportSize({ width: 375, height: 812 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await page.screenshot({ path: `${shots}/hub-375.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });

  await page.getByRole("button", { name: /Account menu/ }).click();
  await page.getByRole("link", { name: "API keys" }).last().click();
  await expect(page.getByRole("heading", { name: "API keys", exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Create your first key" }).click();
  await page.getByLabel("Name").fill("e2e-script");
  await page.getByRole("button", { name: "Create key" }).last().click();
  const secret = await page.getByLabel("New API key").inputValue();
  expect(secret).toMatch(/^ks_/);

  // The key works against the API from outside the browser: it sees exactly this user's model.
  const viaKey = await api(secret).model.list.query({});
  expect(viaKey.items.map((m) => m.name)).toEqual(["iris-e2e"]);

  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByLabel("New API key")).toHaveCount(0);
  const keyRow = page.getByRole("row", { name: /e2e-script/ });
  await expect(keyRow).toContainText(secret.slice(0, 8));
  await page.reload();
  await expect(keyRow).not.toContainText("Never");
  await screenshotBothSchemes(page, "keys", shots);

  await keyRow.getByRole("button", { name: "Revoke e2e-script" }).click();
  await keyRow.getByRole("button", { name: "Confirm revoking e2e-script" }).click();
  await expect(keyRow).toContainText("revoked");
  await expect(api(secret).model.list.query({})).rejects.toMatchObject({
    message: "This API key has been revoked",
  });

  const sessionCookie = (await page.context().cookies()).find(
    (c) => c.name === "kubeserve.session",
  );
  await page.getByRole("button", { name: /Account menu/ }).click();
  await page.getByRole("link", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login\?callbackUrl=%2F/);

  // Signing out revoked the API session: the old cookie, replayed, gets the user nowhere.
  if (!sessionCookie) throw new Error("no session cookie before signing out");
  await page.context().addCookies([sessionCookie]);
  await page.goto("/keys");
  await expect(page).toHaveURL(/\/login\?callbackUrl=%2Fkeys/);
});
