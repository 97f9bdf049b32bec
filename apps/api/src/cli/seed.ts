import { readApiConfig } from "../config";
import { hashPassword } from "../lib/passwords";
import { openCliDatabase, runCli } from "./database";

// `pnpm db:seed`: creates the demo account once; an existing account is left as it is.

void runCli(async () => {
  const config = readApiConfig();
  const database = await openCliDatabase(config);
  try {
    const { email, password } = config.seed;
    const existing = await database.prisma.user.findUnique({
      where: { email },
      select: { id: true },
    });
    if (existing) {
      console.log(`demo user ${email} already exists`);
      return;
    }
    await database.prisma.user.create({
      data: { email, name: "Demo User", passwordHash: await hashPassword(password) },
      select: { id: true },
    });
    console.log(`created demo user ${email} (password: ${password})`);
  } finally {
    await database.close();
  }
});
