import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { uploadArtifact } from "@kubeserve/api";
import type { Locator, Page } from "@playwright/test";
import { api, apiUrl, expect, password, test, uniqueEmail } from "./fixtures";

const fixture = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../api/test/fixtures/iris-logreg.onnx",
);

// Deploying starts a real model server; on a loaded machine the cold start alone can take half a minute.
test.describe.configure({ timeout: 300_000 });

/** What the focused element shows to say it has focus (its own outline or ring, or its ::after's). */
async function readFocusRing(page: Page) {
  return page.evaluate(() => {
    const element = document.activeElement;
    if (!element || element === document.body) return { label: "body", isVisible: false };
    const hasRing = (style: CSSStyleDeclaration) =>
      (style.outlineStyle !== "none" && Number.parseFloat(style.outlineWidth) > 0) ||
      (style.boxShadow !== "none" && style.boxShadow !== "");
    const label = `${element.tagName.toLowerCase()} "${(element.getAttribute("aria-label") ?? element.textContent ?? "").trim().slice(0, 40)}"`;
    return {
      label,
      isVisible:
        hasRing(getComputedStyle(element)) || hasRing(getComputedStyle(element, "::after")),
    };
  });
}

/** Tabs forward until `target` has focus, checking every control on the way shows a focus ring. */
async function tabTo(page: Page, target: Locator, maxPresses = 40) {
  for (let i = 0; i < maxPresses; i++) {
    await page.keyboard.press("Tab");
    const ring = await readFocusRing(page);
    expect(ring.isVisible, `focus ring on ${ring.label}`).toBe(true);
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`${String(target)} not reached in ${maxPresses} Tab presses`);
}

test("keyboard only: sign in, open a model, deploy a ready version, see it running", async ({
  page,
}) => {
  const email = uniqueEmail("keys-only");
  const { accessToken } = await api().auth.register.mutate({ email, password });
  const model = await api(accessToken).model.create.mutate({ name: "iris-keyboard" });
  const version = await api(accessToken).version.create.mutate({
    modelId: model.id,
    tag: "v1",
    framework: "onnx",
  });
  await uploadArtifact({ url: apiUrl(), token: accessToken }, version.id, readFileSync(fixture), {
    filename: "iris-logreg.onnx",
  });
  await expect
    .poll(async () => (await api(accessToken).version.get.query({ id: version.id })).status, {
      timeout: 30_000,
    })
    .toBe("ready");

  await page.goto("/login");
  await tabTo(page, page.getByLabel("Email"));
  await page.keyboard.type(email);
  await tabTo(page, page.getByLabel("Password"));
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Models" })).toBeVisible();

  await tabTo(page, page.getByRole("link", { name: "iris-keyboard" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "iris-keyboard" })).toBeVisible();
  const card = page.getByRole("listitem", { name: "Version v1" });
  await expect(card).toContainText("ready");

  await tabTo(page, card.getByRole("button", { name: "Deploy v1" }));
  await page.keyboard.press("Space");
  const name = card.getByLabel("Deployment name");
  await expect(name).toHaveValue("iris-keyboard-v1");
  await tabTo(page, card.getByRole("button", { name: /Advanced/ }));
  await page.keyboard.press("Enter");
  await tabTo(page, card.getByRole("button", { name: "Deploy v1" }));
  await page.keyboard.press("Enter");

  await expect(page).toHaveURL(/\/deployments\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { name: "iris-keyboard-v1" })).toBeVisible();
  await expect(page.getByText("status: running").first()).toBeVisible({ timeout: 120_000 });

  // From here too, every control is reachable and shows where focus is, as far as Stop.
  await tabTo(page, page.getByRole("button", { name: "Stop" }), 80);
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("alertdialog", { name: "Confirm stopping" });
  await tabTo(page, dialog.getByRole("button", { name: "Yes, stop" }), 5);
  await page.keyboard.press("Enter");
  await expect(page.getByText("status: stopped").first()).toBeVisible({ timeout: 60_000 });
});
