import type { HTMLAttributes } from "react";
import { cn } from "./cn";

export type BadgeTone = "neutral" | "green" | "amber" | "red" | "violet" | "blue" | "sky";

const TONES: Record<BadgeTone, string> = {
  neutral: "border-slate-300 bg-slate-50 text-slate-700",
  green: "border-emerald-300 bg-emerald-50 text-emerald-800",
  amber: "border-amber-300 bg-amber-50 text-amber-900",
  red: "border-red-300 bg-red-50 text-red-800",
  violet: "border-violet-300 bg-violet-50 text-violet-800",
  blue: "border-blue-300 bg-blue-50 text-blue-800",
  sky: "border-sky-300 bg-sky-50 text-sky-800",
};

export function Badge({ tone = "neutral", className, ...props }: HTMLAttributes<HTMLSpanElement> & { tone?: BadgeTone }) {
  return (
    <span
      className={cn("inline-flex items-center gap-1 rounded border px-1.5 py-px text-xs leading-5 font-medium whitespace-nowrap", TONES[tone], className)}
      {...props}
    />
  );
}
