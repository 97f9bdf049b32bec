// What the start tests look at, read straight from Linux's /proc: every process carrying a marker in its
// environment (however it was reparented), process trees, and which process listens on which address.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { readProcessInfo } from "./processes.mjs";

function readEnviron(pid) {
  try {
    return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
  } catch {
    return [];
  }
}

function listPids() {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Live processes (zombies excluded) as { pid, ppid, state, startTime, argv, exe }. */
export function listProcesses() {
  return listPids()
    .map((pid) => readProcessInfo(pid))
    .filter((info) => info && info.state !== "Z" && info.state !== "X");
}

/** Every live process whose environment holds `name=value`: children inherit it through npx, pnpm and sh. */
export function findByEnv(name, value) {
  const entry = `${name}=${value}`;
  return listProcesses().filter((info) => readEnviron(info.pid).includes(entry));
}

/** `pid` and all its live descendants. */
export function findTree(pid) {
  const all = listProcesses();
  const tree = all.filter((info) => info.pid === pid);
  for (let i = 0; i < tree.length; i++) {
    tree.push(...all.filter((info) => info.ppid === tree[i].pid));
  }
  return tree;
}

export function isAlive({ pid, startTime }) {
  const info = readProcessInfo(pid);
  return Boolean(info && info.state !== "Z" && info.state !== "X" && info.startTime === startTime);
}

function decodeAddress(hex) {
  if (hex.length === 8) {
    // IPv4 in host (little-endian) byte order.
    return Buffer.from(hex, "hex").reverse().join(".");
  }
  // IPv6 as four 32-bit little-endian words.
  const bytes = Buffer.concat(
    [0, 8, 16, 24].map((i) => Buffer.from(hex.slice(i, i + 8), "hex").reverse()),
  );
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  const full = groups.join(":");
  if (full === "0:0:0:0:0:0:0:0") return "::";
  if (full === "0:0:0:0:0:0:0:1") return "::1";
  if (full.startsWith("0:0:0:0:0:ffff:")) return `::ffff:${[...bytes.subarray(12)].join(".")}`;
  return full;
}

/** Every listening TCP socket on this machine: { address, port, inode }. */
export function listListeners() {
  const rows = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.trim().split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== "0A") continue;
      const [addressHex, portHex] = fields[1].split(":");
      rows.push({
        address: decodeAddress(addressHex),
        port: parseInt(portHex, 16),
        inode: fields[9],
      });
    }
  }
  return rows;
}

/** Listening sockets held by these processes, each with the pid that holds it. */
export function listListenersOf(pids) {
  const owners = new Map();
  for (const pid of pids) {
    let fds;
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) owners.set(match[1], pid);
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return listListeners()
    .filter((row) => owners.has(row.inode))
    .map((row) => ({ ...row, pid: owners.get(row.inode) }));
}

export function isLoopback(address) {
  return address === "::1" || /^(::ffff:)?127\./.test(address);
}
