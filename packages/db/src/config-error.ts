import type { z } from "zod";

/** Names every bad variable and what it should be, so a misconfigured process says why it stopped. */
export function formatConfigError(error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const name = issue.path.join(".") || "(root)";
    return `  ${name}: ${issue.message}`;
  });
  return `Invalid configuration:\n${lines.join("\n")}`;
}
