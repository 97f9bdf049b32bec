import { afterAll, expect } from "vitest";
import { findLeaks, recordErrorText } from "./leak-guard";

// Collects the body of every error response a test receives through fetch (the typed client uses it too),
// including those of API processes the tests start.
const pending: Promise<void>[] = [];
const originalFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const response = await originalFetch(input, init);
  if (response.status >= 400) {
    const url = input instanceof Request ? input.url : String(input);
    pending.push(
      response
        .clone()
        .text()
        .then(
          (text) => recordErrorText(`fetch ${url}`, text),
          () => undefined,
        ),
    );
  }
  return response;
};

afterAll(async () => {
  await Promise.all(pending);
  expect(findLeaks()).toEqual([]);
});
