// Every error a client sees in this suite is collected here and, after each test file, scanned for the
// text of Prisma, the PostgreSQL drivers or the server's internals (test/setup.ts): none may ever leak.

const leakPatterns: RegExp[] = [
  /prisma/i,
  /PostgresError|DatabaseError|DriverAdapterError/,
  /\bP[0-9]{4}\b/,
  /SQLSTATE/i,
  /invalid input syntax/i,
  /violates/i,
  /duplicate key/i,
  /syntax error at or near/i,
  /relation "|column "/i,
  /field value out of range/i,
  /invalid byte sequence|unsupported Unicode escape|surrogate must/i,
  /pglite|node-postgres|\bpg-pool\b/i,
  /Output validation failed/i,
  /Maximum call stack/i,
  /ECONNREFUSED|ECONNRESET/,
  /node_modules|\.ts:\d+:\d+|\bat async\b/,
];

type TRecorded = { source: string; text: string };

const recorded: TRecorded[] = [];

export function recordErrorText(source: string, text: string): void {
  recorded.push({ source, text });
}

export function recordedErrorCount(): number {
  return recorded.length;
}

export function findLeaks(
  entries: readonly TRecorded[] = recorded,
): (TRecorded & { pattern: string })[] {
  return entries.flatMap((entry) =>
    leakPatterns
      .filter((pattern) => pattern.test(entry.text))
      .map((pattern) => ({ ...entry, text: entry.text.slice(0, 500), pattern: String(pattern) })),
  );
}
