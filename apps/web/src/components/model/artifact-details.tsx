import type { RouterOutputs } from "@kubeserve/api";
import { CopyButton } from "@kubeserve/ui";
import { formatBytes } from "~/lib/format";

type TVersion = RouterOutputs["version"]["list"]["items"][number];

const labelClasses = "text-slate-500 dark:text-slate-400 sm:self-center";

/** The stored files of a version: the model and, for scikit-learn, its requirements.txt (by digest). */
export function ArtifactDetails({
  artifact,
  requirements,
}: Pick<TVersion, "artifact" | "requirements">) {
  if (!artifact && !requirements) return null;
  return (
    <dl className="mt-4 grid gap-x-6 gap-y-2 text-sm sm:grid-cols-[auto_minmax(0,1fr)]">
      {artifact ? (
        <>
          <dt className={labelClasses}>File</dt>
          <dd className="break-all">
            {artifact.filename} · {formatBytes(artifact.size)}
          </dd>
          <dt className={labelClasses}>SHA-256</dt>
          <dd className="flex min-w-0 items-center gap-2">
            <code className="truncate font-mono text-xs" title={artifact.sha256}>
              {artifact.sha256}
            </code>
            <CopyButton value={artifact.sha256} label="Copy" />
          </dd>
        </>
      ) : null}
      {requirements ? (
        <>
          <dt className={labelClasses}>Requirements</dt>
          {/* The API keeps requirements.txt by digest only (no size, no download route), so that is shown. */}
          <dd className="flex min-w-0 items-center gap-2">
            <span className="shrink-0">requirements.txt</span>
            <code
              className="truncate font-mono text-xs text-slate-500 dark:text-slate-400"
              title={`SHA-256 ${requirements.sha256}`}
            >
              sha256 {requirements.sha256}
            </code>
          </dd>
        </>
      ) : null}
    </dl>
  );
}
