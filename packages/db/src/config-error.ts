import type { z } from "zod";

/** Names every bad variable and what it should be, so a misconfigured process says why it stopped. */
export function formatConfigError(error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    // The first path segment is the variable; deeper segments (list items) would only confuse.
    const name = String(issue.path[0] ?? "(root)");
    return `  ${name}: ${issue.message}`;
  });
  return `Invalid configuration:\n${lines.join("\n")}`;
}
