import { writeFileSync } from "node:fs";
import path from "node:path";
import { api, expect, password, registerInUi, test, uniqueEmail } from "./fixtures";

type TRouteJs = { route: string; scripts: number; compressedKb: number; rawKb: number };

// First-load JS per route, as the browser fetched it from the production build (gzip as served), with an
// empty cache each time; and how soon the hub answers its first click.
test("first-load JS per route and hub time to interactive", async ({
  page,
  browser,
  baseURL,
}, testInfo) => {
  const email = uniqueEmail("speed");
  await registerInUi(page, email);
  await expect(page.getByRole("heading", { name: "Models" })).toBeVisible();
  const login = await api().auth.login.mutate({ email, password });
  const model = await api(login.accessToken).model.create.mutate({ name: "speed-model" });
  const storageState = await page.context().storageState();

  const results: TRouteJs[] = [];
  for (const [route, isSignedIn] of [
    ["/", true],
    [`/models/${model.id}`, true],
    ["/keys", true],
    ["/login", false],
    ["/register", false],
  ] as const) {
    const context = await browser.newContext({ baseURL, ...(isSignedIn ? { storageState } : {}) });
    const fresh = await context.newPage();
    await fresh.goto(route, { waitUntil: "networkidle" });
    const sizes = await fresh.evaluate(() =>
      performance
        .getEntriesByType("resource")
        .filter((entry) => (entry as PerformanceResourceTiming).initiatorType === "script")
        .map((entry) => {
          const timing = entry as PerformanceResourceTiming;
          return { encoded: timing.encodedBodySize, decoded: timing.decodedBodySize };
        }),
    );
    results.push({
      route: route.startsWith("/models/") ? "/models/[id]" : route,
      scripts: sizes.length,
      compressedKb: Math.round(sizes.reduce((sum, s) => sum + s.encoded, 0) / 102.4) / 10,
      rawKb: Math.round(sizes.reduce((sum, s) => sum + s.decoded, 0) / 102.4) / 10,
    });
    await context.close();
  }

  const context = await browser.newContext({ baseURL, storageState });
  const hub = await context.newPage();
  const started = Date.now();
  await hub.goto("/");
  await hub.getByRole("button", { name: "New model" }).click();
  await expect(hub.getByRole("heading", { name: "New model" })).toBeVisible();
  const interactiveMs = Date.now() - started;
  await context.close();

  const report = { routes: results, hubInteractiveMs: interactiveMs };
  writeFileSync(
    path.join(testInfo.project.outputDir, "first-load-js.json"),
    JSON.stringify(report, null, 2),
  );
  await testInfo.attach("first-load-js", {
    body: JSON.stringify(report, null, 2),
    contentType: "application/json",
  });
  console.log(JSON.stringify(report, null, 2));
  const hubJs = results.find((r) => r.route === "/");
  expect(hubJs?.compressedKb).toBeLessThan(200);
});
