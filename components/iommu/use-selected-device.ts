"use client";

import { useSearchParams } from "next/navigation";
import { useCallback } from "react";
import { parsePciAddress } from "@/lib/pci-address";
import type { SelectFn } from "./tree-types";

/** ?device=… is the selection: deep-linkable, and the browser's back button walks through it. */
export function useSelectedDevice(): { raw: string | null; address: string | null; select: SelectFn; close: () => void } {
  const params = useSearchParams();
  const raw = params.get("device");
  const parsed = raw ? parsePciAddress(raw) : null;
  const select = useCallback((address: string) => {
    const next = new URLSearchParams(window.location.search);
    if (next.get("device") === address) return;
    next.set("device", address);
    // Colons stay readable in the address bar: ?device=0000:01:00.0
    window.history.pushState(null, "", `?${next.toString().replace(/%3A/gi, ":")}`);
  }, []);
  const close = useCallback(() => {
    const next = new URLSearchParams(window.location.search);
    next.delete("device");
    const qs = next.toString();
    window.history.pushState(null, "", qs ? `?${qs.replace(/%3A/gi, ":")}` : window.location.pathname);
  }, []);
  return { raw, address: parsed?.ok ? parsed.address : null, select, close };
}
