/** Where to go after signing in: only a path on this site, so a crafted link cannot send users elsewhere. */
export function safeReturnTo(value: string | string[] | undefined | null): string {
  const path = Array.isArray(value) ? value[0] : value;
  if (!path || !path.startsWith("/") || path.startsWith("//") || path.startsWith("/\\")) return "/";
  if (path.startsWith("/login") || path.startsWith("/logout") || path.startsWith("/register")) {
    return "/";
  }
  return path;
}
