import { z } from "zod";

// Kubernetes resource quantities ("500m", "1.5", "4Gi", "1e3"), compared exactly in milli-units.

const quantityPattern =
  /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

const binaryPower: Record<string, bigint> = {
  Ki: 10n,
  Mi: 20n,
  Gi: 30n,
  Ti: 40n,
  Pi: 50n,
  Ei: 60n,
};
const decimalExponent: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

export function isQuantity(value: string): boolean {
  return quantityPattern.test(value);
}

/** The quantity in thousandths of its unit, rounded up the way the API server rounds to 1m. */
export function toMilli(value: string | number): number {
  const text = typeof value === "number" ? String(value) : value.trim();
  const match = quantityPattern.exec(text);
  if (!match) throw new Error(`${JSON.stringify(value)} is not a Kubernetes quantity`);
  const [, sign = "", number = "0", suffix = ""] = match;
  // Exact decimal arithmetic: mantissa × 2^power × 10^exponent, then a ceiling division.
  const [whole = "", fraction = ""] = number.split(".");
  let mantissa = BigInt(`${whole}${fraction}` || "0");
  let exponent = 3 - fraction.length;
  if (suffix in binaryPower) mantissa <<= binaryPower[suffix] ?? 0n;
  else if (suffix in decimalExponent) exponent += decimalExponent[suffix] ?? 0;
  else if (suffix) exponent += Number(suffix.slice(1));
  let milli: bigint;
  if (exponent >= 0) milli = mantissa * 10n ** BigInt(exponent);
  else {
    const divisor = 10n ** BigInt(-exponent);
    milli = (mantissa + divisor - 1n) / divisor;
  }
  return Number(sign === "-" ? -milli : milli);
}

/** A human form for messages: CPU as cores, memory as Mi/Gi. */
export function formatMilli(milli: number, kind: "cpu" | "memory" | "count"): string {
  if (kind === "cpu") return milli % 1000 === 0 ? `${milli / 1000}` : `${milli}m`;
  if (kind === "count") return `${milli / 1000}`;
  const bytes = milli / 1000;
  if (bytes % 2 ** 30 === 0) return `${bytes / 2 ** 30}Gi`;
  if (bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20}Mi`;
  return `${bytes}`;
}

export const ZQuantity = z
  .union([z.string(), z.number()])
  .transform((value) => String(value))
  .pipe(
    z
      .string()
      .regex(quantityPattern, "must be a Kubernetes quantity such as 500m, 2, 512Mi or 4Gi")
      .refine((value) => !isQuantity(value) || toMilli(value) >= 0, "must not be negative"),
  );
