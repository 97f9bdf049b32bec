import { openDatabase, type TDatabase } from "@kubeserve/db";
import type { TApiConfig } from "../config";

/** CLI commands open the database like the server: embedded applies migrations, PostgreSQL only checks. */
export function openCliDatabase(config: TApiConfig): Promise<TDatabase> {
  const { url, pgliteDir } = config.database;
  return openDatabase({ url, pgliteDir, poolSize: 2, migrations: url ? "check" : "apply" });
}

export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
    process.exit(0);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
