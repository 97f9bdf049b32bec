// /readyz runs every named check; a failing required one makes the API unready, an optional one (a runtime
// that never came, say) is reported while the API keeps serving. Public: names and states only, no messages.

export type TReadinessCheck = {
  name: string;
  check: () => Promise<void>;
  /** false: reported in `checks`, but the API stays ready (default true) */
  isRequired?: boolean;
};

export type TReadinessReport = {
  isReady: boolean;
  checks: Record<string, "ok" | "unavailable">;
  /** first failing required check, e.g. "storage not reachable" */
  reason?: string;
  failures: { name: string; error: unknown }[];
};

const timeoutMs = 2_000;

async function runOne(check: TReadinessCheck): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.check(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${check.name} check timed out after ${timeoutMs / 1000} s`)),
          timeoutMs,
        );
      }),
    ]);
    return undefined;
  } catch (error) {
    return error ?? new Error(`${check.name} check failed`);
  } finally {
    clearTimeout(timer);
  }
}

export async function checkReadiness(checks: TReadinessCheck[]): Promise<TReadinessReport> {
  const errors = await Promise.all(checks.map(runOne));
  const report: TReadinessReport = { isReady: true, checks: {}, failures: [] };
  checks.forEach((check, index) => {
    const error = errors[index];
    report.checks[check.name] = error === undefined ? "ok" : "unavailable";
    if (error === undefined) return;
    report.failures.push({ name: check.name, error });
    if (check.isRequired !== false && report.isReady) {
      report.isReady = false;
      report.reason = `${check.name} not reachable`;
    }
  });
  return report;
}
