"use client";

import { useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { useSummary } from "@/components/data/queries";
import { useSession } from "@/components/auth/session";
import { ageText } from "@/components/data/format";
import { cn } from "@/components/ui/cn";

const NAV = [
  { href: "/", label: "Overview" },
  { href: "/iommu", label: "IOMMU map" },
  { href: "/readiness", label: "Readiness" },
  { href: "/wizard", label: "Wizard" },
  { href: "/vms", label: "VMs" },
  { href: "/desired", label: "Boot state" },
  { href: "/latency", label: "Latency" },
  { href: "/journal", label: "Journal" },
] as const;

export function TopBar() {
  const pathname = usePathname();
  const session = useSession();
  const caller = session.data?.caller ?? null;
  const ref = useRef<HTMLElement>(null);
  // Sticky toolbars below sit under the header, whose height changes with the demo banner and wrapping.
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const set = () => document.documentElement.style.setProperty("--header-h", `${el.offsetHeight}px`);
    set();
    const ro = new ResizeObserver(set);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  return (
    <header ref={ref} className="sticky top-0 z-30 border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-[1600px] flex-wrap items-center gap-x-6 gap-y-2 px-4 py-2">
        <Link href="/" className="flex items-center gap-2 font-semibold tracking-tight text-slate-900">
          <span aria-hidden="true" className="grid size-6 place-items-center rounded bg-slate-900 font-mono text-xs text-white">
            P
          </span>
          Passdeck
        </Link>
        {caller ? (
          <>
            <nav aria-label="Main" className="flex items-center gap-1">
              {NAV.map((item) => {
                const active = item.href === "/" ? pathname === "/" : pathname.startsWith(item.href);
                return (
                  <Link
                    key={item.href}
                    href={item.href}
                    aria-current={active ? "page" : undefined}
                    className={cn(
                      "rounded-md px-2.5 py-1 text-sm font-medium",
                      active ? "bg-slate-900 text-white" : "text-slate-600 hover:bg-slate-100 hover:text-slate-900",
                    )}
                  >
                    {item.label}
                  </Link>
                );
              })}
            </nav>
            <HostFacts />
            <SignedIn name={caller.name} role={caller.role} />
          </>
        ) : null}
      </div>
      {caller ? <DemoBannerIfDemo /> : null}
    </header>
  );
}

function HostFacts() {
  const summary = useSummary();
  const facts = summary.data?.facts;
  return (
    <div className="ml-auto flex flex-wrap items-center gap-x-4 gap-y-1 text-sm text-slate-600" aria-label="Host">
      {facts ? (
        <>
          <span>
            <span className="text-slate-500">host </span>
            <span data-testid="host-name" className="font-mono font-medium text-slate-900">
              {facts.hostname ?? "(no hostname)"}
            </span>
          </span>
          <span>
            <span className="text-slate-500">kernel </span>
            <span data-testid="kernel-release" className="font-mono text-slate-900">
              {facts.kernelRelease ?? "unknown"}
            </span>
          </span>
        </>
      ) : summary.isError ? (
        <span className="text-red-700">host not readable</span>
      ) : (
        <span className="text-slate-400">reading host…</span>
      )}
      {summary.data ? <DataAge timestamp={summary.data.timestamp} /> : null}
    </div>
  );
}

function DemoBannerIfDemo() {
  const demo = useSummary().data?.source.demo ?? null;
  return demo ? <DemoBanner scenario={demo} /> : null;
}

/** The signed-in user and their role, and Sign out (which ends the session on the server, not only the cookie). */
function SignedIn({ name, role }: { name: string; role: string }) {
  const [pending, setPending] = useState(false);
  const signOut = async () => {
    setPending(true);
    await fetch("/api/auth/logout", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }).catch(() => null);
    window.location.assign("/login");
  };
  return (
    <div className="flex items-center gap-2 text-sm" aria-label="Signed in">
      <span data-testid="signed-in-user" className="font-medium text-slate-900">
        {name}
      </span>
      <span data-testid="signed-in-role" className="rounded bg-slate-100 px-1.5 py-px text-xs text-slate-700">
        {role}
      </span>
      <button
        type="button"
        onClick={() => void signOut()}
        disabled={pending}
        className="cursor-pointer rounded border border-slate-300 px-1.5 py-px text-xs text-slate-700 hover:bg-slate-100"
      >
        Sign out
      </button>
    </div>
  );
}

function DemoBanner({ scenario }: { scenario: string }) {
  return (
    <div
      data-testid="demo-banner"
      role="note"
      aria-label="Demo host"
      className="border-y border-amber-500 bg-[repeating-linear-gradient(135deg,#fde68a_0_12px,#fcd34d_12px_24px)] px-4 py-1.5 text-center text-sm font-semibold text-amber-950"
    >
      Demo host: <span className="font-mono">{scenario}</span> — not your machine. Everything below is generated sample data, and plans are applied to a
      simulated kernel.
    </div>
  );
}

function DataAge({ timestamp }: { timestamp: number }) {
  const queryClient = useQueryClient();
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- the clock starts after hydration: the server's markup and the first render say "just now"
    setNow(Date.now());
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);
  return (
    <span className="flex items-center gap-2">
      <time
        dateTime={new Date(timestamp).toISOString()}
        title={`sysfs read at ${new Date(timestamp).toLocaleString()}`}
        data-testid="data-age"
        className="tabular-nums"
      >
        read {now === null ? "just now" : ageText(now - timestamp)}
      </time>
      <button
        type="button"
        onClick={() => void queryClient.invalidateQueries()}
        className="cursor-pointer rounded border border-slate-300 px-1.5 py-px text-xs text-slate-700 hover:bg-slate-100"
        aria-label="Read the host again"
      >
        Refresh
      </button>
    </span>
  );
}
