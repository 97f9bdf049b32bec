import { z } from "zod";

// The web app's one validated configuration module (server side only).
const ZWebEnv = z.object({
  API_INTERNAL_URL: z
    .string()
    .regex(/^https?:\/\/[^\s]+$/, "must be the API's base URL, e.g. http://127.0.0.1:4000")
    .default("http://127.0.0.1:4000"),
});

export type TWebConfig = { apiUrl: string };

export function readWebConfig(env: NodeJS.ProcessEnv = process.env): TWebConfig {
  const parsed = ZWebEnv.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `  ${String(issue.path[0])}: ${issue.message}`,
    );
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return { apiUrl: parsed.data.API_INTERNAL_URL.replace(/\/$/, "") };
}
