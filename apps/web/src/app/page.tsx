import { Card, StatusBadge } from "@kubeserve/ui";
import { readWebConfig } from "~/config";

// Rendered per request: it reports the API's live state.
export const dynamic = "force-dynamic";

type TProbe = { isUp: boolean; detail: string };

async function probe(url: string): Promise<TProbe> {
  try {
    const response = await fetch(url, { cache: "no-store", signal: AbortSignal.timeout(2_000) });
    const body = (await response.json()) as { status?: string; reason?: string };
    return { isUp: response.ok, detail: body.reason ?? body.status ?? String(response.status) };
  } catch (error) {
    return { isUp: false, detail: error instanceof Error ? error.message : "unreachable" };
  }
}

export default async function HomePage() {
  const { apiUrl } = readWebConfig();
  const [health, ready] = await Promise.all([
    probe(`${apiUrl}/healthz`),
    probe(`${apiUrl}/readyz`),
  ]);
  return (
    <main className="mx-auto flex max-w-3xl flex-col gap-6 px-6 py-12">
      <header>
        <h1 className="text-3xl font-semibold tracking-tight">KubeServe</h1>
        <p className="mt-2 text-slate-600 dark:text-slate-400">
          Upload a model, get a versioned registry entry, deploy it, and call an authenticated
          prediction URL.
        </p>
      </header>
      <Card title="Platform status">
        <dl className="grid grid-cols-[auto_1fr] items-center gap-x-4 gap-y-2 text-sm">
          <dt className="text-slate-500">API</dt>
          <dd>
            <code>{apiUrl}</code>
          </dd>
          <dt className="text-slate-500">Process</dt>
          <dd>
            <StatusBadge tone={health.isUp ? "ok" : "error"} label={health.isUp ? "up" : "down"} />
          </dd>
          <dt className="text-slate-500">Database</dt>
          <dd>
            <StatusBadge
              tone={ready.isUp ? "ok" : "error"}
              label={ready.isUp ? "ready" : ready.detail}
            />
          </dd>
        </dl>
      </Card>
      <Card title="Use the API">
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Every operation is a typed tRPC procedure at <code>{apiUrl}/trpc</code>. Sign in and list
          your models:
        </p>
        <pre className="mt-3 overflow-x-auto rounded-md bg-slate-900 p-4 text-xs text-slate-100">
          {`curl -s -X POST ${apiUrl}/trpc/auth.login \\
  -H 'content-type: application/json' \\
  -d '{"email":"demo@kubeserve.local","password":"kubeserve-demo"}'

curl -s ${apiUrl}/trpc/model.list -H "authorization: Bearer <accessToken or API key>"`}
        </pre>
      </Card>
    </main>
  );
}
