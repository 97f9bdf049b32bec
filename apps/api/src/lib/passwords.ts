import { hash, verify } from "@node-rs/argon2";
import { ZText } from "../schemas/text";

const minPasswordLength = 10;
const maxPasswordLength = 128;

const passwordRule = `Password must be ${minPasswordLength}–${maxPasswordLength} characters long`;

// The upper bound keeps a single login from burning seconds of CPU on a megabyte password.
export const ZPassword = ZText.min(minPasswordLength, passwordRule).max(
  maxPasswordLength,
  passwordRule,
);

// The package exports its Algorithm enum as an ambient const enum; 2 is its Argon2id member.
const argon2id = 2;

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
const argonOptions = { algorithm: argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, argonOptions);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/** Spends the same time as a real check, so a login for an unknown email is not faster. */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword("kubeserve-timing-equaliser");
  await verifyPassword(await dummyHash, password);
  return false;
}
