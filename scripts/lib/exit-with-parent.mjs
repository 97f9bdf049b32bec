// Preloaded (`node --import`) into the API and the dashboard by `pnpm start`: when start.mjs is gone, even
// killed with SIGKILL, the process stops itself the graceful way instead of living on as an orphan.
const parent = process.ppid;
const graceMs = 20_000;

const timer = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(timer);
  console.error(
    `[kubeserve] the start command (pid ${parent}) is gone: stopping pid ${process.pid}`,
  );
  // The app's own SIGTERM handler drains and exits; if it hangs, leave anyway.
  setTimeout(() => process.exit(1), graceMs).unref();
  process.kill(process.pid, "SIGTERM");
}, 500);
timer.unref();
