import { z } from "zod";
import { readApiConfig } from "../config";
import { ZEmail, ZUserRole } from "../schemas/auth";
import { openCliDatabase, runCli } from "./database";

// `pnpm --filter @kubeserve/api user:role <email> <user|admin>`: the only way to grant admin.

void runCli(async () => {
  const args = z
    .tuple([ZEmail, ZUserRole], { error: "usage: user:role <email> <user|admin>" })
    .safeParse(process.argv.slice(2));
  if (!args.success) throw new Error(args.error.issues.map((issue) => issue.message).join("; "));
  const [email, role] = args.data;
  const database = await openCliDatabase(readApiConfig());
  try {
    const result = await database.prisma.user.updateMany({ where: { email }, data: { role } });
    if (result.count === 0) throw new Error(`no user with email ${email}`);
    console.log(`${email} is now ${role}`);
  } finally {
    await database.close();
  }
});
