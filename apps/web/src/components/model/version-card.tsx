import type { RouterOutputs } from "@kubeserve/api";
import { memo } from "react";
import { VersionDeploy } from "~/components/deploy/version-deploy";
import { formatRelative } from "~/lib/format";
import { ArtifactDetails } from "./artifact-details";
import { ArtifactUploadSlot } from "./artifact-upload-slot";
import { SignatureTable } from "./signature-table";
import { VersionStatusBadge } from "./version-status";

export type TVersion = RouterOutputs["version"]["list"]["items"][number];

const frameworkLabels: Record<string, string> = { onnx: "ONNX", sklearn: "scikit-learn" };

export const VersionCard = memo(function VersionCard({ version }: { version: TVersion }) {
  const { artifact } = version;
  return (
    <li
      aria-label={`Version ${version.tag}`}
      className="rounded-lg border border-slate-200 bg-white p-4 sm:p-5 dark:border-slate-800 dark:bg-slate-900"
    >
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <h3 className="font-mono text-base font-semibold">{version.tag}</h3>
        <VersionStatusBadge status={version.status} />
        <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs font-medium text-slate-700 dark:bg-slate-800 dark:text-slate-300">
          {frameworkLabels[version.framework] ?? version.framework}
        </span>
        <time
          dateTime={version.createdAt}
          suppressHydrationWarning
          className="ml-auto text-sm text-slate-500 dark:text-slate-400"
        >
          created {formatRelative(version.createdAt)}
        </time>
      </div>
      {version.description ? (
        <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">{version.description}</p>
      ) : null}
      {version.status === "failed" && version.statusMessage ? (
        <p className="mt-2 text-sm text-rose-700 dark:text-rose-300">{version.statusMessage}</p>
      ) : null}
      <ArtifactDetails artifact={artifact} requirements={version.requirements} />
      <ArtifactUploadSlot version={{ ...version, hasArtifact: artifact !== null }} />
      {version.signature ? <SignatureTable signature={version.signature} /> : null}
      {version.status === "ready" ? (
        <VersionDeploy versionId={version.id} modelId={version.modelId} tag={version.tag} />
      ) : null}
    </li>
  );
});
