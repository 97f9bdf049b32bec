// The file name a client sent in `Content-Disposition` (RFC 6266): `filename*` (RFC 8187) wins over
// `filename`. Returned as sent; the caller validates it as a bare file name.

function decodeExtended(value: string): string | undefined {
  const match = /^([\w!#$%&+^`{}~-]+)'[\w-]*'(.*)$/.exec(value);
  if (!match?.[2] || match[1]?.toLowerCase() !== "utf-8") return undefined;
  try {
    return decodeURIComponent(match[2]);
  } catch {
    return undefined;
  }
}

export function readDispositionFilename(header: string | undefined): string | undefined {
  if (!header) return undefined;
  let plain: string | undefined;
  let extended: string | undefined;
  const pattern = /;\s*(filename\*?)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)/gi;
  for (const match of header.matchAll(pattern)) {
    const name = match[1]?.toLowerCase();
    const raw = match[2] ?? "";
    const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, "$1") : raw;
    if (name === "filename*") extended = decodeExtended(value);
    else plain = value;
  }
  return extended ?? plain;
}
