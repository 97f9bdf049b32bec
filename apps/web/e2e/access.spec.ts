import { api, expect, password, registerInUi, test, uniqueEmail } from "./fixtures";

// Who may reach what: pages need a live session; /api/trpc acts only as the signed-in user, only for
// the dashboard's own pages, and never signs in or out (next-auth does).

test("pages send visitors without a session to login, keeping where they were going", async ({
  page,
}) => {
  await page.goto("/keys");
  await expect(page).toHaveURL(/\/login\?callbackUrl=%2Fkeys$/);
  await page
    .context()
    .addCookies([{ name: "kubeserve.session", value: "forged", url: page.url() }]);
  await page.goto("/models/00000000-0000-7000-8000-000000000000");
  await expect(page).toHaveURL(/\/login\?callbackUrl=%2Fmodels%2F/);
});

test("the tRPC route refuses anonymous, cross-site and sign-in calls", async ({
  page,
  request,
  baseURL,
}) => {
  const anonymous = await request.get("/api/trpc/model.list");
  expect(anonymous.status()).toBe(401);
  expect(await anonymous.json()).toMatchObject({ error: { data: { code: "UNAUTHORIZED" } } });

  const email = uniqueEmail("proxy");
  await registerInUi(page, email);
  await expect(page.getByRole("heading", { name: "Models" })).toBeVisible();
  const signedIn = page.request;
  expect((await signedIn.get("/api/trpc/model.list")).status()).toBe(200);

  const crossSite = await signedIn.post("/api/trpc/model.create", {
    headers: { origin: "http://evil.example", "content-type": "application/json" },
    data: { name: "csrf-made" },
  });
  expect(crossSite.status()).toBe(403);
  const formPost = await signedIn.post("/api/trpc/model.create", {
    headers: { origin: baseURL ?? "", "content-type": "text/plain" },
    data: JSON.stringify({ name: "csrf-made" }),
  });
  expect(formPost.status()).toBe(415);
  const login = await signedIn.post("/api/trpc/auth.login", {
    headers: { origin: baseURL ?? "", "content-type": "application/json" },
    data: { email, password },
  });
  expect(login.status()).toBe(403);

  const mine = await api(
    (await api().auth.login.mutate({ email, password })).accessToken,
  ).model.list.query({});
  expect(mine.items).toEqual([]);
});

test("the favicon is the dashboard's own SVG, linked from the page and served without a session", async ({
  page,
  request,
}) => {
  await page.goto("/login");
  const href = await page.locator('link[rel="icon"]').first().getAttribute("href");
  expect(href).toMatch(/^\/icon\.svg/);
  const icon = await request.get(href ?? "");
  expect(icon.status()).toBe(200);
  expect(icon.headers()["content-type"]).toContain("image/svg+xml");
  expect(await icon.text()).toContain("<svg");
});
