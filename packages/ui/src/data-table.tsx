"use client";

import {
  createContext,
  type ReactNode,
  useContext,
  useEffect,
  useId,
  useRef,
  useState,
} from "react";

export type TDataTableDensity = "compact" | "comfortable";
export type TDataTableAlign = "start" | "end";

export type TDataTableColumn<TRow> = {
  key: string;
  header: ReactNode;
  /** How a row fills this column; not needed when the rows are given as children. */
  cell?: (row: TRow) => ReactNode;
  align?: TDataTableAlign;
  /** The column that names its row: a header cell with scope="row". */
  isRowHeader?: boolean;
  cellClassName?: string;
};

type TSharedProps<TRow> = {
  /** Names the table for assistive technology (and on screen when isCaptionVisible). */
  caption: string;
  isCaptionVisible?: boolean;
  columns: readonly TDataTableColumn<TRow>[];
  density?: TDataTableDensity;
  /** Drawn inside its own bordered box with a tinted header row. */
  isBoxed?: boolean;
  /** Extra classes for the table, e.g. a min width below which the box scrolls sideways. */
  tableClassName?: string;
};

export type TDataTableProps<TRow> = TSharedProps<TRow> &
  (
    | {
        rows: readonly TRow[];
        getRowKey: (row: TRow) => string;
        getRowClassName?: (row: TRow) => string | undefined;
        children?: never;
      }
    | { rows?: never; getRowKey?: never; getRowClassName?: never; children: ReactNode }
  );

const DensityContext = createContext<TDataTableDensity>("compact");

const cellPadding: Record<TDataTableDensity, string> = {
  compact: "py-1.5 pr-3 last:pr-0",
  comfortable: "px-4 py-3",
};
const headerPadding: Record<TDataTableDensity, string> = {
  compact: "py-1.5 pr-3 last:pr-0",
  comfortable: "px-4 py-2",
};

function alignClass(align: TDataTableAlign | undefined) {
  return align === "end" ? "text-right" : "text-left";
}

export type TDataTableCellProps = {
  align?: TDataTableAlign;
  isRowHeader?: boolean;
  className?: string;
  children?: ReactNode;
  suppressHydrationWarning?: boolean;
};

/** One cell of a DataTable row, padded to the table's density; a row header when it names the row. */
export function DataTableCell({
  align,
  isRowHeader = false,
  className = "",
  children,
  suppressHydrationWarning,
}: TDataTableCellProps) {
  const density = useContext(DensityContext);
  const classes = `${cellPadding[density]} ${alignClass(align)} align-middle ${className}`;
  return isRowHeader ? (
    <th
      scope="row"
      className={`font-medium ${classes}`}
      suppressHydrationWarning={suppressHydrationWarning}
    >
      {children}
    </th>
  ) : (
    <td className={classes} suppressHydrationWarning={suppressHydrationWarning}>
      {children}
    </td>
  );
}

/** True while the element's content is wider than its box (so the box scrolls and must be focusable). */
function useIsOverflowing() {
  const ref = useRef<HTMLDivElement>(null);
  const [isOverflowing, setIsOverflowing] = useState(false);
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const measure = () => setIsOverflowing(element.scrollWidth > element.clientWidth + 1);
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    const table = element.firstElementChild;
    if (table) observer.observe(table);
    measure();
    return () => observer.disconnect();
  }, []);
  return { ref, isOverflowing };
}

/**
 * The dashboard's one table: a caption that names it, column headers with scope, row headers where a
 * column names the row, and sideways scrolling inside its own box on narrow screens (the box then takes
 * keyboard focus, so it can be scrolled without a mouse).
 */
export function DataTable<TRow>(props: TDataTableProps<TRow>) {
  const {
    caption,
    isCaptionVisible = false,
    columns,
    density = "compact",
    isBoxed = false,
    tableClassName = "",
  } = props;
  const captionId = useId();
  const { ref, isOverflowing } = useIsOverflowing();
  const body =
    props.rows === undefined
      ? props.children
      : props.rows.map((row) => (
          <tr key={props.getRowKey(row)} className={props.getRowClassName?.(row)}>
            {columns.map((column) => (
              <DataTableCell
                key={column.key}
                align={column.align}
                isRowHeader={column.isRowHeader}
                className={column.cellClassName}
              >
                {column.cell?.(row)}
              </DataTableCell>
            ))}
          </tr>
        ));
  return (
    <DensityContext.Provider value={density}>
      <div
        ref={ref}
        className={`max-w-full min-w-0 overflow-x-auto focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500 ${
          isBoxed
            ? "rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900"
            : ""
        }`}
        {...(isOverflowing ? { role: "region", "aria-labelledby": captionId, tabIndex: 0 } : {})}
      >
        <table className={`w-full text-left text-sm ${tableClassName}`}>
          <caption
            id={captionId}
            className={
              isCaptionVisible
                ? "mb-2 text-left text-xs font-medium tracking-wide text-slate-500 uppercase"
                : "sr-only"
            }
          >
            {caption}
          </caption>
          <thead
            className={
              isBoxed
                ? "border-b border-slate-200 bg-slate-50 text-xs tracking-wide text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-900/60 dark:text-slate-400"
                : "border-b border-slate-200 text-xs text-slate-500 dark:border-slate-800 dark:text-slate-400"
            }
          >
            <tr>
              {columns.map((column) => (
                <th
                  key={column.key}
                  scope="col"
                  className={`${headerPadding[density]} ${alignClass(column.align)} font-medium`}
                >
                  {column.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">{body}</tbody>
        </table>
      </div>
    </DensityContext.Provider>
  );
}
