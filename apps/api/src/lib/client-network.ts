import { isIPv4, isIPv6 } from "node:net";

/**
 * The unit per-IP limits count: an IPv4 address, or an IPv6 client's /64 (one subscriber usually holds a
 * whole /64, so counting single IPv6 addresses would let one client rotate through 2^64 of them).
 */
export function clientNetwork(ip: string): string {
  const address = ip.split("%")[0] ?? ip;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (isIPv4(address) || !isIPv6(address)) return address;
  const [head = "", tail = ""] = address.split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = address.includes("::") && tail ? tail.split(":") : [];
  // An embedded IPv4 tail fills the last two groups, which the /64 never reaches.
  const tailLength = tailGroups.reduce((n, group) => n + (group.includes(".") ? 2 : 1), 0);
  const tailHex = tailGroups.flatMap((group) => (group.includes(".") ? ["0", "0"] : [group]));
  const groups = address.includes("::")
    ? [...headGroups, ...Array<string>(8 - headGroups.length - tailLength).fill("0"), ...tailHex]
    : headGroups;
  const prefix = groups
    .slice(0, 4)
    .map((group) => (Number.parseInt(group || "0", 16) || 0).toString(16));
  return `${prefix.join(":")}::/64`;
}
