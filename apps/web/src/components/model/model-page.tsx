"use client";

import { Button, ErrorNotice } from "@kubeserve/ui";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { readApiErrorMessage } from "~/lib/api-error";
import { formatRelative } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { CreateVersionForm } from "./create-version-form";
import { VersionPages } from "./version-pages";

export function ModelPage({ modelId }: { modelId: string }) {
  const trpc = useTRPC();
  const [isCreating, setIsCreating] = useState(false);
  const model = useQuery(trpc.model.get.queryOptions({ id: modelId }));

  if (!model.data) {
    return model.error ? <ErrorNotice message={readApiErrorMessage(model.error)} /> : null;
  }
  return (
    <div className="flex flex-col gap-6">
      <nav aria-label="Breadcrumb" className="text-sm text-slate-500">
        <Link href="/" className="hover:text-slate-900 hover:underline dark:hover:text-white">
          Models
        </Link>
        <span aria-hidden="true"> / </span>
        <span className="text-slate-900 dark:text-slate-100">{model.data.name}</span>
      </nav>
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <h1 className="text-2xl font-semibold tracking-tight break-words">{model.data.name}</h1>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            {model.data.description || "No description"} · {model.data.versionCount} version
            {model.data.versionCount === 1 ? "" : "s"} · updated{" "}
            <time dateTime={model.data.updatedAt} suppressHydrationWarning>
              {formatRelative(model.data.updatedAt)}
            </time>
          </p>
          {model.data.tags.length > 0 ? (
            <ul aria-label="Tags" className="mt-2 flex flex-wrap gap-1.5">
              {model.data.tags.map((tag) => (
                <li
                  key={tag}
                  className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-600 dark:bg-slate-800 dark:text-slate-300"
                >
                  {tag}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
        <Button onClick={() => setIsCreating(true)} aria-expanded={isCreating}>
          New version
        </Button>
      </div>

      {isCreating ? (
        <CreateVersionForm modelId={modelId} onClose={() => setIsCreating(false)} />
      ) : null}

      <section aria-labelledby="versions-heading" className="flex flex-col gap-3">
        <h2 id="versions-heading" className="text-lg font-semibold">
          Versions
        </h2>
        <VersionPages
          modelId={modelId}
          emptyAction={
            isCreating ? undefined : (
              <Button onClick={() => setIsCreating(true)}>Create the first version</Button>
            )
          }
        />
      </section>
    </div>
  );
}
