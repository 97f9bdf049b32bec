import type { RouterOutputs } from "@kubeserve/api";
import { Card, CopyButton } from "@kubeserve/ui";
import Link from "next/link";
import {
  curlV1,
  curlV2,
  keyPlaceholder,
  tsKeyPlaceholder,
  typescriptV2,
  v1Instances,
  v2InferUrl,
} from "~/lib/snippets";
import { CodeBlock } from "./code-block";

type TDeployment = RouterOutputs["deployment"]["get"];

function UrlRow({ label, url }: { label: string; url: string }) {
  return (
    <div className="flex flex-col gap-1.5 sm:flex-row sm:items-center sm:gap-3">
      <span className="w-28 shrink-0 text-sm text-slate-500">{label}</span>
      <code
        className="min-w-0 flex-1 truncate rounded bg-slate-100 px-2 py-1.5 font-mono text-xs dark:bg-slate-800"
        title={url}
      >
        {url}
      </code>
      <CopyButton value={url} label={`Copy ${label}`} />
    </div>
  );
}

export function DeploymentUrls({
  deployment,
  modelName,
  exampleBody,
}: {
  deployment: TDeployment;
  modelName: string | undefined;
  exampleBody: string;
}) {
  const name = modelName ?? "model";
  const inferUrl = v2InferUrl(deployment.urls.v2, name);
  return (
    <Card title="Call it">
      <div className="flex flex-col gap-3">
        <UrlRow label="Prediction URL" url={inferUrl} />
        <UrlRow label="V1 predict" url={deployment.urls.predict} />
        <UrlRow label="OpenAPI" url={deployment.urls.openapi} />
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Set <code className="font-mono text-xs">{keyPlaceholder}</code> (or replace{" "}
          <code className="font-mono text-xs">{tsKeyPlaceholder}</code> in the TypeScript) to a key
          from{" "}
          <Link
            href="/keys"
            className="font-medium text-indigo-700 hover:underline dark:text-indigo-300"
          >
            API keys
          </Link>{" "}
          (a predict key scoped to this deployment is the safest choice).
        </p>
        <CodeBlock label="curl (V2)" code={curlV2(deployment.urls.v2, name, exampleBody)} />
        <CodeBlock
          label="curl (V1)"
          code={curlV1(deployment.urls.predict, v1Instances(exampleBody))}
        />
        <CodeBlock
          label="TypeScript (fetch, V2)"
          code={typescriptV2(deployment.urls.v2, name, exampleBody)}
        />
      </div>
    </Card>
  );
}
