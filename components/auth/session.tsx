"use client";

import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { useTRPC } from "@/lib/trpc/client";

/** Who is signed in (session.me); the server decides every call, this only shapes what the page offers. */
export function useSession() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.session.me.queryOptions(), staleTime: 30_000 });
}

export function useIsAdmin(): boolean {
  return useSession().data?.caller?.role === "admin";
}

/** Controls that change something: a viewer does not see them at all (the server refuses them anyway). */
export function AdminOnly({ children, fallback = null }: { children: ReactNode; fallback?: ReactNode }) {
  return useIsAdmin() ? <>{children}</> : <>{fallback}</>;
}

/** Parts of the page that read the host: not rendered on the sign-in pages. */
export function SignedInOnly({ children }: { children: ReactNode }) {
  return useSession().data?.caller ? <>{children}</> : null;
}
