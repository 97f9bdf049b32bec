import { formatBytes } from "./format";

// The dropzone's rules and the progress arithmetic, apart from React so they can be tested alone.

export const modelExtensions = {
  onnx: [".onnx"],
  sklearn: [".joblib", ".pkl", ".pickle"],
} as const;

export type TFramework = keyof typeof modelExtensions;

export function extensionsFor(framework: string): readonly string[] {
  return framework === "sklearn" ? modelExtensions.sklearn : modelExtensions.onnx;
}

/** Why a file cannot be this version's model, or undefined when it may be uploaded. */
export function checkModelFile(
  file: { name: string; size: number },
  framework: string,
  maxBytes: number | undefined,
): string | undefined {
  const allowed = extensionsFor(framework);
  const name = file.name.toLowerCase();
  if (!allowed.some((extension) => name.endsWith(extension))) {
    const label = framework === "sklearn" ? "A scikit-learn" : "An ONNX";
    return `${label} version takes a ${allowed.join(", ")} file; '${file.name}' is not one`;
  }
  if (file.size === 0) return `'${file.name}' is empty`;
  if (maxBytes !== undefined && file.size > maxBytes) {
    return `'${file.name}' is ${formatBytes(file.size)}; the largest file this server accepts is ${formatBytes(maxBytes)}`;
  }
  return undefined;
}

type TSample = { at: number; sent: number };

/** Upload speed over the last few seconds (a moving window, so a stall shows quickly) and time left. */
export function createSpeedMeter(windowMs = 3_000) {
  const samples: TSample[] = [];
  return {
    sample(sent: number, at: number) {
      samples.push({ at, sent });
      while (samples.length > 2 && at - (samples[0]?.at ?? at) > windowMs) samples.shift();
    },
    /** Bytes per second, or undefined until two samples are apart in time. */
    speed(): number | undefined {
      const first = samples[0];
      const last = samples.at(-1);
      if (!first || !last || last.at <= first.at) return undefined;
      return ((last.sent - first.sent) * 1000) / (last.at - first.at);
    },
    /** Seconds left at the current speed; undefined while unknown or stalled. */
    secondsLeft(total: number): number | undefined {
      const speed = this.speed();
      const last = samples.at(-1);
      if (!speed || speed <= 0 || !last) return undefined;
      return Math.max(0, (total - last.sent) / speed);
    },
  };
}

export function formatSpeed(bytesPerSecond: number | undefined): string {
  return bytesPerSecond === undefined ? "—" : `${formatBytes(bytesPerSecond)}/s`;
}

export function formatSecondsLeft(seconds: number | undefined): string {
  if (seconds === undefined) return "estimating…";
  if (seconds < 1) return "under a second left";
  // Rounded up once, so 119.5 s reads "2 min 0 s", never "1 min 60 s".
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole} s left`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${whole % 60} s left`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
}

export type TUploadPhase = "uploading" | "paused" | "done" | "interrupted" | "failed" | "cancelled";

export type TUploadState = {
  phase: TUploadPhase;
  fileName: string;
  sent: number;
  total: number;
  bytesPerSecond: number | undefined;
  secondsLeft: number | undefined;
  error?: string;
  startedAt: number;
  finishedAt?: number;
};

export type TUploadAction = "pause" | "cancel" | "resume" | "discard" | "another";

export type TUploadView = { percent: number; summary: string; actions: TUploadAction[] };

/** What the progress panel shows for an upload: the bar's percent, one line of text, the buttons. */
export function describeUpload(state: TUploadState, versionStatus: string): TUploadView {
  const ratio = state.total > 0 ? Math.min(1, Math.max(0, state.sent / state.total)) : 0;
  // Floored, so 100% means every byte arrived, never 99.6% rounded up.
  const percent = state.phase === "done" ? 100 : Math.floor(100 * ratio);
  const sentOfTotal = `${formatBytes(state.sent)} of ${formatBytes(state.total)}`;
  switch (state.phase) {
    case "uploading":
      return {
        percent,
        summary: `${sentOfTotal} · ${formatSpeed(state.bytesPerSecond)} · ${formatSecondsLeft(state.secondsLeft)}`,
        actions: ["pause", "cancel"],
      };
    case "paused":
      return {
        percent,
        summary: `Paused at ${sentOfTotal}; resuming continues from there`,
        actions: ["resume", "discard"],
      };
    case "done": {
      const seconds = ((state.finishedAt ?? state.startedAt) - state.startedAt) / 1000;
      const check = versionStatus === "pending_upload" ? "checking the model…" : versionStatus;
      return {
        percent,
        summary: `Uploaded ${formatBytes(state.total)} in ${seconds.toFixed(1)} s · ${check}`,
        actions: [],
      };
    }
    case "cancelled":
      return { percent, summary: "Upload cancelled; nothing was kept", actions: ["another"] };
    case "interrupted":
      return {
        percent,
        summary: `${state.error ?? "Upload stopped"} (${sentOfTotal} sent)`,
        actions: ["resume", "discard"],
      };
    case "failed":
      return {
        percent,
        summary: `${state.error ?? "Upload stopped"} (${sentOfTotal} sent)`,
        actions: ["another"],
      };
  }
}

/** Where an interrupted upload can continue: its tus URL (on this dashboard) and the file it was for. */
export type TResumePoint = { uploadUrl: string; name: string; size: number; lastModified: number };

type TStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

const resumeKey = (versionId: string) => `kubeserve.upload.${versionId}`;

// Only the upload's URL and the file's name/size/date are kept: no token, no file contents.
export function saveResumePoint(storage: TStorage, versionId: string, point: TResumePoint) {
  try {
    storage.setItem(resumeKey(versionId), JSON.stringify(point));
  } catch {
    // Storage full or disabled: the upload still works, it just cannot resume after a reload.
  }
}

export function readResumePoint(storage: TStorage, versionId: string): TResumePoint | undefined {
  try {
    const value: unknown = JSON.parse(storage.getItem(resumeKey(versionId)) ?? "null");
    if (!value || typeof value !== "object") return undefined;
    const point = value as Partial<TResumePoint>;
    if (
      typeof point.uploadUrl !== "string" ||
      !point.uploadUrl.startsWith("/api/v1/uploads/") ||
      typeof point.name !== "string" ||
      typeof point.size !== "number" ||
      typeof point.lastModified !== "number"
    ) {
      return undefined;
    }
    return point as TResumePoint;
  } catch {
    return undefined;
  }
}

export function clearResumePoint(storage: TStorage, versionId: string) {
  try {
    storage.removeItem(resumeKey(versionId));
  } catch {
    // Nothing to clear.
  }
}

/** The same file as the interrupted upload (name, size and modification time all match). */
export function isSameFile(
  point: TResumePoint,
  file: { name: string; size: number; lastModified: number },
) {
  return (
    point.name === file.name && point.size === file.size && point.lastModified === file.lastModified
  );
}
