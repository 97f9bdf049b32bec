#!/usr/bin/env node
// Replays a Dockerfile's build stages on this machine, without a Docker engine, to prove the recipe
// works with this repository's layout: each stage is a folder, absolute paths in its instructions are
// rewritten into that folder, COPY honours the Dockerfile's .dockerignore, RUN runs under bash.
// What needs root or the image's OS (apt-get, useradd, `npm install -g` of the build tools, which come
// from this repository's own pnpm and turbo instead) is skipped and listed. After the last stage, the
// image's CMD can be started from the assembled runtime folder (--start, with --probe URL to check).
//   node deploy/scripts/replay-dockerfile.mjs deploy/docker/api.Dockerfile [--keep] [--start --probe http://127.0.0.1:4000/healthz]
import { execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const [dockerfile, ...flags] = process.argv.slice(2);
if (!dockerfile) {
  console.error(
    "usage: replay-dockerfile.mjs <Dockerfile> [--keep] [--start] [--probe URL] [--env K=V]...",
  );
  process.exit(2);
}
const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const work = mkdtempSync(path.join(tmpdir(), "replay-"));
const skipped = [];
const probeIndex = flags.indexOf("--probe");
const probeUrl = probeIndex >= 0 ? flags[probeIndex + 1] : undefined;
const extraEnv = Object.fromEntries(
  flags.flatMap((flag, index) =>
    flags[index - 1] === "--env" ? [flag.split(/=(.*)/s).slice(0, 2)] : [],
  ),
);

// Build tools the base stage installs with `npm install -g`: this repository's own, pinned versions.
const tools = path.join(work, "tools");
mkdirSync(tools);
const shim = (name, line) => {
  writeFileSync(path.join(tools, name), `#!/usr/bin/env bash\nexec ${line} "$@"\n`);
  chmodSync(path.join(tools, name), 0o755);
};
shim("pnpm", "npx -y pnpm@10.34.9");
shim("turbo", path.join(repo, "node_modules/.bin/turbo"));

function instructions(text) {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

const stages = new Map();
let stage;
const rootOf = (name) => stages.get(name)?.root;
// Absolute container paths → the stage folder (only the ones these Dockerfiles use).
const rewrite = (text, root) =>
  text.replace(
    /(^|[\s=:"'(])\/(repo|out|app|opt|models|var\/lib\/kubeserve)(?=[/\s"')]|$)/g,
    `$1${root}/$2`,
  );

// Docker's COPY: a directory's contents go into the destination; a file goes into it when it ends in "/".
function copy(from, to, ignore) {
  const excludes = ignore.flatMap((pattern) => ["--exclude", pattern.replace(/^\*\*\//, "")]);
  if (statSync(from).isDirectory()) {
    mkdirSync(to, { recursive: true });
    execFileSync("rsync", [
      "-a",
      ...excludes,
      `${from.replace(/\/$/, "")}/`,
      `${to.replace(/\/$/, "")}/`,
    ]);
  } else {
    const target = to.endsWith("/") ? path.join(to, path.basename(from)) : to;
    mkdirSync(path.dirname(target), { recursive: true });
    execFileSync("rsync", ["-a", from, target]);
  }
}

const ignoreFile = `${dockerfile}.dockerignore`;
const ignore = existsSync(ignoreFile)
  ? readFileSync(ignoreFile, "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"))
  : [];

for (const instruction of instructions(readFileSync(dockerfile, "utf8"))) {
  const { op } = instruction;
  let { args } = instruction;
  if (op === "FROM") {
    const [image, , name] = args.split(/\s+/);
    const parent = stages.get(image);
    const root = path.join(work, name ?? `stage${stages.size}`);
    mkdirSync(root, { recursive: true });
    if (parent) execFileSync("rsync", ["-a", `${parent.root}/`, `${root}/`]);
    stage = {
      name,
      root,
      cwd: root,
      env: { ...(parent?.env ?? {}) },
      cmd: undefined,
      entrypoint: undefined,
    };
    stages.set(name, stage);
    console.log(`\n== stage ${name} (${image})`);
  } else if (op === "WORKDIR") {
    stage.cwd = path.join(stage.root, args);
    mkdirSync(stage.cwd, { recursive: true });
  } else if (op === "ENV") {
    for (const match of args.matchAll(/([A-Z_][A-Z0-9_]*)=(\S*)/g)) stage.env[match[1]] = match[2];
  } else if (op === "COPY") {
    const parts = args.split(/\s+/);
    const fromFlag = parts.find((p) => p.startsWith("--from="));
    const paths = parts.filter((p) => !p.startsWith("--"));
    const dest = paths.pop();
    const destPath = dest.startsWith("/")
      ? path.join(stage.root, dest)
      : path.join(stage.cwd, dest);
    for (const src of paths) {
      if (fromFlag) {
        const fromRoot = rootOf(fromFlag.slice("--from=".length));
        const source = path.join(fromRoot, src);
        if (!existsSync(source))
          throw new Error(`COPY ${fromFlag} ${src}: not produced by that stage`);
        copy(source, dest.endsWith("/") ? `${destPath}/` : destPath, []);
      } else {
        copy(
          src === "." ? repo : path.join(repo, src),
          dest.endsWith("/") ? `${destPath}/` : destPath,
          ignore,
        );
      }
    }
  } else if (op === "RUN") {
    if (/\b(apt-get|groupadd|useradd|npm install -g)\b/.test(args)) {
      // The parts after the system commands still run (e.g. `install -d`, `ln -s`), rewritten.
      const rest = args
        .split("&&")
        .map((part) => part.trim())
        .filter(
          (part) =>
            !/\b(apt-get|groupadd|useradd|npm install -g|rm -rf \/var\/lib\/apt)/.test(part),
        )
        .map((part) => part.replace(/install -d -o \S+ -g \S+( -m \S+)?/, "mkdir -p"));
      skipped.push(`${stage.name}: ${args.slice(0, 100)}…`);
      if (!rest.length) continue;
      args = rest.join(" && ");
    }
    const command = rewrite(args, stage.root).replace(
      /ln -s (\S+) \/usr\/local\/bin\/(\S+)/,
      `mkdir -p ${stage.root}/usr/local/bin && ln -sf $1 ${stage.root}/usr/local/bin/$2`,
    );
    console.log(`$ ${command}`);
    execFileSync("bash", ["-euo", "pipefail", "-c", command], {
      cwd: stage.cwd,
      stdio: "inherit",
      env: { ...process.env, ...stage.env, PATH: `${tools}:${process.env.PATH}` },
    });
  } else if (op === "CMD" || op === "ENTRYPOINT") {
    stage[op.toLowerCase()] = JSON.parse(args);
  } else if (!["USER", "EXPOSE", "HEALTHCHECK", "ARG", "LABEL"].includes(op)) {
    throw new Error(`unsupported instruction ${op}`);
  }
}

console.log(`\nreplayed ${stages.size} stages in ${work}`);
if (skipped.length) console.log(`skipped (root / base image only):\n  ${skipped.join("\n  ")}`);

if (flags.includes("--start")) {
  const final = stage;
  const argv = [...(final.entrypoint ?? []), ...(final.cmd ?? [])].filter(
    (a) => a !== "dumb-init" && a !== "--",
  );
  const binDir = path.join(final.root, "usr/local/bin");
  const resolved = argv.map((a, i) =>
    i === 0 && existsSync(path.join(binDir, a)) ? path.join(binDir, a) : a,
  );
  console.log(`\nstarting ${resolved.join(" ")} in ${final.cwd}`);
  const child = spawn(resolved[0], resolved.slice(1), {
    cwd: final.cwd,
    stdio: "inherit",
    env: {
      ...process.env,
      ...Object.fromEntries(Object.entries(final.env).map(([k, v]) => [k, rewrite(v, final.root)])),
      ...extraEnv,
    },
  });
  let ok = false;
  if (probeUrl) {
    for (let i = 0; i < 60 && !ok; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      ok = await fetch(probeUrl).then(
        (r) => r.ok,
        () => false,
      );
    }
    console.log(ok ? `probe ${probeUrl}: ok` : `probe ${probeUrl}: FAILED`);
  }
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  if (probeUrl && !ok) process.exitCode = 1;
}
if (!flags.includes("--keep")) rmSync(work, { recursive: true, force: true });
