export { Button, buttonClasses, type TButtonProps, type TButtonVariant } from "./button";
export { Card, type TCardProps } from "./card";
export { CopyButton, type TCopyButtonProps } from "./copy-button";
export { SelectField, TextField, type TSelectFieldProps, type TTextFieldProps } from "./field";
export { EmptyState, ErrorNotice, type TEmptyStateProps, type TErrorNoticeProps } from "./notice";
export { StatusBadge, type TStatusBadgeProps, type TStatusTone } from "./status-badge";
export {
  DataTable,
  DataTableCell,
  type TDataTableAlign,
  type TDataTableCellProps,
  type TDataTableColumn,
  type TDataTableDensity,
  type TDataTableProps,
} from "./data-table";
