import { CopyButton } from "@kubeserve/ui";

/** A snippet with its copy button; scrolls sideways inside itself so the page never does. */
export function CodeBlock({ label, code }: { label: string; code: string }) {
  return (
    <figure className="flex flex-col gap-1.5">
      <figcaption className="flex items-center justify-between gap-2 text-xs font-medium tracking-wide text-slate-500 uppercase">
        {label}
        <CopyButton value={code} label={`Copy ${label}`} />
      </figcaption>
      <pre className="overflow-x-auto rounded-md bg-slate-950 p-3 font-mono text-xs leading-relaxed text-slate-100">
        <code>{code}</code>
      </pre>
    </figure>
  );
}
