"use client";

import { useState } from "react";
import { CopyIcon } from "@/components/ui/icons";

/** The fix as a block a person can read and copy in one go. */
export function CopyBlock({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState<"ok" | "failed" | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied("ok");
    } catch {
      setCopied("failed");
    }
    setTimeout(() => setCopied(null), 2000);
  }
  return (
    <div className="relative mt-1 rounded-md border border-slate-200 bg-slate-900 text-slate-100">
      <pre className="overflow-x-auto px-3 py-2 pr-20 font-mono text-[13px] leading-relaxed break-words whitespace-pre-wrap">
        <code>{text}</code>
      </pre>
      <button
        type="button"
        onClick={() => void copy()}
        aria-label={`Copy ${label}`}
        className="absolute top-1.5 right-1.5 inline-flex cursor-pointer items-center gap-1 rounded border border-slate-600 bg-slate-800 px-1.5 py-0.5 text-xs text-slate-200 hover:bg-slate-700"
      >
        <CopyIcon />
        <span aria-live="polite">{copied === "ok" ? "Copied" : copied === "failed" ? "Select it" : "Copy"}</span>
      </button>
    </div>
  );
}
