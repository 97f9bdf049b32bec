export { Card, type TCardProps } from "./card";
export { StatusBadge, type TStatusBadgeProps, type TStatusTone } from "./status-badge";
