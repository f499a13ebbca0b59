import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { TopBar } from "@/components/layout/top-bar";
import { SignedInOnly } from "@/components/auth/session";
import { PendingConfirmations } from "@/components/plans/confirm-changes";
import { TRPCReactProvider } from "@/lib/trpc/client";
import { Prefetched } from "@/server/api/prefetch";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Passdeck", template: "%s · Passdeck" },
  description: "PCIe passthrough and SR-IOV on this hypervisor host: IOMMU groups, readiness, host-critical devices.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Rendered per request: the CSP nonce (proxy.ts) is new on every page load, so no page is prerendered.
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">
        <TRPCReactProvider>
          {/* Who is signed in and the host's facts, for the top bar: with the page, not after it. The page's own
              queries come in the page's Prefetched; those the top bar also reads must be here, before it renders. */}
          <Prefetched queries={(t) => [t.session.me.queryOptions(), t.host.summary.queryOptions()]}>
            <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:bg-white focus:p-2">
              Skip to content
            </a>
            <TopBar />
            <SignedInOnly>
              <PendingConfirmations />
            </SignedInOnly>
            <main id="main" className="mx-auto max-w-[1600px] px-4 py-5">
              {children}
            </main>
          </Prefetched>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
