export {
  openDatabase,
  isPostgresUrl,
  PendingMigrationsError,
  type TDatabase,
  type TDatabaseKind,
  type TDatabaseOptions,
  type TListen,
  type TSql,
} from "./client";
export { findDefaultHomeDir } from "./paths";
export { formatConfigError } from "./config-error";
export { Prisma, PrismaClient } from "./generated/prisma/client";
export type * from "./generated/prisma/client";
