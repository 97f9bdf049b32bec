import { ModelRow, type TModelListItem } from "./model-row";

export function ModelList({
  items,
  isRefreshing,
}: {
  items: readonly TModelListItem[];
  isRefreshing: boolean;
}) {
  return (
    <div className="overflow-hidden rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
      <div
        aria-hidden="true"
        className="hidden grid-cols-[minmax(0,2fr)_minmax(0,1.3fr)_minmax(0,1fr)_7rem] gap-4 border-b border-slate-200 bg-slate-50 px-4 py-2 text-xs font-medium tracking-wide text-slate-500 uppercase sm:grid dark:border-slate-800 dark:bg-slate-900/60 dark:text-slate-400"
      >
        <span>Model</span>
        <span>Latest version</span>
        <span>Deployments</span>
        <span className="text-right">Updated</span>
      </div>
      <ul
        aria-label="Models"
        aria-busy={isRefreshing}
        className="divide-y divide-slate-100 dark:divide-slate-800"
      >
        {items.map((model) => (
          <ModelRow key={model.id} model={model} />
        ))}
      </ul>
    </div>
  );
}
