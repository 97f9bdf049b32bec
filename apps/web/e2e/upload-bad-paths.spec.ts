import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "@playwright/test";
import { expect, registerInUi, test, uniqueEmail } from "./fixtures";

const fixture = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../api/test/fixtures/iris-logreg.onnx",
);

/** Signs up, creates a model with an ONNX version awaiting its file, and returns that version's card. */
async function openEmptyVersion(page: Page, label: string) {
  await registerInUi(page, uniqueEmail(label));
  await page.getByRole("button", { name: "Create a model" }).click();
  await page.getByLabel("Name", { exact: true }).fill(label);
  await page.getByRole("button", { name: "Create model" }).click();
  await expect(page).toHaveURL(/\/models\/[0-9a-f-]{36}$/);
  await page.getByRole("button", { name: "New version" }).click();
  await page.getByLabel("Tag").fill("v1");
  await page.getByRole("button", { name: "Create version" }).click();
  const version = page.getByRole("listitem", { name: "Version v1" });
  await expect(version.getByTestId("upload-slot")).toBeVisible();
  return version;
}

/** Every request the page makes to the dashboard's upload route, by method. */
function countUploadRequests(page: Page) {
  const counts = new Map<string, number>();
  page.on("request", (request) => {
    if (new URL(request.url()).pathname.startsWith("/api/v1/uploads")) {
      counts.set(request.method(), (counts.get(request.method()) ?? 0) + 1);
    }
  });
  return counts;
}

/** Drops the connection of every tus PATCH while `isCut()` (as a pulled cable would, after the POST). */
async function cutPatches(page: Page, isCut: () => boolean) {
  await page.route("**/api/v1/uploads/**", (route) =>
    route.request().method() === "PATCH" && isCut()
      ? route.abort("internetdisconnected")
      : route.continue(),
  );
}

/**
 * Opens an empty version and drops the iris fixture on it with every PATCH cut, until the card says the
 * connection was lost; `reconnect` lets PATCHes through again.
 */
async function startCutUpload(page: Page, label: string) {
  const version = await openEmptyVersion(page, label);
  const uploads = countUploadRequests(page);
  let isCut = true;
  await cutPatches(page, () => isCut);
  await version.getByTestId("artifact-input").setInputFiles(fixture);
  // tus retries a few times (0, 1 and 3 s) before it gives up and says so.
  await expect(version.getByTestId("upload-progress")).toContainText(
    "The connection to the server was lost",
    { timeout: 20_000 },
  );
  const reconnect = () => {
    isCut = false;
  };
  return { version, uploads, reconnect };
}

test("a .txt and a 3 GiB model file are refused in the dropzone before any byte is sent", async ({
  page,
}) => {
  const dir = mkdtempSync(path.join(tmpdir(), "kubeserve-e2e-drop-"));
  try {
    const text = path.join(dir, "notes.txt");
    writeFileSync(text, "not a model\n");
    // Sparse: 3 GiB on paper, no disk used; the browser only reads its size before refusing it.
    const huge = path.join(dir, "huge.onnx");
    writeFileSync(huge, "");
    truncateSync(huge, 3 * 1024 ** 3);

    const version = await openEmptyVersion(page, "drop-refusals");
    const uploads = countUploadRequests(page);
    const input = version.getByTestId("artifact-input");
    await input.setInputFiles(text);
    await expect(version.getByTestId("upload-error")).toHaveText(
      "An ONNX version takes a .onnx file; 'notes.txt' is not one",
    );
    await input.setInputFiles(huge);
    await expect(version.getByTestId("upload-error")).toHaveText(
      "'huge.onnx' is 3 GB; the largest file this server accepts is 2 GB",
    );
    await expect(version.getByTestId("upload-progress")).toHaveCount(0);
    await expect(version).toContainText("awaiting upload");
    expect(Object.fromEntries(uploads)).toEqual({});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a network cut mid-upload offers Resume, which continues the same upload to the signature", async ({
  page,
}) => {
  const { version, uploads, reconnect } = await startCutUpload(page, "net-cut");
  await expect(version.getByTestId("upload-percent")).toHaveText("0%");
  const resume = version.getByRole("button", { name: "Resume" });
  await expect(resume).toBeVisible();

  reconnect();
  await resume.click();
  await expect(version.getByTestId("upload-percent")).toHaveText("100%");
  await expect(version).toContainText("ready", { timeout: 30_000 });
  await expect(version.getByRole("cell", { name: "probabilities" })).toBeVisible();
  // One upload created, resumed in place: no second POST.
  expect(uploads.get("POST")).toBe(1);
  expect(uploads.get("HEAD") ?? 0).toBeGreaterThanOrEqual(1);
});

test("an upload cut before a page reload continues after it when the same file is dropped", async ({
  page,
}) => {
  const { version, uploads, reconnect } = await startCutUpload(page, "net-reload");

  reconnect();
  await page.reload();
  await expect(version).toContainText("An upload of iris-logreg.onnx");
  await expect(version).toContainText("was interrupted");
  await version.getByTestId("artifact-input").setInputFiles(fixture);
  await expect(version).toContainText("ready", { timeout: 30_000 });
  await expect(version.getByRole("cell", { name: "probabilities" })).toBeVisible();
  expect(uploads.get("POST")).toBe(1);
});
