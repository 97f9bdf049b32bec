import { StatusBadge, type TStatusTone } from "@kubeserve/ui";

const labels: Record<string, { tone: TStatusTone; label: string }> = {
  pending_upload: { tone: "warn", label: "awaiting upload" },
  ready: { tone: "ok", label: "ready" },
  failed: { tone: "error", label: "failed" },
};

export function VersionStatusBadge({ status }: { status: string }) {
  const shown = labels[status] ?? { tone: "neutral" as const, label: status };
  return <StatusBadge tone={shown.tone} label={shown.label} />;
}
