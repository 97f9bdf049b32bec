import path from "node:path";
import { z } from "zod";
import { findDefaultHomeDir } from "./paths";
import { formatConfigError } from "./config-error";

const ZDbCliConfig = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL (leave unset for embedded PGlite)")
    .optional(),
  KUBESERVE_HOME: z.string().min(1).optional(),
});

export type TDbCliConfig = { databaseUrl: string | undefined; pgliteDir: string };

export function readDbCliConfig(env: NodeJS.ProcessEnv = process.env): TDbCliConfig {
  // An empty variable means "use the default", as in the API's config.
  const parsed = ZDbCliConfig.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => v !== "")),
  );
  if (!parsed.success) throw new Error(formatConfigError(parsed.error));
  const home = path.resolve(parsed.data.KUBESERVE_HOME ?? findDefaultHomeDir());
  return { databaseUrl: parsed.data.DATABASE_URL, pgliteDir: path.join(home, "pgdata") };
}

const ZTestConfig = z.object({
  TEST_DATABASE_URL: z
    .string()
    .regex(
      /^postgres(ql)?:\/\//,
      "must be a postgresql:// URL of a role allowed to CREATE DATABASE",
    )
    .default("postgresql://postgres@127.0.0.1:5432/test"),
});

/** Admin connection tests use to create and drop their own databases. */
export function readTestDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const parsed = ZTestConfig.safeParse(env);
  if (!parsed.success) throw new Error(formatConfigError(parsed.error));
  return parsed.data.TEST_DATABASE_URL;
}
