import { api, expect, loginInUi, password, registerInUi, test, uniqueEmail } from "./fixtures";

test("wrong password is refused with the API's message and no session", async ({ page }) => {
  const email = uniqueEmail("wrongpw");
  await api().auth.register.mutate({ email, password });
  await page.goto("/login");
  await loginInUi(page, email, "not-the-password");
  await expect(page.locator("form").getByRole("alert")).toHaveText("Invalid email or password");
  await expect(page).toHaveURL(/\/login/);
  expect((await page.context().cookies()).some((c) => c.name === "kubeserve.session")).toBe(false);
});

test("registration shows a taken email and the API's password rule", async ({ page }) => {
  const email = uniqueEmail("taken");
  await api().auth.register.mutate({ email, password });
  await registerInUi(page, email);
  await expect(page.locator("form").getByRole("alert")).toHaveText(
    `An account for ${email} already exists`,
  );

  await registerInUi(page, uniqueEmail("weak"), "short");
  const field = page.getByLabel("Password");
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("Password must be 10–128 characters long")).toBeVisible();
  await expect(page).toHaveURL(/\/register/);
});

test("another user's model URL shows the not-found page", async ({ page }) => {
  const other = await api().auth.register.mutate({ email: uniqueEmail("owner"), password });
  const theirs = await api(other.accessToken).model.create.mutate({ name: "private-model" });
  await registerInUi(page, uniqueEmail("snoop"));
  await expect(page.getByRole("heading", { name: "Models" })).toBeVisible();

  const response = await page.goto(`/models/${theirs.id}`);
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  await expect(page.getByText("private-model")).toHaveCount(0);
  expect((await page.goto("/models/not-a-uuid"))?.status()).toBe(404);
});

test("a session ended mid-action goes to login and back to the page", async ({ page }) => {
  const email = uniqueEmail("expiry");
  await registerInUi(page, email);
  await page.getByRole("button", { name: "Create a model" }).click();
  await page.getByLabel("Name", { exact: true }).fill("expiring");
  await page.getByRole("button", { name: "Create model" }).click();
  await expect(page).toHaveURL(/\/models\/[0-9a-f-]{36}$/);
  const modelUrl = page.url();
  await page.getByRole("button", { name: "New version" }).click();
  await page.getByLabel("Tag").fill("v1");

  // Meanwhile every session of the account ends (as "sign out everywhere" or an expiry would).
  const elsewhere = await api().auth.login.mutate({ email, password });
  await api(elsewhere.accessToken).auth.logoutAll.mutate();

  await page.getByRole("button", { name: "Create version" }).click();
  await expect(page).toHaveURL(/\/login\?callbackUrl=%2Fmodels%2F.+&expired=1/);
  await expect(page.getByText("Your session has ended")).toBeVisible();
  await loginInUi(page, email);
  await expect(page).toHaveURL(modelUrl);
  await expect(page.getByRole("heading", { name: "expiring" })).toBeVisible();
});

test("keyboard only: sign in and reach the hub", async ({ page }) => {
  const email = uniqueEmail("keyboard");
  await api().auth.register.mutate({ email, password });
  await page.goto("/login");
  const emailField = page.getByLabel("Email");
  for (
    let i = 0;
    i < 5 && !(await emailField.evaluate((el) => el === document.activeElement));
    i++
  ) {
    await page.keyboard.press("Tab");
  }
  await expect(emailField).toBeFocused();
  await page.keyboard.type(email);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password")).toBeFocused();
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Models" })).toBeVisible();

  // Onward by keyboard: the skip link, then the account menu opens and closes with Escape.
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  const menu = page.getByRole("button", { name: /Account menu/ });
  await menu.focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("link", { name: "Sign out" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("link", { name: "Sign out" })).toHaveCount(0);
  await expect(menu).toBeFocused();
});
