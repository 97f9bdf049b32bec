import { hash, randomBytes } from "node:crypto";

// Keys look like `ks_<8-char prefix>_<32-char secret>`: the prefix is shown in lists, the whole key once.
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const apiKeyPattern = /^ks_[A-Za-z0-9]{8}_[A-Za-z0-9]{32}$/;

function randomBase62(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = "";
  for (let i = 0; out.length < length && i < bytes.length; i++) {
    const byte = bytes[i] as number;
    // 248 = 62 * 4: rejecting larger bytes keeps every character equally likely.
    if (byte < 248) out += alphabet[byte % 62];
  }
  return out.length === length ? out : randomBase62(length);
}

export function generateApiKey(): { key: string; prefix: string } {
  const prefix = `ks_${randomBase62(8)}`;
  return { key: `${prefix}_${randomBase62(32)}`, prefix };
}

// One-shot crypto.hash (Node ≥ 20.12): a third of createHash's cost, and it runs on every prediction.
export function hashApiKey(key: string): string {
  return hash("sha256", key, "hex");
}

/** Tells API keys from JWTs; a malformed key is still a key, and is rejected as one. */
export function isApiKeyShaped(value: string): boolean {
  return value.startsWith("ks_");
}

export function isWellFormedApiKey(value: string): boolean {
  return apiKeyPattern.test(value);
}
