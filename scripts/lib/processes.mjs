// Process bookkeeping for `pnpm start`: which ancestors launched us (npx, pnpm, their `sh -c`), whether they
// are still alive, and stopping a child's whole process group. Linux reads /proc; other systems ask `ps`.
import { execFileSync } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";
import path from "node:path";

const hasProc = process.platform === "linux";

// Executables whose only job is to run our script: when one of them dies, whoever started us is gone.
const launcherNames = new Set(["node", "nodejs", "npm", "npx", "pnpm", "pnpx", "yarn", "corepack"]);
const shellNames = new Set(["sh", "dash", "bash", "zsh", "ash", "ksh"]);

/** One process as /proc (or ps) describes it; `startTime` tells a reused pid from the original. */
function readProcLinux(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name may contain spaces and parentheses: the fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  let argv = [];
  let exe = "";
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    // A process that set its title (npx shows "npm exec pnpm@…") has one space-joined argument.
    if (argv.length === 1) argv = argv[0].split(" ");
  } catch {
    // Gone between the two reads.
  }
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // Another user's process, or a zombie.
  }
  return { pid, state: fields[0], ppid: Number(fields[1]), startTime: fields[19], argv, exe };
}

function readProcPs(pid) {
  try {
    const out = execFileSync("ps", ["-o", "ppid=,stat=,args=", "-p", String(pid)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    const [ppid, state, ...argv] = out.split(/\s+/);
    return { pid, state: state.slice(0, 1), ppid: Number(ppid), startTime: "", argv, exe: "" };
  } catch {
    return undefined;
  }
}

export function readProcessInfo(pid) {
  return hasProc ? readProcLinux(pid) : readProcPs(pid);
}

function isRunningState(state) {
  return state !== undefined && state !== "Z" && state !== "X" && state !== "x";
}

function isLauncher(info) {
  const exe = path.basename(info.exe);
  const argv0 = path.basename(info.argv[0] ?? "");
  if (launcherNames.has(argv0) || launcherNames.has(exe) || /^node\d*$/.test(exe)) return true;
  // The `sh -c "pnpm start"` that npm and pnpm run scripts through; an interactive shell is not one.
  return (shellNames.has(argv0) || shellNames.has(exe)) && info.argv[1] === "-c";
}

/**
 * The unbroken line of launcher processes above us (nearest first): for `npx pnpm start` that is
 * sh, pnpm, sh and npx. It stops at the first process that is not a launcher (a login shell, systemd).
 */
export function findLauncherChain(fromPid = process.ppid) {
  const chain = [];
  for (let pid = fromPid; pid > 1;) {
    const info = readProcessInfo(pid);
    if (!info || !isRunningState(info.state) || !isLauncher(info)) break;
    chain.push({ pid, startTime: info.startTime, argv: info.argv });
    pid = info.ppid;
  }
  return chain;
}

/** True while the process with this pid is the same one we saw (not exited, not a zombie, not reused). */
export function isSameProcessAlive({ pid, startTime }) {
  const info = readProcessInfo(pid);
  return Boolean(info && isRunningState(info.state) && info.startTime === startTime);
}

/**
 * Calls `onGone` once when our parent changes or any launcher above us disappears: `npx` exits on SIGTERM
 * without passing it on, and a killed parent can pass nothing on at all.
 */
export function watchLaunchers(chain, onGone, intervalMs = 500) {
  const parent = process.ppid;
  // A parent that is a login shell may die while we keep running under nohup; one we cannot inspect may not.
  const isParentWatched = chain.length > 0 || readProcessInfo(parent) === undefined;
  const timer = setInterval(() => {
    const isOrphan = isParentWatched && process.ppid !== parent;
    const gone = isOrphan ? { pid: parent } : chain.find((p) => !isSameProcessAlive(p));
    if (!gone) return;
    clearInterval(timer);
    onGone(gone);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Signals a detached child's whole process group; false when nothing was left to signal. */
export function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}
