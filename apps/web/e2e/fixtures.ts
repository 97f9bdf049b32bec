import { createApiClient } from "@kubeserve/api";
import { test as base, expect, type Page } from "@playwright/test";

export const apiUrl = () => required("KS_E2E_API_URL");
const webUrl = () => required("KS_E2E_WEB_URL");

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run through playwright.config.ts (global setup)`);
  return value;
}

export const test = base.extend({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern
  baseURL: async ({}, provide) => provide(webUrl()),
});
export { expect };

let counter = 0;
/** An address no other test (or earlier run against the same database) used. */
export function uniqueEmail(label: string): string {
  counter += 1;
  return `${label}-${Date.now().toString(36)}-${counter}@e2e.kubeserve.test`;
}

export const password = "correct-horse-battery";

export function api(token?: string) {
  return createApiClient({ url: apiUrl(), token });
}

export async function registerInUi(page: Page, email: string, pass = password) {
  await page.goto("/register");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(pass);
  await page.getByRole("button", { name: "Create account" }).click();
}

export async function loginInUi(page: Page, email: string, pass = password) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(pass);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Screenshots of a page in light and dark, kept with the test's output. */
export async function screenshotBothSchemes(page: Page, name: string, dir: string) {
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `${dir}/${name}-${scheme}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: "light" });
}
