import { cn } from "./cn";

/** A table's header row: small grey column names; an empty name leaves the column unlabelled (an actions column). */
export function TableHead({ columns, cell = "px-2 py-1", className }: { columns: readonly string[]; cell?: string; className?: string }) {
  return (
    <thead className={cn("text-xs text-slate-500", className)}>
      <tr>
        {columns.map((c, i) => (
          <th key={`${c}-${i}`} className={cn(cell, "font-medium")}>
            {c}
          </th>
        ))}
      </tr>
    </thead>
  );
}
